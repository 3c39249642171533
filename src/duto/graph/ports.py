"""Typed ports of modules: data types (v1's AnyFile, AnyDirectory and user-defined ones), port definitions, and
which output type an input accepts. Pure: a user-defined type's record is kept by the facade."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from duto.errors import ConfigError


@dataclass(frozen=True)
class DataType:
    """A data type id. `AnyFile` and `AnyDirectory` are built in; `DataType.create(ws, ...)` (the facade's
    subclass, `duto.pipeline.graph.DataType`) records others in a workspace.

    A type accepts itself, its descendants (through `parent_datatypes`), and, for AnyFile and AnyDirectory,
    every file or directory type.
    """

    name: str
    description: str | None = None
    is_directory: bool = False
    parent_datatypes: tuple[str, ...] = ()
    # The ancestors' own records, so that acceptance is decided without a workspace.
    ancestors: tuple[DataType, ...] = field(default=(), compare=False, repr=False)

    def lineage(self) -> list[str]:
        """Its own name and its ancestors' names."""
        return [self.name, *(a.name for a in self.ancestors)]

    def accepts(self, given: DataType) -> bool:
        """Whether an input of this type takes an output of type `given`."""
        if self.name in given.lineage():
            return True
        if self.name == ANY_DIRECTORY.name:
            return given.is_directory
        if self.name == ANY_FILE.name:
            return not given.is_directory
        return False

    def to_spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "is_directory": self.is_directory,
            "parent_datatypes": list(self.parent_datatypes),
        }


ANY_FILE = DataType("AnyFile", "any file", is_directory=False)
ANY_DIRECTORY = DataType("AnyDirectory", "any directory", is_directory=True)
BUILT_IN_TYPES = {t.name: t for t in (ANY_FILE, ANY_DIRECTORY)}

Types = DataType | str | Sequence[DataType | str] | None


def _type_names(what: str, types: Types, default: str) -> list[str]:
    if types is None:
        return [default]
    items = [types] if isinstance(types, DataType | str) else list(types)
    names = [t.name if isinstance(t, DataType) else t for t in items]
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{what}: data types are DataType objects or their names, such as 'AnyFile', not {types!r}")
    return names


class InputPortDef:
    """An input of a module: its name and the data types it accepts (AnyFile when none are given)."""

    def __init__(
        self,
        name: str,
        data_types: Types = None,
        default_datastore: Any = None,
        default_data_reference_name: str | None = None,
        is_optional: bool = False,
        label: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"InputPortDef: name must be an identifier such as 'raw_data', not {name!r}")
        del default_datastore  # the bound data says where it lives
        self.name = name
        self.data_types = _type_names(f"input port {name!r}", data_types, ANY_FILE.name)
        self.default_data_reference_name = default_data_reference_name
        self.is_optional = bool(is_optional)
        self.label = label

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "data_types": list(self.data_types), "is_optional": self.is_optional}

    @classmethod
    def from_spec(cls, data: dict[str, Any]) -> InputPortDef:
        return cls(data["name"], data["data_types"], is_optional=data.get("is_optional", False))

    def __repr__(self) -> str:
        return f"InputPortDef(name={self.name!r}, data_types={self.data_types!r})"


class OutputPortDef:
    """An output of a module: its name and data type (AnyDirectory when none is given)."""

    def __init__(
        self,
        name: str,
        default_datastore_name: str | None = None,
        default_datastore_mode: str | None = None,
        is_directory: bool | None = None,
        data_type: DataType | str | None = None,
        label: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"OutputPortDef: name must be an identifier such as 'model', not {name!r}")
        del default_datastore_mode
        self.name = name
        self.default_datastore_name = default_datastore_name
        if data_type is None:
            data_type = ANY_FILE if is_directory is False else ANY_DIRECTORY
        self.data_type = _type_names(f"output port {name!r}", data_type, ANY_DIRECTORY.name)[0]
        self.is_directory = is_directory
        self.label = label

    def to_spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "data_type": self.data_type,
            "is_directory": self.is_directory,
            "datastore": self.default_datastore_name,
        }

    @classmethod
    def from_spec(cls, data: dict[str, Any]) -> OutputPortDef:
        return cls(
            data["name"],
            default_datastore_name=data.get("datastore"),
            is_directory=data.get("is_directory"),
            data_type=data["data_type"],
        )

    def __repr__(self) -> str:
        return f"OutputPortDef(name={self.name!r}, data_type={self.data_type!r})"


@dataclass(frozen=True)
class TypedInput:
    """An input port of a step bound to data: what it is bound to, and the types it accepts."""

    source: Any
    port: str
    accepted: tuple[DataType, ...]


@dataclass(frozen=True)
class TypedOutput:
    """An output port of a step: the data object it writes, and its type."""

    output: Any
    port: str
    data_type: DataType


@dataclass(frozen=True)
class TypedPorts:
    """The typed ports of a step made from a module; other steps' ports are untyped and never checked."""

    inputs: tuple[TypedInput, ...] = ()
    outputs: tuple[TypedOutput, ...] = ()

    def output_for(self, output: Any) -> TypedOutput | None:
        return next((o for o in self.outputs if o.output is output), None)
