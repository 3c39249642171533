"""Pipelines written in v1's YAML shape (`Pipeline.load_yaml(ws, "pipeline.yml")`, `duto run pipeline.yml`).

```yaml
pipeline:
  name: train
  parameters: {lr: {type: float, default: 0.1}}
  data_references: {raw: {datastore: workspaceblobstore, path_on_datastore: raw/data.csv}}
  default_compute: local
  steps:
    prep: {type: PythonScriptStep, script_name: prep.py, source_directory: steps/prep,
           arguments: [--in, "input:raw", --out, "output:prepped"],
           inputs: {raw: {source: raw}}, outputs: {prepped: {destination: prepped}}}
```
Every error names the file, the key path in it and what is expected there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from duto.errors import ConfigError, DutoError, UserFileError
from duto.graph.data import PipelineData
from duto.graph.data_reference import DataReference
from duto.graph.data_transfer import DataTransferStep
from duto.graph.datasets import DataPath, Dataset, FileDataset
from duto.graph.params import PipelineParameter
from duto.graph.steps import CommandStep, PythonScriptStep, Step

if TYPE_CHECKING:
    from duto.facade.submission import Pipeline
    from duto.facade.workspace import Workspace

PARAMETER_TYPES: dict[str, Callable[[Any], Any]] = {"string": str, "int": int, "float": float, "bool": bool}
STEP_TYPES = ("PythonScriptStep", "CommandStep", "ModuleStep", "DataTransferStep")
BIND_MODES = ("mount", "download")


class _Reader:
    """Reads one file's `pipeline:` document, and says where in it anything is wrong."""

    def __init__(self, workspace: Workspace, path: Path, shown: str) -> None:
        self.workspace = workspace
        self.path = path
        self.shown = shown
        self.folder = path.parent

    def fail(self, where: str, message: str) -> UserFileError:
        return UserFileError(self.shown, f"{where}: {message}")

    def mapping(self, value: Any, where: str, optional: bool = True) -> dict[str, Any]:
        if value is None and optional:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(where, f"expected a mapping of names to values, not {value!r}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, not {value!r}")
        return value

    def read(self) -> Pipeline:
        from duto.facade.submission import Pipeline

        try:
            document = yaml.safe_load(self.path.read_text())
        except yaml.YAMLError as exc:
            raise UserFileError(self.shown, f"is not valid YAML: {exc}") from exc
        root = self.mapping(document, "the document", optional=False)
        if set(root) != {"pipeline"}:
            raise self.fail("the document", f"expected one key, 'pipeline', not {sorted(root)}")
        pipeline = self.mapping(root["pipeline"], "pipeline", optional=False)
        known = {"name", "description", "parameters", "data_references", "default_compute", "steps"}
        for key in sorted(set(pipeline) - known):
            raise self.fail(f"pipeline.{key}", f"unknown key; pipeline takes {', '.join(sorted(known))}")
        self.default_compute = pipeline.get("default_compute")
        if self.default_compute is not None:
            self.text(self.default_compute, "pipeline.default_compute")
        self.parameters = self._parameters(self.mapping(pipeline.get("parameters"), "pipeline.parameters"))
        self.references = self._references(self.mapping(pipeline.get("data_references"), "pipeline.data_references"))
        steps = self.mapping(pipeline.get("steps"), "pipeline.steps", optional=False)
        if not steps:
            raise self.fail("pipeline.steps", "expected at least one step")
        self.outputs: dict[str, tuple[str, PipelineData]] = {}
        for key, body in steps.items():
            for name, port in self.mapping(
                self.mapping(body, f"pipeline.steps.{key}").get("outputs"), f"pipeline.steps.{key}.outputs"
            ).items():
                self._declare_output(f"pipeline.steps.{key}.outputs.{name}", name, port)
        built = [self._step(key, body) for key, body in steps.items()]
        description = pipeline.get("description", pipeline.get("name"))
        try:
            return Pipeline(self.workspace, built, description=description)
        except DutoError as exc:
            raise UserFileError(self.shown, str(exc)) from exc

    def _parameters(self, found: dict[str, Any]) -> dict[str, PipelineParameter]:
        parameters = {}
        for name, body in found.items():
            where = f"pipeline.parameters.{name}"
            body = self.mapping(body, where, optional=False)
            kind = body.get("type", "string")
            if kind not in PARAMETER_TYPES:
                raise self.fail(f"{where}.type", f"expected one of {', '.join(PARAMETER_TYPES)}, not {kind!r}")
            if "default" not in body:
                raise self.fail(where, "expected a 'default' value")
            default = body["default"]
            if (kind == "bool" and not isinstance(default, bool)) or (
                kind in ("int", "float") and isinstance(default, bool)
            ):
                raise self.fail(f"{where}.default", f"expected a value of type {kind}, not {default!r}")
            try:
                value = PARAMETER_TYPES[kind](default)
            except (TypeError, ValueError):
                raise self.fail(f"{where}.default", f"expected a value of type {kind}, not {default!r}") from None
            parameters[name] = PipelineParameter(name, default_value=value)
        return parameters

    def _references(self, found: dict[str, Any]) -> dict[str, FileDataset]:
        references = {}
        self.reference_paths: dict[str, tuple[str, str]] = {}
        for name, body in found.items():
            where = f"pipeline.data_references.{name}"
            body = self.mapping(body, where, optional=False)
            if "dataset_name" in body:
                raise self.fail(
                    f"{where}.dataset_name",
                    "registered datasets are not read from YAML yet; give datastore and path_on_datastore",
                )
            datastore = self.text(body.get("datastore"), f"{where}.datastore")
            path = self.text(body.get("path_on_datastore"), f"{where}.path_on_datastore")
            if datastore not in self.workspace.config.datastores:
                known = ", ".join(sorted(self.workspace.config.datastores))
                raise self.fail(f"{where}.datastore", f"no datastore {datastore!r} in this workspace; known: {known}")
            self.reference_paths[name] = (datastore, path)
            try:
                references[name] = Dataset.File.from_files(DataPath(datastore, path))
            except ConfigError as exc:
                raise self.fail(f"{where}.path_on_datastore", str(exc)) from exc
        return references

    def _declare_output(self, where: str, name: str, body: Any) -> None:
        body = self.mapping(body, where)
        destination = body.get("destination", name)
        self.text(destination, f"{where}.destination")
        mode = body.get("bind_mode", "mount")
        if mode not in ("mount", "upload"):
            raise self.fail(f"{where}.bind_mode", f"expected mount or upload, not {mode!r}")
        datastore = body.get("datastore")
        if datastore is not None and datastore not in self.workspace.config.datastores:
            known = ", ".join(sorted(self.workspace.config.datastores))
            raise self.fail(f"{where}.datastore", f"no datastore {datastore!r} in this workspace; known: {known}")
        if name in self.outputs:
            raise self.fail(where, f"output {name!r} is declared by two steps; give each output its own name")
        self.outputs[name] = (destination, PipelineData(destination, datastore=datastore, output_mode=mode))

    def _source(self, where: str, name: Any) -> Any:
        """What an input's `source` names: a data reference, a step's output (by its key or destination)."""
        self.text(name, where)
        found: list[Any] = [self.references[name]] if name in self.references else []
        found += [data for key, (destination, data) in self.outputs.items() if name in (key, destination)]
        if len(found) != 1:
            known = sorted({*self.references, *self.outputs})
            what = "names nothing" if not found else "is ambiguous"
            raise self.fail(where, f"{name!r} {what}; expected a data reference or a step's output: {', '.join(known)}")
        return found[0]

    def _step(self, key: str, body: dict[str, Any]) -> Step:
        where = f"pipeline.steps.{key}"
        kind = body.get("type")
        if kind not in STEP_TYPES:
            raise self.fail(f"{where}.type", f"expected one of {', '.join(STEP_TYPES)}, not {kind!r}")
        if "runconfig" in body:
            raise self.fail(
                f"{where}.runconfig",
                "runconfig files are not read; name a registered environment with 'environment: NAME'",
            )
        inputs: dict[str, Any] = {}
        for name, port in self.mapping(body.get("inputs"), f"{where}.inputs").items():
            port = self.mapping(port, f"{where}.inputs.{name}", optional=False)
            source = self._source(f"{where}.inputs.{name}.source", port.get("source"))
            mode = port.get("bind_mode", "mount")
            if mode not in BIND_MODES:
                raise self.fail(f"{where}.inputs.{name}.bind_mode", f"expected mount or download, not {mode!r}")
            if isinstance(source, FileDataset):
                consumed = source.as_named_input(name)
                inputs[name] = consumed.as_download() if mode == "download" else consumed.as_mount()
            else:
                inputs[name] = source.as_download(name) if mode == "download" else source.as_input(name)
        outputs = {name: self.outputs[name][1] for name in self.mapping(body.get("outputs"), f"{where}.outputs")}
        params: dict[str, Any] = {}
        for name, value in self.mapping(body.get("parameters"), f"{where}.parameters").items():
            if isinstance(value, dict):
                value = value.get("source")
            if isinstance(value, str) and value in self.parameters:
                params[name] = self.parameters[value]
            elif isinstance(value, str | int | float | bool):
                params[name] = value
            else:
                raise self.fail(
                    f"{where}.parameters.{name}", f"expected a value or a pipeline parameter, not {value!r}"
                )
        arguments = [
            self._argument(f"{where}.arguments[{i}]", a, inputs, outputs, params)
            for i, a in enumerate(body.get("arguments") or [])
        ]
        compute = body.get("compute", body.get("compute_target", self.default_compute))
        folder = body.get("source_directory")
        source_directory = None if folder is None else str(self.folder / self.text(folder, f"{where}.source_directory"))
        runconfig = self._runconfig(where, body.get("environment"))
        common: dict[str, Any] = {"compute_target": compute, "allow_reuse": bool(body.get("allow_reuse", True))}
        if runconfig is not None:
            common["runconfig"] = runconfig
        name = body.get("name", key)
        try:
            if kind == "DataTransferStep":
                return self._transfer(where, name, body, outputs, common)
            if kind == "ModuleStep":
                return self._module_step(where, name, body, inputs, outputs, params, arguments, common)
            if kind == "CommandStep":
                return CommandStep(
                    self.text(body.get("command"), f"{where}.command"),
                    name=name,
                    inputs=list(inputs.values()),
                    outputs=list(outputs.values()),
                    params=params,
                    source_directory=source_directory,
                    **common,
                )
            return PythonScriptStep(
                self.text(body.get("script_name"), f"{where}.script_name"),
                name=name,
                arguments=arguments,
                inputs=list(inputs.values()),
                outputs=list(outputs.values()),
                params=params,
                source_directory=source_directory,
                **common,
            )
        except ConfigError as exc:
            raise self.fail(where, str(exc)) from exc

    def _one_reference(self, where: str, value: Any) -> str:
        """The name a transfer's `{key: {source: NAME}}` (or plain `NAME`) gives."""
        if isinstance(value, dict) and len(value) == 1:
            [(key, inner)] = value.items()
            value = inner.get("source", key) if isinstance(inner, dict) else key
        return self.text(value, where)

    def _transfer(
        self, where: str, name: str, body: dict[str, Any], outputs: dict[str, Any], common: dict[str, Any]
    ) -> Step:
        source = self._source(
            f"{where}.source_data_reference",
            self._one_reference(f"{where}.source_data_reference", body.get("source_data_reference")),
        )
        target_where = f"{where}.destination_data_reference"
        target = self._one_reference(target_where, body.get("destination_data_reference"))
        own = [data for key, data in outputs.items() if target in (key, data.name)]
        if target in self.reference_paths:
            datastore, path = self.reference_paths[target]
            destination: Any = DataReference(datastore, target, path)
        elif own:
            destination = own[0]
        else:
            known = ", ".join(sorted({*self.reference_paths, *outputs})) or "none"
            raise self.fail(
                target_where, f"{target!r} names no data reference nor output of this step; expected one of: {known}"
            )
        return DataTransferStep(
            name,
            source_data_reference=source,
            destination_data_reference=destination,
            compute_target=common["compute_target"],
            source_reference_type=body.get("source_reference_type"),
            destination_reference_type=body.get("destination_reference_type"),
            allow_reuse=common["allow_reuse"],
        )

    def _argument(
        self, where: str, item: Any, inputs: dict[str, Any], outputs: dict[str, Any], params: dict[str, Any]
    ) -> Any:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise self.fail(where, f"expected a string or a number, not {item!r}")
        prefix, sep, name = str(item).partition(":")
        if not sep or prefix not in ("input", "output", "parameter"):
            return item
        table = {"input": inputs, "output": outputs, "parameter": params}[prefix]
        if name not in table:
            raise self.fail(
                where, f"{item!r} names no {prefix} of this step; its {prefix}s: {', '.join(table) or 'none'}"
            )
        return table[name]

    def _runconfig(self, where: str, environment: Any) -> Any:
        if environment is None:
            return None
        from duto.facade.environment_registry import Environment
        from duto.graph.runconfig import RunConfiguration

        try:
            return RunConfiguration(environment=Environment.get(self.workspace, self.text(environment, where)))
        except DutoError as exc:
            raise self.fail(f"{where}.environment", str(exc)) from exc

    def _module_step(
        self,
        where: str,
        name: str,
        body: dict[str, Any],
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        params: dict[str, Any],
        arguments: list[Any],
        common: dict[str, Any],
    ) -> Step:
        from duto.facade.module_step import ModuleStep
        from duto.facade.modules import Module

        module = self.mapping(body.get("module"), f"{where}.module", optional=False)
        try:
            found = Module.get(self.workspace, name=self.text(module.get("name"), f"{where}.module.name"))
        except DutoError as exc:
            raise self.fail(f"{where}.module.name", str(exc)) from exc
        version = module.get("version")
        return ModuleStep(
            found,
            version=None if version is None else str(version),
            inputs_map=inputs,
            outputs_map=outputs,
            params=params,
            arguments=arguments,
            name=name,
            **common,
        )


def load_yaml(workspace: Workspace, filename: str | os.PathLike[str]) -> Pipeline:
    """The pipeline a v1-shaped YAML file defines; relative `source_directory`s are relative to the file.

    Raises:
        UserFileError: naming the file, the key path in it and what is expected there.
    """
    path = Path(filename).expanduser().resolve()
    if not path.is_file():
        raise UserFileError(str(filename), "no such file; give the path of a pipeline YAML file")
    return _Reader(workspace, path, str(filename)).read()
