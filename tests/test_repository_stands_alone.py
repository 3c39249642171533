"""The repository needs nothing beside it: every page it links to and every page its layer contract names is in it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWN_PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "bench" / "README.md"]
PAGES = sorted([*OWN_PAGES, *ROOT.glob("docs/*.md"), *ROOT.glob("examples/*/README.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_a_page_resolves_inside_the_repository(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (page.parent / target).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    assert broken == []


def test_the_layer_contract_names_a_page_of_the_repository():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    named = [page for c in contracts for page in re.findall(r"[\w./-]+\.md", c["name"])]
    assert named, "the layer contract should name the page that draws the layers"
    assert all((ROOT / page).is_file() for page in named), named


def test_no_test_reaches_outside_the_repository():
    outside = re.compile(r"parents\[\d+\]")
    for path in ROOT.glob("tests/**/*.py"):
        for match in outside.finditer(path.read_text()):
            line = path.read_text()[: match.start()].count("\n") + 1
            depth = int(match.group(0)[8:-1])
            assert len(path.relative_to(ROOT).parents) > depth, f"{path.relative_to(ROOT)}:{line} climbs above the root"
