"""The workspace's named secrets as v1 hands them out: `ws.get_default_keyvault()`, a `Keyvault`.

Values are kept in `.duto/secrets.json` (owner-only), apart from the settings and the metadata DB; settings
such as a datastore's credentials name a secret and never hold its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from duto.storage.secrets import SecretStore

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace


class Keyvault:
    """The named secrets of a workspace (v1's `azureml.core.Keyvault`)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._store = SecretStore(workspace.config.duto_dir)

    def set_secret(self, name: str, value: str) -> None:
        """Keep `value` under `name`, replacing what was there."""
        self._store.set(name, value)

    def set_secrets(self, secrets_batch: Mapping[str, str]) -> None:
        for name, value in secrets_batch.items():
            self._store.set(name, value)

    def get_secret(self, name: str) -> str:
        """The value kept under `name` (SecretNotFoundError when there is none)."""
        return self._store.get(name)

    def get_secrets(self, secrets: Sequence[str]) -> dict[str, str]:
        return {name: self._store.get(name) for name in secrets}

    def list_secrets(self) -> list[dict[str, str]]:
        """The secrets' names, as v1 lists them: `[{"name": ...}]`; never their values."""
        return [{"name": name} for name in self._store.names()]

    def delete_secret(self, name: str) -> None:
        self._store.delete(name)

    def delete_secrets(self, secrets: Sequence[str]) -> None:
        for name in secrets:
            self._store.delete(name)

    def __repr__(self) -> str:
        return f"Keyvault(workspace={self.workspace.name!r})"
