"""Published pipelines and endpoints over real HTTP: publish, enable, disable, delete, and triggers with Azure's
REST body that run the code published, or refuse naming the field and create nothing."""

from __future__ import annotations

import os
import signal

import pytest

from duto.pipeline import PipelineEndpoint
from duto.storage.lease_store import LeaseStore

from .pipeline_helpers import path_of, run_count, said, say_pipeline, write_say


@pytest.mark.timeout(120)
def test_a_trigger_over_http_runs_the_published_code_with_its_assignments(ws, write_script, served) -> None:
    published = say_pipeline(ws, write_script, "v1", with_data=True).publish("say", version="1.0")
    write_say(write_script, "v2")  # an edit after publishing changes nothing in it
    trigger = path_of(published.endpoint)
    assert trigger == f"/api/pipelines/{published.id}/runs"

    with served.client("read") as reader:
        listed = reader.get("/api/pipelines", params={"active_only": "true"})
        assert listed.status_code == 200 and [p["id"] for p in listed.json()] == [published.id]
        shown = reader.get(f"/api/pipelines/{published.id[:8]}").json()
        assert shown["parameters"] == {"lr": 0.5, "data": {"datastore": "workspaceblobstore", "path": "one"}}
        assert shown["parameter_types"] == {"lr": "float", "data": "datapath"}
        assert shown["status"] == "Active" and shown["steps"] == ["say.py"]
        assert reader.post(trigger, json={"ExperimentName": "x"}).status_code == 403, "read cannot trigger"

    body = {
        "ExperimentName": "over-http",
        "ParameterAssignments": {"lr": "0.25"},
        "DataPathAssignments": {"data": {"DataStoreName": "workspaceblobstore", "RelativePath": "two"}},
        "Description": "from REST",
        "tags": {"caller": "test"},
        "ContinueRunOnStepFailure": True,
    }
    with served.client("submit") as submitter:
        answer = submitter.post(trigger, json=body)
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert started["ExperimentName"] == "over-http" and started["PipelineId"] == published.id
    assert started["RunUrl"] == f"{served.url}/api/runs/{started['Id']}" and started["Status"]
    assert said(ws, started["Id"]) == {"code": "v1", "lr": "0.25", "files": ["b.csv"]}
    run = ws.get_run(started["Id"])
    assert run.parameters == {"lr": 0.25, "data": {"datastore": "workspaceblobstore", "path": "two"}}
    assert run.get_tags() == {"caller": "test", "pipeline_id": published.id}
    with served.client("read") as reader:
        of_pipeline = reader.get("/api/runs", params={"tag": f"pipeline_id={published.id}"}).json()
    assert [r["id"] for r in of_pipeline] == [started["Id"]], "a pipeline's runs by its tag"


@pytest.mark.timeout(120)
def test_a_trigger_answers_once_recorded_and_the_daemon_reuses_an_unchanged_run_with_no_runner(
    ws, write_script, served
) -> None:  # type: ignore[no-untyped-def]
    published = say_pipeline(ws, write_script, "v1").publish("say")
    with served.client("submit") as submitter:
        first = submitter.post(path_of(published.endpoint), json={"ExperimentName": "again"}).json()
        assert first["Status"] == "NotStarted", "answered once recorded; the daemon takes it from there"
        assert said(ws, first["Id"])["code"] == "v1"
        second = submitter.post(path_of(published.endpoint), json={"ExperimentName": "again"}).json()
    run = ws.get_run(second["Id"])
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    (step,) = run.get_steps()
    assert step.get_reuse_info()["is_reused"] and step.get_reuse_info()["reused_from"]
    daemon_log = (ws.config.duto_dir / "runner-daemon.log").read_text()
    assert f"run {first['Id']}: started runner" in daemon_log
    assert f"run {second['Id']}: started runner" not in daemon_log, "a run reused whole needs no runner"


