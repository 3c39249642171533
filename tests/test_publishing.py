"""Published pipelines and pipeline endpoints in a real workspace, with real runs."""

from __future__ import annotations

import json

import pytest

from duto import DataPath
from duto.errors import (
    ConfigError,
    PipelineDisabledError,
    PipelineEndpointExistsError,
    PipelineEndpointNotFoundError,
    PublishedPipelineNotFoundError,
    TriggerError,
)
from duto.facade.content_cache import collect_garbage
from duto.facade.publishing import resolve_trigger
from duto.pipeline import Pipeline, PipelineEndpoint, PublishedPipeline
from duto.pipeline.steps import PythonScriptStep
from server.pipeline_helpers import say_pipeline, write_say


def said(run) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert run.wait_for_completion(show_output=False) == "Finished"
    return json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1])


def run_count(ws) -> int:  # type: ignore[no-untyped-def]
    return len(ws.runs_store.pipeline_runs(archived=True))


@pytest.mark.timeout(120)
def test_a_published_pipeline_runs_the_code_it_was_published_with(ws, write_script):
    published = say_pipeline(ws, write_script, "v1").publish("say", description="first", version="1.0")
    write_say(write_script, "v2")  # an edit of the source folder after publishing

    assert (published.name, published.description, published.version) == ("say", "first", "1.0")
    assert published.status == "Active" and published.parameters == {"lr": 0.5}
    assert published.endpoint == f"http://127.0.0.1:8642/api/pipelines/{published.id}/runs"
    run = published.submit(ws, "published", pipeline_parameters={"lr": 0.1})
    assert said(run) == {"code": "v1", "lr": "0.1", "files": []}
    assert run.parameters == {"lr": 0.1} and run.experiment_name == "published"
    again = PublishedPipeline.get(ws, published.id[:8]).submit(ws, "published")
    assert said(again)["lr"] == "0.5", "the published default"

    document = published.to_document()
    assert document["steps"] == ["say.py"] and document["parameters"] == {"lr": 0.5}
    assert document["parameter_types"] == {"lr": "float"}, "a float default of 1.0 would still say float"
    assert document["status"] == "Active" and document["endpoint"] == published.endpoint
    json.dumps(document)


@pytest.mark.timeout(120)
def test_a_run_publishes_its_own_spec_and_parameters(ws, write_script):
    first = say_pipeline(ws, write_script, "v1").submit("e", pipeline_parameters={"lr": 0.25})
    said(first)
    write_say(write_script, "v2")
    published = first.publish_pipeline("from-run", "the run's", "2")
    assert published.parameters == {"lr": 0.25} and published.source_run_id == first.id
    assert said(published.submit(ws, "e"))["code"] == "v1"


def test_names_repeat_disable_enable_list_and_delete(ws, write_script):
    pipeline = say_pipeline(ws, write_script)
    one, two = pipeline.publish("same"), pipeline.publish("same")
    assert one.id != two.id and one.name == two.name == "same"

    two.disable()
    assert two.status == "Disabled"
    with pytest.raises(PipelineDisabledError, match="is disabled") as caught:
        two.submit(ws, "e")
    assert caught.value.id == two.id and run_count(ws) == 0, "nothing was created"
    assert [p.id for p in PublishedPipeline.list(ws)] == [one.id]
    assert {p.id for p in PublishedPipeline.list(ws, active_only=False)} == {one.id, two.id}
    two.enable()
    assert {p.id for p in PublishedPipeline.list(ws)} == {one.id, two.id}

    one.delete()
    with pytest.raises(PublishedPipelineNotFoundError, match=one.id):
        PublishedPipeline.get(ws, one.id)
    with pytest.raises(PublishedPipelineNotFoundError, match="no published pipeline 'nope'"):
        PublishedPipeline.get(ws, "nope")


