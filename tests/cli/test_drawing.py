"""Drawing a pipeline spec: layers, DOT, Mermaid and text, from a spec built by hand."""

from __future__ import annotations

import pydot
import pytest

from duto.cli import drawing
from duto.cli.runs import short_ids
from duto.graph.spec import EdgeSpec, InputSpec, OutputSpec, PipelineSpec, StepSpec


def step(name: str, upstream: list[str], inputs: list[InputSpec] | None = None) -> StepSpec:
    return StepSpec(
        name=name,
        kind="python_script",
        kind_version=1,
        compute_target="local",
        upstream=upstream,
        inputs=inputs or [],
        outputs=[OutputSpec("out", "pipeline_data")],
    )


RAW = InputSpec("raw", "download", {"kind": "dataset", "paths": [{"datastore": "ds", "path": "raw/**"}]})


def diamond() -> PipelineSpec:
    """prep -> (train, stats) -> report, with report also ordered after prep and a quote in a name."""
    return PipelineSpec(
        steps=[
            step("prep", [], [RAW]),
            step("train", ["prep"]),
            step('st"ats', ["prep"]),
            step("report", ["train", 'st"ats', "prep"]),
        ],
        edges=[
            EdgeSpec("prep", "train", "prepped", "prepped"),
            EdgeSpec("prep", 'st"ats', "prepped", "data"),
            EdgeSpec("train", "report", "model", "model"),
            EdgeSpec('st"ats', "report", "summary", "summary"),
            EdgeSpec("prep", "report"),
        ],
    )


def test_layers_follow_the_longest_path_from_a_first_step() -> None:
    assert drawing.layers(diamond()) == [["prep"], ["train", 'st"ats'], ["report"]]


def test_edges_are_named_by_their_data_and_order_only_edges_by_nothing() -> None:
    assert drawing.edges(diamond()) == [
        drawing.Edge("prep", "train", "prepped"),
        drawing.Edge("prep", 'st"ats', "prepped → data"),
        drawing.Edge("train", "report", "model"),
        drawing.Edge('st"ats', "report", "summary"),
        drawing.Edge("prep", "report", None),
    ]


def test_text_shows_layers_statuses_datasets_and_edges() -> None:
    lines = drawing.text(diamond(), {"prep": "Reused", "train": "Running"})
    assert lines == [
        "layer 1",
        "  ■ prep  [Reused]",
        "  │  ◂ raw (dataset ds:raw/**)",
        "  ├─ prepped ─▶ train",
        '  ├─ prepped → data ─▶ st"ats',
        "  └┄┄▶ report (runs after)",
        "layer 2",
        "  ■ train  [Running]",
        "  └─ model ─▶ report",
        '  ■ st"ats',
        "  └─ summary ─▶ report",
        "layer 3",
        "  ■ report",
    ]


def test_dot_declares_every_node_and_edge_with_quotes_escaped() -> None:
    text = drawing.dot(diamond(), {"prep": "Finished"}, name="run 1")
    lines = text.splitlines()
    assert lines[0] == 'digraph "run 1" {' and lines[-1] == "}"
    assert '  "prep" [label="prep\\nFinished"];' in lines
    assert '  "st\\"ats" [label="st\\"ats"];' in lines
    assert '  "prep" -> "st\\"ats" [label="prepped → data"];' in lines
    assert '  "prep" -> "report" [style=dashed];' in lines
    assert '  "dataset:prep:raw" -> "prep";' in lines
    assert sum(" -> " in line for line in lines) == 6


# pydot's parser still calls pyparsing's camelCase names, which pyparsing 3.3 deprecates.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_dot_parser_reads_every_node_and_edge() -> None:
    parsed = pydot.graph_from_dot_data(drawing.dot(diamond(), {"prep": "Finished"}, name="run 1"))
    assert parsed is not None and len(parsed) == 1
    graph = parsed[0]
    assert {n.get_name().strip('"') for n in graph.get_nodes()} >= {"prep", "train", "report"}
    assert len(graph.get_edges()) == 6


def test_mermaid_is_a_flowchart_with_quoted_labels() -> None:
    lines = drawing.mermaid(diamond(), {"prep": "Finished"}).splitlines()
    assert lines == [
        "flowchart TD",
        '  s0["prep (Finished)"]',
        '  s1["train"]',
        '  s2["st#quot;ats"]',
        '  s3["report"]',
        '  d0[("raw")] --> s0',
        '  s0 -->|"prepped"| s1',
        '  s0 -->|"prepped → data"| s2',
        '  s1 -->|"model"| s3',
        '  s2 -->|"summary"| s3',
        "  s0 -.-> s3",
    ]


def test_short_ids_are_eight_characters_and_longer_only_where_two_would_look_alike() -> None:
    ids = ["abcdef12-0000", "abcdef12-1111", "12345678-9999"]
    assert short_ids(ids) == {"abcdef12-0000": "abcdef12-0", "abcdef12-1111": "abcdef12-1", "12345678-9999": "12345678"}
