"""Tokens over HTTP: only an admin makes, lists and revokes them; a secret is shown once and kept as a hash."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from duto.storage import models


@pytest.mark.timeout(60)
def test_an_admin_makes_lists_and_revokes_a_token_whose_secret_is_kept_only_as_a_hash(served) -> None:
    with served.client("admin") as admin:
        made = admin.post("/api/tokens", json={"name": "ci", "scope": "submit", "expires_in": "30d"})
        assert made.status_code == 201, made.text
        secret = made.json()["token"]
        assert made.json()["state"] == "active" and made.json()["expires"] is not None
        with served.workspace.database.reading() as s:
            stored = s.scalars(select(models.ApiToken.secret_hash).where(models.ApiToken.name == "ci")).one()
        assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored

        listed = admin.get("/api/tokens").json()
        assert "token" not in listed[0] and {t["name"] for t in listed} >= {"ci", "test-admin"}
        used = {t["name"]: t["last_used"] for t in listed}
        assert used["test-admin"] is not None and used["ci"] is None, "a token's last use is kept"

        with served.client(None) as anonymous:
            headers = {"Authorization": f"Bearer {secret}"}
            assert anonymous.get("/api/tokens", headers=headers).status_code == 403, "submit is short of admin"
            assert admin.delete("/api/tokens/ci").json()["state"] == "revoked"
            assert anonymous.get("/api/health", headers=headers).status_code == 200
            assert anonymous.get("/api/openapi.json", headers=headers).status_code == 401

        again = admin.post("/api/tokens", json={"name": "test-read", "scope": "read"})
        assert again.status_code == 409 and "exists already" in again.json()["detail"]
        bad = admin.post("/api/tokens", json={"name": "x", "scope": "root"})
        assert bad.status_code == 422 and "scope" in bad.text
        assert admin.delete("/api/tokens/nobody").status_code == 404


@pytest.mark.timeout(60)
def test_a_host_header_of_another_name_is_refused(served) -> None:
    with served.client("read") as reader:
        refused = reader.get("/api/health", headers={"Host": "attacker.example:8642"})
        assert refused.status_code == 400 and refused.json()["field"] == "Host"
        assert reader.get("/api/health", headers={"Host": "localhost"}).status_code == 200


@pytest.mark.timeout(60)
def test_the_api_docs_need_a_token_and_load_their_assets_from_the_server_itself(served) -> None:
    with served.client(None) as anonymous:
        assert anonymous.get("/api/docs").status_code == 401
    with served.client("read") as reader:
        page = reader.get("/api/docs")
        assert page.status_code == 200 and "/api/docs-assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower(), "the docs work with no network"
        script = reader.get("/api/docs-assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
        assert reader.get("/api/openapi.json").json()["openapi"].startswith("3.1")
        for name in ("..%2f..%2fetc%2fpasswd", "index.j2x", "%2e%2e"):
            assert reader.get(f"/api/docs-assets/{name}").status_code == 404