def test_trigger_errors_name_the_field_and_create_nothing(ws, write_script):
    published = say_pipeline(ws, write_script, with_data=True).publish("data")
    assert published.parameters == {"lr": 0.5, "data": {"datastore": "workspaceblobstore", "path": "one"}}

    cases = [
        ({"ParameterAssignments": {"rate": 1}}, "ParameterAssignments.rate", "parameters: data, lr"),
        ({"ParameterAssignments": {"lr": "fast"}}, "ParameterAssignments.lr", "takes a float"),
        ({"ParameterAssignments": {"data": "one"}}, "ParameterAssignments.data", "DataPathAssignments"),
        ({"ParameterAssignments": ["lr"]}, "ParameterAssignments", "object"),
        (
            {"DataPathAssignments": {"data": {"DataStoreName": "nowhere", "RelativePath": "two"}}},
            "DataPathAssignments.data.DataStoreName",
            "no datastore 'nowhere'",
        ),
        (
            {"DataPathAssignments": {"data": {"DataStoreName": "workspaceblobstore"}}},
            "DataPathAssignments.data.RelativePath",
            "missing",
        ),
        (
            {"DataPathAssignments": {"lr": {"DataStoreName": "workspaceblobstore", "RelativePath": "x"}}},
            "DataPathAssignments.lr",
            "not a DataPath parameter",
        ),
    ]
    for body, field, words in cases:
        with pytest.raises(TriggerError, match=words) as caught:
            published.trigger(
                "e",
                body.get("ParameterAssignments"),
                body.get("DataPathAssignments"),  # type: ignore[arg-type]
            )
        assert caught.value.field == field, body
        assert field in str(caught.value)
    for name, field in (("", "ExperimentName"), (None, "ExperimentName")):
        with pytest.raises(TriggerError) as caught:
            published.trigger(name)
        assert caught.value.field == field
    with pytest.raises(TriggerError) as caught:
        published.trigger("e", tags=["a"])
    assert caught.value.field == "tags"
    with pytest.raises(TriggerError) as caught:
        published.submit(ws, "e", pipeline_parameters={"data": DataPath("nowhere", "one")})
    assert caught.value.field == "ParameterAssignments.data"
    assert isinstance(caught.value, ConfigError)
    assert run_count(ws) == 0 and ws.runs_store.experiment_names(archived=None) == []


@pytest.mark.timeout(120)
def test_text_values_and_data_path_assignments_reach_the_run(ws, write_script):
    published = say_pipeline(ws, write_script, with_data=True).publish("data")
    values = resolve_trigger(
        published,
        {"lr": "0.75"},
        {"data": {"DataStoreName": "workspaceblobstore", "RelativePath": "two"}},
    )
    assert values == {"lr": 0.75, "data": {"datastore": "workspaceblobstore", "path": "two"}}
    run = published.trigger(
        "e",
        {"lr": "0.75"},
        {"data": {"DataStoreName": "workspaceblobstore", "RelativePath": "two"}},
        tags={"by": "ci"},
        description="from a trigger",
    )
    assert said(run) == {"code": "v1", "lr": "0.75", "files": ["b.csv"]}
    assert run.tags == {"by": "ci", "pipeline_id": published.id}, "the tag names the pipeline it ran"
    assert run.get_details()["description"] == "from a trigger"


@pytest.mark.timeout(120)
def test_an_endpoint_has_versions_and_a_default(ws, write_script):
    v1 = say_pipeline(ws, write_script, "v1").publish("say")
    v2 = say_pipeline(ws, write_script, "v2").publish("say")
    v3 = say_pipeline(ws, write_script, "v3").publish("say")

    endpoint = PipelineEndpoint.publish(ws, "say-endpoint", "says", v1)
    assert endpoint.default_version == "0" and endpoint.get_default_version() == "0"
    assert endpoint.endpoint == f"http://127.0.0.1:8642/api/endpoints/{endpoint.id}/runs"
    with pytest.raises(PipelineEndpointExistsError, match="'say-endpoint' exists already"):
        PipelineEndpoint.publish(ws, "say-endpoint", None, v2)
    assert endpoint.add(v2) == "1" and endpoint.default_version == "0"
    assert endpoint.add_default(v3) == "2" and endpoint.default_version == "2"
    assert [(v.version, v.pipeline_id) for v in endpoint.list_versions()] == [("0", v1.id), ("1", v2.id), ("2", v3.id)]
    assert endpoint.get_pipeline().id == v3.id and endpoint.get_pipeline("1").id == v2.id
    endpoint.set_default_version("1")
    assert PipelineEndpoint.get(ws, name="say-endpoint").default_version == "1"
    with pytest.raises(ConfigError, match="no version '7'; its versions: 0, 1, 2"):
        endpoint.set_default_version(7)
    v1.disable()
    assert [p.id for p in endpoint.list_pipelines()] == [v2.id, v3.id]
    assert len(endpoint.list_pipelines(active_only=False)) == 3
    with pytest.raises(ConfigError, match="version of pipeline endpoint"):
        v2.delete()

    assert said(endpoint.submit("ep"))["code"] == "v2"
    through = endpoint.submit("ep", pipeline_version="2", tags={"by": "ci"})
    assert said(through)["code"] == "v3"
    assert through.tags == {
        "by": "ci",
        "pipeline_id": v3.id,
        "pipeline_endpoint_id": endpoint.id,
        "pipeline_endpoint_version": "2",
    }, "the tags name the endpoint and the version it ran"
    with pytest.raises(TriggerError) as caught:
        endpoint.trigger("ep", pipeline_version="9")
    assert caught.value.field == "pipelineVersion"
    with pytest.raises(PipelineDisabledError, match="published pipeline"):
        endpoint.submit("ep", pipeline_version="0")

    endpoint.disable()
    assert PipelineEndpoint.list(ws) == [] and len(PipelineEndpoint.list(ws, active_only=True)) == 0
    before = run_count(ws)
    with pytest.raises(PipelineDisabledError, match="pipeline endpoint 'say-endpoint'"):
        endpoint.submit("ep")
    assert run_count(ws) == before
    endpoint.enable()
    assert [e.name for e in PipelineEndpoint.list(ws)] == ["say-endpoint"]
    assert endpoint.to_document()["versions"][2] == {"version": "2", "pipeline_id": v3.id}
    with pytest.raises(PipelineEndpointNotFoundError):
        PipelineEndpoint.get(ws, name="other")


