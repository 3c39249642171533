"""Where a pip requirement comes from: an index (by name), a local wheel, sdist or folder, a URL, or the workspace.

Pure: it reads the text of a requirement and never the files it names. A relative local path is made absolute
against the current folder when the requirement is added (as pip reads one relative to where it runs), so the
pipeline spec holds paths that mean the same thing to the runner, whatever folder the runner starts in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote, urlsplit

# What `Environment.add_private_pip_wheel` returns: a wheel kept in the workspace's `.duto/wheels/`, found there by
# the builder on whichever machine has the workspace.
WORKSPACE_SCHEME = "duto-workspace:"
WORKSPACE_WHEELS = WORKSPACE_SCHEME + "//wheels/"
WHEELS_FOLDER = "wheels"
# The archive kinds pip takes as a local file: a built wheel or a source distribution.
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DIRECT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(\[[^\]]*\])?\s*@\s*(\S+)\s*(;.*)?$")
_WHEEL_NAME = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-[^-/]+(?:-\d[^-/]*)?-[^-/]+-[^-/]+-[^-/]+\.whl$"
)
_SDIST_NAME = re.compile(r"^(.+)-\d[^-/]*$")
_EGG = re.compile(r"(?:^|&)egg=([A-Za-z0-9][A-Za-z0-9_.\-]*)")


class SourceKind(Enum):
    """How pip finds a requirement's distribution."""

    INDEX = "index"  # by name (and version), from the package indexes
    LOCAL = "local"  # a wheel, sdist or project folder on this machine
    WORKSPACE = "workspace"  # a wheel stored in the workspace by add_private_pip_wheel
    URL = "url"  # anything else with a URL: https, git+https, ...


@dataclass(frozen=True)
class PackageSource:
    """One pip requirement and where it comes from.

    Attributes:
        text: the requirement as the spec records it: relative local paths made absolute.
        kind: where pip finds it.
        name: the normalized distribution name when the text says it (a name, a wheel's file name, `name @`);
            None for a folder or a URL that does not.
        location: for LOCAL, the absolute path; for WORKSPACE, the file name under `.duto/wheels/`; else None.
    """

    text: str
    kind: SourceKind
    name: str | None
    location: str | None = None

    @property
    def identity(self) -> str:
        """What two requirements share when one replaces the other: the name, else the text."""
        return self.name if self.name is not None else self.text


def normalize_package_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: lowercase, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def looks_like_path(text: str) -> bool:
    """Whether pip would take a requirement for a path: it has a `/`, starts with `.` or `~`, or is an archive."""
    head = text.split(";", 1)[0].strip()
    return "/" in head or head.startswith((".", "~")) or head.lower().endswith(ARCHIVE_SUFFIXES)


def workspace_wheel_reference(file_name: str) -> str:
    """The reference `add_private_pip_wheel` hands back for a wheel stored under `.duto/wheels/`."""
    return WORKSPACE_WHEELS + file_name


def wheel_file_name_problem(file_name: str) -> str | None:
    """Why `file_name` is not a wheel's file name (`name-version-python-abi-platform.whl`), or None."""
    if _WHEEL_NAME.match(file_name) is None:
        return (
            f"{file_name!r} is not a wheel's file name such as 'mypkg-1.0-py3-none-any.whl'; "
            "build the wheel with `python -m build --wheel` (or `uv build`) and give the file it writes"
        )
    return None


def package_source(requirement: str, cwd: str | None = None) -> PackageSource | None:
    """Where a pip requirement comes from; None when it is a requirement by name (`numpy>=1.26`).

    Args:
        requirement: one requirement line, stripped, not a pip option.
        cwd: the folder a relative local path is taken from; the current folder when None.

    Raises:
        ValueError: a workspace reference that is not `duto-workspace://wheels/<wheel file name>`.
    """
    text = requirement.strip()
    if text.startswith(WORKSPACE_SCHEME):
        return _workspace(text, None)
    direct = _DIRECT.match(text)
    if direct is not None:
        name = normalize_package_name(direct.group(1))
        url = direct.group(3)
        if url.startswith(WORKSPACE_SCHEME):
            return _workspace(url, name, text)
        if url.lower().startswith("file:"):
            path = _file_url_path(url)
            if not os.path.isabs(path):  # `name @ file:./pkg`: made absolute, as a bare relative path is
                path = absolute_path(path, cwd)
                text = f"{direct.group(1)}{direct.group(2) or ''} @ file://{path}{direct.group(4) or ''}"
            return PackageSource(text, SourceKind.LOCAL, name, path)
        return PackageSource(text, SourceKind.URL, name)
    if _URL.match(text):
        named = _name_in_url(text)
        if text.lower().startswith("file:"):
            return PackageSource(text, SourceKind.LOCAL, named, _file_url_path(text))
        return PackageSource(text, SourceKind.URL, named)
    if looks_like_path(text):
        head, _, marker = text.partition(";")
        path = absolute_path(head.strip(), cwd)
        recorded = f"{path} ;{marker}" if marker.strip() else path
        return PackageSource(recorded, SourceKind.LOCAL, _name_in_file_name(os.path.basename(path)), path)
    return None


def absolute_path(path: str, cwd: str | None = None) -> str:
    """`path` with `~` expanded, made absolute against `cwd` (the current folder when None), normalized."""
    expanded = os.path.expanduser(path)
    return os.path.normpath(os.path.join(cwd if cwd is not None else os.getcwd(), expanded))


def _workspace(url: str, name: str | None, text: str | None = None) -> PackageSource:
    file_name = url[len(WORKSPACE_WHEELS) :] if url.startswith(WORKSPACE_WHEELS) else ""
    problem = wheel_file_name_problem(file_name) if file_name and "/" not in file_name else "no wheel"
    if problem is not None:
        raise ValueError(
            f"{url!r} is not a wheel stored in the workspace; pass what Environment.add_private_pip_wheel "
            f"returned, such as '{WORKSPACE_WHEELS}mypkg-1.0-py3-none-any.whl'"
        )
    return PackageSource(text or url, SourceKind.WORKSPACE, name or _name_in_file_name(file_name), file_name)


def _file_url_path(url: str) -> str:
    """The path of a `file:` URL, as it stands (relative when the URL is)."""
    return os.path.normpath(unquote(urlsplit(url).path))


def _name_in_url(url: str) -> str | None:
    parts = urlsplit(url)
    egg = _EGG.search(parts.fragment)
    if egg is not None:
        return normalize_package_name(egg.group(1))
    return _name_in_file_name(unquote(parts.path.rsplit("/", 1)[-1]))


def _name_in_file_name(file_name: str) -> str | None:
    """The distribution a wheel or sdist file is of, from its name; None for a folder or another file."""
    wheel = _WHEEL_NAME.match(file_name)
    if wheel is not None:
        return normalize_package_name(wheel.group(1))
    lowered = file_name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lowered.endswith(suffix) and suffix != ".whl":
            sdist = _SDIST_NAME.match(file_name[: -len(suffix)])
            return normalize_package_name(sdist.group(1)) if sdist else None
    return None
