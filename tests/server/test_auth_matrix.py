"""Every route of the server's own OpenAPI document, called as it is without the right token: 401 or 403, and
nothing in the DB created or changed. The routes are read from the running server, so a new route is covered
(or fails, when it declares no scope) without editing this test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from duto.facade.tokens import create_token, revoke_token
from duto.storage import models
from duto.storage.runs_store import utcnow
from server.live import HEALTH, SCOPES, TOKENLESS, World, fill_path, request_body, served_world, snapshot

pytestmark = pytest.mark.timeout(180)

# Routes the document leaves out but that answer only to a token all the same.
UNLISTED = [
    ("get", "/api/openapi.json", "read"),
    ("get", "/api/docs", "read"),
    ("get", "/api/docs-assets/swagger-ui-bundle.js", "read"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("auth")) as made:
        yield made


def near_miss(secret: str) -> str:
    """The token with its last character changed: right prefix and length, wrong secret."""
    last = secret[-1]
    return secret[:-1] + ("A" if last != "A" else "B")


def bad_tokens(world: World) -> dict[str, str | None]:
    """The tokens that must get 401 everywhere, by what is wrong with them."""
    ws = world.served.workspace
    revoked, _ = create_token(ws, "matrix-revoked", "admin")
    revoke_token(ws, "matrix-revoked")
    expired, _ = create_token(ws, "matrix-expired", "admin", expires_in=timedelta(days=1))
    with ws.database.writing() as s:
        s.execute(
            update(models.ApiToken)
            .where(models.ApiToken.name == "matrix-expired")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    return {
        "none": None,
        "scheme alone": "",
        "garbage": "garbage",
        "garbage with the prefix": "duto_" + "x" * 43,
        "near miss": near_miss(world.served.tokens["admin"]),
        "revoked": revoked,
        "expired": expired,
    }


def call(client: httpx.Client, method: str, path: str, token: str | None, body: object) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}
    kwargs: dict[str, object] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method.upper(), path, **kwargs)  # type: ignore[arg-type]


def test_every_route_declares_a_known_scope_and_refuses_every_token_short_of_it(world: World) -> None:
    operations = world.operations()
    assert any(path == HEALTH for _, path, _ in operations), "the document lists /api/health"
    problems: list[str] = []
    cases: list[tuple[str, str, str, object]] = []
    for method, path, operation in operations:
        scope = operation.get("x-duto-scope")
        where = f"{method.upper()} {path}"
        if scope == "none":
            if (method, path) not in TOKENLESS:
                problems.append(f"{where}: x-duto-scope 'none', but only {sorted(TOKENLESS)} may answer without one")
            continue
        if scope not in SCOPES:
            problems.append(f"{where}: x-duto-scope is {scope!r}, not one of {SCOPES}: no case for this route")
            continue
        cases.append((method, fill_path(world, path), scope, request_body(world.document, operation)))
    cases += [(method, path, scope, None) for method, path, scope in UNLISTED]
    assert not problems, "\n".join(problems)

    tokens = bad_tokens(world)
    before = snapshot(world.served.workspace)
    with world.served.client(None, timeout=15) as client:
        health = client.get(HEALTH)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        for method, path, scope, body in cases:
            where = f"{method.upper()} {path} ({scope})"
            for what, token in tokens.items():
                answer = call(client, method, path, token, body)
                if answer.status_code != 401:
                    problems.append(f"{where}, {what} token: {answer.status_code}, not 401: {answer.text[:200]}")
            for short in SCOPES[: SCOPES.index(scope)]:
                answer = call(client, method, path, world.served.tokens[short], body)
                if answer.status_code != 403:
                    problems.append(f"{where}, {short} token: {answer.status_code}, not 403: {answer.text[:200]}")
    after = snapshot(world.served.workspace)
    assert not problems, "\n".join(problems)
    changed = [table for table in before if before[table] != after.get(table)]
    assert not changed, f"calls without the right token changed the tables {changed}"


def test_a_token_of_the_route_scope_or_above_gets_past_the_check(world: World) -> None:
    """The matrix's other side, so that it does not pass on a server that refuses everything: each scope's token
    gets past the check of every GET route it is enough for (which changes nothing), never 401 or 403."""
    routes = [(m, p, o.get("x-duto-scope")) for m, p, o in world.operations() if m == "get" and p != HEALTH]
    with world.served.client(None, timeout=15) as client:
        for method, path, scope in routes + UNLISTED:
            if scope not in SCOPES:
                continue  # an unknown scope fails the test above
            for enough in SCOPES[SCOPES.index(str(scope)) :]:
                headers = {"Authorization": f"Bearer {world.served.tokens[enough]}"}
                # An event stream may stay open for as long as the client does: its status is enough.
                with client.stream(method.upper(), fill_path(world, path), headers=headers) as answer:
                    status = answer.status_code
                assert status not in (401, 403), f"GET {path} with {enough}: {status}"


def test_datasets_and_models_are_read_to_look_submit_to_register_and_admin_to_unregister(world: World) -> None:
    """The scopes the registered datasets' and models' routes declare, which the matrix above holds them to."""
    scopes = {
        (m, p): o.get("x-duto-scope")
        for m, p, o in world.operations()
        if p.startswith(("/api/datasets", "/api/models"))
    }
    assert scopes == {
        ("get", "/api/datasets"): "read",
        ("post", "/api/datasets"): "submit",
        ("get", "/api/datasets/{name}"): "read",
        ("delete", "/api/datasets/{name}"): "admin",
        ("get", "/api/datasets/{name}/lineage"): "read",
        ("get", "/api/models"): "read",
        ("get", "/api/models/{name}"): "read",
        ("delete", "/api/models/{name}"): "admin",
    }


def test_snapshot_sees_a_change(world: World) -> None:
    """The "nothing changed" check would see a change: a token made through the API changes a table."""
    before = snapshot(world.served.workspace)
    with world.served.client("admin") as admin:
        assert admin.post("/api/tokens", json={"name": "matrix-made", "scope": "read"}).status_code == 201
    assert snapshot(world.served.workspace)["api_tokens"] != before["api_tokens"]


def test_a_session_cookie_is_held_to_its_scope_and_changes_nothing_without_the_portal_header(world: World) -> None:
    """The portal's cookie in place of the bearer header: each route refuses a session short of its scope (403), and
    a route that is not a read refuses even an admin session without `X-Duto-Portal: 1` (401)."""
    problems: list[str] = []
    before = snapshot(world.served.workspace)
    with world.served.client(None, timeout=15) as client:
        for method, path, operation in world.operations():
            scope = operation.get("x-duto-scope")
            if (method, path) in TOKENLESS or scope not in SCOPES:
                continue
            url, body = fill_path(world, path), request_body(world.document, operation)
            kwargs: dict[str, object] = {} if body is None else {"json": body}
            for short in SCOPES[: SCOPES.index(scope)]:
                headers = {"Cookie": f"duto_token={world.served.tokens[short]}", "X-Duto-Portal": "1"}
                answer = client.request(method.upper(), url, headers=headers, **kwargs)  # type: ignore[arg-type]
                if answer.status_code != 403:
                    problems.append(f"{method.upper()} {url}, {short} session: {answer.status_code}, not 403")
            if method not in ("get", "head"):
                headers = {"Cookie": f"duto_token={world.served.tokens['admin']}"}
                answer = client.request(method.upper(), url, headers=headers, **kwargs)  # type: ignore[arg-type]
                if answer.status_code != 401:
                    problems.append(f"{method.upper()} {url}, admin session without the header: {answer.status_code}")
    assert not problems, "\n".join(problems)
    changed = [table for table, rows in before.items() if rows != snapshot(world.served.workspace).get(table)]
    assert not changed, f"sessions short of the scope changed the tables {changed}"
