"""v1's `ParallelRunStep` and `ParallelRunConfig`: batch scoring of a folder of files, or a tabular dataset's rows,
by an entry script.

The entry script defines `init()` and `run(mini_batch)`; duto's driver (`tracking/parallel_driver.py`) calls them
over mini-batches of the input's files (or DataFrames of its rows, or its partitions) in worker processes, and the
runner keeps each mini-batch's result by the content of its items, so a re-run scores only the files that changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from duto.errors import ConfigError
from duto.graph.data import DataConsumption, OutputFileDatasetConfig, PipelineData
from duto.graph.datasets import DatasetConsumptionConfig, FileDataset
from duto.graph.environment import Environment
from duto.graph.runconfig import RunConfiguration
from duto.graph.steps import Step
from duto.graph.tabular import TabularDataset

OUTPUT_ACTIONS = ("append_row", "summary_only")
DEFAULT_APPEND_FILE = "parallel_run_step.txt"
DEFAULT_MINI_BATCH_FILES = 10
DEFAULT_MINI_BATCH_BYTES = "1MB"
_SIZE = re.compile(r"\s*(\d+)\s*(KB|MB|GB)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
# A tabular mini-batch is read on its own: transformations over the whole table would act on one mini-batch only.
WHOLE_TABLE_TRANSFORMS = ("take", "skip", "random_split")


def _count(field_name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"ParallelRunConfig: {field_name} must be a whole number of at least {least}, not {value!r}")
    return value


def _mini_batch_size(value: Any) -> int | str | None:
    """As given, once it reads: None, a number, or its text ("10", or a size such as "1024KB", "10MB", "1GB")."""
    if value is None or (isinstance(value, str) and _SIZE.fullmatch(value)):
        return value
    if isinstance(value, str):
        raise ConfigError(
            f"ParallelRunConfig: mini_batch_size {value!r} must be a number (files per mini-batch) or, for a tabular "
            "dataset, a size in bytes such as '1024', '1024KB', '10MB' or '1GB'"
        )
    return _count("mini_batch_size", value, 1)


def mini_batch_bytes(value: int | str | None) -> int:
    """A tabular mini-batch's size in bytes, from v1's forms: 1024, "1024", "1024KB", "10MB", "1GB" ("1MB" if None)."""
    found = _SIZE.fullmatch(DEFAULT_MINI_BATCH_BYTES if value is None else str(value))
    assert found is not None  # checked by ParallelRunConfig
    return max(1, int(found.group(1)) * _UNITS[(found.group(2) or "").upper()])


def mini_batch_files(step: str, value: int | str | None) -> int:
    """Files per mini-batch (10 if None).

    Raises:
        ConfigError: a size with a unit, which is for tabular datasets.
    """
    if value is None:
        return DEFAULT_MINI_BATCH_FILES
    if isinstance(value, str) and not value.strip().isdigit():
        raise ConfigError(
            f"ParallelRunStep {step!r}: mini_batch_size {value!r} is a size in bytes, which is for tabular datasets; "
            "a file dataset's mini-batches are counted in files, so give a number such as 10"
        )
    return _count("mini_batch_size", int(value), 1)


def _partition_keys(value: Any) -> list[str] | None:
    """A list of key names, or the JSON text of one (v1's form when it is a PipelineParameter); None if empty."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(
                f"ParallelRunConfig: partition_keys {value!r} is text that is not JSON; give a list such as "
                '["country"] or its JSON text \'["country"]\''
            ) from None
    if value is None or (isinstance(value, list | tuple) and not value):
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(k, str) and k for k in value):
        raise ConfigError(
            f"ParallelRunConfig: partition_keys must be a list of key names such as ['country'], not {value!r}"
        )
    if len(set(value)) != len(value):
        raise ConfigError(f"ParallelRunConfig: partition_keys {list(value)!r} names a key twice")
    return list(value)


