"""A step that runs as several processes on its target: a ParallelRunStep's nodes, seen as one `StepHandle`.

The step has ended when every node has; its exit code is the first non-zero one among them (0 when all
succeeded). Stopping the step stops every node.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Sequence

from duto.execution.targets.handle import StepHandle

WATCH_SECONDS = 0.05  # how often the watcher looks at nodes that give no descriptor


class NodeGroup:
    """The nodes of one step; implements the runner's `StepHandle`. Its descriptor becomes readable once every
    node has ended: a thread waits on the nodes' own descriptors."""

    def __init__(self, nodes: Sequence[StepHandle]) -> None:
        self.nodes = list(nodes)
        self.reason: str | None = None
        self._read_fd, self._write_fd = os.pipe()
        self._closed = threading.Event()
        threading.Thread(target=self._watch, name="duto-node-group", daemon=True).start()

    def _watch(self) -> None:
        while not self._closed.is_set():
            fds = [n.exit_fd for n in self.nodes if n.exit_fd is not None]
            ended = [n.poll() is not None for n in self.nodes]  # poll() only reads state the runner also reads
            if all(ended):
                with contextlib.suppress(OSError):
                    os.write(self._write_fd, b"x")
                return
            with contextlib.suppress(OSError, ValueError):
                select.select(fds, [], [], WATCH_SECONDS)

    @property
    def pid(self) -> int | None:
        return self.nodes[0].pid

    @property
    def exit_fd(self) -> int | None:
        return self._read_fd

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
        self._closed.set()
        for node in self.nodes:
            node.close()
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
