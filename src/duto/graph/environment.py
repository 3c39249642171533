"""Environments as data: the packages, Python and variables a step runs with (the v1 `Environment` shape).

Pure: parsing a requirements text or a parsed environment.yml happens here, reading the files does not.
duto builds environments with uv: `python` sets the interpreter, `pip` is always there, and other conda packages
are installed by micromamba or conda (from the channels added) when the machine has one, else by their PyPI name
(`conda_names`).
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from duto.errors import ConfigError
from duto.graph.package_sources import absolute_path, normalize_package_name, package_source

SPEC_KEYS = (
    "name",
    "version",
    "python_version",
    "pip_packages",
    "pip_options",
    "user_managed",
    "interpreter",
    "docker_image",
    "environment_variables",
    "conda_packages",
    "conda_channels",
)
# The images v1 names in `azureml.core.runconfig`; duto starts a container only when Docker is enabled.
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
# Conda packages duto understands: `python` sets the interpreter version, `pip` is always there.
_UNDERSTOOD_CONDA = ("python", "pip")
_NAME = re.compile(r"^\s*(?:[A-Za-z0-9_.\-]+::)?([A-Za-z0-9][A-Za-z0-9_.\-]*)")
_INLINE_COMMENT = re.compile(r"(^|\s+)#.*$")
# pip's option spellings in a requirements file, as the long form uv also understands.
_OPTIONS_WITH_VALUE = {
    "-f": "--find-links",
    "--find-links": "--find-links",
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
}
_OPTION = re.compile(r"^(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z])(?:\s*=\s*|\s+)?(.*)$")
_NESTED_FILES = {"-r", "--requirement", "-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}


def requirement_name(requirement: str) -> str:
    """The normalized distribution name a pip requirement (`Pkg_A[x]>=1; marker`) or conda spec names."""
    match = _NAME.match(requirement)
    if match is None:
        raise ConfigError(
            f"{requirement!r} is not a package requirement such as 'numpy', 'numpy==1.26.4', a wheel's path "
            "('./wheels/mypkg-1.0-py3-none-any.whl'), 'mypkg @ file:///path/to/mypkg' or a URL"
        )
    return normalize_package_name(match.group(1))


def pip_requirement(requirement: str) -> tuple[str, str]:
    """A pip requirement as the spec records it, and what it shares with one that replaces it.

    A requirement by name (`numpy==1.26.4`) is kept as it is, its identity the normalized name. A local path
    (`./wheels/x-1.0-py3-none-any.whl`, `../mypkg/`, `name @ file:...`) is made absolute against the current
    folder; a URL (`https://...`, `git+https://...`) or a workspace wheel is kept as written. Their identity is
    the distribution name when the text says it (a wheel's file name, `name @ ...`, `#egg=name`), else the text.

    Raises:
        ConfigError: when it is none of these.
    """
    try:
        source = package_source(requirement)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if source is None:
        return requirement, requirement_name(requirement)
    return source.text, source.identity


def _identity(requirement: str) -> str:
    return pip_requirement(requirement)[1]


def _python_version_of(conda_spec: str) -> str | None:
    """The Python a conda `python...` spec asks for, in a form `uv --python` accepts: 3.11, 3.11.4, >=3.10."""
    match = _NAME.match(conda_spec)
    rest = conda_spec[match.end() :].strip() if match else ""
    if not rest:
        return None
    if rest.startswith("=="):
        return rest[2:].strip() or None
    if rest[0] in "<>!~":
        return rest.replace(" ", "")
    # conda's `python=3.11`, `python 3.11.*`, `python=3.11=h1234_0`: the version is the first part.
    version = rest.lstrip("= ").split("=")[0].split()[0] if rest.lstrip("= ") else ""
    version = version.removesuffix(".*").removesuffix("*").rstrip(".")
    return version or None


def _pip_option(option: str) -> str:
    """A pip option as given to `set_pip_option` or in a requirements file, in one canonical spelling."""
    text = option.strip()
    if not text.startswith("-"):
        raise ConfigError(f"pip option {option!r} must start with '-', e.g. '--find-links=/path/to/wheels'")
    match = _OPTION.match(text)
    if match is None:
        raise ConfigError(f"pip option {option!r} is not an option such as '--find-links=/path/to/wheels'")
    flag, value = match.group(1), match.group(2).strip()
    if flag in _NESTED_FILES:
        raise ConfigError(
            f"{option!r}: nested requirement or constraint files are not supported; "
            "list their packages in this file instead"
        )
    if flag in _EDITABLE:
        raise ConfigError(
            f"{option!r}: editable installs are not supported in an environment; "
            "build a wheel of the package, or give it as 'name @ file:///path/to/package'"
        )
    long_flag = _OPTIONS_WITH_VALUE.get(flag)
    if long_flag is not None:
        if not value:
            raise ConfigError(f"pip option {option!r} needs a value, e.g. '{long_flag}=/path/or/url'")
        if long_flag == "--find-links" and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", value):
            # A folder of wheels: taken from the current folder, as pip does, and recorded absolute.
            value = absolute_path(value)
        return f"{long_flag}={value}"
    return text


def _classify(line: str) -> tuple[str, str] | None:
    """One requirements line as ("package", text) or ("option", canonical option); None for nothing."""
    text = _INLINE_COMMENT.sub("", line).strip()
    if not text:
        return None
    if text.startswith("-"):
        return "option", _pip_option(text)
    if re.search(r"\s--?[A-Za-z]", text):
        raise ConfigError(
            f"requirement {text!r} carries per-requirement options (such as --hash), which duto does not "
            "support; remove them"
        )
    return "package", pip_requirement(text)[0]


def parse_requirements(text: str) -> tuple[list[str], list[str]]:
    """The pip packages and pip options of a requirements.txt text.

    Comments and blank lines are skipped, backslash continuations joined; `--find-links`, `--index-url`,
    `--extra-index-url`, `--no-index` (and `-f`, `-i`) lines become pip options. Packages may be given by name,
    as a local wheel, sdist or folder, as `name @ URL` or as a URL (`git+https://...`); relative paths are
    taken from the current folder, as pip takes them.

    Returns:
        (pip_packages, pip_options), each in file order.

    Raises:
        ConfigError: for a nested `-r`/`-c` file, an editable `-e` install or per-requirement options.
    """
    packages: list[str] = []
    options: list[str] = []
    for line in text.replace("\\\r\n", "").replace("\\\n", "").splitlines():
        classified = _classify(line)
        if classified is None:
            continue
        kind, value = classified
        target = packages if kind == "package" else options
        if value not in target:
            target.append(value)
    return packages, options


def parse_conda_specification(data: Mapping[str, Any]) -> tuple[str | None, list[str], list[str], list[str]]:
    """What a parsed conda environment.yml asks for.

    Args:
        data: the YAML document as a mapping, with `dependencies:` holding conda specs and a `{pip: [...]}` entry.

    Returns:
        (python_version, pip_packages, conda_packages, pip_options); conda_packages are those other than
        `python` and `pip`, which duto cannot install (`Environment.to_spec` says so).

    Raises:
        ConfigError: when the document is not shaped like an environment.yml.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"a conda specification must be a mapping with 'dependencies:', not {type(data).__name__}")
    dependencies = data.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise ConfigError("'dependencies:' of a conda specification must be a list")
    python_version: str | None = None
    pip_packages: list[str] = []
    conda_packages: list[str] = []
    pip_options: list[str] = []
    for entry in dependencies:
        if isinstance(entry, Mapping):
            unknown = sorted(str(key) for key in entry if key != "pip")
            pip_entries = entry.get("pip") or []
            if unknown or not isinstance(pip_entries, list):
                raise ConfigError(
                    f"dependency entry {dict(entry)!r} is not understood; only a list under 'pip:' may be nested"
                )
            packages, options = parse_requirements("\n".join(str(item) for item in pip_entries))
            pip_packages.extend(p for p in packages if p not in pip_packages)
            pip_options.extend(o for o in options if o not in pip_options)
        elif isinstance(entry, str | int | float):
            spec = str(entry).strip()
            name = requirement_name(spec)
            if name == "python":
                python_version = _python_version_of(spec)
            elif name != "pip":
                conda_packages.append(spec)
        else:
            raise ConfigError(f"dependency {entry!r} is neither a conda package spec nor a 'pip:' list")
    return python_version, pip_packages, conda_packages, pip_options


