"""What the generic server tests share: one served workspace per module with real things in it (a finished run,
an active and a disabled published pipeline, an endpoint, a schedule), the live OpenAPI document, and requests
built from it.

The tests that use it read the routes from the running server's `/api/openapi.json`, so they cover every route
added later without being edited.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from conftest import _kill_leftovers
from duto.facade.workspace import Workspace
from duto.pipeline import Pipeline, PipelineEndpoint, PipelineParameter, Schedule, ScheduleRecurrence
from duto.pipeline.steps import PythonScriptStep
from duto.storage.db import dispose_all
from duto.storage.models import Base
from server.conftest import Served, start_server, stop_server

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SCOPES = ("read", "submit", "admin")
HEALTH = "/api/health"
SEED_EXPERIMENT = "seed"  # the experiment of the world's finished run
SESSION = "/api/session"
# The operations that answer without a token: health, and the portal's sign-in, which is given one in its body.
TOKENLESS = {("get", HEALTH), ("post", SESSION)}


@dataclass
class World:
    """A served workspace and the ids of what is in it, to put in path parameters."""

    served: Served
    run_id: str
    step_id: str
    pipeline_id: str
    disabled_id: str
    endpoint_id: str
    endpoint_name: str
    schedule_id: str
    document: dict[str, Any]

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(method, path, operation) for every operation of the live document."""
        found = []
        for path, item in self.document.get("paths", {}).items():
            for method in METHODS:
                if method in item:
                    found.append((method, path, item[method]))
        return found


def one_step_pipeline(ws: Workspace) -> Pipeline:
    folder = ws.root / "src"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "say.py").write_text(textwrap.dedent("import sys\nprint('said', sys.argv[1:])\n"))
    lr = PipelineParameter("lr", default_value=0.5)
    step = PythonScriptStep("say.py", source_directory=str(folder), arguments=[lr])
    return Pipeline(ws, [step], description="says its argument")


@contextlib.contextmanager
def served_world(tmp: Path, with_run: bool = True) -> Iterator[World]:
    """A workspace in `tmp` served over real HTTP, with a finished run, two published pipelines (the second
    disabled) and an endpoint; everything its runs started is killed at the end."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DUTO_WORKSPACE", raising=False)
        mp.delenv("DUTO_RUNNER", raising=False)
        ws = Workspace.create(tmp / "ws")
        mp.chdir(ws.root)
        served = start_server(ws, tmp / "server.log")
        try:
            pipeline = one_step_pipeline(ws)
            published = pipeline.publish("say", description="active")
            disabled = pipeline.publish("say-disabled", description="disabled")
            disabled.disable()
            endpoint = PipelineEndpoint.publish(ws, "say-endpoint", "an endpoint", published)
            # Due first in 2099: enabled or not by the tests, it starts nothing while they run.
            later = ScheduleRecurrence(frequency="Day", interval=1, start_time="2099-01-01T00:00:00")
            schedule = Schedule.create(ws, "yearly-later", published.id, "scheduled", recurrence=later)
            run_id = step_id = "x"
            if with_run:
                run = published.submit(ws, SEED_EXPERIMENT)
                assert run.wait_for_completion(show_output=False) == "Finished"
                run_id, step_id = run.id, run.get_steps()[0].id
            with served.client("admin") as admin:
                answer = admin.get("/api/openapi.json")
                assert answer.status_code == 200, answer.text
            document = answer.json()
            yield World(
                served, run_id, step_id, published.id, disabled.id, endpoint.id, endpoint.name, schedule.id, document
            )
        finally:
            stop_server(served)
            _kill_leftovers(ws)
            dispose_all()


def path_params(path: str) -> list[str]:
    return re.findall(r"{([^}]+)}", path)


def real_value(world: World, path: str, param: str) -> str:
    """A plausible value for a path parameter: a real id where the parameter's name or the path segment before it
    says what it names (a run, step, pipeline, endpoint, token, experiment), else "x"."""
    segments = path.split("/")
    before = ""
    for i, segment in enumerate(segments):
        if segment == "{" + param + "}" and i > 0:
            before = segments[i - 1]
    key = f"{param.lower()} {before.lower()}"
    if "step" in key:
        return world.step_id
    if "schedule" in key:
        return world.schedule_id
    if "endpoint" in key:
        return world.endpoint_id
    if "pipeline" in key:
        return world.pipeline_id
    if "run" in key:
        return world.run_id
    if "token" in key:
        return "test-read"
    if "experiment" in key:
        return SEED_EXPERIMENT
    if "name" in param.lower() and "endpoint" in path:
        return world.endpoint_name
    return "x"


def fill_path(world: World, path: str, value: Any = None) -> str:
    """`path` with each parameter replaced by `value` (a str, or a function of the parameter's name), or by a
    real value when `value` is None."""
    for param in path_params(path):
        if value is None:
            text = real_value(world, path, param)
        elif callable(value):
            text = value(param)
        else:
            text = value
        path = path.replace("{" + param + "}", text)
    return path


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def example(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A minimal value valid for `schema`: its example or default, else the required fields filled in."""
    schema = _resolve(document, schema)
    if depth > 6:
        return None
    for key in ("example", "default", "const"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            choices = [c for c in schema[key] if _resolve(document, c).get("type") != "null"] or schema[key]
            return example(document, choices[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example(document, properties[name], depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "string":
        return "bench" if schema.get("minLength", 0) <= 5 else "x" * int(schema["minLength"])
    return None


def request_body(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """A minimal JSON body for an operation that takes one, else None."""
    body = operation.get("requestBody")
    if not body:
        return None
    content = _resolve(document, body).get("content", {})
    if "application/json" not in content:
        return None
    return example(document, content["application/json"].get("schema", {}))


# Columns a call may change without changing anything: a token's last use.
VOLATILE = {"last_used_at"}
# Tables a route never writes that change on their own: a runner daemon renews its lease.
OWN_LIFE = {"runner_daemons"}


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Every table of the DB: its row count, and its rows (but the columns that change on their own)."""
    tables: dict[str, Any] = {}
    with ws.database.reading() as s:
        present = set(inspect(s.get_bind()).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            rows = s.execute(select(table)).mappings().all()
            kept = sorted(
                repr(sorted((k, v) for k, v in row.items() if k not in VOLATILE))
                for row in rows
                if table.name not in OWN_LIFE
            )
            tables[table.name] = (len(rows) if table.name not in OWN_LIFE else None, kept)
    return tables
