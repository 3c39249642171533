"""Fingerprints: canonical, order-free for dicts, ordered for lists, and moved by every component."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duto.caching.explain import SAME_FINGERPRINT, explain
from duto.caching.fingerprint import COMPONENT_KEYS, Components, canonical_json, fingerprint, validate_components
from duto.errors import ConfigError

PROPERTY = settings(max_examples=200, deadline=None, database=None)

# The word a reason must contain when that component changed.
NAMED_BY = {
    "kind": ("step kind",),
    "code": ("code:",),
    "script": ("script",),
    "command": ("command",),
    "arguments": ("arguments",),
    "params": ("params",),
    "parameters": ("parameter ",),
    "inputs": ("input", "file "),
    "environment": ("environment",),
    "outputs": ("declared outputs",),
    "version": ("version",),
    "hash_paths": ("hash_paths",),
}

names = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".py")
digests = st.text(alphabet="0123456789abcdef", min_size=4, max_size=8)
text = st.text(max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
arguments = st.one_of(
    st.builds(lambda v: {"value": v}, text),
    st.builds(lambda v: {"parameter": v}, names),
    st.builds(lambda v: {"input": v}, names),
    st.builds(lambda v: {"output": v}, names),
)
step_input = st.builds(
    lambda digest, step, output: {"digest": digest, "source": {"kind": "step_output", "step": step, "output": output}},
    digests,
    names,
    names,
)
dataset_input = st.dictionaries(paths, digests, min_size=1, max_size=4).map(
    lambda files: {
        "digest": blake3.blake3(canonical_json(files)).hexdigest(),
        "source": {"kind": "dataset"},
        "files": files,
    }
)
output = st.builds(
    lambda kind, datastore, destination, is_directory: {
        "kind": kind,
        "datastore": datastore,
        "destination": destination,
        "is_directory": is_directory,
    },
    st.sampled_from(["pipeline_data", "output_file_dataset"]),
    st.none() | names,
    st.none() | paths,
    st.none() | st.booleans(),
)
outputs = st.dictionaries(names, output, max_size=3).map(
    lambda by_name: [{"name": name, **rest} for name, rest in by_name.items()]
)

COMPONENT = {
    "kind": st.sampled_from(["python_script@1", "python_script@2", "command@1"]),
    "code": st.dictionaries(paths, digests, max_size=4),
    "script": st.none() | paths,
    "command": st.none() | text | st.lists(arguments, max_size=3),
    "arguments": st.lists(arguments, max_size=5),
    "params": st.dictionaries(names, arguments, max_size=3),
    "parameters": st.dictionaries(names, scalars, max_size=3),
    "inputs": st.dictionaries(names, step_input | dataset_input, max_size=3),
    "environment": st.fixed_dictionaries(
        {"python": st.sampled_from(["3.11.7", "3.12.1"]), "variables": st.dictionaries(names, text, max_size=3)}
    ),
    "outputs": outputs,
    "version": st.none() | text,
    "hash_paths": st.dictionaries(paths, digests, max_size=3),
}
components = st.fixed_dictionaries(COMPONENT)


def one_entry_changed(key: str, value: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A dict component with one entry added, removed or given another value: the change users make."""
    entries = {
        "code": (paths, digests),
        "params": (names, arguments),
        "parameters": (names, scalars),
        "inputs": (names, step_input | dataset_input),
        "hash_paths": (paths, digests),
    }
    if key not in entries:
        return COMPONENT[key]
    keys, values = entries[key]
    existing = st.sampled_from(sorted(value)) if value else keys
    added = st.tuples(keys, values).map(lambda kv: {**value, kv[0]: kv[1]})
    changed = st.tuples(existing, values).map(lambda kv: {**value, kv[0]: kv[1]})
    removed = existing.map(lambda k: {n: v for n, v in value.items() if n != k})
    return added | changed | removed | COMPONENT[key]


def reordered(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every dict rebuilt in a shuffled key order (lists keep theirs)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: reordered(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [reordered(v, rng) for v in value]
    return value


@PROPERTY
@given(components, st.randoms(use_true_random=False))
def test_the_fingerprint_ignores_dict_order_and_survives_a_json_round_trip(
    original: dict[str, Any], rng: random.Random
) -> None:
    shuffled = reordered(original, rng)
    assert fingerprint(shuffled) == fingerprint(original)
    assert fingerprint(json.loads(json.dumps(shuffled))) == fingerprint(original)
    assert explain(shuffled, original) == [SAME_FINGERPRINT]


@PROPERTY
@given(components)
def test_an_unchanged_step_keeps_its_fingerprint(original: dict[str, Any]) -> None:
    validate_components(original)
    again = copy.deepcopy(original)
    assert fingerprint(again) == fingerprint(original)
    assert explain(again, original) == [SAME_FINGERPRINT]


@PROPERTY
@given(components, st.sampled_from(COMPONENT_KEYS), st.data())
def test_changing_any_one_component_changes_the_fingerprint_and_is_explained(
    original: dict[str, Any], key: str, data: st.DataObject
) -> None:
    before = canonical_json(original[key])
    value = data.draw(one_entry_changed(key, original[key]).filter(lambda v: canonical_json(v) != before))
    changed = {**original, key: value}
    assert fingerprint(changed) != fingerprint(original)
    reasons = explain(changed, original)
    assert any(word in reason for reason in reasons for word in NAMED_BY[key]), (key, reasons)


def test_the_component_keys_are_those_of_the_documented_schema() -> None:
    assert set(COMPONENT_KEYS) == set(Components.__required_keys__) == set(NAMED_BY)
    assert len(COMPONENT_KEYS) == len(set(COMPONENT_KEYS))


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_unicode() -> None:
    assert canonical_json({"b": [2, 1], "a": {"ç": "ü"}}) == '{"a":{"ç":"ü"},"b":[2,1]}'.encode()


def test_argument_order_matters() -> None:
    first = example_components()
    swapped = {**first, "arguments": list(reversed(first["arguments"]))}
    assert fingerprint(swapped) != fingerprint(first)


def test_a_fingerprint_is_a_plain_blake3_hex_digest() -> None:
    digest = fingerprint(example_components())
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert digest != blake3.blake3(canonical_json(example_components())).hexdigest(), "the scheme is folded in"


def test_validation_names_the_missing_and_the_unexpected_key() -> None:
    broken = {k: v for k, v in example_components().items() if k != "code"} | {"colour": "red"}
    with pytest.raises(ConfigError, match=r"missing 'code'; unexpected 'colour'"):
        validate_components(broken)


def test_validation_refuses_what_is_not_json() -> None:
    with pytest.raises(ConfigError, match="not plain JSON"):
        validate_components({**example_components(), "parameters": {"lr": object()}})


def example_components() -> dict[str, Any]:
    return {
        "kind": "python_script@1",
        "code": {"train.py": "aa", "lib/util.py": "bb"},
        "script": "train.py",
        "command": None,
        "arguments": [{"value": "--lr"}, {"parameter": "lr"}, {"input": "prepped"}, {"output": "model"}],
        "params": {"alpha": {"parameter": "lr"}},
        "parameters": {"lr": 0.1},
        "inputs": {"prepped": {"digest": "cc", "source": {"kind": "step_output", "step": "prep", "output": "p"}}},
        "environment": {"python": "3.11.7", "variables": {"K": "V"}},
        "outputs": [
            {"name": "model", "kind": "pipeline_data", "datastore": None, "destination": None, "is_directory": None}
        ],
        "version": None,
        "hash_paths": {},
    }