@dataclass
class ParallelRunConfig:
    """How a ParallelRunStep scores: the entry script, the mini-batch size, processes, and failure tolerance.

    Args:
        environment: the Environment the entry script runs in (the workspace's default when None).
        entry_script: the script, relative to `source_directory`, that defines `init()` and `run(mini_batch)`.
        error_threshold: how many failed files (rows, for a tabular dataset) are tolerated; -1 tolerates any number.
        output_action: "append_row" (every row `run` returns goes to `append_row_file_name` in the output) or
            "summary_only" (the script writes its own outputs).
        compute_target: a ComputeTarget or its name (a Dask target spreads nodes over its workers).
        node_count: how many nodes share the mini-batches (on a Dask target, tasks on its workers).
        process_count_per_node: worker processes per node, each calling `init()` once (1 when None).
        mini_batch_size: files per call of `run` (10 when None); for a tabular dataset a size in bytes of rows,
            1024 or v1's text "1024", "1024KB", "10MB", "1GB" ("1MB" when None).
        source_directory: the folder snapshotted with the entry script.
        description, logging_level: kept, as v1 does; `logging_level` sets the EntryScript logger's level.
        run_invocation_timeout: seconds a call of `run` may take; past that its process is killed.
        run_max_try: how many times a mini-batch that failed or timed out is tried.
        append_row_file_name: the file rows are appended to ("parallel_run_step.txt" when None).
        allowed_failed_count: how many failed mini-batches are tolerated (None: no limit of this kind).
        allowed_failed_percent: what percentage of mini-batches may fail (None: no limit of this kind).
        environment_variables: extra variables for the worker processes.
        partition_keys: keys of the input's partition_format (a list, or its JSON text): each mini-batch is the
            files (or the rows) sharing one value of each key; not with mini_batch_size.
    """

    environment: Environment | None = None
    entry_script: str = ""
    error_threshold: int = -1
    output_action: str = "append_row"
    compute_target: Any = None
    node_count: int = 1
    process_count_per_node: int | None = None
    mini_batch_size: int | str | None = None
    source_directory: str | None = None
    description: str | None = None
    logging_level: str = "INFO"
    run_invocation_timeout: int = 60
    run_max_try: int = 3
    append_row_file_name: str | None = None
    allowed_failed_count: int | None = None
    allowed_failed_percent: float | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    partition_keys: list[str] | str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.entry_script, str) or not self.entry_script.strip():
            raise ConfigError("ParallelRunConfig: entry_script must name a script such as 'score.py'")
        if self.output_action not in OUTPUT_ACTIONS:
            raise ConfigError(
                f"ParallelRunConfig: output_action must be 'append_row' or 'summary_only', not {self.output_action!r}"
            )
        if isinstance(self.error_threshold, bool) or not isinstance(self.error_threshold, int):
            raise ConfigError(
                f"ParallelRunConfig: error_threshold must be a whole number, not {self.error_threshold!r}"
            )
        if self.error_threshold < -1:
            raise ConfigError("ParallelRunConfig: error_threshold must be -1 (no limit) or at least 0")
        _count("node_count", self.node_count, 1)
        if self.process_count_per_node is not None:
            _count("process_count_per_node", self.process_count_per_node, 1)
        self.mini_batch_size = _mini_batch_size(self.mini_batch_size)
        _count("run_invocation_timeout", self.run_invocation_timeout, 1)
        _count("run_max_try", self.run_max_try, 1)
        if self.allowed_failed_count is not None:
            _count("allowed_failed_count", self.allowed_failed_count, 0)
        percent = self.allowed_failed_percent
        if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int | float)):
            raise ConfigError(f"ParallelRunConfig: allowed_failed_percent must be a number, not {percent!r}")
        if percent is not None and not 0 <= percent <= 100:
            raise ConfigError(f"ParallelRunConfig: allowed_failed_percent must be from 0 to 100, not {percent!r}")
        name = self.append_row_file_name
        if name is not None and (not isinstance(name, str) or not name or "/" in name or name in (".", "..")):
            raise ConfigError(f"ParallelRunConfig: append_row_file_name must be a file name, not {name!r}")
        self.partition_keys = _partition_keys(self.partition_keys)
        if self.partition_keys is not None and self.mini_batch_size is not None:
            raise ConfigError(
                "ParallelRunConfig: give partition_keys or mini_batch_size, not both: with partition_keys each "
                "mini-batch is one partition, whatever its size; leave mini_batch_size out"
            )
        if self.environment is not None and not isinstance(self.environment, Environment):
            raise ConfigError(f"ParallelRunConfig: environment must be an Environment, not {self.environment!r}")

    def options(self) -> dict[str, Any]:
        """The options the runner and the driver read, as the pipeline spec keeps them."""
        return {
            "entry_script": self.entry_script,
            "error_threshold": self.error_threshold,
            "output_action": self.output_action,
            "node_count": self.node_count,
            "process_count_per_node": self.process_count_per_node or 1,
            "mini_batch_size": self.mini_batch_size,  # as given: the step counts it in files or bytes
            "logging_level": self.logging_level,
            "run_invocation_timeout": self.run_invocation_timeout,
            "run_max_try": self.run_max_try,
            "append_row_file_name": self.append_row_file_name or DEFAULT_APPEND_FILE,
            "allowed_failed_count": self.allowed_failed_count,
            "allowed_failed_percent": self.allowed_failed_percent,
        }


def _scored_input(item: Any) -> DataConsumption | DatasetConsumptionConfig:
    if isinstance(item, DataConsumption | DatasetConsumptionConfig):
        return item
    if isinstance(item, FileDataset):
        return item.as_named_input("input_data").as_mount()
    if isinstance(item, PipelineData):
        return item.as_input(item.name)
    if isinstance(item, OutputFileDatasetConfig):
        return item.as_input()
    raise ConfigError(
        "ParallelRunStep: inputs must be FileDatasets (or their named inputs), or a PipelineData or "
        f"OutputFileDatasetConfig another step writes, not {item!r}"
    )


