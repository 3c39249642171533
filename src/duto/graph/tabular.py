"""Tabular datasets: a recipe of source files, how to read them and what to do to their rows.

`Dataset.Tabular` (graph/tabular_factory.py) makes one; `take`, `skip`, `keep_columns`, `drop_columns`, `filter`
and `random_split` give new recipes; `_definition()` is its JSON, which `TabularDataset._from_definition` rebuilds
and the pipeline spec holds. Standard library only, like the step side that rebuilds it in a step.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from duto.errors import ConfigError
from duto.graph.datasets import (
    DEFINITION_TYPES,
    GLOB_CHARACTERS,
    DataPath,
    DatasetConsumptionConfig,
    FileDataset,
    LocalPath,
    Registration,
    UrlPath,
    _ids,
)

FORMATS = ("delimited", "parquet", "json_lines")
DEFINITION_KIND = "tabular"


@dataclass(frozen=True)
class RowFilter:
    """A condition on a dataset's rows, from `ds["col"] > 5` and friends, combined with `&`, `|` and `~`."""

    expression: dict[str, Any]

    def __and__(self, other: RowFilter) -> RowFilter:
        return RowFilter({"op": "and", "args": [self.expression, _filter_of(other).expression]})

    def __or__(self, other: RowFilter) -> RowFilter:
        return RowFilter({"op": "or", "args": [self.expression, _filter_of(other).expression]})

    def __invert__(self) -> RowFilter:
        return RowFilter({"op": "not", "arg": self.expression})

    def __bool__(self) -> bool:
        raise ConfigError("a row filter has no truth value: combine filters with & and |, not `and` and `or`")


def _filter_of(other: Any) -> RowFilter:
    if not isinstance(other, RowFilter):
        raise ConfigError(f"a row filter combines with another, such as ds['age'] > 30, not with {other!r}")
    return other


_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Column:
    """A column of a tabular dataset, `ds["age"]`, to write a filter with."""

    name: str

    def _compare(self, op: str, value: Any) -> RowFilter:
        if not isinstance(value, _SCALARS):
            raise ConfigError(
                f"filter on column {self.name!r}: compare with a number, a string, a bool or None, not {value!r}"
            )
        return RowFilter({"op": op, "column": self.name, "value": value})

    def __eq__(self, value: object) -> RowFilter:  # type: ignore[override]  # a filter, as in v1
        return self._compare("==", value)

    def __ne__(self, value: object) -> RowFilter:  # type: ignore[override]  # a filter, as in v1
        return self._compare("!=", value)

    def __lt__(self, value: Any) -> RowFilter:
        return self._compare("<", value)

    def __le__(self, value: Any) -> RowFilter:
        return self._compare("<=", value)

    def __gt__(self, value: Any) -> RowFilter:
        return self._compare(">", value)

    def __ge__(self, value: Any) -> RowFilter:
        return self._compare(">=", value)

    __hash__ = None  # type: ignore[assignment]  # == makes a filter, so a column is no dict key

    def starts_with(self, prefix: str) -> RowFilter:
        return self._compare("starts_with", prefix)

    def ends_with(self, suffix: str) -> RowFilter:
        return self._compare("ends_with", suffix)

    def contains(self, text: str) -> RowFilter:
        return self._compare("contains", text)

    def is_null(self) -> RowFilter:
        return RowFilter({"op": "is_null", "column": self.name})


