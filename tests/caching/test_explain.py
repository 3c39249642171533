"""Why a step ran: one reason per difference from its previous run, in the shapes users read in `duto why`."""

from __future__ import annotations

from typing import Any

import pytest

from duto.caching.explain import explain, summarize


def components(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "python_script@1",
        "code": {"train.py": "old-train", "lib/util.py": "util"},
        "script": "train.py",
        "command": None,
        "arguments": [{"value": "--lr"}, {"parameter": "lr"}, {"input": "prepped"}, {"output": "model"}],
        "params": {"alpha": {"parameter": "lr"}, "fixed": {"value": "x"}},
        "parameters": {"lr": 0.01},
        "inputs": {
            "prepped": {"digest": "p1", "source": {"kind": "step_output", "step": "prep", "output": "prepped"}},
            "raw": {
                "digest": "r1",
                "source": {"kind": "dataset"},
                "files": {"raw/20news.pkl": "n1", "raw/old.csv": "o1"},
            },
        },
        "environment": {"python": "3.11.7", "variables": {"K": "a"}},
        "outputs": [
            {"name": "model", "kind": "pipeline_data", "datastore": None, "destination": None, "is_directory": None}
        ],
        "version": None,
        "hash_paths": {"../shared/util.py": "s1"},
    }
    return base | changes


BLOBS = {
    "old-train": b"import os\nlr = 0.01\nprint(lr)\n",
    "new-train": b"import os\nlr = 0.1\nprint(lr)\nprint('done')\nprint('bye')\n",
    "binary-1": b"\x00\x01",
    "binary-2": b"\x00\x02",
}


def test_the_first_run_says_so() -> None:
    assert explain(components(), None) == ["first run of this step"]


def test_the_knobs_come_first() -> None:
    assert explain(components(), None, regenerate_outputs=True, allow_reuse=False) == [
        "regenerate_outputs was set",
        "allow_reuse=False",
        "first run of this step",
    ]
    changed = components(version="2")
    assert explain(changed, components(), regenerate_outputs=True) == [
        "regenerate_outputs was set",
        "version: None -> 2",
    ]
    assert explain(components(), components(), allow_reuse=False) == ["allow_reuse=False"]


def test_no_difference_leaves_the_reason_to_the_caller() -> None:
    same = ["same fingerprint as the previous run, whose outputs could not be reused"]
    assert explain(components(), components()) == same
    assert explain(components(), components(), previous_ref="run-1/train.py") == [f"{same[0]} (run-1/train.py)"]


def test_a_changed_script_file_counts_its_lines() -> None:
    changed = components(code={"train.py": "new-train", "lib/util.py": "util"})
    assert explain(changed, components(), read_blob=BLOBS.get) == ["code: train.py changed (+3 -1 lines)"]


@pytest.mark.parametrize(
    ("read_blob", "new_digest"),
    [(None, "new-train"), (BLOBS.get, "gone"), (BLOBS.get, "binary-2")],
    ids=["no reader", "missing blob", "binary"],
)
def test_a_changed_file_without_readable_text_has_no_counts(read_blob: Any, new_digest: str) -> None:
    old = components(code={"train.py": "binary-1" if new_digest == "binary-2" else "old-train"})
    changed = components(code={"train.py": new_digest})
    assert explain(changed, old, read_blob=read_blob) == ["code: train.py changed"]


def test_added_and_removed_files_are_listed_by_path() -> None:
    changed = components(code={"train.py": "old-train", "helper.py": "h", "a.py": "a"})
    assert explain(changed, components()) == ["code: a.py added", "code: helper.py added", "code: lib/util.py removed"]


def test_parameters() -> None:
    assert explain(components(parameters={"lr": 0.1}), components()) == ["parameter lr: 0.01 -> 0.1"]
    assert explain(components(parameters={"lr": 0.01, "mode": "fast"}), components()) == [
        "parameter mode: added ('fast')"
    ]
    assert explain(components(parameters={}), components()) == ["parameter lr: removed"]
    assert explain(components(parameters={"lr": "0.01"}), components()) == ["parameter lr: 0.01 -> '0.01'"]
    assert explain(components(parameters={"lr": 1.0}), components(parameters={"lr": 1})) == ["parameter lr: 1 -> 1.0"]


def test_an_upstream_output_that_changed_names_the_step_that_ran_again() -> None:
    inputs = components()["inputs"]
    changed = components(inputs=inputs | {"prepped": {**inputs["prepped"], "digest": "p2"}})
    assert explain(changed, components(), executed_upstream={"prep"}) == [
        "input 'prepped' changed because step 'prep' ran again"
    ]
    assert explain(changed, components()) == ["input 'prepped' changed"]


def test_inputs_added_and_removed() -> None:
    inputs = components()["inputs"]
    more = components(inputs=inputs | {"x": {"digest": "x1", "source": {"kind": "dataset"}, "files": {"x": "1"}}})
    assert explain(more, components()) == ["input 'x' added"]
    assert explain(components(), more) == ["input 'x' removed"]


