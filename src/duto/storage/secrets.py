"""Named secrets of a workspace: credentials that settings refer to by name and never hold themselves.

They live in `.duto/secrets.json`, outside the metadata DB and `config.json`, readable and writable by the
owner alone (0600), written whole by one rename under a lock. A datastore's settings hold a reference,
`{"secret": "NAME"}` or `{"env": "VARIABLE"}`, resolved only when the datastore is opened; no value is ever
logged or printed.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duto.errors import ConfigError, SecretNotFoundError
from duto.storage.temporary import temporary_name

SECRETS_FILE = "secrets.json"
PRIVATE = 0o600
# A reference to a secret in settings: {"secret": name} (the workspace's) or {"env": name} (this process's).
SecretReference = dict[str, str]


def check_secret_name(name: Any) -> str:
    """A secret's name: letters, digits, '.', '-' and '_', so it reads the same in a command line and a file."""
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "._-" for c in name):
        raise ConfigError(f"secret name {name!r} must be letters, digits, '.', '-' or '_', such as 'minio-secret-key'")
    return name


class SecretStore:
    """The named secrets of the workspace whose `.duto/` folder is `duto_dir`."""

    def __init__(self, duto_dir: Path) -> None:
        self.path = duto_dir / SECRETS_FILE
        self._lock = duto_dir / "secrets.lock"

    def names(self) -> list[str]:
        return sorted(self._read())

    def get(self, name: str) -> str:
        """The value of secret `name`.

        Raises:
            SecretNotFoundError: the workspace holds no such secret.
        """
        value = self._read().get(name)
        if value is None:
            raise SecretNotFoundError(name)
        return value

    def set(self, name: str, value: str) -> None:
        check_secret_name(name)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"secret {name!r}: its value must be a non-empty string")
        with self._changing() as secrets:
            secrets[name] = value

    def delete(self, name: str) -> bool:
        """Forget secret `name`; False when there was none."""
        with self._changing() as secrets:
            return secrets.pop(name, None) is not None

    def resolve(self, reference: Mapping[str, str] | None) -> str | None:
        """The value a settings reference stands for: a named secret, or an environment variable (None when the
        variable is not set, so that the store's own default chain applies)."""
        if reference is None:
            return None
        if "secret" in reference:
            return self.get(reference["secret"])
        if "env" in reference:
            return os.environ.get(reference["env"])
        raise ConfigError(f"a credential setting must be {{'secret': NAME}} or {{'env': VARIABLE}}, not {reference!r}")

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{self.path} is not valid JSON ({exc.msg}); set the secrets again") from None
        return {str(k): str(v) for k, v in data.get("secrets", {}).items()}

    @contextmanager
    def _changing(self) -> Iterator[dict[str, str]]:
        """Read, change and write the secrets under a lock; the file is private from its first byte."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            secrets = self._read()
            yield secrets
            staged = self.path.with_name(temporary_name(SECRETS_FILE))
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
            try:
                with os.fdopen(fd, "w") as handle:
                    json.dump({"secrets": secrets}, handle, indent=2, sort_keys=True)
                os.chmod(staged, PRIVATE)  # whatever the umask made of it
                os.replace(staged, self.path)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
