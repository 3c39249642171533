"""Compute targets with what runs on them now, through the facade (`duto.facade.compute_targets`)."""

from __future__ import annotations

from duto.facade.compute_targets import compute_usage
from duto.facade.workspace import Workspace
from duto.server.schemas.compute import ComputeTargetInfo


def list_targets(workspace: Workspace) -> list[ComputeTargetInfo]:
    return [ComputeTargetInfo(**t) for t in compute_usage(workspace)]
