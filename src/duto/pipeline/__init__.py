"""Pipelines: the v1 names of `azureml.pipeline.core`."""

from __future__ import annotations

from duto._lazy import lazy_exports

_EXPORTS = {
    "Pipeline": "duto.facade.submission",
    "PipelineData": "duto.graph.data",
    "PipelineParameter": "duto.graph.params",
    "StepSequence": "duto.graph.sequence",
    "PipelineRun": "duto.facade.runs",
    "StepRun": "duto.facade.step_runs",
    "PortDataReference": "duto.facade.port_data",
    "OutputFileDatasetConfig": "duto.graph.data",
    "TrainingOutput": "duto.graph.data",
    "PublishedPipeline": "duto.facade.publishing",
    "PipelineEndpoint": "duto.facade.pipeline_endpoints",
    "Schedule": "duto.facade.schedules",
    "Module": "duto.facade.modules",
    "ModuleVersion": "duto.facade.modules",
    "InputPortDef": "duto.graph.ports",
    "OutputPortDef": "duto.graph.ports",
    "ScheduleRecurrence": "duto.scheduling.recurrence",
    "TimeZone": "duto.scheduling.recurrence",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
TYPE_CHECKING = False  # the idiom type checkers honour, without importing typing at run time

if TYPE_CHECKING:
    from duto.facade.modules import Module as Module
    from duto.facade.modules import ModuleVersion as ModuleVersion
    from duto.facade.pipeline_endpoints import PipelineEndpoint as PipelineEndpoint
    from duto.facade.port_data import PortDataReference as PortDataReference
    from duto.facade.publishing import PublishedPipeline as PublishedPipeline
    from duto.facade.runs import PipelineRun as PipelineRun
    from duto.facade.schedules import Schedule as Schedule
    from duto.facade.step_runs import StepRun as StepRun
    from duto.facade.submission import Pipeline as Pipeline
    from duto.graph.data import OutputFileDatasetConfig as OutputFileDatasetConfig
    from duto.graph.data import PipelineData as PipelineData
    from duto.graph.data import TrainingOutput as TrainingOutput
    from duto.graph.params import PipelineParameter as PipelineParameter
    from duto.graph.ports import InputPortDef as InputPortDef
    from duto.graph.ports import OutputPortDef as OutputPortDef
    from duto.graph.sequence import StepSequence as StepSequence
    from duto.scheduling.recurrence import ScheduleRecurrence as ScheduleRecurrence
    from duto.scheduling.recurrence import TimeZone as TimeZone