def test_dataset_inputs_are_explained_file_by_file() -> None:
    inputs = components()["inputs"]
    files = {"raw/20news.pkl": "n2", "raw/new.csv": "w1"}
    changed = components(inputs=inputs | {"raw": {**inputs["raw"], "digest": "r2", "files": files}})
    assert explain(changed, components()) == [
        "file raw/20news.pkl changed",
        "file raw/new.csv added",
        "file raw/old.csv removed",
    ]
    same_files = components(inputs=inputs | {"raw": {**inputs["raw"], "digest": "r3"}})
    assert explain(same_files, components()) == ["input 'raw' changed"]


def test_script_command_arguments_and_params() -> None:
    assert explain(components(script="b.py"), components()) == ["script: train.py -> b.py"]
    assert explain(components(command="echo hi > $DUTO_OUTPUT_out"), components()) == ["command changed"]
    arguments = [{"value": "--lr"}, {"parameter": "lr"}, {"input": "prepped"}, {"value": "a b"}]
    assert explain(components(arguments=arguments), components()) == [
        "arguments: --lr {parameter:lr} {input:prepped} {output:model} -> --lr {parameter:lr} {input:prepped} 'a b'"
    ]
    assert explain(components(arguments=[]), components(arguments=[{"value": "x"}])) == ["arguments: x -> (none)"]
    params = {"alpha": {"parameter": "mu"}, "beta": {"value": "y"}}
    assert explain(components(params=params), components()) == ["params changed: alpha, beta, fixed"]


def test_kind_environment_outputs_version_and_hash_paths() -> None:
    assert explain(components(kind="command@1"), components()) == ["step kind: python_script@1 -> command@1"]
    environment = {"python": "3.12.1", "variables": {"K": "b", "NEW": "1"}}
    assert explain(components(environment=environment), components()) == [
        "environment: python 3.11.7 -> 3.12.1",
        "environment variable K: a -> b",
        "environment variable NEW: added (1)",
    ]
    gone = {"python": "3.11.7", "variables": {}}
    assert explain(components(environment=gone), components()) == ["environment variable K: removed"]
    model = components()["outputs"][0]
    outputs = [{**model, "is_directory": True}, {**model, "name": "scores"}]
    assert explain(components(outputs=outputs), components()) == ["declared outputs changed: model, scores"]
    assert explain(components(version="2"), components()) == ["version: None -> 2"]
    hash_paths = {"../shared/util.py": "s2", "../shared/new.py": "n"}
    assert explain(components(hash_paths=hash_paths), components()) == [
        "hash_paths: ../shared/new.py added",
        "hash_paths: ../shared/util.py changed",
    ]
    assert explain(components(hash_paths={}), components()) == ["hash_paths: ../shared/util.py removed"]


def test_reasons_follow_the_component_order() -> None:
    changed = components(kind="command@1", version="2", parameters={"lr": 0.1}, script="b.py")
    assert explain(changed, components()) == [
        "step kind: python_script@1 -> command@1",
        "script: train.py -> b.py",
        "parameter lr: 0.01 -> 0.1",
        "version: None -> 2",
    ]


def test_components_of_another_schema_still_get_a_reason() -> None:
    older = {k: v for k, v in components().items() if k != "hash_paths"} | {"colour": "red"}
    assert explain(components(hash_paths={}), older) == ["hash_paths changed", "colour changed"]


def test_summarize_joins_and_cuts_for_a_table_cell() -> None:
    assert summarize(["code: a.py changed", "parameter lr: 0.01 -> 0.1"]) == (
        "code: a.py changed; parameter lr: 0.01 -> 0.1"
    )
    long = summarize([f"file raw/{i}.csv changed" for i in range(50)])
    assert len(long) == 200 and long.endswith("…")
    assert summarize([]) == ""


def test_a_result_that_is_gone_is_the_one_reason_and_says_how_it_went():
    from duto.caching.explain import gone, output_fault, verify_dropped

    assert gone(verify_dropped("blob 1a2b3c4d5e6f7a8b is corrupt")) == (
        "the earlier result with this fingerprint is gone (dropped by cache verify: blob 1a2b3c4d5e6f7a8b is corrupt)"
    )
    assert gone(output_fault("blob 1a2b3c4d5e6f7a8b is missing")) == (
        "the earlier result with this fingerprint is gone (its output blob 1a2b3c4d5e6f7a8b is missing)"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"a": {"b": 1}}, {"a": {"b": True}}),  # equal in Python, not in canonical JSON
        ({"a": {"b": 1}}, {"a": {"b": 1.5}}),
        ({"a": {"b": "x"}}, {"a": {"b": "x", "c": "y"}}),
        ({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "y"}]}),
        ({"a": {"b": "x"}}, {"a": {"b": "x"}}),
        ({"a": (1, 2)}, {"a": [1, 2]}),  # a tuple and a list write the same JSON
    ],
)
def test_values_are_compared_as_their_canonical_json_is(old: Any, new: Any) -> None:
    from duto.caching.explain import _same
    from duto.caching.fingerprint import canonical_json

    assert _same(old, new) == (canonical_json(old) == canonical_json(new))
