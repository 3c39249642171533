"""S3 and S3-compatible stores (MinIO, Ceph, moto) as datastores, through s3fs: the one module that imports it.

Credentials come from the datastore's settings, as references resolved when the filesystem is made (a named
secret of the workspace, or an environment variable), else from botocore's own chain: AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from duto.errors import MissingExtraError

Resolve = Callable[[Mapping[str, str] | None], str | None]


def s3_root(settings: Mapping[str, Any]) -> str:
    """The bucket and prefix a datastore is rooted at, as s3fs names it: "bucket/prefix"."""
    prefix = (settings.get("prefix") or "").strip("/")
    return "/".join(filter(None, [settings["bucket"], prefix]))


def s3_identity(settings: Mapping[str, Any]) -> str:
    """What names the same objects from any workspace: endpoint, bucket and prefix (never a credential)."""
    endpoint = settings.get("endpoint_url") or "aws"
    return f"s3://{s3_root(settings)}@{endpoint}"


def s3_filesystem(settings: Mapping[str, Any], resolve: Resolve) -> Any:
    """An s3fs filesystem for the datastore's endpoint and credentials.

    Raises:
        MissingExtraError: s3fs is not installed.
        SecretNotFoundError: a named secret the settings refer to is not set.
    """
    try:
        import s3fs
    except ImportError:
        raise MissingExtraError("S3", "s3", "s3fs") from None
    credentials = settings.get("credentials") or {}
    client: dict[str, Any] = {}
    if settings.get("endpoint_url"):
        client["endpoint_url"] = settings["endpoint_url"]
    if settings.get("region"):
        client["region_name"] = settings["region"]
    return s3fs.S3FileSystem(
        key=resolve(credentials.get("access_key_id")),
        secret=resolve(credentials.get("secret_access_key")),
        token=resolve(credentials.get("session_token")),
        client_kwargs=client,
        # Another process (a step, another runner) writes the same bucket: a listing is always asked anew.
        use_listings_cache=False,
        # Each datastore keeps its own client: two datastores may reach one endpoint with other credentials.
        skip_instance_cache=True,
    )


def s3_available() -> bool:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        return False
    return True
