"""Every notebook of the book: its parameters cell matches its settings, and it runs
end to end through papermill in both code paths at toy size (profiles ``smoke``,
the ``ci`` code path, and ``smoke-paper``, the papers' architectures at random weights)."""

from __future__ import annotations

import ast
import json
import shutil

import pytest
from conftest import REPO, needs_data, shared_data

from connectivity import execution, parameters, toc

NOTEBOOKS = toc.toc_notebooks(REPO)


def parameters_cell(name: str) -> dict[str, tuple[str | None, object]]:
    """Names, types (None: untyped) and values assigned in the notebook's ``parameters``
    cell."""
    text = (REPO / "notebooks" / f"{name}.py").read_text()
    cell = text.split('# %% tags=["parameters"]', 1)[1].split("\n# %%", 1)[0]
    out: dict[str, tuple[str | None, object]] = {}
    for node in ast.parse(cell).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = (ast.unparse(node.annotation), ast.literal_eval(node.value))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                out[ast.unparse(t)] = (None, ast.literal_eval(node.value))
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_declares_exactly_the_settings(name):
    cls = toc.settings_class(name)
    module, settings = toc.PAGES[name].split(":")
    line = f"from {module} import {settings}\n\nsettings = {settings}.from_notebook(globals())"
    assert line in (REPO / "notebooks" / f"{name}.py").read_text()
    cell = parameters_cell(name)
    assert list(cell) == cls.parameter_names(), (
        "parameters cell and settings fields differ (names or order)"
    )
    assert {k: t for k, (t, _) in cell.items()} == parameters.annotations(cls), (
        "each parameter is typed as connectivity.parameters.annotation writes its field's type"
    )
    assert cell["profile"][1] == "ci"
    assert all(v is None for k, (_, v) in cell.items() if k != "profile"), (
        "parameters other than profile are None"
    )
    for profile in ("paper", "ci", "smoke", "smoke-paper"):
        assert cls.resolve(profile).profile == profile  # every profile's overrides are consistent


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("profile", ["smoke", "smoke-paper"])
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_at_toy_size(name, profile, tmp_path, monkeypatch):
    shutil.copy(REPO / "_toc.yml", tmp_path / "_toc.yml")
    src = REPO / "notebooks" / f"{name}.py"
    (tmp_path / "notebooks" / f"{name}.py").parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, tmp_path / "notebooks" / f"{name}.py")
    monkeypatch.setenv("CONNECTIVITY_DATA", str(shared_data()))
    monkeypatch.setenv(
        "CONNECTIVITY_CACHE", str(REPO / ".cache")
    )  # decoded data shared with the book
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    row = execution.execute(name, tmp_path, profile, cell_timeout=600)
    assert row["status"] == "ok", row["error"]
    nb = json.loads((tmp_path / "book" / "executed" / f"{name}.ipynb").read_text())
    errors = [
        o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors


def test_the_page_registry_is_the_table_of_contents():
    """connectivity.toc lists every page of _toc.yml, in its order, and nothing else."""
    assert list(toc.PAGES) == NOTEBOOKS
    with pytest.raises(LookupError, match="not a page"):
        toc.settings_class("gu2023/03_missing")
