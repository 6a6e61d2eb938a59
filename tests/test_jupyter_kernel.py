"""The Jupyter kernel ``make install`` registers: a notebook opened in Jupyter computes on
the runner's kernels, so it reuses the book's cached results and shows the page's numbers,
and its settings cell runs again after the notebook ran (issue 34, deliver 4)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import REPO, needs_data, shared_data

from connectivity import execution, kernels

PAGE = "gu2023/01_table1"  # a cheap page that caches its runs (smoke: ~30 s)


@pytest.fixture
def registered(tmp_path, monkeypatch) -> Path:
    """The kernel registered in a private Jupyter folder (nothing written elsewhere), the
    only one Jupyter finds besides the built-in python3."""
    prefix = tmp_path / "jupyter"
    spec = Path(kernels.install_kernel(prefix=str(prefix)))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-user"))
    return spec


def test_the_registered_kernel_is_this_python_on_the_portable_kernels(registered):
    spec = json.loads((registered / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["env"] == {**kernels.PORTABLE, **kernels.WAITING}
    assert spec["display_name"] == kernels.KERNEL_DISPLAY_NAME
    assert kernels.registered_kernel() == kernels.KERNEL_NAME
    # another environment's kernel of that name, or one registered before the portable
    # kernels changed, is not used by the runner
    for changed in ({"argv": ["/elsewhere/bin/python", *spec["argv"][1:]]}, {"env": {}}):
        (registered / "kernel.json").write_text(json.dumps(spec | changed))
        assert kernels.registered_kernel() is None


def test_every_notebook_names_the_registered_kernel():
    for path in sorted((REPO / "notebooks").rglob("*.py")):
        spec = jupytext.read(path).metadata["kernelspec"]
        assert spec["name"] == kernels.KERNEL_NAME, path
        assert spec["display_name"] == kernels.KERNEL_DISPLAY_NAME, path


def test_make_install_registers_the_kernel():
    makefile = (REPO / "Makefile").read_text()
    assert "install: $(STAMP) $(KERNEL)" in makefile
    assert "-m connectivity.kernels --install-kernel" in makefile
    assert "kernels/connectivity/kernel.json" in makefile


def _glue(cells) -> dict[str, str]:
    """The glued values of executed cells, by name."""
    out = {}
    for cell in cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                out[meta["name"]] = o["data"][meta["mime_prefix"] + "text/plain"]
    return out


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@needs_data
@pytest.mark.slow
def test_jupyter_after_the_runner_recomputes_nothing_and_shows_the_pages_numbers(
    registered, tmp_path, monkeypatch
):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    root = tmp_path / "project"
    src = root / "notebooks" / f"{PAGE}.py"
    src.parent.mkdir(parents=True)
    shutil.copy(REPO / "_toc.yml", root / "_toc.yml")
    shutil.copy(REPO / "notebooks" / f"{PAGE}.py", src)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONNECTIVITY_DATA", str(shared_data()))
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(cache))
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    # Jupyter's own environment has none of the runner's variables: only the kernel sets them
    for name in (*kernels.PORTABLE, *kernels.WAITING, kernels.KERNELS_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CONNECTIVITY_ROOT", raising=False)
    monkeypatch.delenv("CONNECTIVITY_NOTEBOOK", raising=False)

    row = execution.execute(PAGE, root, "smoke", cell_timeout=600)
    assert row["status"] == "ok", row["error"]
    book = json.loads((root / "book" / "executed" / f"{PAGE}.ipynb").read_text())
    assert book["metadata"]["kernelspec"]["name"] == kernels.KERNEL_NAME
    before = _snapshot(cache)
    assert any(not k.startswith("data") for k in before), "the page cached nothing"

    # the notebook as Jupyter opens it (the kernel its header names), the reader choosing
    # the smoke profile in its parameters cell
    nb = jupytext.read(src)
    assert nb.metadata["kernelspec"]["name"] == kernels.KERNEL_NAME
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    settings = next(i for i, c in enumerate(nb.cells) if "from_notebook(globals())" in c.source)
    source = nb.cells[params].source
    nb.cells[params].source = source.replace('profile: str = "ci"', 'profile: str = "smoke"')
    assert nb.cells[params].source != source
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(src.parent)}})

    def run(cell, index: int):
        return client.execute_cell(cell, index)

    def probe(code: str):  # a cell the reader adds at the end
        nb.cells.append(nbformat.v4.new_code_cell(code))
        return run(nb.cells[-1], len(nb.cells) - 1)

    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            run(cell, i)
        assert _snapshot(cache) == before, "the notebook computed what the book had cached"
        assert _glue(nb.cells) == _glue(book["cells"]), "the notebook shows other numbers"
        probe(
            "import os\n"
            f"assert {{k: os.environ.get(k) for k in {list(kernels.PORTABLE)}}} == "
            f"{kernels.PORTABLE}"
        )

        # a parameter changed, the parameters and settings cells run again: no restart
        nb.cells[params].source = nb.cells[params].source.replace(
            "n_pairs: int = None", "n_pairs: int = 3"
        )
        run(nb.cells[params], params)
        run(nb.cells[settings], settings)
        probe("assert settings.n_pairs == 3, settings.n_pairs")
        # ... and a misspelling in the edited parameters cell is still refused
        nb.cells[params].source += "\nn_pair: int = 3"
        run(nb.cells[params], params)
        with pytest.raises(CellExecutionError, match="unknown parameter 'n_pair'"):
            run(nb.cells[settings], settings)
    assert os.environ.get("ONEDNN_MAX_CPU_ISA") is None  # the test's own process untouched
