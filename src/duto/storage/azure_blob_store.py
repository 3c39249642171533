"""Azure Blob Storage containers as datastores, through adlfs: the one module that imports it.

Credentials come from the datastore's settings, as references resolved when the filesystem is made (a named
secret of the workspace, or an environment variable), else from adlfs's own defaults (AZURE_STORAGE_* variables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from duto.errors import MissingExtraError

Resolve = Callable[[Mapping[str, str] | None], str | None]


def azure_root(settings: Mapping[str, Any]) -> str:
    """The container and prefix a datastore is rooted at, as adlfs names it: "container/prefix"."""
    prefix = (settings.get("prefix") or "").strip("/")
    return "/".join(filter(None, [settings["container"], prefix]))


def azure_identity(settings: Mapping[str, Any]) -> str:
    """What names the same blobs from any workspace: account, container and prefix (never a credential)."""
    host = settings.get("account_url") or settings["account_name"]
    return f"az://{azure_root(settings)}@{host}"


def azure_filesystem(settings: Mapping[str, Any], resolve: Resolve) -> Any:
    """An adlfs filesystem for the datastore's account and credentials.

    Raises:
        MissingExtraError: adlfs is not installed.
        SecretNotFoundError: a named secret the settings refer to is not set.
    """
    try:
        import adlfs
    except ImportError:
        raise MissingExtraError("Azure Blob", "azure", "adlfs") from None
    credentials = settings.get("credentials") or {}
    options: dict[str, Any] = {"account_name": settings["account_name"]}
    if settings.get("account_url"):
        options["account_host"] = settings["account_url"]
    for key in ("account_key", "sas_token", "connection_string"):
        value = resolve(credentials.get(key))
        if value is not None:
            options[key] = value
    return adlfs.AzureBlobFileSystem(skip_instance_cache=True, use_listings_cache=False, **options)


def azure_available() -> bool:
    try:
        import adlfs  # noqa: F401
    except ImportError:
        return False
    return True