class CondaDependencies:
    """The packages of an environment, in the v1 shape; duto installs the pip packages with uv.

    Conda packages other than `python` (which sets the interpreter version) and `pip` are installed when the
    environment is built: by conda or micromamba when the machine has one, else from PyPI under their PyPI name.
    """

    def __init__(self) -> None:
        self._conda_packages: list[str] = []
        self._pip_packages: list[str] = []
        self._pip_options: list[str] = []
        self._channels: list[str] = []

    @staticmethod
    def create(
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
    ) -> CondaDependencies:
        """New dependencies; `pin_sdk_version` is accepted for v1 compatibility and has no effect."""
        del pin_sdk_version
        dependencies = CondaDependencies()
        if isinstance(pip_packages, str) or isinstance(conda_packages, str):
            raise ConfigError("pip_packages and conda_packages are lists of package specs, not one string")
        for conda_package in conda_packages or []:
            dependencies.add_conda_package(conda_package)
        if python_version is not None:
            dependencies.set_python_version(python_version)
        for pip_package in pip_packages or []:
            dependencies.add_pip_package(pip_package)
        return dependencies

    def add_pip_package(self, pip_package: str) -> None:
        """Add a pip requirement, replacing one of the same package.

        As pip takes it in a requirements file: `numpy`, `numpy==1.26.4`, a local wheel, sdist or project folder
        (`./wheels/mypkg-1.0-py3-none-any.whl`, relative to the current folder), `mypkg @ file:///...`,
        `mypkg @ https://...`, `git+https://...`, what `Environment.add_private_pip_wheel` returned, or an
        option line (`--extra-index-url URL`, `--find-links DIR`), which becomes a pip option.
        """
        text = self._checked(pip_package, "pip package")
        if text.startswith("-"):
            self.set_pip_option(text)
            return
        recorded, identity = pip_requirement(text)
        self._pip_packages = [p for p in self._pip_packages if _identity(p) != identity] + [recorded]

    def remove_pip_package(self, pip_package: str) -> None:
        """Remove the pip requirement of that package (by name, or by the path or URL it was added as)."""
        identity = _identity(self._checked(pip_package, "pip package"))
        self._pip_packages = [p for p in self._pip_packages if _identity(p) != identity]

    def add_conda_package(self, conda_package: str) -> None:
        """Add a conda package spec; `python=3.11` sets the Python version, as in conda."""
        text = self._checked(conda_package, "conda package")
        name = requirement_name(text)
        self._conda_packages = [p for p in self._conda_packages if requirement_name(p) != name] + [text]

    def remove_conda_package(self, conda_package: str) -> None:
        name = requirement_name(conda_package)
        self._conda_packages = [p for p in self._conda_packages if requirement_name(p) != name]

    def set_python_version(self, version: str) -> None:
        """The Python the environment runs, as uv finds it on this machine: `3.11`, `3.11.4`, `>=3.10`."""
        text = self._checked(str(version), "python version")
        self.add_conda_package(f"python={text}" if text[0].isdigit() else f"python{text}")

    def get_python_version(self) -> str | None:
        return self.python_version

    def set_pip_option(self, pip_option: str) -> None:
        """Add a pip option for installs, e.g. `--find-links=/path`, `--index-url=URL`, `--no-index`."""
        option = _pip_option(self._checked(pip_option, "pip option"))
        if option not in self._pip_options:
            self._pip_options.append(option)

    def add_channel(self, channel: str) -> None:
        """A conda channel the conda packages come from, when micromamba or conda installs them (conda-forge if
        none is added); no effect when they come from PyPI or there are none."""
        if channel not in self._channels:
            self._channels.append(channel)

    @property
    def python_version(self) -> str | None:
        for package in self._conda_packages:
            if requirement_name(package) == "python":
                return _python_version_of(package)
        return None

    @property
    def pip_packages(self) -> list[str]:
        return list(self._pip_packages)

    @property
    def conda_packages(self) -> list[str]:
        return list(self._conda_packages)

    @property
    def pip_options(self) -> list[str]:
        return list(self._pip_options)

    @property
    def channels(self) -> list[str]:
        return list(self._channels)

    @staticmethod
    def _checked(value: object, what: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"a {what} must be a non-empty string, not {value!r}")
        return value.strip()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CondaDependencies):
            return NotImplemented
        return (self._conda_packages, self._pip_packages, self._pip_options) == (
            other._conda_packages,
            other._pip_packages,
            other._pip_options,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return (
            f"CondaDependencies(conda_packages={self._conda_packages!r}, pip_packages={self._pip_packages!r}, "
            f"pip_options={self._pip_options!r})"
        )


@dataclass
class PythonSection:
    """The Python side of an environment: its packages, or an interpreter the user manages themselves."""

    conda_dependencies: CondaDependencies = field(default_factory=CondaDependencies)
    user_managed_dependencies: bool = False
    interpreter_path: str | None = None


@dataclass
class DockerSection:
    """Whether a step runs in a container, and from which image.

    As in v1, `enabled` decides: a `base_image` alone is recorded and starts no container, so an environment
    with `base_image = DEFAULT_CPU_IMAGE` and Docker off runs in a local venv. Enabled without an image, the
    container is `DEFAULT_CPU_IMAGE`.
    """

    base_image: str | None = None
    enabled: bool = False

    @property
    def image(self) -> str | None:
        """The image a step of this environment runs in, or None when it runs in a local venv."""
        if not self.enabled:
            return None
        return self.base_image or DEFAULT_CPU_IMAGE


@dataclass
class Environment:
    """The packages, Python and environment variables a step runs with.

    Args:
        name: how the workspace knows it, e.g. "train-env".
        version: set by `register` ("1", "2", ...); None for one not registered.
    """

    name: str
    version: str | None = None
    python: PythonSection = field(default_factory=PythonSection)
    docker: DockerSection = field(default_factory=DockerSection)
    environment_variables: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or "/" in self.name:
            raise ConfigError(f"environment name {self.name!r} must be a non-empty name without '/'")
        if self.version is not None and not isinstance(self.version, str):
            raise ConfigError(f"environment version must be a string such as '1', not {self.version!r}")

    def to_spec(self) -> dict[str, Any]:
        """The environment as the pipeline spec records it (and the builder reads it).

        Raises:
            ConfigError: for environment variables that are not str to str.
        """
        dependencies = self.python.conda_dependencies
        conda_packages = [p for p in dependencies.conda_packages if requirement_name(p) not in _UNDERSTOOD_CONDA]
        for key, value in self.environment_variables.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(
                    f"environment_variables of environment {self.name!r} must map str to str; "
                    f"{key!r}: {value!r} does not"
                )
        spec: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "python_version": dependencies.python_version,
            "pip_packages": dependencies.pip_packages,
            "pip_options": dependencies.pip_options,
            "user_managed": bool(self.python.user_managed_dependencies),
            "interpreter": self.python.interpreter_path,
            "docker_image": self.docker.image,
            "environment_variables": dict(sorted(self.environment_variables.items())),
        }
        if conda_packages and not self.python.user_managed_dependencies:
            spec["conda_packages"] = conda_packages  # only when some, so other specs stay as they were
            if dependencies.channels:
                spec["conda_channels"] = dependencies.channels
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Self:
        """The environment a `to_spec()` dict describes.

        Raises:
            ConfigError: when `spec` is not such a dict.
        """
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
            raise ConfigError(f"an environment spec is a dict with at least 'name'; got {spec!r}")
        unknown = sorted(set(spec) - set(SPEC_KEYS))
        if unknown:
            raise ConfigError(f"environment spec of {spec['name']!r} has unknown keys {unknown}")
        dependencies = CondaDependencies.create(
            pip_packages=list(spec.get("pip_packages") or []),
            conda_packages=list(spec.get("conda_packages") or []),
            python_version=spec.get("python_version"),
        )
        for option in spec.get("pip_options") or []:
            dependencies.set_pip_option(option)
        for channel in spec.get("conda_channels") or []:
            dependencies.add_channel(channel)
        return cls(
            name=spec["name"],
            version=None if spec.get("version") is None else str(spec["version"]),
            python=PythonSection(
                conda_dependencies=dependencies,
                user_managed_dependencies=bool(spec.get("user_managed", False)),
                interpreter_path=spec.get("interpreter"),
            ),
            docker=DockerSection(base_image=spec.get("docker_image"), enabled=spec.get("docker_image") is not None),
            environment_variables=dict(spec.get("environment_variables") or {}),
        )

    def clone(self, new_name: str) -> Self:
        """A copy under another name, not registered (version None)."""
        copied = copy.deepcopy(self)
        copied.name, copied.version = new_name, None
        copied.__post_init__()
        return copied


def pip_option_args(options: Iterable[str]) -> list[str]:
    """Pip options as command-line arguments: `--find-links=/p` stays one, `--opt value` becomes two."""
    args: list[str] = []
    for option in options:
        args.extend([option] if option.startswith("--") and "=" in option else shlex.split(option))
    return args
