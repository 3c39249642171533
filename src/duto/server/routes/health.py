"""`GET /api/health`: the one route that answers without a token (it tells nothing but that the server runs)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from duto import __version__
from duto.server.auth import workspace_of
from duto.server.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, openapi_extra={"x-duto-scope": "none"})
def health(request: Request) -> Health:
    return Health(status="ok", version=__version__, workspace=workspace_of(request).name)
