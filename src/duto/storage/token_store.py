"""API tokens in the DB: only the SHA-256 of a token's secret is kept, never the secret itself."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select, update

from duto.errors import TokenError, TokenNotFoundError
from duto.storage import models
from duto.storage.db import Database
from duto.storage.runs_store import new_id, utcnow


@dataclass(frozen=True)
class TokenRecord:
    """What the workspace knows of a token: everything but its secret."""

    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    server_pid: int | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


# TokenRecord's fields, in its order, as columns of api_tokens.
_RECORD_COLUMNS = ("name", "scope", "created_at", "expires_at", "revoked_at", "last_used_at", "server_pid")


@functools.cache
def _by_hash_query() -> Select[Any]:
    table = models.ApiToken.__table__
    columns = [table.c[name] for name in _RECORD_COLUMNS]
    return select(table.c.secret_hash, *columns).where(table.c.secret_hash == bindparam("secret_hash"))


def _record(row: models.ApiToken) -> TokenRecord:
    return TokenRecord(
        row.name, row.scope, row.created_at, row.expires_at, row.revoked_at, row.last_used_at, row.server_pid
    )


class TokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, name: str, secret_hash: str, scope: str, expires_at: datetime | None, server_pid: int | None = None
    ) -> TokenRecord:
        """Record a new token. A revoked token's name may be taken again; a live one's may not.

        Raises:
            TokenError: a token that is not revoked already has this name.
        """
        with self.db.writing() as s:
            row = s.scalars(select(models.ApiToken).where(models.ApiToken.name == name)).first()
            if row is not None:
                if row.revoked_at is None:
                    raise TokenError(
                        f"a token named {name!r} exists already; revoke it first (`duto token revoke {name}`) "
                        "or choose another name"
                    )
                s.delete(row)
                s.flush()
            row = models.ApiToken(
                id=new_id(),
                name=name,
                secret_hash=secret_hash,
                scope=scope,
                created_at=utcnow(),
                expires_at=expires_at,
                server_pid=server_pid,
            )
            s.add(row)
            s.flush()
            return _record(row)

    def by_hash(self, secret_hash: str) -> tuple[str, TokenRecord] | None:
        """The stored hash equal to `secret_hash` with its token, or None."""
        # Every request of the server asks this: one statement built once, on a bare connection (no session).
        with self.db.engine.connect() as connection:
            found = connection.execute(_by_hash_query(), {"secret_hash": secret_hash}).first()
        return None if found is None else (found[0], TokenRecord(*found[1:]))

    def touch(self, name: str) -> None:
        """Note that the token was used just now."""
        with self.db.writing() as s:
            s.execute(update(models.ApiToken).where(models.ApiToken.name == name).values(last_used_at=utcnow()))

    def list(self) -> list[TokenRecord]:
        with self.db.reading() as s:
            return [_record(r) for r in s.scalars(select(models.ApiToken).order_by(models.ApiToken.created_at))]

    def revoke(self, name: str) -> TokenRecord:
        """Revoke a token by name (revoking a revoked one changes nothing).

        Raises:
            TokenNotFoundError: no token has this name.
        """
        with self.db.writing() as s:
            row = s.scalars(select(models.ApiToken).where(models.ApiToken.name == name)).first()
            if row is None:
                raise TokenNotFoundError(name)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _record(row)

    def revoke_server_tokens(self, pid: int) -> int:
        """Revoke the tokens minted by the server whose pid is `pid`; returns how many."""
        with self.db.writing() as s:
            result = s.execute(
                update(models.ApiToken)
                .where(models.ApiToken.server_pid == pid, models.ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return int(getattr(result, "rowcount", 0) or 0)
