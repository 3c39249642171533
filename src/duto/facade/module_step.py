"""ModuleStep, by v1's name: a step that runs a module version, its ports bound to data.

It is a script step whose code is the version's snapshot, so reuse, environments and compute targets work as
for any PythonScriptStep; the spec records which module and version it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from duto.errors import ConfigError
from duto.facade.modules import Module, ModuleVersion
from duto.graph.data import PipelineData
from duto.graph.params import PipelineParameter
from duto.graph.ports import InputPortDef, OutputPortDef, TypedInput, TypedOutput, TypedPorts
from duto.graph.runconfig import RunConfiguration
from duto.graph.steps import PythonScriptStep


def _resolve(module: Module | None, version: str | None, module_version: ModuleVersion | None) -> ModuleVersion:
    if module_version is not None:
        if not isinstance(module_version, ModuleVersion):
            raise ConfigError(f"ModuleStep: module_version must be a ModuleVersion, not {module_version!r}")
        return module_version
    if not isinstance(module, Module):
        raise ConfigError("ModuleStep: give a module (and optionally a version), or a module_version")
    return module.resolve(version)


def _port_name(item: Any) -> str:
    return item.name if isinstance(item, InputPortDef | OutputPortDef) else str(item)


class ModuleStep(PythonScriptStep):
    """Run a module's version (its default one when `version` is None) with its ports bound to data.

    Args:
        module: the Module; or `module_version`, a ModuleVersion.
        version: the version of `module` to run.
        inputs_map: {input port (name or InputPortDef): the data bound to it}.
        outputs_map: {output port (name or OutputPortDef): the PipelineData it writes}; an output left out
            gets a PipelineData named after its port.
        compute_target, runconfig, allow_reuse: as for PythonScriptStep (the version's runconfig when None).
        params: values of the module's params (its published defaults otherwise).
        arguments: further arguments, after the module's own; port definitions in them are their bound data.
        name: the step's name (the module's name when None).
    """

    def __init__(
        self,
        module: Module | None = None,
        version: str | None = None,
        module_version: ModuleVersion | None = None,
        inputs_map: Mapping[Any, Any] | None = None,
        outputs_map: Mapping[Any, Any] | None = None,
        compute_target: Any = None,
        runconfig: RunConfiguration | None = None,
        params: Mapping[str, Any] | None = None,
        arguments: Sequence[Any] | None = None,
        allow_reuse: bool = True,
        version_salt: str | None = None,
        name: str | None = None,
    ) -> None:
        resolved = _resolve(module, version, module_version)
        step_name = name if name is not None else resolved.module_name
        where = f"ModuleStep {step_name!r} (module {resolved.module_name!r} version {resolved.version!r})"
        in_ports = {p.name: p for p in resolved.inputs}
        out_ports = {p.name: p for p in resolved.outputs}
        bound_inputs = {_port_name(k): v for k, v in (inputs_map or {}).items()}
        bound_outputs = {_port_name(k): v for k, v in (outputs_map or {}).items()}
        checks: list[tuple[dict[str, Any], list[str], str]] = [
            (bound_inputs, list(in_ports), "input"),
            (bound_outputs, list(out_ports), "output"),
        ]
        for given, names, what in checks:
            for given_name in given:
                if given_name not in names:
                    raise ConfigError(
                        f"{where}: it has no {what} port {given_name!r}; its {what} ports are: "
                        f"{', '.join(names) or 'none'}"
                    )
        for in_port in in_ports.values():
            if in_port.name not in bound_inputs and not in_port.is_optional:
                raise ConfigError(f"{where}: input port {in_port.name!r} is not bound; add it to inputs_map")
        for out_port in out_ports.values():
            if out_port.name not in bound_outputs:
                bound_outputs[out_port.name] = PipelineData(
                    out_port.name, datastore=out_port.default_datastore_name, is_directory=out_port.is_directory
                )
        unknown = sorted(set(params or {}) - set(resolved.params))
        if unknown:
            listed = ", ".join(resolved.params) or "none"
            raise ConfigError(f"{where}: params {unknown} are not the module's; its params are: {listed}")
        values: dict[str, Any] = {**resolved.params, **(params or {})}

        def bind(item: Any) -> list[Any]:
            if isinstance(item, InputPortDef):
                return [bound_inputs[item.name]] if item.name in bound_inputs else []
            if isinstance(item, OutputPortDef):
                return [bound_outputs[item.name]]
            return [item]

        argument_items: list[Any] = []
        for template in resolved.arguments:
            if "input_port" in template:
                argument_items.extend(bind(in_ports[template["input_port"]]))
            elif "output_port" in template:
                argument_items.extend(bind(out_ports[template["output_port"]]))
            elif "parameter" in template:
                value = values[template["parameter"]]
                argument_items.append(value if isinstance(value, PipelineParameter) else str(value))
            else:
                argument_items.append(template["value"])
        for item in arguments or []:
            argument_items.extend(bind(item))
        super().__init__(
            resolved.script_name,
            name=step_name,
            arguments=argument_items,
            compute_target=compute_target,
            runconfig=runconfig if runconfig is not None else resolved.runconfig(),
            inputs=list(bound_inputs.values()),
            outputs=list(bound_outputs.values()),
            params=values,
            allow_reuse=allow_reuse,
            version=version_salt,
        )
        types = resolved.data_types()
        self.module_version = resolved
        self.snapshot = resolved.snapshot
        self.module_origin = {
            "module": resolved.module_name,
            "module_id": resolved.module_id,
            "version": resolved.version,
            "module_version_id": resolved.id,
        }
        self.typed_ports = TypedPorts(
            inputs=tuple(
                TypedInput(bound_inputs[p.name], p.name, tuple(types[t] for t in p.data_types))
                for p in in_ports.values()
                if p.name in bound_inputs
            ),
            outputs=tuple(TypedOutput(bound_outputs[p.name], p.name, types[p.data_type]) for p in out_ports.values()),
        )
