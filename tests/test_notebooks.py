"""The notebooks in docs/notebooks/ run from top to bottom, and are stored without outputs.

Each notebook is executed with nbclient in a kernel of this very interpreter (a kernelspec written to
a temporary JUPYTER_PATH, so no user-level ``python3`` kernel can stand in), with the notebook's own
folder as working directory, as a reader would run it. Any cell error fails the test, and so does a
warning printed by a cell: readers should not see them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
KERNEL = "govsim-test"


def test_the_six_notebooks_are_there() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) == 6, names
    for prefix in ("01_", "02_", "03_", "04_", "05_", "06_"):
        assert any(n.startswith(prefix) for n in names), names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs before committing"


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "govsim tests", "language": "python"}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(root))
    monkeypatch_module.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's path-migration notice otherwise
    monkeypatch_module.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, kernel_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=240, resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    noisy = [(i, o.get("text", "")) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
             if o.output_type == "stream" and o.name == "stderr" and "Warning" in o.get("text", "")]
    assert not noisy, f"{path.name} printed warnings: {noisy[:3]}"
    # every notebook shows its reader something: a table, a figure or printed text
    shown = sum(1 for c in code for o in c.outputs if o.output_type in ("execute_result", "display_data", "stream"))
    assert shown >= len(code) // 2