class ParallelRunStep(Step):
    """Score every file of an input with an entry script, mini-batch by mini-batch, on many processes.

    Each mini-batch's result is kept by the content of its files: a re-run scores only new or changed files and
    reuses the rows of the others, and a run stopped half-way goes on from the mini-batches it finished.

    Args:
        name: the step's name.
        parallel_run_config: a ParallelRunConfig.
        inputs: one FileDataset or TabularDataset (or its named input), or a folder another step writes.
        output: a PipelineData or OutputFileDatasetConfig: where the appended rows go (and the script may write).
        side_inputs: more data every worker reads whole (a model, a lookup table).
        arguments: what the entry script finds in `sys.argv` (data objects resolved to paths).
        allow_reuse: False to score every file every time.
    """

    kind: ClassVar[str] = "parallel_run"

    def __init__(
        self,
        name: str,
        parallel_run_config: ParallelRunConfig,
        inputs: Sequence[Any],
        output: Any = None,
        side_inputs: Sequence[Any] | None = None,
        arguments: Sequence[Any] | None = None,
        allow_reuse: bool = True,
    ) -> None:
        if not isinstance(parallel_run_config, ParallelRunConfig):
            raise ConfigError(f"ParallelRunStep {name!r}: parallel_run_config must be a ParallelRunConfig")
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence) or len(inputs) != 1:
            raise ConfigError(
                f"ParallelRunStep {name!r}: inputs must be a list of one FileDataset (duto scores one input; put "
                "other data in side_inputs)"
            )
        if output is not None and not isinstance(output, PipelineData | OutputFileDatasetConfig):
            raise ConfigError(f"ParallelRunStep {name!r}: output must be a PipelineData or OutputFileDatasetConfig")
        config = parallel_run_config
        if output is None and config.output_action == "append_row":
            raise ConfigError(f"ParallelRunStep {name!r}: output_action 'append_row' needs an output to append to")
        self.parallel_run_config = config
        self.scored = _scored_input(inputs[0])
        self._batching = _batching(name, config, self.scored)
        self.side_inputs = [_scored_input(s) for s in side_inputs or []]
        self.output = output
        self.script_name = config.entry_script
        runconfig = RunConfiguration(
            environment=config.environment,
            environment_variables=dict(config.environment_variables),
            node_count=config.node_count,
        )
        super().__init__(
            name,
            arguments,
            config.compute_target,
            runconfig,
            inputs=[self.scored, *self.side_inputs],
            outputs=[output] if output is not None else [],
            source_directory=config.source_directory,
            allow_reuse=allow_reuse,
        )

    @property
    def parallel_run_options(self) -> Mapping[str, Any]:
        return {
            **self.parallel_run_config.options(),
            **self._batching,
            "input": self.scored.name,
            "side_inputs": [s.name for s in self.side_inputs],
        }


def _batching(
    step: str, config: ParallelRunConfig, scored: DataConsumption | DatasetConsumptionConfig
) -> dict[str, Any]:
    """What a mini-batch is: `mini_batch_size` in files or bytes, or `partition_keys` with the input's format.

    Raises:
        ConfigError: partition keys over an input that is not partitioned or has no such keys, a size with a unit
            over a file dataset, or a tabular dataset whose transformations need the whole table.
    """
    dataset = scored.dataset if isinstance(scored, DatasetConsumptionConfig) else None
    tabular = isinstance(dataset, TabularDataset)
    if isinstance(dataset, TabularDataset):
        whole = [t["op"] for t in dataset.transforms if t["op"] in WHOLE_TABLE_TRANSFORMS]
        if whole:
            raise ConfigError(
                f"ParallelRunStep {step!r}: the tabular dataset's {', '.join(whole)} act on the whole table, and each "
                "mini-batch is read on its own; make the dataset without them (filter, keep_columns, drop_columns "
                "and set_column_types work), or write the table in a step before"
            )
    keys = config.partition_keys
    if keys is None:
        size = mini_batch_bytes(config.mini_batch_size) if tabular else mini_batch_files(step, config.mini_batch_size)
        return {"mini_batch_size": size}
    assert isinstance(keys, list)  # ParallelRunConfig made it one
    known = dataset.partition_keys if dataset is not None else []
    if not known:
        raise ConfigError(
            f"ParallelRunStep {step!r}: partition_keys {keys!r} need a partitioned input, and {scored.name!r} is not "
            "one; make it with partition_format (such as Dataset.File.from_files(path, "
            "partition_format='{country}/*.txt')), or leave partition_keys out"
        )
    missing = [k for k in keys if k not in known]
    if missing:
        raise ConfigError(
            f"ParallelRunStep {step!r}: partition_keys {keys!r} are not all keys of input {scored.name!r}, whose "
            f"partition_format names {known!r}; {missing!r} are not among them"
        )
    assert dataset is not None
    return {"mini_batch_size": None, "partition_keys": keys, "partition_format": dataset.partition_format}
