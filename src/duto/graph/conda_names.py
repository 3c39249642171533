"""Conda package specs as PyPI requirements, for machines with neither conda nor micromamba (pure).

Most conda packages carry their PyPI name; the few that differ are in `CONDA_TO_PYPI`. A conda version
(`numpy=1.26`, `numpy 1.26.*`) becomes the pip requirement that matches the same releases (`numpy==1.26.*`).
"""

from __future__ import annotations

import re

# Conda names whose PyPI distribution is named otherwise (conda-forge's and the defaults channel's).
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-lightgbm": "lightgbm",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "tensorflow-base": "tensorflow",
    "pyqt": "PyQt5",
}
_SPEC = re.compile(r"^\s*(?:[A-Za-z0-9_.\-/]+::)?([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*$")


def pypi_requirement(conda_spec: str) -> str:
    """The pip requirement that asks PyPI for what a conda spec asks conda for.

    `pytorch` -> `torch`, `conda-forge::numpy=1.26` -> `numpy==1.26.*`, `scipy>=1.10` -> `scipy>=1.10`,
    `pandas 2.1.*` -> `pandas==2.1.*`; a build string (`=py311_0`) is dropped.

    Raises:
        ValueError: when the text is not a conda package spec.
    """
    match = _SPEC.match(conda_spec)
    if match is None:
        raise ValueError(f"{conda_spec!r} is not a conda package spec such as 'numpy' or 'numpy=1.26'")
    name, version = match.group(1), match.group(2).replace(" ", "")
    name = CONDA_TO_PYPI.get(name.lower(), name)
    if not version:
        return name
    if version[0] in "<>!~" or version.startswith("=="):
        return f"{name}{version}"
    version = version.lstrip("=").split("=")[0]  # conda's `=1.26=build`: the version is the first part
    if not version:
        return name
    return f"{name}=={version}" if "*" in version or version.count(".") >= 2 else f"{name}=={version}.*"
