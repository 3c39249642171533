"""The portal's files as the server finds them: a name under the portal's folder, never one leading out of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from duto.server.portal_files import _inside

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "portal" / "assets"
    folder.mkdir(parents=True)
    (folder / "index-abc.js").write_text("js")
    (tmp_path / "portal" / "index.html").write_text("<html>")
    (tmp_path / "secret.txt").write_text("secret")
    (folder / "escape").symlink_to(tmp_path / "secret.txt")
    return folder


def test_a_file_of_the_folder_is_found(assets: Path) -> None:
    assert assets / "index-abc.js" == _inside(assets, "index-abc.js")


@pytest.mark.parametrize(
    "name",
    ["", "..", "../index.html", "../../secret.txt", "/etc/passwd", "x/../../secret.txt", "escape", "a\x00b", "..\\x"],
)
def test_a_name_out_of_the_folder_or_of_no_file_is_none(assets: Path, name: str) -> None:
    assert _inside(assets, name) is None
