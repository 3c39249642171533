"""Conda package specs as the PyPI requirements installed when there is no conda or micromamba."""

from __future__ import annotations

import pytest

from duto.graph.conda_names import pypi_requirement


@pytest.mark.parametrize(
    ("conda_spec", "requirement"),
    [
        ("scikit-learn", "scikit-learn"),
        ("pytorch", "torch"),
        ("py-xgboost=1.7", "xgboost==1.7.*"),
        ("conda-forge::numpy=1.26", "numpy==1.26.*"),
        ("numpy=1.26.4=py311h_0", "numpy==1.26.4"),
        ("pandas 2.1.*", "pandas==2.1.*"),
        ("scipy>=1.10", "scipy>=1.10"),
        ("msgpack-python==1.0.7", "msgpack==1.0.7"),
    ],
)
def test_a_conda_spec_becomes_the_pypi_requirement_of_the_same_releases(conda_spec: str, requirement: str) -> None:
    assert pypi_requirement(conda_spec) == requirement


def test_a_text_that_is_no_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="not a conda package spec"):
        pypi_requirement("=1.0")
