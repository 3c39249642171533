"""Fuzzing every operation of the live OpenAPI document (schemathesis, valid and invalid inputs) with an admin
token: no answer is a 500. Seeded, with a bounded number of examples per operation, so a failure reproduces.

Routes that start runs are fuzzed against the disabled pipeline (their pipeline and endpoint parameters point at
it, and the endpoint is disabled too); any run started all the same is killed at the end. The fuzzing token has
a name of its own, which no generated name hits, so revoking tokens does not lock the fuzzer out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from duto.facade.tokens import create_token
from duto.pipeline import PipelineEndpoint
from server.live import World, served_world

pytestmark = pytest.mark.timeout(240)

EXAMPLES = 25
FUZZ_TOKEN = "fuzz-admin-token"
# Operations that start a run: a trigger (`POST .../runs`), a resume, a rerun.
STARTS_RUNS = re.compile(r"/runs/?$|/(resume|rerun|trigger|submit)\b")
# Streams that answer a valid request for as long as the client stays (each case would wait out the client's
# timeout): their refusals are in the auth matrix, their answers in tests/server/test_workspace_events.py.
ENDLESS = {"/api/events"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("fuzz"), with_run=False) as made:
        ws = made.served.workspace
        PipelineEndpoint.get(ws, id=made.endpoint_id).disable()
        made.served.tokens["fuzz"] = create_token(ws, FUZZ_TOKEN, "admin")[0]
        yield made


def pinned(world: World, path: str, method: str) -> dict[str, Any] | None:
    """The path parameters of an operation that starts runs, pointed at the disabled pipeline or endpoint."""
    if method != "POST" or not STARTS_RUNS.search(path):
        return None
    values: dict[str, Any] = {}
    for param in re.findall(r"{([^}]+)}", path):
        key = param.lower() + " " + path.lower()
        values[param] = world.endpoint_id if "endpoint" in key else world.disabled_id
    return values


def fuzz_operation(world: World, operation: Any, headers: dict[str, str], statuses: Counter[int]) -> list[str]:
    """Fuzz one operation, counting its answers' statuses; the failures it found, each with a curl line to
    reproduce it."""
    method, path = operation.method.upper(), operation.path
    path_parameters = pinned(world, path, method)
    strategy = st.one_of(
        *[operation.as_strategy(mode, path_parameters=path_parameters) for mode in GenerationMode]
    ).filter(lambda case: FUZZ_TOKEN not in repr(case.path_parameters))
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(base_url=world.served.url, headers=headers, timeout=15)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as failure:  # every failure is kept, with the request that caused it
            curl = case.as_curl_command(headers=headers)
            failures.append(f"{method} {path}: {response.status_code}: {str(failure)[:300]}\n    {curl[:400]}")

    fuzz()
    return failures


def test_no_operation_answers_with_a_server_error(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.served.tokens['fuzz']}"}
    schema = schemathesis.openapi.from_dict(world.document)
    failures: list[str] = []
    fuzzed: dict[str, Counter[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS:
            continue
        statuses = fuzzed[f"{operation.method.upper()} {operation.path}"] = Counter()
        failures += fuzz_operation(world, operation, headers, statuses)
    assert fuzzed, "the document lists operations"
    locked_out = [name for name, statuses in fuzzed.items() if set(statuses) <= {401, 403}]
    assert not locked_out, f"the fuzzing token got only 401/403 from {locked_out}: {fuzzed}"
    assert not failures, "\n".join(failures)
    with world.served.client("admin") as admin:
        still = admin.get("/api/openapi.json")
        assert still.status_code == 200, "the fuzzing token was revoked or the server stopped"
    started = len(world.served.workspace.runs_store.pipeline_runs(archived=True))
    print(f"fuzzed {len(fuzzed)} operations; {started} runs started (killed at the end)")
    for name, statuses in fuzzed.items():
        print(f"  {name}: {dict(sorted(statuses.items()))}")
