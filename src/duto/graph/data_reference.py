"""v1's `DataReference` and `DataPathComputeBinding`: a datastore path, or a DataPath parameter, as a step input."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from duto.errors import ConfigError
from duto.graph.datasets import DataPath, DatasetConsumptionConfig, FileDataset, InputMode, check_path_on_compute
from duto.graph.params import PipelineParameter


def _mode(mode: str) -> InputMode:
    if mode not in ("mount", "download"):
        raise ConfigError(f"data reference mode {mode!r} is not supported; use 'mount' or 'download'")
    return "download" if mode == "download" else "mount"


class DataReference(DatasetConsumptionConfig):
    """A folder or file on a datastore given to a step, v1's `DataReference(datastore, name, path, mode)`.

    Pass it in a step's `inputs` and `arguments`; its argument resolves to the local path of the data.
    `overwrite` is accepted for v1 compatibility: an input is never written back.
    """

    def __init__(
        self,
        datastore: Any,
        data_reference_name: str | None = None,
        path_on_datastore: str | None = None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool = False,
    ) -> None:
        del overwrite
        path = DataPath(datastore, path_on_datastore or "**")
        name = data_reference_name or path.datastore_name
        super().__init__(name, FileDataset(paths=(path,), name=name), _mode(mode), path_on_compute)

    @property
    def _path(self) -> DataPath:
        path = self.dataset.paths[0]
        assert isinstance(path, DataPath)  # a DataReference is made from one
        return path

    @property
    def datastore_name(self) -> str:
        return self._path.datastore_name

    @property
    def path_on_datastore(self) -> str:
        return self._path.path_on_datastore

    @property
    def data_reference_name(self) -> str:
        return self.name

    def _with(self, mode: InputMode, path_on_compute: str | None) -> DataReference:
        copy = object.__new__(DataReference)
        DatasetConsumptionConfig.__init__(copy, self.name, self.dataset, mode, path_on_compute)
        return copy

    def as_mount(self, path_on_compute: str | None = None) -> DataReference:
        """The same data, read where it is."""
        return self._with("mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None, overwrite: bool = False) -> DataReference:
        """The same data, copied into the step's folder before it starts."""
        del overwrite
        return self._with("download", path_on_compute)

    def __repr__(self) -> str:
        return (
            f"DataReference(datastore={self.datastore_name!r}, data_reference_name={self.name!r}, "
            f"path_on_datastore={self.path_on_datastore!r}, mode={self.mode!r})"
        )


@dataclass(frozen=True)
class DataPathComputeBinding:
    """How a DataPath pipeline parameter reaches a step: `(datapath_param, DataPathComputeBinding(mode="mount"))`."""

    mode: str = "mount"
    path_on_compute: str | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        _mode(self.mode)
        check_path_on_compute("DataPathComputeBinding", self.path_on_compute)


# One dataset per parameter object, so that the pair in `inputs` and the pair in `arguments` are one input.
_parameter_datasets: weakref.WeakKeyDictionary[PipelineParameter, FileDataset] = weakref.WeakKeyDictionary()


def bound_input(item: Any) -> Any:
    """A `(DataPath parameter, DataPathComputeBinding)` pair as the input it stands for; any other item as it is."""
    if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], DataPathComputeBinding)):
        return item
    parameter, binding = item
    if not isinstance(parameter, PipelineParameter) or not isinstance(parameter.default_value, DataPath):
        raise ConfigError(
            "a DataPathComputeBinding pairs with a PipelineParameter whose default_value is a DataPath, "
            f"not {parameter!r}"
        )
    dataset = _parameter_datasets.get(parameter)
    if dataset is None:
        dataset = FileDataset(paths=(parameter.default_value,), name=parameter.name, parameter=parameter.name)
        _parameter_datasets[parameter] = dataset
    return DatasetConsumptionConfig(parameter.name, dataset, _mode(binding.mode), binding.path_on_compute)
