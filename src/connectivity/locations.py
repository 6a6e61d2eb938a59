"""Where the project lives: repository root, cache and build folders.

Every location can be overridden by an environment variable so that a user can
put the (large) cache or the data elsewhere:

* ``CONNECTIVITY_ROOT``  - the project root (folder holding ``_toc.yml``);
* ``CONNECTIVITY_CACHE`` - decoded data sets, checkpoints and cached results;
* ``CONNECTIVITY_BUILD`` - the build folder (scorecard records, timings).
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The project root: ``$CONNECTIVITY_ROOT``, else the first folder holding
    ``_toc.yml`` above the working directory or above this file, else the cwd."""
    env = os.environ.get("CONNECTIVITY_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "_toc.yml").is_file():
                return folder
    return Path.cwd().resolve()


def cache_dir(*parts: str) -> Path:
    """A folder under the cache root (created on demand)."""
    root = Path(os.environ.get("CONNECTIVITY_CACHE") or repo_root() / ".cache")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_dir(*parts: str) -> Path:
    """A folder under the build root ``_build`` (created on demand)."""
    root = Path(os.environ.get("CONNECTIVITY_BUILD") or repo_root() / "_build")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
