"""Store operations on modules, their versions and user-defined data types.

Rows are returned detached (the DB's sessions do not expire them), so callers read their fields after the
transaction ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from duto.errors import ConfigError, PipelineModuleNotFoundError
from duto.storage import models
from duto.storage.db import Database
from duto.storage.runs_store import new_id, utcnow

ACTIVE = "Active"
DEPRECATED = "Deprecated"
DISABLED = "Disabled"
STATUSES = (ACTIVE, DEPRECATED, DISABLED)


class ModuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # modules ---------------------------------------------------------------------------------------------
    def add_module(self, name: str, description: str | None) -> models.Module:
        with self.db.writing() as s:
            if s.scalar(select(models.Module).where(models.Module.name == name)) is not None:
                raise ConfigError(f"a module named {name!r} exists already; use Module.get(ws, name={name!r})")
            row = models.Module(
                id=new_id(),
                name=name,
                description=description,
                status=ACTIVE,
                default_version=None,
                created_at=utcnow(),
            )
            s.add(row)
        return row

    def module(self, *, id: str | None = None, name: str | None = None) -> models.Module:
        with self.db.reading() as s:
            if id is not None:
                row = s.get(models.Module, id)
            else:
                row = s.scalar(select(models.Module).where(models.Module.name == name))
            if row is None:
                known = list(s.scalars(select(models.Module.name).order_by(models.Module.name)))
                raise PipelineModuleNotFoundError("module", str(id if id is not None else name), known)
            return row

    def modules(self) -> list[models.Module]:
        with self.db.reading() as s:
            return list(s.scalars(select(models.Module).order_by(models.Module.name)))

    def set_module(self, module_id: str, **values: Any) -> models.Module:
        if "status" in values and values["status"] not in STATUSES:
            raise ConfigError(f"status {values['status']!r} must be one of {', '.join(STATUSES)}")
        with self.db.writing() as s:
            row = s.get(models.Module, module_id)
            if row is None:
                raise PipelineModuleNotFoundError("module", module_id)
            if values.get("default_version") is not None:
                self._version_row(s, row, values["default_version"])
            for key, value in values.items():
                setattr(row, key, value)
        return row

    # versions --------------------------------------------------------------------------------------------
    def versions(self, module_id: str) -> list[models.ModuleVersion]:
        """A module's versions in the order they were published."""
        with self.db.reading() as s:
            query = select(models.ModuleVersion).where(models.ModuleVersion.module_id == module_id)
            return list(s.scalars(query.order_by(models.ModuleVersion.created_at, models.ModuleVersion.id)))

    def version(self, module_id: str, version: str) -> models.ModuleVersion:
        with self.db.reading() as s:
            module = s.get(models.Module, module_id)
            if module is None:
                raise PipelineModuleNotFoundError("module", module_id)
            return self._version_row(s, module, version)

    def version_by_id(self, version_id: str) -> models.ModuleVersion:
        with self.db.reading() as s:
            row = s.get(models.ModuleVersion, version_id)
            if row is None:
                raise PipelineModuleNotFoundError("module version id", version_id)
            return row

    @staticmethod
    def _version_row(s: Any, module: models.Module, version: str) -> models.ModuleVersion:
        row: models.ModuleVersion | None = s.scalar(
            select(models.ModuleVersion).where(
                models.ModuleVersion.module_id == module.id, models.ModuleVersion.version == version
            )
        )
        if row is None:
            known = list(
                s.scalars(select(models.ModuleVersion.version).where(models.ModuleVersion.module_id == module.id))
            )
            raise PipelineModuleNotFoundError(f"version of module {module.name!r}:", version, known)
        return row

    def publish(
        self,
        module_id: str,
        version: str | None,
        description: str | None,
        script_name: str,
        snapshot: str,
        interface: dict[str, Any],
        content: str,
        is_default: bool,
    ) -> models.ModuleVersion:
        """The version holding this content: an existing one when its content is the same, else a new one
        (`version`, or the next number), made the default when asked or when it is the module's first."""
        with self.db.writing() as s:
            module = s.get(models.Module, module_id)
            if module is None:
                raise PipelineModuleNotFoundError("module", module_id)
            rows = list(s.scalars(select(models.ModuleVersion).where(models.ModuleVersion.module_id == module_id)))
            same = [r for r in rows if r.content == content and (version is None or r.version == version)]
            named = next((r for r in rows if r.version == version), None)
            if same:
                row = same[0]
            elif named is not None:
                raise ConfigError(
                    f"version {version!r} of module {module.name!r} exists already with other content; give "
                    "another version, or leave version out to get the next number"
                )
            else:
                numbers = [int(r.version) for r in rows if r.version.isdigit()]
                row = models.ModuleVersion(
                    id=new_id(),
                    module_id=module_id,
                    version=version if version is not None else str(max(numbers, default=0) + 1),
                    description=description,
                    status=ACTIVE,
                    script_name=script_name,
                    snapshot=snapshot,
                    interface=interface,
                    content=content,
                    created_at=utcnow(),
                )
                s.add(row)
            if is_default or module.default_version is None:
                module.default_version = row.version
        return row

    def set_version_status(self, version_id: str, status: str) -> models.ModuleVersion:
        if status not in STATUSES:
            raise ConfigError(f"status {status!r} must be one of {', '.join(STATUSES)}")
        with self.db.writing() as s:
            row = s.get(models.ModuleVersion, version_id)
            if row is None:
                raise PipelineModuleNotFoundError("module version id", version_id)
            row.status = status
        return row

    def snapshots(self) -> set[str]:
        with self.db.reading() as s:
            return set(s.scalars(select(models.ModuleVersion.snapshot)))

    # data types ------------------------------------------------------------------------------------------
    def add_data_type(
        self, name: str, description: str | None, is_directory: bool, parents: list[str]
    ) -> models.DataTypeRecord:
        with self.db.writing() as s:
            row = s.get(models.DataTypeRecord, name)
            if row is not None:
                if (row.is_directory, row.parent_datatypes) != (is_directory, parents):
                    raise ConfigError(
                        f"data type {name!r} exists already with is_directory={row.is_directory} and parents "
                        f"{row.parent_datatypes}; give the new type another name"
                    )
                return row
            row = models.DataTypeRecord(
                name=name,
                description=description,
                is_directory=is_directory,
                parent_datatypes=parents,
                created_at=utcnow(),
            )
            s.add(row)
        return row

    def data_types(self) -> dict[str, models.DataTypeRecord]:
        with self.db.reading() as s:
            return {r.name: r for r in s.scalars(select(models.DataTypeRecord))}
