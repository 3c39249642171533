"""Modules, by v1's names: a named, reusable step whose versions are published scripts with typed ports.

A version's code is a snapshot of its source folder in the content store, so a later edit of the folder does
not change what the version runs; publishing what a version already holds gives that version back.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError, PipelineModuleNotFoundError
from duto.graph import ports
from duto.graph.environment import Environment as EnvironmentDefinition
from duto.graph.params import PipelineParameter, spec_value
from duto.graph.ports import BUILT_IN_TYPES, InputPortDef, OutputPortDef
from duto.graph.runconfig import RunConfiguration
from duto.storage import models
from duto.storage.cas import workspace_content_store
from duto.storage.module_store import ACTIVE, DEPRECATED, DISABLED, ModuleStore
from duto.storage.snapshots import snapshot_files

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

MAX_NAME = 255


def _store(workspace: Workspace) -> ModuleStore:
    return ModuleStore(workspace.database)


class DataType(ports.DataType):
    """A data type of module ports (v1's `azureml.pipeline.core.graph.DataType`)."""

    @classmethod
    def create(
        cls,
        workspace: Workspace,
        name: str,
        description: str | None,
        is_directory: bool,
        parent_datatypes: Sequence[str | ports.DataType] | None = None,
    ) -> DataType:
        """Record a data type in the workspace; `parent_datatypes` are the types it is a kind of."""
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ConfigError(f"data type name {name!r} must be a non-empty string of at most {MAX_NAME} characters")
        if name in BUILT_IN_TYPES:
            raise ConfigError(f"{name!r} is a built-in data type; give your type another name")
        parents = [p.name if isinstance(p, ports.DataType) else p for p in parent_datatypes or []]
        known = _store(workspace).data_types()
        for parent in parents:
            if parent not in known and parent not in BUILT_IN_TYPES:
                raise PipelineModuleNotFoundError("data type", str(parent), [*BUILT_IN_TYPES, *known])
        _store(workspace).add_data_type(name, description, bool(is_directory), parents)
        return cls.get(workspace, name)

    @classmethod
    def get(cls, workspace: Workspace, name: str) -> DataType:
        """A built-in type, or one recorded in the workspace, with its ancestors."""
        return _data_types(workspace, [name])[name]

    @classmethod
    def list_data_types(cls, workspace: Workspace) -> list[DataType]:
        names = [*BUILT_IN_TYPES, *sorted(_store(workspace).data_types())]
        found = _data_types(workspace, names)
        return [found[n] for n in names]


AnyFile = DataType("AnyFile", "any file", is_directory=False)
AnyDirectory = DataType("AnyDirectory", "any directory", is_directory=True)


def _data_types(workspace: Workspace, names: Sequence[str]) -> dict[str, DataType]:
    """The types named, each with its ancestors (so deciding what an input accepts needs no workspace)."""
    records = _store(workspace).data_types()
    built = {"AnyFile": AnyFile, "AnyDirectory": AnyDirectory}

    def resolve(name: str, seen: tuple[str, ...]) -> DataType:
        if name in built:
            return built[name]
        record = records.get(name)
        if record is None:
            raise PipelineModuleNotFoundError("data type", name, [*BUILT_IN_TYPES, *sorted(records)])
        if name in seen:
            raise ConfigError(f"data type {name!r} is its own ancestor; its parents are {record.parent_datatypes}")
        parents = [resolve(p, (*seen, name)) for p in record.parent_datatypes]
        ancestors: list[ports.DataType] = []
        for parent in parents:
            ancestors.extend([parent, *parent.ancestors])
        built[name] = DataType(
            name, record.description, record.is_directory, tuple(record.parent_datatypes), tuple(ancestors)
        )
        return built[name]

    return {n: resolve(n, ()) for n in names}


def _argument_template(module: str, item: Any, params: Mapping[str, Any]) -> dict[str, str]:
    if isinstance(item, InputPortDef):
        return {"input_port": item.name}
    if isinstance(item, OutputPortDef):
        return {"output_port": item.name}
    if isinstance(item, PipelineParameter):
        if item.name not in params:
            raise ConfigError(
                f"module {module!r}: argument parameter {item.name!r} is not among params; add it to params"
            )
        return {"parameter": item.name}
    if isinstance(item, str | int | float) and not isinstance(item, bool):
        return {"value": str(item)}
    raise ConfigError(
        f"module {module!r}: argument {item!r} is a {type(item).__name__}; module arguments are str, int, float, "
        "InputPortDef, OutputPortDef or a PipelineParameter named in params"
    )


def _runconfig_spec(runconfig: RunConfiguration | None) -> dict[str, Any] | None:
    if runconfig is None:
        return None
    if not isinstance(runconfig, RunConfiguration):
        raise ConfigError(f"runconfig must be a RunConfiguration, not {runconfig!r}")
    environment = runconfig.effective_environment()
    return {
        "environment": environment.to_spec() if environment is not None else None,
        "target": runconfig.target,
        "environment_variables": dict(runconfig.environment_variables),
    }


class ModuleVersion:
    """One published version of a module: a script, its code snapshot, and its typed ports."""

    def __init__(self, workspace: Workspace, row: models.ModuleVersion, module: models.Module) -> None:
        self.workspace = workspace
        self._row = row
        self._module = module

    @classmethod
    def get(cls, workspace: Workspace, module_version_id: str) -> ModuleVersion:
        row = _store(workspace).version_by_id(module_version_id)
        return cls(workspace, row, _store(workspace).module(id=row.module_id))

    @property
    def id(self) -> str:
        return self._row.id

    @property
    def module_version_id(self) -> str:
        return self._row.id

    @property
    def module_id(self) -> str:
        return self._row.module_id

    @property
    def module_name(self) -> str:
        return self._module.name

    @property
    def version(self) -> str:
        return self._row.version

    @property
    def description(self) -> str | None:
        return self._row.description

    @property
    def status(self) -> str:
        return _store(self.workspace).version_by_id(self.id).status

    @property
    def script_name(self) -> str:
        return self._row.script_name

    @property
    def snapshot(self) -> str:
        """The digest of its code's snapshot in the content store."""
        return self._row.snapshot

    @property
    def inputs(self) -> list[InputPortDef]:
        return [InputPortDef.from_spec(i) for i in self._row.interface["inputs"]]

    @property
    def outputs(self) -> list[OutputPortDef]:
        return [OutputPortDef.from_spec(o) for o in self._row.interface["outputs"]]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._row.interface["params"])

    @property
    def arguments(self) -> list[dict[str, str]]:
        """Its arguments as published: {"value"} | {"input_port"} | {"output_port"} | {"parameter"} items."""
        return list(self._row.interface["arguments"])

    @property
    def created_at(self) -> datetime:
        return self._row.created_at

    @property
    def interface(self) -> dict[str, Any]:
        return dict(self._row.interface)

    def runconfig(self) -> RunConfiguration | None:
        """The run configuration it was published with, rebuilt; None when it was published with none."""
        saved = self._row.interface.get("runconfig")
        if saved is None:
            return None
        environment = None if saved["environment"] is None else EnvironmentDefinition.from_spec(saved["environment"])
        return RunConfiguration(
            environment=environment, target=saved["target"], environment_variables=saved["environment_variables"]
        )

    def data_types(self) -> dict[str, DataType]:
        """Every data type its ports name, with its ancestors."""
        names = {t for i in self.inputs for t in i.data_types} | {o.data_type for o in self.outputs}
        return _data_types(self.workspace, sorted(names))

    def module(self) -> Module:
        return Module(self.workspace, _store(self.workspace).module(id=self.module_id))

    def deprecate(self) -> None:
        """Still resolvable, but marked as on its way out."""
        self._row = _store(self.workspace).set_version_status(self.id, DEPRECATED)

    def disable(self) -> None:
        """No new step can use it; runs that did keep their record."""
        self._row = _store(self.workspace).set_version_status(self.id, DISABLED)

    def enable(self) -> None:
        self._row = _store(self.workspace).set_version_status(self.id, ACTIVE)

    def __repr__(self) -> str:
        return f"ModuleVersion(module={self.module_name!r}, version={self.version!r})"


