"""v1's `DataTransferStep`: copy data from one datastore to another, as a step of duto's own (no code, no venv)."""

from __future__ import annotations

from typing import Any, ClassVar

from duto.errors import ConfigError
from duto.graph.data import DataConsumption, OutputFileDatasetConfig, PipelineData
from duto.graph.data_reference import DataReference
from duto.graph.datasets import GLOB_CHARACTERS, DataPath, DatasetConsumptionConfig, FileDataset
from duto.graph.steps import Step

REFERENCE_TYPES = (None, "file", "directory")
SOURCE_INPUT = "source"


def _source(item: Any) -> DataConsumption | DatasetConsumptionConfig:
    """What a transfer reads, as a step input."""
    if isinstance(item, DataConsumption | DatasetConsumptionConfig):
        return item
    if isinstance(item, DataPath):
        return FileDataset(paths=(item,)).as_named_input(SOURCE_INPUT)
    if isinstance(item, FileDataset):
        return item.as_named_input(SOURCE_INPUT)
    if isinstance(item, PipelineData):
        return item.as_input(item.name)
    if isinstance(item, OutputFileDatasetConfig):
        return item.as_input()
    raise ConfigError(
        "DataTransferStep: source_data_reference must be a DataReference, a DataPath, a FileDataset (or its named "
        f"input), or a PipelineData or OutputFileDatasetConfig another step writes, not {item!r}"
    )


def _destination(item: Any) -> PipelineData | OutputFileDatasetConfig:
    """Where a transfer writes, as a step output; a DataReference is a fixed path on its datastore."""
    if isinstance(item, PipelineData | OutputFileDatasetConfig):
        return item
    if isinstance(item, DataReference):
        path = item.path_on_datastore
        if any(c in path for c in GLOB_CHARACTERS):
            raise ConfigError(
                f"DataTransferStep: destination DataReference {item.name!r} needs a path_on_datastore without "
                f"wildcards to copy to, not {path!r}"
            )
        return OutputFileDatasetConfig(item.name, destination=(item.datastore_name, path))
    raise ConfigError(
        "DataTransferStep: destination_data_reference must be a DataReference, a PipelineData or an "
        f"OutputFileDatasetConfig, not {item!r}"
    )


class DataTransferStep(Step):
    """Copy the files of a source to a destination, between any two datastores (local, S3, Azure Blob).

    The runner copies them itself, with no code snapshot and no environment: every file is checked by content
    after it is copied, nothing appears under the destination's name until every file is there, a transfer
    stopped half-way goes on from the files already copied, and an unchanged source is reused.

    Args:
        name: the step's name.
        source_data_reference: a DataReference, a DataPath, a FileDataset (or its named input), or a PipelineData
            or OutputFileDatasetConfig another step writes.
        destination_data_reference: a DataReference (a fixed path), a PipelineData or an OutputFileDatasetConfig.
        compute_target: v1's Data Factory compute; accepted and not used (the runner copies).
        source_reference_type: "file" (the source must be one file), "directory", or None.
        destination_reference_type: "file" (a source of one file is copied to the destination path itself),
            "directory" (files go under it), or None (as "directory").
        allow_reuse: False to copy every time.
    """

    kind: ClassVar[str] = "data_transfer"
    runs_code: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        source_data_reference: Any = None,
        destination_data_reference: Any = None,
        compute_target: Any = None,
        source_reference_type: str | None = None,
        destination_reference_type: str | None = None,
        allow_reuse: bool = True,
    ) -> None:
        for field, value in (
            ("source_reference_type", source_reference_type),
            ("destination_reference_type", destination_reference_type),
        ):
            if value not in REFERENCE_TYPES:
                raise ConfigError(f"DataTransferStep {name!r}: {field} must be 'file', 'directory' or None")
        if source_data_reference is None or destination_data_reference is None:
            raise ConfigError(
                f"DataTransferStep {name!r}: give both source_data_reference and destination_data_reference"
            )
        self.data_factory = compute_target  # v1's compute for the copy; duto's runner copies itself
        self.source = _source(source_data_reference)
        self.destination = _destination(destination_data_reference)
        self.source_reference_type = source_reference_type
        self.destination_reference_type = destination_reference_type
        super().__init__(name, inputs=[self.source], outputs=[self.destination], allow_reuse=allow_reuse)

    @property
    def transfer_options(self) -> dict[str, str | None]:
        return {
            "source_reference_type": self.source_reference_type,
            "destination_reference_type": self.destination_reference_type,
        }