def _count(what: str, count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ConfigError(f"{what}: count must be a whole number of rows, 0 or more, not {count!r}")
    return count


def _columns(what: str, columns: Any) -> list[str]:
    names = [columns] if isinstance(columns, str) else list(columns) if isinstance(columns, Sequence) else None
    if not names or not all(isinstance(c, str) and c for c in names):
        raise ConfigError(f"{what}: give a column name or a list of column names, not {columns!r}")
    return names


@dataclass(frozen=True, eq=False)
class TabularDataset(FileDataset):
    """Files read as one table: consumed by steps as files, or as the dataset itself (`as_named_input`)."""

    format: str = "delimited"
    options: dict[str, Any] = field(default_factory=dict)
    transforms: tuple[dict[str, Any], ...] = ()
    direct: bool = False  # a step gets the dataset itself through `Run.get_context().input_datasets`

    DEFINITION_TYPE = "tabular"

    def __getitem__(self, column: str) -> Column:
        """A column, to write a filter: `ds.filter(ds["age"] > 30)`."""
        return Column(_columns("a column", column)[0])

    def _then(self, transform: dict[str, Any]) -> TabularDataset:
        # A new, unregistered recipe of the same class (a registrable one stays registrable).
        return replace(
            self,
            name=f"dataset_{next(_ids)}",
            registration=None,
            direct=False,
            transforms=(*self.transforms, transform),
        )

    def take(self, count: int) -> TabularDataset:
        """The first `count` rows."""
        return self._then({"op": "take", "count": _count("take", count)})

    def skip(self, count: int) -> TabularDataset:
        """Every row after the first `count`."""
        return self._then({"op": "skip", "count": _count("skip", count)})

    def keep_columns(self, columns: str | Sequence[str], validate: bool = False) -> TabularDataset:
        """Only these columns, in this order."""
        del validate  # columns are checked when the data is read
        return self._then({"op": "keep_columns", "columns": _columns("keep_columns", columns)})

    def drop_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        """Every column but these."""
        return self._then({"op": "drop_columns", "columns": _columns("drop_columns", columns)})

    def filter(self, expression: RowFilter) -> TabularDataset:
        """The rows for which `expression` holds: `ds.filter((ds["age"] > 30) & (ds["city"] == "Porto"))`."""
        if not isinstance(expression, RowFilter):
            raise ConfigError(f"filter takes a condition such as ds['age'] > 30, not {expression!r}")
        return self._then({"op": "filter", "expression": expression.expression})

    def random_split(self, percentage: float, seed: int | None = None) -> tuple[TabularDataset, TabularDataset]:
        """Two datasets: about `percentage` of the rows, and the rest; the same seed splits the same data alike.

        Without a seed, one is drawn now and kept in both recipes, so reading them again gives the same split.
        """
        if isinstance(percentage, bool) or not isinstance(percentage, int | float) or not 0 < percentage < 1:
            raise ConfigError(f"random_split: percentage must be between 0 and 1 (such as 0.8), not {percentage!r}")
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "big")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"random_split: seed must be a whole number, 0 or more, not {seed!r}")
        split = {"op": "random_split", "percentage": float(percentage), "seed": seed}
        return self._then({**split, "part": 0}), self._then({**split, "part": 1})

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """Name this dataset as a step input: the step gets the dataset itself in
        `Run.get_context().input_datasets[name]`; `.as_download()` or `.as_mount()` give it the files instead."""
        return TabularConsumptionConfig(name=name, dataset=replace(self, direct=True), mode="mount")

    def recipe(self) -> dict[str, Any]:
        """How the files are read (with the partition_format whose columns they gain) and what is done to their
        rows, as JSON."""
        options = dict(self.options)
        if self.partition_format is not None:
            options["partition_format"] = self.partition_format
        return {"format": self.format, "options": options, "transforms": [dict(t) for t in self.transforms]}

    def _definition(self) -> dict[str, Any]:
        """The dataset as JSON: its paths and its recipe; `_from_definition` rebuilds it."""
        return {
            "type": self.DEFINITION_TYPE,
            "kind": DEFINITION_KIND,
            "paths": [p.to_spec() for p in self.paths],
            **self.recipe(),
        }

    @classmethod
    def _from_definition(
        cls, definition: Mapping[str, Any], registration: Registration | None = None
    ) -> TabularDataset:
        """The dataset a `_definition()` describes; a registered version's carries its `registration`.

        Raises:
            ConfigError: it is not a tabular dataset's definition.
        """
        if definition.get("kind") != DEFINITION_KIND or definition.get("format") not in FORMATS:
            raise ConfigError(
                f"not a tabular dataset's definition (kind {definition.get('kind')!r}, format "
                f"{definition.get('format')!r}); expected kind 'tabular' and a format of {', '.join(FORMATS)}"
            )
        options = dict(definition["options"])
        dataset = cls(
            tuple(_path_of(p) for p in definition["paths"]),
            format=definition["format"],
            options=options,
            transforms=tuple(dict(t) for t in definition["transforms"]),
            partition_format=options.pop("partition_format", None),
        )
        return dataset if registration is None else replace(dataset, name=registration.name, registration=registration)

    @classmethod
    def _in_step(cls, name: str, recipe: Mapping[str, Any], placed: str) -> TabularDataset:
        """The dataset a step was given as `name`: its recipe over the files placed at `placed`."""
        options = dict(recipe["options"])
        return cls(
            (LocalPath(placed),),
            name=name,
            format=recipe["format"],
            options=options,
            transforms=tuple(dict(t) for t in recipe["transforms"]),
            direct=True,
            partition_format=options.pop("partition_format", None),
        )

    def to_spec(self) -> dict[str, Any]:
        return {**super().to_spec(), "tabular": self.recipe(), "direct": self.direct}

    def to_pandas_dataframe(self) -> Any:
        """Read the files and apply the transformations; needs pandas (and pyarrow for parquet): `duto[data]`.
        A partitioned dataset's frame gains its partition columns, last (strings, or datetimes for a date key).

        Outside a step it reads local paths, http(s) URLs and DataPaths on a local-folder datastore of the
        workspace found from the current folder; a step reads what the runner placed for it, from any datastore.

        Raises:
            MissingDataPackagesError: pandas (or pyarrow) is not installed.
            ConfigError: a path that cannot be read here, or a column the recipe names is not in the data.
        """
        from duto.graph.tabular_reading import read_frame

        return read_frame(self.recipe(), [f for p in self.paths for f in _files_of(p)])

    def __repr__(self) -> str:
        return f"TabularDataset(format={self.format!r}, paths={[p.to_spec() for p in self.paths]!r})"