class Module:
    """A named, reusable step of the workspace; `publish_python_script` adds versions to it."""

    def __init__(self, workspace: Workspace, row: models.Module) -> None:
        self.workspace = workspace
        self._row = row

    @classmethod
    def create(cls, workspace: Workspace, name: str, description: str | None = None) -> Module:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ConfigError(f"module name {name!r} must be a non-empty string of at most {MAX_NAME} characters")
        return cls(workspace, _store(workspace).add_module(name, description))

    @classmethod
    def get(
        cls, workspace: Workspace, module_id: str | None = None, name: str | None = None, id: str | None = None
    ) -> Module:
        """The module with this id or name."""
        key = module_id if module_id is not None else id
        if (key is None) == (name is None):
            raise ConfigError("Module.get: give one of module_id (or id) and name")
        return cls(workspace, _store(workspace).module(id=key, name=name))

    @classmethod
    def list(cls, workspace: Workspace) -> builtins.list[Module]:
        """Every module of the workspace, by name."""
        return [cls(workspace, row) for row in _store(workspace).modules()]

    @classmethod
    def get_versions(cls, workspace: Workspace, name: str) -> builtins.list[ModuleVersion]:
        """Every version of the module of that name, in the order they were published."""
        return cls.get(workspace, name=name).module_version_list()

    def _fresh(self) -> models.Module:
        self._row = _store(self.workspace).module(id=self.id)
        return self._row

    @property
    def id(self) -> str:
        return self._row.id

    @property
    def name(self) -> str:
        return self._row.name

    @property
    def description(self) -> str | None:
        return self._row.description

    @property
    def status(self) -> str:
        return self._fresh().status

    @property
    def default_version(self) -> str | None:
        return self._fresh().default_version

    @property
    def created_at(self) -> str:
        return self._row.created_at.replace(tzinfo=UTC).isoformat()

    def module_version_list(self) -> builtins.list[ModuleVersion]:
        row = self._fresh()
        return [ModuleVersion(self.workspace, v, row) for v in _store(self.workspace).versions(self.id)]

    def set_default_version(self, version_id: str) -> None:
        """Make `version_id` (a version such as "2") what `resolve()` gives with no version."""
        self._row = _store(self.workspace).set_module(self.id, default_version=str(version_id))

    def resolve(self, version: str | None = None) -> ModuleVersion:
        """The version asked for, else the default one; a disabled version or module is an error."""
        row = self._fresh()
        if row.status == DISABLED:
            raise ConfigError(f"module {self.name!r} is disabled; enable it with module.enable()")
        wanted = version if version is not None else row.default_version
        if wanted is None:
            raise ConfigError(f"module {self.name!r} has no version yet; publish one with publish_python_script")
        found = ModuleVersion(self.workspace, _store(self.workspace).version(self.id, str(wanted)), row)
        if found.status == DISABLED:
            raise ConfigError(
                f"version {found.version!r} of module {self.name!r} is disabled; enable it, or use another version"
            )
        return found

    def deprecate(self) -> None:
        self._row = _store(self.workspace).set_module(self.id, status=DEPRECATED)

    def disable(self) -> None:
        self._row = _store(self.workspace).set_module(self.id, status=DISABLED)

    def enable(self) -> None:
        self._row = _store(self.workspace).set_module(self.id, status=ACTIVE)

    def publish_python_script(
        self,
        script_name: str,
        description: str | None,
        inputs: Sequence[InputPortDef],
        outputs: Sequence[OutputPortDef],
        params: Mapping[str, Any] | None = None,
        version: str | None = None,
        is_default: bool = False,
        source_directory: str | os.PathLike[str] | None = None,
        hash_paths: Sequence[str] | None = None,
        arguments: Sequence[Any] | None = None,
        runconfig: RunConfiguration | None = None,
    ) -> ModuleVersion:
        """Publish a script as a version of this module; its folder is snapshotted now.

        Args:
            script_name: the script's path in `source_directory`.
            description: what this version does.
            inputs: its InputPortDefs; outputs: its OutputPortDefs.
            params: its parameters and their defaults; they reach the script as `AML_PARAMETER_<name>`.
            version: its version ("1", "2", ... in order when None); unchanged content keeps its version.
            is_default: make it the default version (the first version always is).
            source_directory: the folder snapshotted (the current folder when None).
            hash_paths: accepted as v1 does, and not needed: the whole folder is snapshotted.
            arguments: the script's arguments: literals, port definitions and parameters named in `params`.
            runconfig: the run configuration steps of this version run with, unless they give their own.
        """
        del hash_paths
        if not isinstance(script_name, str) or not script_name.strip():
            raise ConfigError(f"module {self.name!r}: script_name must be a file name, not {script_name!r}")
        folder = Path(source_directory if source_directory is not None else os.getcwd()).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"module {self.name!r}: source_directory {str(folder)!r} is not a folder")
        if not (folder / script_name).is_file():
            raise ConfigError(f"module {self.name!r}: script {script_name!r} is not in {str(folder)!r}")
        inputs, outputs = list(inputs or []), list(outputs or [])
        bad: builtins.list[tuple[str, str, Any]] = [
            ("inputs", "InputPortDef", i) for i in inputs if not isinstance(i, InputPortDef)
        ]
        bad += [("outputs", "OutputPortDef", o) for o in outputs if not isinstance(o, OutputPortDef)]
        if bad:
            what, kind, item = bad[0]
            raise ConfigError(f"module {self.name!r}: {what} takes {kind}s, not {item!r}")
        names = [i.name for i in inputs] + [o.name for o in outputs]
        if len(set(names)) != len(names):
            raise ConfigError(f"module {self.name!r}: two ports share a name among {names}; name each port once")
        values = {
            k: spec_value(v.default_value if isinstance(v, PipelineParameter) else v) for k, v in (params or {}).items()
        }
        interface = {
            "inputs": [i.to_spec() for i in inputs],
            "outputs": [o.to_spec() for o in outputs],
            "params": values,
            "arguments": [_argument_template(self.name, a, values) for a in arguments or []],
            "runconfig": _runconfig_spec(runconfig),
        }
        _data_types(self.workspace, sorted({t for i in inputs for t in i.data_types} | {o.data_type for o in outputs}))
        cas = workspace_content_store(self.workspace.config.duto_dir)
        try:
            snapshot = cas.put_tree(folder, move=False, files=snapshot_files(folder))
        finally:
            cas.hasher.close()
        content = hashlib.sha256(
            json.dumps({"script": script_name, "snapshot": snapshot, "interface": interface}, sort_keys=True).encode()
        ).hexdigest()
        row = _store(self.workspace).publish(
            self.id,
            None if version is None else str(version),
            description,
            script_name,
            snapshot,
            interface,
            content,
            is_default,
        )
        return ModuleVersion(self.workspace, row, self._fresh())

    def __repr__(self) -> str:
        return f"Module(name={self.name!r}, id={self.id!r})"
