"""`/api/pipelines`: published pipelines (read to look, admin to publish, enable, disable and delete) and their
trigger, `POST /api/pipelines/{id}/runs` (submit), the URL `PublishedPipeline.endpoint` gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import pipelines
from duto.server.recording import one_at_a_time
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.pipelines import PublishedPipelineInfo, PublishFromRun, TriggerAnswer, TriggerBody

router = APIRouter(prefix="/pipelines", tags=["pipelines"], responses=PROBLEMS)
PipelineId = Annotated[str, Path(min_length=1, max_length=255, description="an id, or a unique prefix of one")]
MISSING: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "no published pipeline has this id"}
}
TRIGGER_PROBLEMS: dict[int | str, dict[str, object]] = {
    **MISSING,
    409: {"model": Problem, "description": "the pipeline is disabled, or the experiment archived; nothing started"},
    422: {"model": Problem, "description": "a field of the body is wrong (`field` names it); nothing started"},
}


@router.get("", response_model=list[PublishedPipelineInfo], **requires(Scope.READ))
def list_pipelines(request: Request, active_only: bool = True) -> list[PublishedPipelineInfo]:
    return pipelines.list_pipelines(workspace_of(request), active_only)


@router.post(
    "",
    response_model=PublishedPipelineInfo,
    status_code=201,
    responses={404: {"model": Problem, "description": "no run has this id"}},
    **requires(Scope.ADMIN),
)
def publish(request: Request, body: PublishFromRun) -> PublishedPipelineInfo:
    return pipelines.publish(workspace_of(request), body)


@router.get("/{id}", response_model=PublishedPipelineInfo, responses=MISSING, **requires(Scope.READ))
def get_pipeline(request: Request, id: PipelineId) -> PublishedPipelineInfo:
    return pipelines.get_pipeline(workspace_of(request), id)


@router.post("/{id}/enable", response_model=PublishedPipelineInfo, responses=MISSING, **requires(Scope.ADMIN))
def enable(request: Request, id: PipelineId) -> PublishedPipelineInfo:
    return pipelines.set_pipeline_enabled(workspace_of(request), id, True)


@router.post("/{id}/disable", response_model=PublishedPipelineInfo, responses=MISSING, **requires(Scope.ADMIN))
def disable(request: Request, id: PipelineId) -> PublishedPipelineInfo:
    return pipelines.set_pipeline_enabled(workspace_of(request), id, False)


@router.delete("/{id}", response_model=PublishedPipelineInfo, responses=MISSING, **requires(Scope.ADMIN))
def delete(request: Request, id: PipelineId) -> PublishedPipelineInfo:
    return pipelines.delete_pipeline(workspace_of(request), id)


@router.post("/{id}/runs", response_model=TriggerAnswer, responses=TRIGGER_PROBLEMS, **requires(Scope.SUBMIT))
async def trigger(request: Request, id: PipelineId, body: TriggerBody) -> TriggerAnswer:
    """Start a run of the published pipeline with Azure's REST body; answers at once with the new run's `Id`."""
    base_url = str(request.base_url)
    return await one_at_a_time(request, pipelines.trigger_pipeline, workspace_of(request), id, body, base_url)
