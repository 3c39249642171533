"""Dataset files named by an http(s) URL: fetched by the runner when a step needs them, kept by content.

A URL is fetched once per content: the file its fingerprint was taken from is kept under that digest, and placing
the input for the step reads that file, so a server that changes between the two cannot feed other bytes.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import blake3

from duto.errors import DutoError

FETCH_TIMEOUT_SECONDS = 60.0


class UrlFetchError(DutoError, OSError):
    """A URL a dataset names could not be fetched; the step fails with this reason (an OSError, as a read is)."""


def url_file_name(url: str) -> str:
    """The name the fetched file has in the step's input folder: the last part of the URL's path."""
    return PurePosixPath(urlparse(url).path).name or "index"


def fetch_url(url: str, folder: Path, expected: str | None = None) -> Path:
    """Fetch `url` into `folder` under a name made from its content's digest (the digest the content store
    gives the file); returns that file.

    With `expected`, the digest the step's fingerprint took, the file kept under it is returned without a
    fetch; when it is gone, the URL is fetched again and must still hold those bytes.

    Raises:
        UrlFetchError: the server could not be reached or answered with an error, or no longer serves the
            content the step's fingerprint was taken from.
    """
    if expected is not None:
        kept = folder / expected / url_file_name(url)
        if kept.is_file():
            return kept
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".fetch-{os.getpid()}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    digest = blake3.blake3()
    try:  # only http(s) URLs reach here: Dataset.File.from_files takes no other scheme
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response, staging.open("wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise UrlFetchError(f"could not fetch {url}: {exc}") from exc
    if expected is not None and digest.hexdigest() != expected:
        staging.unlink(missing_ok=True)
        raise UrlFetchError(
            f"{url} no longer serves the content this step's fingerprint was taken from (blake3 {expected[:12]}..., "
            f"now {digest.hexdigest()[:12]}...); submit the pipeline again to run it on the new content"
        )
    target = folder / digest.hexdigest() / url_file_name(url)
    target.parent.mkdir(exist_ok=True)
    os.replace(staging, target)
    return target
