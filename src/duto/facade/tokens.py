"""Tokens for the workspace's server: who may read, submit, or administer, over HTTP.

A token is shown once, when it is made; the workspace keeps only the SHA-256 of its secret. Scopes are ordered:
`read` reads, `submit` also triggers, cancels and resumes runs, `admin` also publishes, disables, deletes and
manages tokens. The workspace's owner on this machine needs no token: the SDK and the CLI reach the DB directly.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from duto.errors import ConfigError
from duto.storage.runs_store import utcnow
from duto.storage.token_store import TokenRecord, TokenStore

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

SECRET_PREFIX = "duto_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# How precisely a token's last use is kept: `duto token list` says when, to the minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(StrEnum):
    READ = "read"
    SUBMIT = "submit"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    def allows(self, needed: Scope) -> bool:
        """Whether a token of this scope may do what `needed` is asked for."""
        return self.rank >= needed.rank


def parse_scope(text: str) -> Scope:
    try:
        return Scope(text)
    except ValueError:
        raise ConfigError(f"token scope {text!r} is not one of read, submit, admin") from None


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h`, `15m`, `3600s`, `2w` as a duration.

    Raises:
        ConfigError: for any other text, or a zero duration.
    """
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"duration {text!r} must be a positive number and a unit, such as 30d, 12h, 15m or 3600s")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    workspace: Workspace,
    name: str,
    scope: Scope | str,
    expires_in: timedelta | None = None,
    server_pid: int | None = None,
) -> tuple[str, TokenRecord]:
    """Make a token; returns its secret (shown this once, never stored) and its record.

    Raises:
        ConfigError: a name that is not 1-100 letters, digits, `_`, `.` or `-`, or an unknown scope.
        TokenError: a live token has this name already.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"token name {name!r} must be 1-100 letters, digits, '_', '.' or '-', starting alphanumeric")
    scope = parse_scope(str(scope))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + expires_in if expires_in is not None else None
    record = TokenStore(workspace.database).add(name, hash_secret(secret), scope.value, expires_at, server_pid)
    return secret, record


def authenticate(workspace: Workspace, secret: str) -> TokenRecord | None:
    """The token whose secret this is, when it is neither revoked nor expired; else None. Its last use is
    recorded (`note_use`).

    The secret is hashed and its hash looked up, then compared in constant time, so neither the lookup nor the
    comparison tells how much of a guess was right.
    """
    record = find_token(workspace, secret)
    if record is not None and use_is_news(record):
        note_use(workspace, record)
    return record


def find_token(workspace: Workspace, secret: str) -> TokenRecord | None:
    """`authenticate` with nothing written: one read."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    computed = hash_secret(secret)
    found = TokenStore(workspace.database).by_hash(computed)
    if found is None:
        return None
    stored, record = found
    now = utcnow()
    if not hmac.compare_digest(stored, computed) or not record.usable(now):
        return None
    return record


def use_is_news(record: TokenRecord) -> bool:
    """Whether the token's last use as recorded is older than LAST_USED_RESOLUTION (at most one write a minute
    per token)."""
    return record.last_used_at is None or utcnow() - record.last_used_at > LAST_USED_RESOLUTION


def note_use(workspace: Workspace, record: TokenRecord) -> None:
    """Record that the token was used now."""
    TokenStore(workspace.database).touch(record.name)


def list_tokens(workspace: Workspace) -> builtins.list[TokenRecord]:
    return TokenStore(workspace.database).list()


def revoke_token(workspace: Workspace, name: str) -> TokenRecord:
    """Revoke the token `name`: from now on it gets 401 everywhere.

    Raises:
        TokenNotFoundError: no token has that name.
    """
    return TokenStore(workspace.database).revoke(name)


def revoke_server_tokens(workspace: Workspace, pid: int) -> int:
    """Revoke what the server `pid` minted for the person who started it; returns how many."""
    return TokenStore(workspace.database).revoke_server_tokens(pid)


def token_state(record: TokenRecord, now: datetime | None = None) -> str:
    """The token's state as `duto token list` says it: active, expired or revoked."""
    now = now or utcnow()
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "active"
