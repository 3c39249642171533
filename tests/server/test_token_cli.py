"""`duto token create|list|revoke` against a real server: the secret alone on the last line, scopes, revoke,
expiry."""

from __future__ import annotations

import json
import time

import pytest

from conftest import run_duto

from .conftest import Served


def create(served: Served, *args: str) -> str:
    made = run_duto("token", "create", *args, cwd=served.workspace.root)
    assert made.returncode == 0, made.stderr
    *description, secret = made.stdout.splitlines()
    assert description and secret.startswith("duto_") and " " not in secret
    return secret


def status_with(served: Served, secret: str, path: str = "/api/tokens") -> int:
    with served.client(None) as client:
        return client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code


@pytest.mark.timeout(90)
def test_the_last_line_is_a_token_the_server_takes_at_its_scope(served: Served) -> None:
    admin = create(served, "ops", "--scope", "admin")
    reader = create(served, "dash", "--scope", "read", "--expires-in", "30d")
    assert status_with(served, admin) == 200
    assert status_with(served, reader) == 403 and status_with(served, reader, "/api/openapi.json") == 200

    listed = run_duto("token", "list", "--json", cwd=served.workspace.root)
    tokens = {t["name"]: t for t in json.loads(listed.stdout)}
    assert tokens["ops"]["scope"] == "admin" and tokens["ops"]["state"] == "active" and tokens["ops"]["expires"] is None
    assert tokens["dash"]["expires"] is not None
    assert admin not in listed.stdout and reader not in listed.stdout
    table = run_duto("token", "list", cwd=served.workspace.root)
    assert table.returncode == 0 and "ops" in table.stdout and admin not in table.stdout

    revoked = run_duto("token", "revoke", "ops", cwd=served.workspace.root)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert status_with(served, admin) == 401
    again = run_duto("token", "revoke", "nobody", cwd=served.workspace.root)
    assert again.returncode == 1 and "no token named 'nobody'" in again.stderr
    bad = run_duto("token", "create", "x", "--scope", "root", cwd=served.workspace.root)
    assert bad.returncode == 1 and "scope" in bad.stderr


@pytest.mark.timeout(60)
def test_an_expired_token_gets_401(served: Served) -> None:
    secret = create(served, "brief", "--scope", "admin", "--expires-in", "1s")
    time.sleep(1.5)
    assert status_with(served, secret) == 401
    listed = json.loads(run_duto("token", "list", "--json", cwd=served.workspace.root).stdout)
    assert next(t for t in listed if t["name"] == "brief")["state"] == "expired"