@pytest.mark.timeout(120)
def test_gc_keeps_a_published_pipelines_snapshot_after_its_runs_are_deleted(ws, write_script):
    published = say_pipeline(ws, write_script, "v1").publish("say")
    run = published.submit(ws, "e")
    said(run)
    snapshot = published.spec.steps[0].snapshot
    assert snapshot is not None
    write_say(write_script, "v2")
    run.delete()
    collect_garbage(ws)
    assert ws.content_store.intact(snapshot)
    second = published.submit(ws, "e")
    assert said(second)["code"] == "v1"

    second.delete()
    published.delete()
    collect_garbage(ws)
    assert ws.content_store.manifest(snapshot) is None, "nothing keeps it any more"


def test_an_archived_experiment_is_refused_and_nothing_is_created(ws, write_script):
    from duto import Experiment
    from duto.errors import ExperimentArchivedError

    published = say_pipeline(ws, write_script).publish("say")
    ws.runs_store.experiment_id("old")
    Experiment(ws, "old").archive()
    with pytest.raises(ExperimentArchivedError, match="'old' is archived"):
        published.submit(ws, "old")
    assert run_count(ws) == 0


def test_a_pipeline_with_problems_is_not_published_and_a_prefix_of_several_ids_is_refused(ws, write_script):
    from duto.errors import PipelineValidationError

    broken = PythonScriptStep("missing.py", source_directory=write_say(write_script, "v1"))
    with pytest.raises(PipelineValidationError, match=r"missing\.py"):
        Pipeline(ws, [broken]).publish("broken")
    assert PublishedPipeline.list(ws, active_only=False) == []

    pipeline = say_pipeline(ws, write_script)
    one, two = pipeline.publish("a"), pipeline.publish("b")
    with pytest.raises(PublishedPipelineNotFoundError, match="give more of the id") as caught:
        PublishedPipeline.get(ws, "")
    assert sorted(caught.value.matches) == sorted([one.id, two.id])


def test_an_endpoint_publishes_a_pipeline_given_and_counts_versions_in_order(ws, write_script):
    endpoint = PipelineEndpoint.publish(ws, "direct", None, say_pipeline(ws, write_script))
    (first,) = endpoint.list_pipelines()
    assert first.name == "direct" and endpoint.get_pipeline("0").id == first.id
    assert [endpoint.add(first) for _ in range(11)] == [str(n) for n in range(1, 12)]
    assert [v.version for v in endpoint.list_versions()][-3:] == ["9", "10", "11"]
    endpoint.set_default(first)
    assert endpoint.default_version == "0"
    with pytest.raises(ConfigError, match="expected a PublishedPipeline or a Pipeline"):
        endpoint.add("not a pipeline")


@pytest.mark.timeout(120)
def test_a_disable_that_lands_after_the_check_still_starts_nothing(ws, write_script, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    published = say_pipeline(ws, write_script, "v1").publish("say")
    stale = PublishedPipeline.get(ws, published.id)  # read while active, as a caller holding it would have
    PublishedPipeline.get(ws, published.id).disable()  # by another caller, after that read
    before = run_count(ws)
    with pytest.raises(PipelineDisabledError, match="is disabled"):
        stale.submit(ws, "late")
    assert run_count(ws) == before, "checked again in the transaction that would record the run"

    published.enable()
    endpoint = PipelineEndpoint.publish(ws, "racy", None, published)
    # The endpoint is disabled between its own check and the recording of the run: its check sees it active.
    monkeypatch.setattr(PipelineEndpoint, "status", property(lambda self: "Active"))
    PipelineEndpoint.get(ws, name="racy").disable()
    with pytest.raises(PipelineDisabledError, match="pipeline endpoint 'racy'"):
        endpoint.submit("late")
    assert run_count(ws) == before
