"""The package indexes this machine's pip is configured with, so a venv built by uv installs from them too."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping

PIP_CONFIG_FILES = ("/etc/xdg/pip/pip.conf", "/etc/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf")


def machine_index_options(
    spec_options: list[str],
    environ: Mapping[str, str] | None = None,
    config_files: tuple[str, ...] | None = None,
) -> list[str]:
    """The package indexes this machine's pip is configured with, as uv options, as pip would combine them.

    pip's settings come from its config files (`[global]`, then `[install]`) and the PIP_INDEX_URL,
    PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS variables, which win. An environment's own `--index-url` replaces the
    machine's; its `--no-index` drops all of them, so it installs only from the links it names.
    """
    environ = os.environ if environ is None else environ
    flags = {option.split("=", 1)[0] for option in spec_options}
    if "--no-index" in flags:
        return []
    settings = _pip_settings(environ, config_files)
    args: list[str] = []
    if "--index-url" not in flags:
        args.extend(f"--index-url={url}" for url in settings.get("index-url", [])[:1])
    args.extend(f"--extra-index-url={url}" for url in settings.get("extra-index-url", []))
    args.extend(f"--find-links={link}" for link in settings.get("find-links", []))
    return [arg for arg in args if arg not in spec_options]


def _pip_settings(environ: Mapping[str, str], config_files: tuple[str, ...] | None) -> dict[str, list[str]]:
    if config_files is None:
        config_home = environ.get("XDG_CONFIG_HOME") or "~/.config"
        files = (*PIP_CONFIG_FILES[:3], f"{config_home}/pip/pip.conf")
        config_files = (*files, environ["PIP_CONFIG_FILE"]) if environ.get("PIP_CONFIG_FILE") else files
    settings: dict[str, list[str]] = {}
    for file in config_files:
        parser = configparser.RawConfigParser()
        try:
            parser.read(os.path.expanduser(file))
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue  # pip would stop on a broken file; a build still has PyPI, and uv says what failed
        for section in ("global", "install"):
            if parser.has_section(section):
                for option, value in parser.items(section):
                    key = option.replace("_", "-")
                    if key in ("index-url", "extra-index-url", "find-links"):
                        settings[key] = value.split()
    for key, variable in (
        ("index-url", "PIP_INDEX_URL"),
        ("extra-index-url", "PIP_EXTRA_INDEX_URL"),
        ("find-links", "PIP_FIND_LINKS"),
    ):
        if environ.get(variable):
            settings[key] = environ[variable].split()
    return settings