# A registered tabular dataset's version rebuilds as one (`Dataset.get_by_name`).
DEFINITION_TYPES[TabularDataset.DEFINITION_TYPE] = TabularDataset._from_definition


@dataclass(frozen=True, eq=False)
class TabularConsumptionConfig(DatasetConsumptionConfig):
    """A tabular dataset as a step input; the step gets the dataset itself unless it asks for the files."""

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """The files, copied into the step's folder before it starts."""
        return DatasetConsumptionConfig(self.name, _files_only(self.dataset), "download", path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """The files where they are, with no copy."""
        return DatasetConsumptionConfig(self.name, _files_only(self.dataset), "mount", path_on_compute)


def _files_only(dataset: FileDataset) -> FileDataset:
    return replace(dataset, direct=False) if isinstance(dataset, TabularDataset) else dataset


def _path_of(spec: Mapping[str, str]) -> DataPath | UrlPath | LocalPath:
    if "url" in spec:
        return UrlPath(spec["url"])
    if "local" in spec:
        return LocalPath(spec["local"])
    return DataPath(spec["datastore"], spec["path"])


def _fixed_prefix(pattern: str) -> str:
    fixed: list[str] = []
    for part in PurePosixPath(pattern).parts:
        if any(c in part for c in GLOB_CHARACTERS):
            break
        fixed.append(part)
    return str(PurePosixPath(*fixed)) if fixed else ""


def _local_files(pattern: str, where: str) -> list[tuple[str, str]]:
    """(path, path relative to the pattern's fixed prefix) of the files a local path or glob names, sorted;
    a single file is shown by its name, as a step that is given it sees it."""
    if any(c in pattern for c in GLOB_CHARACTERS):
        base = _fixed_prefix(pattern)
        found = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        return [(p, os.path.relpath(p, base)) for p in found]
    if os.path.isdir(pattern):
        found = sorted(os.path.join(d, n) for d, _, names in os.walk(pattern, followlinks=True) for n in names)
        return [(p, os.path.relpath(p, pattern)) for p in found]
    if os.path.isfile(pattern):
        return [(pattern, os.path.basename(pattern))]
    raise ConfigError(f"tabular dataset: {where} names no file; give an existing file, folder or glob")


def _files_of(path: DataPath | UrlPath | LocalPath) -> list[tuple[str, str]]:
    if isinstance(path, UrlPath):
        return [(path.url, PurePosixPath(path.url.split("?", 1)[0]).name)]
    if isinstance(path, LocalPath):
        return _local_files(path.path, path.path)
    from duto.config import WorkspaceConfig, find_workspace_root

    config = WorkspaceConfig.load(find_workspace_root())
    settings = config.datastores.get(path.datastore_name)
    if settings is None:
        raise ConfigError(f"tabular dataset: the workspace at {config.root} has no datastore {path.datastore_name!r}")
    if settings.get("kind") != "local":
        raise ConfigError(
            f"tabular dataset: to_pandas_dataframe() outside a step reads local-folder datastores, and "
            f"{path.datastore_name!r} is a {settings.get('kind')} datastore; read it in a step (as_named_input), "
            "or download the files with Datastore.download and use Dataset.Tabular on the local copy"
        )
    root = Path(settings["path"])
    root = root if root.is_absolute() else config.root / root
    return _local_files(str(root / path.path_on_datastore), f"{path.datastore_name}:{path.path_on_datastore}")
