"""Datastores beyond the folder: S3 against moto's server on 127.0.0.1, credentials kept as named secrets, every
path kept inside its datastore, and Azure Blob refused with the extra it needs when adlfs is missing."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from conftest import run_duto
from duto import Datastore, Workspace
from duto.errors import DatastoreError, DatastorePathError, MissingExtraError, SecretNotFoundError
from duto.storage.azure_blob_store import azure_available
from duto.storage.datastores import DatastoreBackend

pytestmark = pytest.mark.timeout(60)


def credentials() -> tuple[str, str]:
    """A key pair no other test uses, so that finding its bytes anywhere is proof of a leak."""
    return f"AKIA{uuid.uuid4().hex[:16].upper()}", f"secret-{uuid.uuid4().hex}"


def register(ws: Workspace, s3_endpoint: str, bucket: str, prefix: str | None = "team") -> tuple[Datastore, str, str]:
    key, secret = credentials()
    store = Datastore.register_s3(
        ws,
        "lake",
        bucket_name=bucket,
        prefix=prefix,
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id=key,
        secret_access_key=secret,
    )
    return store, key, secret


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def keys(s3_client, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    listed = s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def test_upload_and_download_on_s3_are_byte_equal_and_stay_under_the_prefix(
    ws, tmp_path, s3_endpoint, s3_bucket, s3_client
):
    store, _, _ = register(ws, s3_endpoint, s3_bucket)
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.csv").write_bytes(b"x,y\n1,2\n")
    (source / "sub" / "b.bin").write_bytes(os.urandom(70_000))

    assert store.upload(str(source), target_path="raw", show_progress=False) == "raw"
    store.upload_files([str(source / "a.csv")], target_path="single", show_progress=False)

    assert keys(s3_client, s3_bucket) == ["team/raw/a.csv", "team/raw/sub/b.bin", "team/single/a.csv"]
    assert store.datastore_type == "S3" and store.bucket_name == s3_bucket and store.prefix == "team"
    copied = store.download(tmp_path / "back", prefix="raw", show_progress=False)
    assert copied == 2
    assert tree(tmp_path / "back" / "raw") == tree(source)
    # Nothing is written again without overwrite; with it, the new bytes replace the old.
    (source / "a.csv").write_bytes(b"changed\n")
    store.upload(str(source), target_path="raw", show_progress=False)
    assert store.download(tmp_path / "again", prefix="raw/a.csv", show_progress=False) == 1
    assert (tmp_path / "again" / "raw" / "a.csv").read_bytes() == b"x,y\n1,2\n"
    store.upload(str(source), target_path="raw", overwrite=True, show_progress=False)
    store.download(tmp_path / "third", prefix="raw/a.csv", show_progress=False)
    assert (tmp_path / "third" / "raw" / "a.csv").read_bytes() == b"changed\n"


def test_credentials_are_named_secrets_never_in_the_settings(ws, s3_endpoint, s3_bucket):
    store, key, secret = register(ws, s3_endpoint, s3_bucket)

    config = (ws.root / ".duto" / "config.json").read_bytes()
    assert key.encode() not in config and secret.encode() not in config
    settings = json.loads(config)["datastores"]["lake"]
    assert settings["credentials"] == {
        "access_key_id": {"secret": "datastore.lake.access_key_id"},
        "secret_access_key": {"secret": "datastore.lake.secret_access_key"},
    }
    secrets_file = ws.root / ".duto" / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert {s["name"] for s in ws.get_default_keyvault().list_secrets()} == {
        "datastore.lake.access_key_id",
        "datastore.lake.secret_access_key",
    }
    assert key not in repr(store) and secret not in repr(store)
    assert key.encode() not in (ws.root / ".duto" / "duto.db").read_bytes()

    # Unregistered, the datastore takes the secrets it kept with it.
    store.unregister()
    assert ws.get_default_keyvault().list_secrets() == []


def test_a_datastore_names_secrets_set_before_and_fails_clearly_without_them(ws, tmp_path, s3_endpoint, s3_bucket):
    key, secret = credentials()
    store = Datastore.register_s3(
        ws,
        "named",
        s3_bucket,
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id_secret="minio-key",
        secret_access_key_secret="minio-secret",
    )
    (tmp_path / "f.txt").write_text("hello")
    with pytest.raises(SecretNotFoundError, match="duto secrets set minio-key"):
        store.upload_files([str(tmp_path / "f.txt")], show_progress=False)

    ws.set_secret("minio-key", key)
    ws.set_secret("minio-secret", secret)
    store = Datastore(ws, "named")
    store.upload_files([str(tmp_path / "f.txt")], target_path="in", show_progress=False)
    assert store.download(tmp_path / "out", prefix="in", show_progress=False) == 1


def test_credentials_from_the_environment_leave_nothing_in_the_workspace(
    ws, tmp_path, s3_endpoint, s3_bucket, monkeypatch
):
    key, secret = credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    store = Datastore.register_s3(ws, "env_lake", s3_bucket, endpoint_url=s3_endpoint, region="us-east-1")
    (tmp_path / "f.txt").write_text("hello")
    store.upload_files([str(tmp_path / "f.txt")], show_progress=False)

    assert "credentials" not in json.loads((ws.root / ".duto" / "config.json").read_text())["datastores"]["env_lake"]
    assert not (ws.root / ".duto" / "secrets.json").exists()


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_paths_that_leave_the_datastore_are_refused_naming_the_path(ws, tmp_path, s3_endpoint, s3_bucket, kind):
    store = register(ws, s3_endpoint, s3_bucket)[0] if kind == "s3" else ws.get_default_datastore()
    (tmp_path / "f.txt").write_text("x")
    for bad in ("../outside", "/etc", "raw/../../up"):
        with pytest.raises(DatastorePathError, match=bad.replace(".", r"\.")) as caught:
            store.upload_files([str(tmp_path / "f.txt")], target_path=bad, show_progress=False)
        assert caught.value.path == bad
        with pytest.raises(DatastorePathError):
            store.download(tmp_path / "out", prefix=bad, show_progress=False)
    backend = DatastoreBackend(store.name, ws.config.datastores[store.name], ws.root)
    with pytest.raises(DatastorePathError, match="'/abs/path'"):
        backend.expand("/abs/path")
    with pytest.raises(DatastorePathError):
        backend.open("a/../../b")
    # A path that only looks odd but stays inside is fine.
    store.upload_files([str(tmp_path / "f.txt")], target_path="a/./b", show_progress=False)
    assert backend.expand("a/b") == ["a/b/f.txt"]


def test_register_local_and_the_default_datastore(ws, tmp_path):
    store = Datastore.register_local(ws, "scratch", tmp_path / "scratch")
    assert store.root == (tmp_path / "scratch").resolve() and store.root.is_dir()
    with pytest.raises(DatastoreError, match="exists already"):
        Datastore.register_local(ws, "scratch", tmp_path / "other")
    store.set_as_default()
    assert ws.get_default_datastore().name == "scratch"
    with pytest.raises(DatastoreError, match="default"):
        store.unregister()


@pytest.mark.skipif(azure_available(), reason="adlfs is installed here: the error for its absence cannot be seen")
def test_an_azure_blob_container_without_adlfs_names_the_extra(ws):
    with pytest.raises(MissingExtraError, match=r"pip install 'duto\[azure\]'"):
        Datastore.register_azure_blob_container(ws, "blobs", "container", "account", account_key="k")
    assert "blobs" not in ws.config.datastores
    assert not (ws.root / ".duto" / "secrets.json").exists()


def test_duto_secrets_takes_values_from_stdin_or_the_environment_and_never_prints_them(ws):
    import subprocess
    import sys

    key, secret = credentials()
    environ = {k: v for k, v in os.environ.items() if k != "DUTO_WORKSPACE"}
    made = subprocess.run(
        [sys.executable, "-m", "duto.cli", "secrets", "set", "minio-secret"],
        cwd=ws.root,
        input=secret + "\n",
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    from_env = run_duto(
        "secrets", "set", "minio-key", "--from-env", "KEY_FOR_TEST", cwd=ws.root, env={"KEY_FOR_TEST": key}
    )
    assert from_env.returncode == 0, from_env.stderr
    listed = run_duto("secrets", "list", cwd=ws.root)

    assert listed.stdout.split() == ["minio-key", "minio-secret"]
    assert ws.get_default_keyvault().get_secrets(["minio-key", "minio-secret"]) == {
        "minio-key": key,
        "minio-secret": secret,
    }
    for result in (made, from_env, listed):
        assert secret not in result.stdout + result.stderr and key not in result.stdout + result.stderr
    assert "deleted" in run_duto("secrets", "delete", "minio-key", cwd=ws.root).stdout
    assert run_duto("secrets", "list", cwd=ws.root).stdout.split() == ["minio-secret"]
