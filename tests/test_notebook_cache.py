"""The key under which an executed page is reused (issue 38): everything the page's
numbers depend on is in it, and nothing that does not change them; a stored entry comes
back as it was stored, and a damaged one is not served."""

from __future__ import annotations

import json
import shutil

import pytest

from connectivity import notebook_cache
from connectivity.kernels import portable_environment


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with one notebook, a copy of a small library and a private cache."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "page.py").write_text("# %%\nx = 1\n")
    (tmp_path / "requirements.txt").write_text("torch==2.14.1\n")
    library = tmp_path / "lib"
    library.mkdir()
    (library / "study.py").write_text("SEED = 0\n")
    monkeypatch.setattr(notebook_cache, "LIBRARY", library)
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    return tmp_path


def _key(root, name="page", profile="ci", parameters=None, environ=None):
    environ = environ if environ is not None else portable_environment({})
    return notebook_cache.notebook_key(root, name, profile, parameters, [], environ)


def test_the_key_holds_what_the_numbers_depend_on(project):
    key = _key(project)
    assert _key(project) == key  # nothing changed
    assert _key(project, profile="smoke") != key
    assert _key(project, parameters={"n_pairs": 3}) != key
    assert _key(project, parameters={"seed": 1}) != _key(project, parameters={"seed": 2})
    assert _key(project, environ=portable_environment({}) | {"CONNECTIVITY_DEVICE": "cuda"}) != key
    assert _key(project, environ={"CONNECTIVITY_KERNELS": "native"}) != key
    (project / "lib" / "study.py").write_text("SEED = 1\n")  # the code's version
    assert _key(project) != key
    changed = _key(project)
    (project / "notebooks" / "page.py").write_text("# %%\nx = 1\n# %% [markdown]\n# More.\n")
    assert _key(project) != changed  # the source, prose included
    source = _key(project)
    (project / "requirements.txt").write_text("torch==2.15.0\n")
    assert _key(project) != source


def test_a_page_that_reads_the_build_is_keyed_by_the_pages_before_it(project, monkeypatch):
    runs = project / "_build" / "scorecard" / "runs" / "page"
    runs.mkdir(parents=True)
    (runs / "models.t.a.json").write_text('{"verdict": "check"}')
    (project / "notebooks" / "scorecard.py").write_text("# %%\n")
    key = notebook_cache.notebook_key(
        project, "scorecard", "ci", None, ["page"], portable_environment({})
    )
    with pytest.raises(FileNotFoundError):  # its own source is in the key too
        notebook_cache.notebook_key(project, "nope", "ci", None, [], portable_environment({}))
    (runs / "models.t.a.json").write_text('{"verdict": "failed"}')
    again = notebook_cache.notebook_key(
        project, "scorecard", "ci", None, ["page"], portable_environment({})
    )
    assert again != key


def test_an_entry_comes_back_as_stored_and_a_damaged_one_is_not_served(project):
    executed = project / "book" / "executed" / "page.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text('{"cells": []}')
    records = project / "_build" / "scorecard" / "runs" / "page"
    records.mkdir(parents=True)
    (records / "models.t.a.json").write_text('{"verdict": "check"}')
    row = {"notebook": "page", "status": "ok", "seconds": 3.0}
    notebook_cache.store(project, "page", "k1", row, executed, records)
    shutil.rmtree(records)
    executed.unlink()
    assert notebook_cache.restore("page", "k2", executed, records) is None  # another key
    assert notebook_cache.restore("page", "k1", executed, records) == row
    assert executed.read_text() == '{"cells": []}'
    assert json.loads((records / "models.t.a.json").read_text()) == {"verdict": "check"}
    entry = project / "cache" / "notebooks" / "page" / "k1"
    (entry / "records" / "models.t.a.json").write_text('{"verdict": "reproduced"}')
    assert notebook_cache.restore("page", "k1", executed, records) is None