@pytest.mark.timeout(120)
def test_a_bad_trigger_gets_422_naming_the_field_and_a_disabled_pipeline_409_and_neither_creates_a_run(
    ws, write_script, served
) -> None:
    published = say_pipeline(ws, write_script, "v1", with_data=True).publish("say")
    trigger = path_of(published.endpoint)
    before = run_count(ws)
    cases = [
        ({"ParameterAssignments": {"lr": 0.1}}, "ExperimentName"),
        ({"ExperimentName": "e", "ParameterAssignments": {"rate": 0.1}}, "ParameterAssignments.rate"),
        ({"ExperimentName": "e", "ParameterAssignments": {"lr": "fast"}}, "ParameterAssignments.lr"),
        ({"ExperimentName": "e", "ParameterAssignments": {"lr": [1]}}, "ParameterAssignments.lr"),
        ({"ExperimentName": 5}, "ExperimentName"),
        ({"ExperimentName": "   "}, "ExperimentName"),
        ({"ExperimentName": "e", "ParameterAssignments": ["lr"]}, "ParameterAssignments"),
        (
            {"ExperimentName": "e", "DataPathAssignments": {"data": {"DataStoreName": "nowhere", "RelativePath": "x"}}},
            "DataPathAssignments.data.DataStoreName",
        ),
        ({"ExperimentName": "e", "ContinueRunOnStepFailure": "maybe"}, "ContinueRunOnStepFailure"),
        ([1, 2], "body"),
    ]
    with served.client("submit") as submitter:
        for body, field in cases:
            refused = submitter.post(trigger, json=body)
            assert refused.status_code == 422, (body, refused.text)
            answer = refused.json()
            assert answer["field"] == field and field in answer["detail"], (body, answer)
        assert submitter.post("/api/pipelines/nothing/runs", json={"ExperimentName": "e"}).status_code == 404
        assert submitter.post(f"/api/pipelines/{published.id}/disable").status_code == 403, "submit cannot disable"
        with served.client("admin") as admin:
            assert admin.post(f"/api/pipelines/{published.id}/disable").json()["status"] == "Disabled"
        disabled = submitter.post(trigger, json={"ExperimentName": "e"})
        assert disabled.status_code == 409 and "disabled" in disabled.json()["detail"]
    assert run_count(ws) == before, "no refused trigger created a run"


