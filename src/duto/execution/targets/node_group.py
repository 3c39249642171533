"""A step that runs as several processes on its target: a ParallelRunStep's nodes, seen as one `StepHandle`.

The step has ended when every node has; its exit code is the first non-zero one among them (0 when all
succeeded). Stopping the step stops every node.
"""

from __future__ import annotations

from collections.abc import Sequence

from duto.execution.targets.handle import StepHandle


class NodeGroup:
    """The nodes of one step; implements the runner's `StepHandle` (no descriptor: the runner polls it)."""

    def __init__(self, nodes: Sequence[StepHandle]) -> None:
        self.nodes = list(nodes)
        self.reason: str | None = None

    @property
    def pid(self) -> int | None:
        return self.nodes[0].pid

    @property
    def exit_fd(self) -> int | None:
        return None

    def poll(self) -> int | None:
        codes = [node.poll() for node in self.nodes]
        if any(code is None for code in codes):
            return None
        self.reason = next((node.reason for node in self.nodes if node.reason), None)
        return next((code for code in codes if code), 0)

    def stop(self, grace_seconds: float) -> None:
        for node in self.nodes:
            node.stop(grace_seconds)

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        for node in self.nodes:
            node.terminate_tree(grace_seconds)

    def close(self) -> None:
        for node in self.nodes:
            node.close()
