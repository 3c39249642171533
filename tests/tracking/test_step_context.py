"""The step side of tracking (`duto.tracking.step_context`) outside a step: what an offline run says it is."""

from __future__ import annotations

from duto.tracking.step_context import Run


def test_an_offline_run_has_the_offline_experiment_and_no_inputs() -> None:
    offline = Run("OfflineRun", None, None)
    assert (offline.experiment.name, offline.parent.experiment.name) == ("offline", "offline")
    assert offline.input_datasets == {}
