"""`Dataset.Tabular`: the factory of tabular datasets, and v1's `DataType` for `set_column_types`.

It imports `duto.graph.tabular` when called: that module builds on graph/datasets.py, which names this factory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError

if TYPE_CHECKING:
    from duto.graph.datasets import DataPath, LocalPath, PathSource, UrlPath
    from duto.graph.tabular import TabularDataset


class DataType:
    """Column types for `set_column_types`, by v1's names: `{"age": DataType.to_long()}`."""

    @staticmethod
    def to_string() -> str:
        return "str"

    @staticmethod
    def to_long() -> str:
        return "int"

    @staticmethod
    def to_float() -> str:
        return "float"

    @staticmethod
    def to_bool() -> str:
        return "bool"

    @staticmethod
    def to_datetime() -> str:
        return "datetime"


_TYPE_NAMES: dict[Any, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "str": "str",
    "string": "str",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "datetime",
}


def _type_name(column: str, given: Any) -> str:
    try:
        return _TYPE_NAMES[given]
    except (KeyError, TypeError):
        raise ConfigError(
            f"set_column_types: column {column!r} has type {given!r}; give int, float, str, bool, 'datetime' "
            "or a DataType such as DataType.to_long()"
        ) from None


def _sources(
    path: PathSource | Sequence[PathSource], validate: bool, factory: str
) -> tuple[DataPath | UrlPath | LocalPath, ...]:
    from duto.graph.datasets import _to_data_path

    items = list(path) if isinstance(path, list) else [path]
    if not items:
        raise ConfigError(f"Dataset.Tabular.{factory} needs at least one path")
    try:
        return tuple(_to_data_path(i, validate) for i in items)
    except ConfigError as exc:  # the check is the file factory's; name the call the user made
        raise ConfigError(str(exc).replace("Dataset.File.from_files", f"Dataset.Tabular.{factory}")) from None


def _types(set_column_types: Mapping[str, Any] | None) -> dict[str, str]:
    if set_column_types is None:
        return {}
    if not isinstance(set_column_types, Mapping):
        raise ConfigError(f"set_column_types must be a dict of column name to type, not {set_column_types!r}")
    return {str(column): _type_name(str(column), given) for column, given in set_column_types.items()}


def _partition_format(text: str | None) -> str | None:
    from duto.graph.datasets import checked_partition_format

    return checked_partition_format(text)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, not {value!r}")
    return value


class TabularDatasetFactory:
    """`Dataset.Tabular`: the factory of tabular datasets."""

    @staticmethod
    def from_delimited_files(
        path: PathSource | Sequence[PathSource],
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Mapping[str, Any] | None = None,
        separator: str = ",",
        header: bool = True,
        encoding: str = "utf8",
        partition_format: str | None = None,
    ) -> TabularDataset:
        """A table of CSV (or other delimited) files: a DataPath, `(datastore, "glob")`, an http(s) URL, a local
        path or glob, or a list of them. Without `header`, columns are named Column1, Column2, ...; without
        `infer_column_types`, every value is a string; `include_path` adds a first column, Path. `partition_format`
        ('{country}/{date:yyyy/MM/dd}/*.csv', relative to the dataset's path) adds a column per key it names."""
        if not isinstance(separator, str) or not separator:
            raise ConfigError(f"separator must be a non-empty string such as ',' or '\\t', not {separator!r}")
        options = {
            "separator": separator,
            "header": _flag("header", header),
            "infer_column_types": _flag("infer_column_types", infer_column_types),
            "set_column_types": _types(set_column_types),
            "include_path": _flag("include_path", include_path),
            "encoding": encoding,
        }
        from duto.graph.tabular import TabularDataset

        return TabularDataset(
            _sources(path, validate, "from_delimited_files"),
            format="delimited",
            options=options,
            partition_format=_partition_format(partition_format),
        )

    @staticmethod
    def from_parquet_files(
        path: PathSource | Sequence[PathSource],
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        partition_format: str | None = None,
    ) -> TabularDataset:
        """A table of parquet files (read with pyarrow); `partition_format` as for delimited files."""
        options = {"set_column_types": _types(set_column_types), "include_path": _flag("include_path", include_path)}
        from duto.graph.tabular import TabularDataset

        return TabularDataset(
            _sources(path, validate, "from_parquet_files"),
            format="parquet",
            options=options,
            partition_format=_partition_format(partition_format),
        )

    @staticmethod
    def from_json_lines_files(
        path: PathSource | Sequence[PathSource],
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        encoding: str = "utf8",
        partition_format: str | None = None,
    ) -> TabularDataset:
        """A table of JSON lines files: one JSON object a line, one row each; `partition_format` as for delimited
        files."""
        options = {
            "set_column_types": _types(set_column_types),
            "include_path": _flag("include_path", include_path),
            "encoding": encoding,
        }
        from duto.graph.tabular import TabularDataset

        return TabularDataset(
            _sources(path, validate, "from_json_lines_files"),
            format="json_lines",
            options=options,
            partition_format=_partition_format(partition_format),
        )
