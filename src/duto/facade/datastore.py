"""Datastores as users see them: register them, upload and download files by path.

A datastore is a local folder, an S3 (or S3-compatible) bucket, or an Azure Blob container; its settings in
`config.json` hold where it is and, for credentials, only the names of secrets (see `storage/secrets.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.config import updating
from duto.errors import ConfigError, DatastoreError, DatastoreNotFoundError
from duto.graph.datasets import DataPath
from duto.storage.datastores import DatastoreBackend, Progress, clean_path
from duto.storage.secrets import SecretStore, check_secret_name

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

# v1's `datastore_type` of each kind, so ported code that compares it reads the same.
DATASTORE_TYPES = {"local": "local", "s3": "S3", "azure_blob": "AzureBlob"}


class Datastore:
    """A named place for files in a workspace; `workspaceblobstore` is the default one.

    Args:
        workspace: the workspace it belongs to.
        name: its name; the workspace's default datastore when None.
    """

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        name = name or workspace.config.default_datastore
        if name not in workspace.config.datastores:
            workspace.reload()  # registered by another process since the settings were read
        settings = workspace.config.datastores.get(name)
        if settings is None:
            raise DatastoreNotFoundError(name, list(workspace.config.datastores))
        self.workspace = workspace
        self.name = name
        self.kind: str = settings.get("kind", "local")
        self.datastore_type = DATASTORE_TYPES.get(self.kind, self.kind)
        self._settings = dict(settings)
        self._backend = DatastoreBackend(name, settings, workspace.root)

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return workspace.get_default_datastore()

    # registering ---------------------------------------------------------------------------------
    @staticmethod
    def register_local(
        workspace: Workspace, datastore_name: str, path: str | os.PathLike[str], overwrite: bool = False
    ) -> Datastore:
        """Register a folder on this machine as a datastore (relative paths are relative to the workspace)."""
        folder = Path(path).expanduser()
        if folder.is_absolute():
            folder = folder.resolve()
        return _register(workspace, datastore_name, {"kind": "local", "path": str(folder)}, {}, overwrite)

    @staticmethod
    def register_s3(
        workspace: Workspace,
        datastore_name: str,
        bucket_name: str,
        prefix: str | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        access_key_id_secret: str | None = None,
        secret_access_key_secret: str | None = None,
        overwrite: bool = False,
    ) -> Datastore:
        """Register an S3 bucket (or a prefix of it) as a datastore; MinIO and other S3-compatible stores by
        `endpoint_url`.

        Credentials are never written into the workspace settings. Either give their values
        (`access_key_id`, `secret_access_key`), which are kept as the workspace's secrets
        `datastore.<name>.access_key_id` and `datastore.<name>.secret_access_key`; or name secrets set before
        (`access_key_id_secret`, `secret_access_key_secret`; `duto secrets set NAME`); or give none, and the
        environment's are used when the datastore is opened (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        AWS_PROFILE, an instance role).

        Raises:
            MissingExtraError: s3fs is not installed (`pip install 'duto[s3]'`).
            DatastoreError: a datastore of that name exists and `overwrite` is False.
        """
        from duto.storage.s3_store import s3_available

        if not s3_available():
            from duto.errors import MissingExtraError

            raise MissingExtraError("S3", "s3", "s3fs")
        if not isinstance(bucket_name, str) or not bucket_name.strip() or "/" in bucket_name:
            raise ConfigError(f"bucket_name must be a bucket's name, such as 'my-data', not {bucket_name!r}")
        settings: dict[str, Any] = {
            "kind": "s3",
            "bucket": bucket_name,
            "prefix": _prefix(prefix),
            "endpoint_url": endpoint_url,
            "region": region,
        }
        secrets = {
            "access_key_id": (access_key_id, access_key_id_secret),
            "secret_access_key": (secret_access_key, secret_access_key_secret),
        }
        return _register(workspace, datastore_name, settings, secrets, overwrite)

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace,
        datastore_name: str,
        container_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        blob_cache_timeout: int | None = None,
        grant_workspace_access: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        sas_token_secret: str | None = None,
        account_key_secret: str | None = None,
        account_url: str | None = None,
        prefix: str | None = None,
    ) -> Datastore:
        """Register an Azure Blob container as a datastore, as v1 does (through adlfs, the 'azure' extra).

        `sas_token` or `account_key` are kept as the workspace's secrets `datastore.<name>.sas_token` /
        `.account_key`, never in its settings; `sas_token_secret` / `account_key_secret` name secrets set before;
        with none, adlfs's defaults apply (AZURE_STORAGE_* variables). `account_url` reaches another host (an
        emulator); otherwise it is made from `protocol`, `account_name` and `endpoint`. v1's
        `create_if_not_exists`, `skip_validation`, `blob_cache_timeout`, `grant_workspace_access`,
        `subscription_id` and `resource_group` are accepted and change nothing.

        Raises:
            MissingExtraError: adlfs is not installed (`pip install 'duto[azure]'`).
        """
        del create_if_not_exists, skip_validation, blob_cache_timeout, grant_workspace_access
        del subscription_id, resource_group
        from duto.storage.azure_blob_store import azure_available

        if not azure_available():
            from duto.errors import MissingExtraError

            raise MissingExtraError("Azure Blob", "azure", "adlfs")
        url = account_url or f"{protocol or 'https'}://{account_name}.blob.{endpoint or 'core.windows.net'}"
        settings: dict[str, Any] = {
            "kind": "azure_blob",
            "container": container_name,
            "account_name": account_name,
            "account_url": url,
            "prefix": _prefix(prefix),
        }
        secrets = {"sas_token": (sas_token, sas_token_secret), "account_key": (account_key, account_key_secret)}
        return _register(workspace, datastore_name, settings, secrets, overwrite)

    def unregister(self) -> None:
        """Remove the datastore from the workspace (its files stay where they are), with the secrets it kept."""
        if self.name == self.workspace.config.default_datastore:
            raise DatastoreError(f"datastore {self.name!r} is the workspace's default; set another default first")
        with updating(self.workspace.root) as config:
            config.datastores.pop(self.name, None)
        _forget_own_secrets(self.workspace, self.name)
        self.workspace.reload()

    def set_as_default(self) -> None:
        """Make this the workspace's default datastore."""
        with updating(self.workspace.root) as config:
            config.default_datastore = self.name
        self.workspace.reload()

    # where it is ---------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The folder behind a local datastore.

        Raises:
            DatastoreError: the datastore is an object store, with no folder on this machine.
        """
        if self._backend.root is None:
            raise DatastoreError(f"datastore {self.name!r} is of kind {self.kind}: it has no folder on this machine")
        return self._backend.root

    @property
    def backend(self) -> DatastoreBackend:
        """The datastore's files through fsspec, by path inside it."""
        return self._backend

    @property
    def bucket_name(self) -> str | None:
        return self._settings.get("bucket")

    @property
    def container_name(self) -> str | None:
        return self._settings.get("container")

    @property
    def account_name(self) -> str | None:
        return self._settings.get("account_name")

    @property
    def endpoint(self) -> str | None:
        return self._settings.get("endpoint_url") or self._settings.get("account_url")

    @property
    def prefix(self) -> str | None:
        return self._settings.get("prefix")

    def path(self, path: str) -> DataPath:
        """A DataPath on this datastore (v1's `datastore.path(...)`)."""
        return DataPath(self, path)

    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> str:
        """Copy every file under `src_dir` to `target_path` on the datastore; returns `target_path`."""
        source = Path(src_dir)
        if not source.is_dir():
            raise DatastoreError(f"upload: {str(source)!r} is not a folder; use upload_files for single files")
        target = _target(target_path)
        files = sorted(p for p in source.rglob("*") if p.is_file())
        pairs = [(p, "/".join(filter(None, [target, p.relative_to(source).as_posix()]))) for p in files]
        with _progress(show_progress, f"Uploading to {self.name}") as progress:
            self._backend.upload_files(pairs, overwrite, progress)
        return target

    def upload_files(
        self,
        files: Sequence[str | os.PathLike[str]],
        relative_root: str | os.PathLike[str] | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> str:
        """Copy files to `target_path`, each keeping its path relative to `relative_root` (its name by default)."""
        target = _target(target_path)
        pairs = []
        for item in files:
            path = Path(item)
            if not path.is_file():
                raise DatastoreError(f"upload_files: {str(path)!r} is not a file")
            if relative_root is not None:
                try:
                    rel = path.resolve().relative_to(Path(relative_root).resolve()).as_posix()
                except ValueError:
                    raise DatastoreError(
                        f"upload_files: {str(path)!r} is not under relative_root {str(relative_root)!r}"
                    ) from None
            else:
                rel = path.name
            pairs.append((path, "/".join(filter(None, [target, rel]))))
        with _progress(show_progress, f"Uploading to {self.name}") as progress:
            self._backend.upload_files(pairs, overwrite, progress)
        return target

    def download(
        self,
        target_path: str | os.PathLike[str],
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy the files under `prefix` to `target_path/<path on datastore>`; returns how many were copied."""
        prefix = clean_path(prefix or "", self.name)
        with _progress(show_progress, f"Downloading from {self.name}") as progress:
            return self._backend.download(prefix, Path(target_path), overwrite, progress)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, type={self.datastore_type!r})"


def _target(target_path: str | None) -> str:
    """An upload's target folder, checked to stay inside the datastore."""
    return clean_path((target_path or "").rstrip("/"))


def _prefix(prefix: str | None) -> str | None:
    if prefix is None or not prefix.strip("/"):
        return None
    return clean_path(prefix.strip("/").rstrip("/"))


def own_secret_name(datastore: str, credential: str) -> str:
    """The name of the secret a datastore keeps a credential given as a value under."""
    return f"datastore.{datastore}.{credential}"


def _register(
    workspace: Workspace,
    name: str,
    settings: dict[str, Any],
    credentials: dict[str, tuple[str | None, str | None]],
    overwrite: bool,
) -> Datastore:
    """Write a datastore's settings; each credential becomes a reference to a secret (its value kept as one)."""
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ConfigError(f"datastore name {name!r} must be letters, digits, '_' or '-', such as 'raw_data'")
    workspace.reload()
    if name in workspace.config.datastores and not overwrite:
        raise DatastoreError(f"a datastore named {name!r} exists already; pass overwrite=True to replace it")
    references: dict[str, dict[str, str]] = {}
    values: dict[str, str] = {}
    for credential, (value, secret) in credentials.items():
        if value is not None and secret is not None:
            raise ConfigError(f"give {credential} or {credential}_secret, not both")
        if secret is not None:
            references[credential] = {"secret": check_secret_name(secret)}
        elif value is not None:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{credential} must be a non-empty string")
            values[own_secret_name(name, credential)] = value
            references[credential] = {"secret": own_secret_name(name, credential)}
    _forget_own_secrets(workspace, name)
    store = SecretStore(workspace.config.duto_dir)
    for secret_name, value in values.items():
        store.set(secret_name, value)
    if references:
        settings["credentials"] = references
    with updating(workspace.root) as config:
        config.datastores[name] = {k: v for k, v in settings.items() if v is not None}
    workspace.reload()
    return Datastore(workspace, name)


def _forget_own_secrets(workspace: Workspace, name: str) -> None:
    store = SecretStore(workspace.config.duto_dir)
    for secret in store.names():
        if secret.startswith(own_secret_name(name, "")):
            store.delete(secret)


@contextmanager
def _progress(show: bool, description: str) -> Iterator[Progress | None]:
    """A progress bar while files are copied, when asked for (`show_progress`, on by default as in Azure) and
    there is a terminal or a notebook to draw it on: piped or captured output gets nothing."""
    from rich.console import Console

    console = Console()
    if not show or not (console.is_terminal or console.is_jupyter):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
