"""Modules and their versions, through the facade (`duto.facade.modules`)."""

from __future__ import annotations

from datetime import UTC

from duto.facade.modules import Module, ModuleVersion
from duto.facade.workspace import Workspace
from duto.server.schemas.modules import InputPortInfo, ModuleDetail, ModuleInfo, ModuleVersionInfo, OutputPortInfo


def _info(module: Module, versions: int) -> ModuleInfo:
    return ModuleInfo(
        id=module.id,
        name=module.name,
        description=module.description,
        status=module.status,
        default_version=module.default_version,
        versions=versions,
        created_at=module.created_at,
    )


def _version(version: ModuleVersion) -> ModuleVersionInfo:
    return ModuleVersionInfo(
        id=version.id,
        version=version.version,
        description=version.description,
        status=version.status,
        script_name=version.script_name,
        snapshot=version.snapshot,
        inputs=[InputPortInfo(name=i.name, data_types=i.data_types, is_optional=i.is_optional) for i in version.inputs],
        outputs=[
            OutputPortInfo(name=o.name, data_type=o.data_type, is_directory=o.is_directory) for o in version.outputs
        ],
        params=version.params,
        created_at=version.created_at.replace(tzinfo=UTC).isoformat(),
    )


def list_modules(workspace: Workspace) -> list[ModuleInfo]:
    return [_info(m, len(m.module_version_list())) for m in Module.list(workspace)]


def show(workspace: Workspace, name: str) -> ModuleDetail:
    module = Module.get(workspace, name=name)
    versions = module.module_version_list()
    info = _info(module, len(versions))
    return ModuleDetail(**info.model_dump(), version_list=[_version(v) for v in versions])
