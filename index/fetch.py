"""Fetching the public CounselChat CSV when no local copy is given.

The file is checked against a known sha256 and cached, so a second build works offline. The data
is never part of this project: users fetch it from its public source or pass a path.
"""
from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from index.corpus import file_sha256

COUNSELCHAT_URL = "https://raw.githubusercontent.com/nbertagnolli/counsel-chat/master/data/20200325_counsel_chat.csv"
COUNSELCHAT_SHA256 = "c36fbce1c12271a17f3f355f6aaeb0b04987b217b53b600c5677985f15c9f1a8"
DATA_HINT = "pass --data PATH or set COUNSELCHAT_CSV=PATH to a local copy of 20200325_counsel_chat.csv"


class FetchError(RuntimeError):
    """The corpus could not be fetched or did not match its checksum."""


def fetch_counselchat(cache_dir: Path, url: str = COUNSELCHAT_URL, sha256: str = COUNSELCHAT_SHA256,
                      timeout: float = 30.0) -> Path:
    """Return the path of a verified local copy, downloading it into `cache_dir` if needed."""
    cache_dir = Path(cache_dir)
    target = cache_dir / Path(url).name
    if target.is_file() and file_sha256(target) == sha256:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=cache_dir, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 16):
                out.write(block)
        actual = file_sha256(Path(partial))
        if actual != sha256:
            raise FetchError(f"downloaded {url} but its sha256 is {actual}, expected {sha256}; {DATA_HINT}")
        os.replace(partial, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise FetchError(f"could not fetch CounselChat from {url} ({error}); offline? {DATA_HINT}") from error
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
