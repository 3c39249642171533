"""`/api/compute`: the compute targets, their capacity and the steps running on them now (read)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import compute
from duto.server.schemas.common import PROBLEMS
from duto.server.schemas.compute import ComputeTargetInfo

router = APIRouter(prefix="/compute", tags=["compute"], responses=PROBLEMS)


@router.get("", response_model=list[ComputeTargetInfo], **requires(Scope.READ))
def list_targets(request: Request) -> list[ComputeTargetInfo]:
    """Each compute target with its capacity and the step runs holding it now; `local` first."""
    return compute.list_targets(workspace_of(request))