@pytest.mark.timeout(180)
def test_endpoint_versions_and_the_default_over_http(ws, write_script, served) -> None:
    first = say_pipeline(ws, write_script, "v1").publish("say")
    second = say_pipeline(ws, write_script, "v2").publish("say")
    with served.client("submit") as submitter:
        made = submitter.post("/api/endpoints", json={"name": "say", "pipeline_id": first.id})
        assert made.status_code == 403, "submit cannot make an endpoint"
    with served.client("admin") as admin:
        made = admin.post("/api/endpoints", json={"name": "say", "description": "says", "pipeline_id": first.id})
        assert made.status_code == 201, made.text
        endpoint = made.json()
        assert endpoint["default_version"] == "0"
        assert endpoint["versions"] == [{"version": "0", "pipeline_id": first.id}]
        again = admin.post("/api/endpoints", json={"name": "say", "pipeline_id": first.id})
        assert again.status_code == 409 and "exists already" in again.json()["detail"]
        added = admin.post(f"/api/endpoints/{endpoint['id']}/versions", json={"pipeline_id": second.id})
        assert added.status_code == 201 and added.json()["default_version"] == "0"
        assert [v["version"] for v in added.json()["versions"]] == ["0", "1"]
    assert path_of(PipelineEndpoint.get(ws, name="say").endpoint) == f"/api/endpoints/{endpoint['id']}/runs"
    trigger = f"/api/endpoints/{endpoint['id']}/runs"

    with served.client("submit") as submitter:
        default = submitter.post(trigger, json={"ExperimentName": "ep"}).json()
        other = submitter.post(f"{trigger}?pipelineVersion=1", json={"ExperimentName": "ep"}).json()
        assert (default["PipelineId"], other["PipelineId"]) == (first.id, second.id)
        unknown = submitter.post(f"{trigger}?pipelineVersion=9", json={"ExperimentName": "ep"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "pipelineVersion"
    assert said(ws, default["Id"])["code"] == "v1" and said(ws, other["Id"])["code"] == "v2"

    with served.client("admin") as admin:
        assert admin.put("/api/endpoints/say/default", json={"version": "1"}).json()["default_version"] == "1"
        assert admin.put("/api/endpoints/say/default", json={"version": "7"}).status_code == 422
    with served.client("read") as reader:
        assert reader.get("/api/endpoints/say").json()["default_version"] == "1"
        assert [e["name"] for e in reader.get("/api/endpoints").json()] == ["say"]
        assert reader.get("/api/endpoints/nobody").status_code == 404
    with served.client("submit") as submitter:
        now = submitter.post("/api/endpoints/say/runs", json={"ExperimentName": "ep"}).json()
    assert said(ws, now["Id"])["code"] == "v2"

    before = run_count(ws)
    with served.client("admin") as admin:
        assert admin.post("/api/endpoints/say/disable").json()["status"] == "Disabled"
        with served.client("submit") as submitter:
            assert submitter.post(trigger, json={"ExperimentName": "ep"}).status_code == 409
        assert admin.get("/api/endpoints", params={"active_only": "true"}).json() == []
        assert len(admin.get("/api/endpoints", params={"active_only": "false"}).json()) == 1
        assert admin.post("/api/endpoints/say/enable").json()["status"] == "Active"
        in_use = admin.delete(f"/api/pipelines/{first.id}")
        assert in_use.status_code == 409 and "version of pipeline endpoint" in in_use.json()["detail"]
        assert admin.get(f"/api/pipelines/{first.id}").status_code == 200, "nothing was deleted"
    assert run_count(ws) == before


@pytest.mark.timeout(120)
def test_publish_enable_disable_and_delete_over_http_need_an_admin_token(ws, write_script, served) -> None:
    run = say_pipeline(ws, write_script, "v1").submit("source")
    assert run.wait_for_completion(show_output=False) == "Finished"
    body = {"run_id": run.id, "name": "from-run", "description": "published over HTTP", "version": "2"}
    for scope in ("read", "submit"):
        with served.client(scope) as short:
            assert short.post("/api/pipelines", json=body).status_code == 403
    with served.client("read") as reader:
        assert reader.get("/api/pipelines", params={"active_only": "false"}).json() == [], "nothing was published"

    with served.client("admin") as admin:
        made = admin.post("/api/pipelines", json=body)
        assert made.status_code == 201, made.text
        published = made.json()
        assert (published["name"], published["version"], published["source_run_id"]) == ("from-run", "2", run.id)
        assert path_of(published["endpoint"]) == f"/api/pipelines/{published['id']}/runs"
        assert admin.post("/api/pipelines", json={**body, "run_id": "no-such-run"}).status_code == 404
        assert admin.post("/api/pipelines", json={**body, "name": ""}).json()["field"] == "name"

        pid = published["id"]
        with served.client("read") as reader:
            assert reader.post(f"/api/pipelines/{pid}/disable").status_code == 403
            assert reader.delete(f"/api/pipelines/{pid}").status_code == 403
        assert admin.post(f"/api/pipelines/{pid}/disable").json()["status"] == "Disabled"
        assert admin.get("/api/pipelines").json() == []
        assert [p["id"] for p in admin.get("/api/pipelines?active_only=false").json()] == [pid]
        assert admin.post(f"/api/pipelines/{pid}/enable").json()["status"] == "Active"
        assert admin.delete(f"/api/pipelines/{pid}").json()["id"] == pid
        assert admin.get(f"/api/pipelines/{pid}").status_code == 404
        assert admin.delete(f"/api/pipelines/{pid}").status_code == 404


@pytest.mark.timeout(120)
def test_a_runner_daemon_that_dies_is_replaced_and_takes_the_runs_triggered_meanwhile(ws, write_script, served) -> None:  # type: ignore[no-untyped-def]
    published = say_pipeline(ws, write_script, "v1").publish("say")
    (daemon,) = LeaseStore(ws.database).live_daemons()
    assert daemon.pid is not None
    os.kill(daemon.pid, signal.SIGKILL)
    with served.client("submit") as submitter:  # at once, before the server has noticed
        answer = submitter.post(path_of(published.endpoint), json={"ExperimentName": "orphan"})
    assert answer.status_code == 200, answer.text
    assert said(ws, answer.json()["Id"])["code"] == "v1", "a new daemon took the run"
    (replacement,) = LeaseStore(ws.database).live_daemons()
    assert replacement.pid != daemon.pid
