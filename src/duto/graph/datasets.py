"""File datasets and where they live: DataPath, Dataset.File.from_files and their named consumption."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from duto.errors import ConfigError
from duto.graph.partitions import PartitionFormat, partition_keys_of
from duto.graph.tabular_factory import TabularDatasetFactory

InputMode = Literal["mount", "download"]
_ids = itertools.count(1)


def _datastore_name(datastore: Any) -> str:
    name = datastore if isinstance(datastore, str) else getattr(datastore, "name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"expected a datastore or its name, got {datastore!r}")
    return name


@dataclass(frozen=True)
class DataPath:
    """A path on a datastore: `DataPath(datastore, "raw/data.csv")` or a glob such as `"raw/**"`."""

    datastore_name: str
    path_on_datastore: str

    def __init__(self, datastore: Any = None, path_on_datastore: str = "") -> None:
        object.__setattr__(self, "datastore_name", _datastore_name(datastore))
        path = path_on_datastore.strip("/")
        if not path or ".." in path.split("/"):
            raise ConfigError(
                f"DataPath path {path_on_datastore!r} must be a relative path inside the datastore, "
                "such as 'raw/data.csv' or 'raw/**'"
            )
        object.__setattr__(self, "path_on_datastore", path)

    def to_spec(self) -> dict[str, str]:
        return {"datastore": self.datastore_name, "path": self.path_on_datastore}


@dataclass(frozen=True)
class UrlPath:
    """A file served over http(s): `Dataset.File.from_files("https://host/data.csv")`."""

    url: str

    def to_spec(self) -> dict[str, str]:
        return {"url": self.url}


@dataclass(frozen=True)
class LocalPath:
    """Files on this machine, by absolute path or glob: `Dataset.File.from_files("/data/raw/**")`.

    A relative path is taken from the current folder when the dataset is made, so the spec holds an absolute one.
    """

    path: str

    def to_spec(self) -> dict[str, str]:
        return {"local": self.path}


GLOB_CHARACTERS = "*?["
REGISTERED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


def check_registered_name(kind: str, name: Any) -> str:
    """A dataset's or model's registered name: letters, digits, '_', '.', '-', starting with a letter or digit.

    Raises:
        ConfigError: any other name.
    """
    if not isinstance(name, str) or not REGISTERED_NAME.fullmatch(name):
        raise ConfigError(
            f"{kind} name {name!r} must be letters, digits, '_', '.' or '-' (starting with a letter or digit), "
            "such as 'training-data'"
        )
    return name


@dataclass(frozen=True)
class Registration:
    """Which registered version a dataset is: pinned by the content it held (`digest`, the store's manifest)."""

    id: str
    name: str
    version: int
    digest: str
    single_file: str | None = None  # its one file's name, when the dataset names one file
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_spec(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "single_file": self.single_file,
        }


def _path_from_spec(entry: Mapping[str, str]) -> DataPath | UrlPath | LocalPath:
    if "url" in entry:
        return UrlPath(entry["url"])
    if "local" in entry:
        return LocalPath(entry["local"])
    return DataPath(entry["datastore"], entry["path"])


@dataclass(frozen=True, eq=False)
class FileDataset:
    """A set of files on datastores, consumed by steps as a folder or, when it is one file, a file.

    A registered one (`Dataset.get_by_name`) carries its `registration`: a step reads the content that version
    held, whatever its paths hold now.
    """

    paths: tuple[DataPath | UrlPath | LocalPath, ...]
    name: str = field(default_factory=lambda: f"dataset_{next(_ids)}")
    parameter: str | None = None  # a DataPath pipeline parameter: `paths` holds its default, a run may override it
    registration: Registration | None = field(default=None, kw_only=True)
    # v1's partition_format, such as '{country}/{date:yyyy/MM/dd}/*.csv', relative to the dataset's path
    partition_format: str | None = field(default=None, kw_only=True)

    DEFINITION_TYPE = "file"

    @property
    def partition_keys(self) -> list[str]:
        """The keys `partition_format` names, in order; [] when the dataset is not partitioned."""
        return partition_keys_of(self.partition_format)

    @property
    def id(self) -> str | None:
        """The registered version's id; None for a dataset not registered."""
        return None if self.registration is None else self.registration.id

    @property
    def version(self) -> int | None:
        """The registered version; None for a dataset not registered."""
        return None if self.registration is None else self.registration.version

    @property
    def description(self) -> str | None:
        return None if self.registration is None else self.registration.description

    @property
    def tags(self) -> dict[str, str]:
        return {} if self.registration is None else dict(self.registration.tags)

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """Name this dataset as a step input; `.as_download()` or `.as_mount()` pick how it arrives."""
        return DatasetConsumptionConfig(name=name, dataset=self, mode="mount")

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return self.as_named_input(_input_name(self.name)).as_download(path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return self.as_named_input(_input_name(self.name)).as_mount(path_on_compute)

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": "dataset", "paths": [p.to_spec() for p in self.paths]}
        if self.parameter is not None:
            spec["parameter"] = self.parameter
        if self.registration is not None:
            spec["registered"] = self.registration.to_spec()
        if self.partition_format is not None:
            spec["partition_format"] = self.partition_format
        return spec

    def _definition(self) -> dict[str, Any]:
        """What a registered version keeps of this dataset to rebuild it: its type and paths (and partition_format)."""
        definition: dict[str, Any] = {"type": self.DEFINITION_TYPE, "paths": [p.to_spec() for p in self.paths]}
        if self.partition_format is not None:
            definition["partition_format"] = self.partition_format
        return definition

    @classmethod
    def _from_definition(cls, definition: Mapping[str, Any], registration: Registration) -> FileDataset:
        paths = tuple(_path_from_spec(p) for p in definition["paths"])
        return cls(
            paths=paths,
            name=registration.name,
            registration=registration,
            partition_format=definition.get("partition_format"),
        )


def _input_name(name: str) -> str:
    """An input name for a dataset's own name: a registered name such as 'raw-data' becomes 'raw_data'."""
    text = re.sub(r"\W", "_", name)
    return text if text.isidentifier() else f"dataset_{text}"


DatasetFactory = Callable[[Mapping[str, Any], Registration], Any]
# The classes a registered definition rebuilds, by its "type"; a new kind of dataset adds itself here.
DEFINITION_TYPES: dict[str, DatasetFactory] = {FileDataset.DEFINITION_TYPE: FileDataset._from_definition}


def dataset_from_definition(definition: Mapping[str, Any], registration: Registration) -> Any:
    """The dataset a registered version's definition describes, carrying its registration.

    Raises:
        ConfigError: a definition of a type this duto does not know.
    """
    make = DEFINITION_TYPES.get(str(definition.get("type")))
    if make is None:
        raise ConfigError(
            f"registered dataset {registration.name!r} version {registration.version} is of type "
            f"{definition.get('type')!r}, which this duto cannot read; upgrade duto"
        )
    return make(definition, registration)


@dataclass(frozen=True, eq=False)
class DatasetConsumptionConfig:
    """A dataset as one step input: its name there and whether it is copied (download) or linked (mount)."""

    name: str
    dataset: FileDataset
    mode: InputMode = "mount"
    path_on_compute: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"input name {self.name!r} must be an identifier such as 'raw_data'")
        check_path_on_compute(self.name, self.path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """Copy the files into the step's folder before it starts."""
        return DatasetConsumptionConfig(self.name, self.dataset, "download", path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """Give the step the files where they are, read-only by contract: no copy."""
        return DatasetConsumptionConfig(self.name, self.dataset, "mount", path_on_compute)


def check_path_on_compute(name: str, path: str | None) -> None:
    """`path_on_compute` is relative to the step's working folder and stays inside it.

    Raises:
        ConfigError: an absolute path, or one that climbs out with '..'.
    """
    if path is None:
        return
    parts = PurePosixPath(path).parts
    if not isinstance(path, str) or not path.strip() or path.startswith("/") or ".." in parts:
        raise ConfigError(
            f"input {name!r}: path_on_compute {path!r} must be a relative path inside the step's working folder, "
            "such as 'data/raw'; absolute paths and '..' are refused"
        )


PathSource = DataPath | tuple[Any, str] | str | os.PathLike[str]


def _local_path(item: str | os.PathLike[str], validate: bool) -> LocalPath:
    """A local path or glob as an absolute one; with `validate`, a path without a glob must exist."""
    text = os.fspath(item)
    if text.startswith("file://"):
        text = text.removeprefix("file://")
    path = os.path.abspath(os.path.expanduser(text))
    if validate and not any(c in text for c in GLOB_CHARACTERS) and not os.path.exists(path):
        raise ConfigError(
            f"Dataset.File.from_files: local path {text!r} ({path}) does not exist; give an existing file or folder, "
            "a glob such as 'data/**/*.csv', or validate=False to check it when a step consumes the dataset"
        )
    return LocalPath(path)


def _to_data_path(item: Any, validate: bool) -> DataPath | UrlPath | LocalPath:
    if isinstance(item, DataPath):
        return item
    if isinstance(item, str) and item.startswith(("https://", "http://")):
        return UrlPath(item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return DataPath(item[0], item[1])
    if isinstance(item, str | os.PathLike) and "://" not in os.fspath(item).removeprefix("file://"):
        return _local_path(item, validate)
    raise ConfigError(
        f"Dataset.File.from_files takes a DataPath, a (datastore, 'path/or/glob') pair, an http(s) URL, a local "
        f"path or glob, or a list of them, not {item!r}"
    )


def checked_partition_format(text: str | None) -> str | None:
    """`partition_format` as given, once it parses (None stays None).

    Raises:
        ConfigError: a format that does not parse.
    """
    if text is not None:
        PartitionFormat.parse(text)
    return text


class _FileFactory:
    """`Dataset.File`: the factory of file datasets."""

    @staticmethod
    def from_files(
        path: PathSource | Sequence[PathSource], validate: bool = True, partition_format: str | None = None
    ) -> FileDataset:
        """Make a dataset of the files at `path`: a DataPath, `(datastore, "glob/**")`, an http(s) URL, a local
        path or glob (relative to the current folder), or a list of them.

        With `validate`, a local path without a glob must exist now; everything else is checked when a step
        consumes it. Local files are fingerprinted by content, like a datastore's, each time a run needs them.
        `partition_format` ('{country}/{date:yyyy/MM/dd}/*.txt', relative to the dataset's path) names the values
        the files' paths carry: the dataset's `partition_keys`, which a ParallelRunStep can group files by.
        """
        items = list(path) if isinstance(path, list) else [path]
        if not items:
            raise ConfigError("Dataset.File.from_files needs at least one path")
        return FileDataset(
            paths=tuple(_to_data_path(i, validate) for i in items),
            partition_format=checked_partition_format(partition_format),
        )


class Dataset:
    """The v1 entry point to datasets: `Dataset.File.from_files(...)`, `Dataset.Tabular.from_delimited_files(...)`."""

    File = _FileFactory
    Tabular = TabularDatasetFactory
