"""Published pipelines and pipeline endpoints: publish, find, enable, disable, delete and trigger, through the
facade (`duto.facade.publishing`), which holds every check."""

from __future__ import annotations

from duto.facade.pipeline_endpoints import PipelineEndpoint, find_endpoint
from duto.facade.publishing import PublishedPipeline
from duto.facade.runs import PipelineRun
from duto.facade.workspace import Workspace
from duto.server.schemas.pipelines import (
    EndpointCreate,
    EndpointInfo,
    EndpointVersionAdd,
    PublishedPipelineInfo,
    PublishFromRun,
    TriggerAnswer,
    TriggerBody,
)


# published pipelines ---------------------------------------------------------------------------------
def pipeline_info(published: PublishedPipeline) -> PublishedPipelineInfo:
    return PublishedPipelineInfo(**published.to_document())


def list_pipelines(workspace: Workspace, active_only: bool) -> list[PublishedPipelineInfo]:
    return [pipeline_info(p) for p in PublishedPipeline.list(workspace, active_only)]


def get_pipeline(workspace: Workspace, id: str) -> PublishedPipelineInfo:
    return pipeline_info(PublishedPipeline.get(workspace, id))


def publish(workspace: Workspace, body: PublishFromRun) -> PublishedPipelineInfo:
    run = workspace.get_run(body.run_id)
    return pipeline_info(run.publish_pipeline(body.name, body.description, body.version))


def set_pipeline_enabled(workspace: Workspace, id: str, enabled: bool) -> PublishedPipelineInfo:
    published = PublishedPipeline.get(workspace, id)
    if enabled:
        published.enable()
    else:
        published.disable()
    return pipeline_info(published)


def delete_pipeline(workspace: Workspace, id: str) -> PublishedPipelineInfo:
    published = PublishedPipeline.get(workspace, id)
    gone = pipeline_info(published)
    published.delete()
    return gone


def trigger_pipeline(workspace: Workspace, id: str, body: TriggerBody, base_url: str) -> TriggerAnswer:
    published = PublishedPipeline.get(workspace, id)
    run = published.trigger(
        body.ExperimentName,
        body.ParameterAssignments,
        body.DataPathAssignments,
        body.ContinueRunOnStepFailure,
        body.tags,
        body.Description,
        decide_reuse=False,  # answer once the run is recorded; the server's runner daemon decides reuse
    )
    return trigger_answer(run, str(body.ExperimentName), published.id, body.Description, base_url)


def trigger_answer(
    run: PipelineRun, experiment: str, pipeline_id: str, description: str | None, base_url: str
) -> TriggerAnswer:
    """The answer to a trigger; `experiment` is the name the run was recorded under (the body's, as checked)."""
    return TriggerAnswer(
        Id=run.id,
        Status=run.get_status(),
        ExperimentName=experiment,
        PipelineId=pipeline_id,
        Description=description,
        RunUrl=f"{base_url.rstrip('/')}/api/runs/{run.id}",
    )


# pipeline endpoints ----------------------------------------------------------------------------------
def endpoint_info(endpoint: PipelineEndpoint) -> EndpointInfo:
    return EndpointInfo(**endpoint.to_document())


def list_endpoints(workspace: Workspace, active_only: bool) -> list[EndpointInfo]:
    return [endpoint_info(e) for e in PipelineEndpoint.list(workspace, active_only)]


def get_endpoint(workspace: Workspace, key: str) -> EndpointInfo:
    return endpoint_info(find_endpoint(workspace, key))


def create_endpoint(workspace: Workspace, body: EndpointCreate) -> EndpointInfo:
    published = PublishedPipeline.get(workspace, body.pipeline_id)
    return endpoint_info(PipelineEndpoint.publish(workspace, body.name, body.description, published))


def add_version(workspace: Workspace, key: str, body: EndpointVersionAdd) -> EndpointInfo:
    endpoint = find_endpoint(workspace, key)
    published = PublishedPipeline.get(workspace, body.pipeline_id)
    if body.default:
        endpoint.add_default(published)
    else:
        endpoint.add(published)
    return endpoint_info(endpoint)


def set_default_version(workspace: Workspace, key: str, version: str | int) -> EndpointInfo:
    endpoint = find_endpoint(workspace, key)
    endpoint.set_default_version(version)
    return endpoint_info(endpoint)


def set_endpoint_enabled(workspace: Workspace, key: str, enabled: bool) -> EndpointInfo:
    endpoint = find_endpoint(workspace, key)
    if enabled:
        endpoint.enable()
    else:
        endpoint.disable()
    return endpoint_info(endpoint)


def trigger_endpoint(
    workspace: Workspace, key: str, body: TriggerBody, pipeline_version: str | None, base_url: str
) -> TriggerAnswer:
    endpoint = find_endpoint(workspace, key)
    run = endpoint.trigger(
        body.ExperimentName,
        body.ParameterAssignments,
        body.DataPathAssignments,
        body.ContinueRunOnStepFailure,
        body.tags,
        body.Description,
        pipeline_version,
        decide_reuse=False,
    )
    ran = endpoint.get_pipeline(pipeline_version)  # the version the trigger resolved, known to exist now
    return trigger_answer(run, str(body.ExperimentName), ran.id, body.Description, base_url)
