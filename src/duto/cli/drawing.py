"""A pipeline spec drawn for `duto dag`: layered text for the terminal, Graphviz DOT, or a Mermaid flowchart.

Pure functions of the spec (and, for a run, each step's status): steps are laid out in layers by their depth
in the graph, edges are named by the data between them, and dataset inputs are drawn as data nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from duto.graph.spec import PipelineSpec


@dataclass(frozen=True)
class Edge:
    """`source` -> `target`, named by the data that flows (None when the target only runs after the source)."""

    source: str
    target: str
    data: str | None


def edges(spec: PipelineSpec) -> list[Edge]:
    """The spec's edges, one per (source, target, data), in the spec's order."""
    found: dict[tuple[str, str, str | None], Edge] = {}
    for edge in spec.edges:
        if edge.output is None:
            data = None
        elif edge.input is None or edge.input == edge.output:
            data = edge.output
        else:
            data = f"{edge.output} → {edge.input}"
        found.setdefault((edge.source, edge.target, data), Edge(edge.source, edge.target, data))
    return list(found.values())


def layers(spec: PipelineSpec) -> list[list[str]]:
    """Steps grouped by depth: a step sits one layer below the deepest step it comes after."""
    before: dict[str, set[str]] = {s.key: set(s.upstream) for s in spec.steps}
    for edge in spec.edges:
        before[edge.target].add(edge.source)
    depth: dict[str, int] = {}

    def depth_of(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((depth_of(u) for u in before[name]), default=-1)
        return depth[name]

    grouped: list[list[str]] = []
    for step in spec.steps:
        level = depth_of(step.key)
        while len(grouped) <= level:
            grouped.append([])
        grouped[level].append(step.key)
    return grouped


def datasets(spec: PipelineSpec) -> list[tuple[str, str, str]]:
    """(input name, where its files are, step) for every dataset input."""
    found = []
    for step in spec.steps:
        for port in step.inputs:
            if port.source["kind"] == "dataset":
                where = ", ".join(f"{p['datastore']}:{p['path']}" for p in port.source.get("paths", []))
                found.append((port.name, where, step.key))
    return found


def text(spec: PipelineSpec, statuses: Mapping[str, str] | None = None) -> list[str]:
    """The graph as lines of text: each layer's steps with their status, their dataset inputs and edges out."""
    statuses = statuses or {}
    out_edges: dict[str, list[Edge]] = {s.key: [] for s in spec.steps}
    for edge in edges(spec):
        out_edges[edge.source].append(edge)
    inputs: dict[str, list[tuple[str, str]]] = {}
    for name, where, step in datasets(spec):
        inputs.setdefault(step, []).append((name, where))
    lines: list[str] = []
    for number, layer in enumerate(layers(spec), start=1):
        lines.append(f"layer {number}")
        for name in layer:
            status = statuses.get(name)
            lines.append(f"  ■ {name}" + (f"  [{status}]" if status else ""))
            for data, where in inputs.get(name, []):
                lines.append(f"  │  ◂ {data} (dataset {where})")
            outgoing = out_edges[name]
            for position, edge in enumerate(outgoing):
                branch = "└" if position == len(outgoing) - 1 else "├"
                if edge.data is None:
                    lines.append(f"  {branch}┄┄▶ {edge.target} (runs after)")
                else:
                    lines.append(f"  {branch}─ {edge.data} ─▶ {edge.target}")
    return lines


def _dot_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(spec: PipelineSpec, statuses: Mapping[str, str] | None = None, name: str = "pipeline") -> str:
    """The graph in Graphviz DOT, for `dot -Tsvg`."""
    statuses = statuses or {}
    lines = [f"digraph {_dot_string(name)} {{", "  rankdir=TB;", '  node [shape=box, style="rounded"];']
    for step in spec.steps:
        status = statuses.get(step.key)
        label = step.name if status is None else f"{step.name}\n{status}"
        lines.append(f"  {_dot_string(step.key)} [label={_dot_string(label)}];")
    for data, where, step_name in datasets(spec):
        node = _dot_string(f"dataset:{step_name}:{data}")
        lines.append(f"  {node} [label={_dot_string(data)}, shape=cylinder, tooltip={_dot_string(where)}];")
        lines.append(f"  {node} -> {_dot_string(step_name)};")
    for edge in edges(spec):
        attributes = "[style=dashed]" if edge.data is None else f"[label={_dot_string(edge.data)}]"
        lines.append(f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)} {attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(value: str) -> str:
    # Inside a quoted Mermaid label, a double quote is written as an entity.
    return '"' + value.replace('"', "#quot;") + '"'


def mermaid(spec: PipelineSpec, statuses: Mapping[str, str] | None = None) -> str:
    """The graph as a Mermaid flowchart, for a Markdown ```mermaid block."""
    statuses = statuses or {}
    ids = {step.key: f"s{position}" for position, step in enumerate(spec.steps)}
    lines = ["flowchart TD"]
    for step in spec.steps:
        status = statuses.get(step.key)
        label = step.name if status is None else f"{step.name} ({status})"
        lines.append(f"  {ids[step.key]}[{_mermaid_label(label)}]")
    for position, (data, _, step_name) in enumerate(datasets(spec)):
        lines.append(f"  d{position}[({_mermaid_label(data)})] --> {ids[step_name]}")
    for edge in edges(spec):
        source, target = ids[edge.source], ids[edge.target]
        if edge.data is None:
            lines.append(f"  {source} -.-> {target}")
        else:
            lines.append(f"  {source} -->|{_mermaid_label(edge.data)}| {target}")
    return "\n".join(lines) + "\n"
