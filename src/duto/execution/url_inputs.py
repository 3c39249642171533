"""Dataset files named by an http(s) URL: fetched by the runner when a step needs them, kept by content."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from duto.errors import DutoError

FETCH_TIMEOUT_SECONDS = 60.0


class UrlFetchError(DutoError, OSError):
    """A URL a dataset names could not be fetched; the step fails with this reason (an OSError, as a read is)."""


def url_file_name(url: str) -> str:
    """The name the fetched file has in the step's input folder: the last part of the URL's path."""
    return PurePosixPath(urlparse(url).path).name or "index"


def fetch_url(url: str, folder: Path) -> Path:
    """Fetch `url` into `folder` under a name made from its content's hash; returns that file.

    Raises:
        UrlFetchError: the server could not be reached or answered with an error.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".fetch-{os.getpid()}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    digest = hashlib.sha256()
    try:  # only http(s) URLs reach here: Dataset.File.from_files takes no other scheme
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response, staging.open("wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise UrlFetchError(f"could not fetch {url}: {exc}") from exc
    target = folder / digest.hexdigest() / url_file_name(url)
    target.parent.mkdir(exist_ok=True)
    os.replace(staging, target)
    return target
