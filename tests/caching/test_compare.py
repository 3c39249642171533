"""Grouping what differs between two step runs' components: code, data, environment, arguments."""

from __future__ import annotations

from typing import Any

from duto.caching.compare import GROUPS, differences
from duto.caching.fingerprint import COMPONENT_KEYS


def components(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "python_script@1",
        "code": {"train.py": "aa"},
        "script": "train.py",
        "command": None,
        "arguments": [{"value": "--lr"}, {"parameter": "lr"}],
        "params": {},
        "parameters": {"lr": 0.1},
        "inputs": {"data": {"digest": "d1", "source": {"kind": "step_output", "step": "prep", "output": "out"}}},
        "environment": {"python": "3.11.7", "variables": {}},
        "outputs": [],
        "version": None,
        "hash_paths": {},
    }
    return {**base, **changes}


def test_every_component_is_in_exactly_one_group() -> None:
    grouped = [key for keys in GROUPS.values() for key in keys]
    assert sorted(grouped) == sorted(COMPONENT_KEYS)


def test_the_same_components_differ_in_nothing() -> None:
    assert differences(components(), components()) == {"code": [], "data": [], "environment": [], "arguments": []}


def test_each_difference_lands_in_its_group_with_the_explanation_sentence() -> None:
    after = components(
        code={"train.py": "bb"},
        parameters={"lr": 0.2},
        inputs={"data": {"digest": "d2", "source": {"kind": "step_output", "step": "prep", "output": "out"}}},
        environment={"python": "3.12.1", "variables": {}},
    )
    assert differences(components(), after) == {
        "code": ["code: train.py changed"],
        "data": ["input 'data' changed"],
        "environment": ["environment: python 3.11.7 -> 3.12.1"],
        "arguments": ["parameter lr: 0.1 -> 0.2"],
    }
