"""Steps laid out ahead: while the steps a step waits on run, the runner makes that step's folder, its copy of the
code and its empty log, so that its start makes only what depends on its inputs, off the path from the end of the
step before it to its own start; and, once a step ended, what was made ahead for it and is of no use."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Mapping

from duto.errors import DutoError
from duto.execution.materialize import lay_out_ahead
from duto.execution.running import StepState
from duto.execution.transfer import DATA_TRANSFER
from duto.graph.status import RunStatus
from duto.storage.cas import ContentStore

log = logging.getLogger("duto.runner")
# How many steps' folders a turn of the runner's loop makes ahead.
LAY_OUT_AHEAD_STEPS = 4


def lay_out_ahead_of(
    running: Mapping[str, StepState],
    dependents: Mapping[str, list[str]],
    steps: Mapping[str, StepState],
    pending: Mapping[str, set[str]],
    cas: ContentStore,
) -> None:
    """Make the folders of the steps that wait only on `running` steps (a few a turn), while those run. Their
    inputs are laid out when they start, as for any step."""
    made = 0
    for key in list(running):
        for dependent in dependents[key]:
            state = steps[dependent]
            if made >= LAY_OUT_AHEAD_STEPS:
                return
            if (
                state.ahead_tried
                or state.status != RunStatus.NOT_STARTED
                or state.attempt
                or state.spec.kind == DATA_TRANSFER
                or not pending[dependent] <= running.keys()
            ):
                continue
            state.ahead_tried = True
            made += 1
            try:
                lay_out_ahead(state.spec, state.layout, cas)
            except (DutoError, OSError) as exc:
                log.debug("step %s: its folder is made when it starts (%s)", state.spec.name, exc)
                continue
            state.laid_out = True


def tidy_ended(state: StepState) -> None:
    """Remove what was made ahead for a step that has ended: the folder made for one that ended without starting
    (reused, or canceled) unless something was written to its log (an environment's build), and the folders its
    outputs were to be published into when it did not finish and they are empty."""
    if state.status != RunStatus.FINISHED:
        for folder in state.publish_folders:
            with contextlib.suppress(OSError):  # not empty: something else was put there, and it stays
                folder.rmdir()
    state.publish_folders = []
    if not state.laid_out or state.attempt:
        return
    state.laid_out = False
    try:
        if state.layout.std_log.stat().st_size:
            return
    except FileNotFoundError:
        pass
    shutil.rmtree(state.layout.root, ignore_errors=True)
