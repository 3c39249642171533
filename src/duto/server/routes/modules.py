"""`/api/modules`: the workspace's modules and their versions with their typed ports (read). Modules are
published with `Module.publish_python_script` in Python."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import modules
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.modules import ModuleDetail, ModuleInfo

router = APIRouter(prefix="/modules", tags=["modules"], responses=PROBLEMS)
ModuleName = Annotated[str, Path(min_length=1, max_length=255, description="the module's name")]
MISSING: dict[int | str, dict[str, object]] = {404: {"model": Problem, "description": "no module has this name"}}


@router.get("", response_model=list[ModuleInfo], **requires(Scope.READ))
def list_modules(request: Request) -> list[ModuleInfo]:
    """The modules, by name."""
    return modules.list_modules(workspace_of(request))


@router.get("/{name}", response_model=ModuleDetail, responses=MISSING, **requires(Scope.READ))
def show_module(request: Request, name: ModuleName) -> ModuleDetail:
    """A module with each of its versions: script, ports with their data types, params."""
    return modules.show(workspace_of(request), name)
