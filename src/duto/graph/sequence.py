"""StepSequence: steps in order, where a nested list runs in parallel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duto.errors import ConfigError
from duto.graph.steps import Step


class StepSequence:
    """`StepSequence(steps=[a, b, [c, d], e])`: b after a, c and d together after b, e after both.

    The order is kept here, not written into the steps, so a step may appear in more than one pipeline.
    """

    def __init__(self, steps: Sequence[Step | Sequence[Step]]) -> None:
        self.groups: list[list[Step]] = []
        for item in steps:
            group = [item] if isinstance(item, Step) else list(item)
            if not group or not all(isinstance(s, Step) for s in group):
                raise ConfigError(
                    f"StepSequence takes steps and lists of steps, got {item!r}; "
                    "write StepSequence(steps=[a, b, [c, d], e])"
                )
            self.groups.append(group)

    @property
    def steps(self) -> list[Step]:
        return [s for group in self.groups for s in group]

    def ordering(self) -> list[tuple[Step, Step]]:
        """(before, after) pairs between each group and the next."""
        return [(a, b) for prev, nxt in zip(self.groups, self.groups[1:], strict=False) for a in prev for b in nxt]


def flatten_steps(steps: Any) -> tuple[list[Step], list[tuple[Step, Step]]]:
    """Steps and extra ordering from what `Pipeline(steps=...)` accepts: steps, sequences, or lists of them."""
    if isinstance(steps, StepSequence | Step):
        steps = [steps]
    found: list[Step] = []
    order: list[tuple[Step, Step]] = []
    for item in steps:
        if isinstance(item, StepSequence):
            found.extend(item.steps)
            order.extend(item.ordering())
        elif isinstance(item, Step):
            found.append(item)
        elif isinstance(item, list | tuple):
            inner, inner_order = flatten_steps(list(item))
            found.extend(inner)
            order.extend(inner_order)
        else:
            raise ConfigError(f"Pipeline steps must be steps or StepSequences, got {item!r}")
    return found, order
