"""Compute targets as v1 notebooks touch them: AmlCompute made local, its status, and the missing-target error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from duto import Experiment, Workspace
from duto.compute import AmlCompute, ComputeTarget, LocalCompute
from duto.compute_target import ComputeTargetException
from duto.errors import ComputeTargetNotFoundError, ComputeTargetTypeError, ConfigError
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

SPAN = """
import json, sys, time
start = time.time(); time.sleep(0.5); end = time.time()
open(sys.argv[1], "w").write(json.dumps([start, end]))
"""


def get_or_create_cluster(ws: Workspace, name: str) -> ComputeTarget:
    """The v1 samples' idiom, as ported."""
    try:
        target = ComputeTarget(workspace=ws, name=name)
    except ComputeTargetException:
        config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=3)
        target = ComputeTarget.create(ws, name, config)
        target.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)
    return target


def test_missing_target_is_a_compute_target_exception(ws: Workspace) -> None:
    with pytest.raises(ComputeTargetException) as caught:
        ComputeTarget(ws, "missing")
    assert isinstance(caught.value, ComputeTargetNotFoundError)
    assert isinstance(caught.value, KeyError)


def test_sample_idiom_creates_an_aml_compute_once(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    made = get_or_create_cluster(ws, "cpu-cluster")
    assert "Succeeded" in capsys.readouterr().out
    assert isinstance(made, AmlCompute)
    assert (made.type, made.max_concurrency) == ("AmlCompute", 3)

    again = get_or_create_cluster(ws, "cpu-cluster")
    assert capsys.readouterr().out == ""
    assert (again.type, again.max_concurrency) == ("AmlCompute", 3)
    assert isinstance(again, AmlCompute), "ComputeTarget(ws, name) is an instance of the target's own class, as in v1"
    assert type(ComputeTarget(ws, "local")) is ComputeTarget


def test_aml_compute_capacity_is_max_nodes_and_settings_are_kept(ws: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_NC6", vm_priority="lowpriority", min_nodes=1, max_nodes=2, vnet_name="ignored"
    )
    ComputeTarget.create(ws, "gpu", config)

    reopened = Workspace.from_config(ws.root)
    target = AmlCompute(reopened, "gpu")
    assert target.max_concurrency == 2
    assert reopened.config.compute_targets["gpu"]["max_concurrency"] == 2
    assert reopened.config.compute_targets["gpu"]["kind"] == "local"  # the runner starts its steps locally
    assert reopened.compute_targets["gpu"].type == "AmlCompute"


def test_get_status_is_provisioned_with_max_nodes_nodes(ws: Workspace) -> None:
    target = ComputeTarget.create(
        ws, "cpu", AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", min_nodes=0, max_nodes=4)
    )
    status = target.get_status()
    assert (
        status.provisioning_state,
        status.allocation_state,
        status.current_node_count,
        status.target_node_count,
    ) == ("Succeeded", "Steady", 4, 4)
    assert status.serialize() == {
        "provisioningState": "Succeeded",
        "allocationState": "Steady",
        "currentNodeCount": 4,
        "targetNodeCount": 4,
        "vmSize": "STANDARD_D2_V2",
        "vmPriority": "dedicated",
        "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4},
    }


def test_local_target_status_and_wait(ws: Workspace) -> None:
    target = ComputeTarget.create(ws, "two", LocalCompute.provisioning_configuration(max_concurrency=2))
    assert target.wait_for_completion() is None
    status = target.get_status()
    assert (status.provisioning_state, status.current_node_count, status.vm_size) == ("Succeeded", 2, None)


def test_delete_removes_the_target(ws: Workspace) -> None:
    target = ComputeTarget.create(ws, "cpu", AmlCompute.provisioning_configuration(max_nodes=2))
    target.delete()
    assert "cpu" not in Workspace.from_config(ws.root).config.compute_targets
    with pytest.raises(ComputeTargetException):
        AmlCompute(ws, "cpu")


def test_aml_compute_of_another_type_is_refused(ws: Workspace) -> None:
    with pytest.raises(ComputeTargetTypeError, match="'local' is of type 'local', not 'AmlCompute'"):
        AmlCompute(ws, "local")


def test_local_name_cannot_become_an_aml_compute(ws: Workspace) -> None:
    with pytest.raises(ConfigError, match="built in"):
        ComputeTarget.create(ws, "local", AmlCompute.provisioning_configuration())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_nodes": 0}, "max_nodes must be a whole number of at least 1"),
        ({"min_nodes": 5, "max_nodes": 4}, "min_nodes must be a whole number from 0 to max_nodes"),
        ({"vm_priority": "spot"}, "vm_priority must be"),
        ({"max_node": 4}, "has no setting 'max_node'"),
    ],
)
def test_provisioning_configuration_refuses_what_cannot_be_used(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AmlCompute.provisioning_configuration(**settings)  # type: ignore[arg-type]  # wrong on purpose


def test_steps_on_an_aml_compute_run_max_nodes_at_once(
    ws: Workspace, write_script: Callable[[str, str], str], tmp_path: Path
) -> None:
    src = write_script("span.py", SPAN)
    ComputeTarget.create(ws, "cluster", AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=1))
    steps = [
        PythonScriptStep(
            "span.py", name=f"s{i}", arguments=[str(tmp_path / f"s{i}")], source_directory=src, compute_target="cluster"
        )
        for i in range(2)
    ]
    run = Experiment(ws, "aml").submit(Pipeline(ws, steps))
    assert run.wait_for_completion(show_output=False) == "Finished"
    (_, first_end), (second_start, _) = sorted(json.loads((tmp_path / f"s{i}").read_text()) for i in range(2))
    assert first_end <= second_start, "a target of max_nodes=1 runs one step at a time"
