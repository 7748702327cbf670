"""Execute every notebook in ``notebooks/`` top to bottom (SPEC §8) and check its key outputs.

Each notebook runs in a fresh kernel started from *this* interpreter (``sys.executable``), through
a kernelspec written to a temporary folder, so the kernel always imports the ownergraph under
test — whatever ``python3`` kernelspecs the machine has. A cell error fails the test with the
cell's traceback. The notebooks must be stored without outputs and must not write into the
repository (their workspaces live in temporary folders).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import default

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "ownergraph-test-python"
CELL_TIMEOUT = 180  # seconds per cell; a whole notebook takes a few seconds

# strings each notebook must print (stream or text/plain output) when it ran as intended
EXPECTED: dict[str, list[str]] = {
    "01_sensetime_case_study.ipynb": [
        "OFAC 33114 resolves to SENSETIME GROUP LIMITED by registration number HK:2162198",
        "listed-parent (ofac-ns-cmic, 2022-01-07): sensetime-group-inc → ofac:33114 [XHKG:0020]",
        "held below the listed parent: ['beijing-sensetime', 'ofac:33114', 'shenzhen-sensetime']",
    ],
    "02_portfolio_screening.ipynb": [
        "ambiguous name: 2 entities named 'China Mobile Limited'",
        "no listing with ISIN TW0002330008",
        "[ofac-ns-cmic / subsidiary] SenseTime Group Inc. owns (share unknown) SenseTime Group Limited",
    ],
    "03_regimes_side_by_side.ipynb": [
        "eu2-e     restricted under ofac-sdn, eu, bis-entity-list; not under uk",
        "uk2-e     restricted under ofac-sdn, eu, bis-entity-list; not under uk",
        "BIS, 30% + 25% (OFAC-4):     2026-03-01 not_restricted | 2026-11-26 restricted",
    ],
    "04_gleif_bods_group_structure.ipynb": [
        "largest group:",
        "consolidation edges with unknown shares:",
    ],
}


@pytest.fixture(scope="session")
def kernel_manager(tmp_path_factory: pytest.TempPathFactory) -> type[AsyncKernelManager]:
    """A kernel manager class that finds one kernelspec only: this interpreter's.

    The client is given the class (not an instance), so it owns the kernel and shuts it down and
    closes its sockets when the notebook is done.
    """
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "ownergraph tests", "language": "python"}), encoding="utf-8"
    )

    class Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _only_this_python(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(root)])

    return Manager


def _snapshot() -> set[Path]:
    """Entries a notebook could leave behind in the repository by mistake."""
    return set(REPO.iterdir()) | set(NOTEBOOKS.rglob("*"))


def _texts(nb: Any) -> str:
    """All stream and text/plain outputs of an executed notebook, in order."""
    out: list[str] = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            elif "text/plain" in o.get("data", {}):
                out.append(o["data"]["text/plain"])
    return "\n".join(out)


def test_there_are_notebooks() -> None:
    assert {p.name for p in NOTEBOOK_FILES} >= set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=[p.stem for p in NOTEBOOK_FILES])
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=[p.stem for p in NOTEBOOK_FILES])
def test_notebook_runs(path: Path, kernel_manager: type[AsyncKernelManager]) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        kernel_manager_class=kernel_manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    before = _snapshot()
    start = time.monotonic()
    client.execute()  # raises CellExecutionError with the cell's traceback on any error
    seconds = time.monotonic() - start
    left = sorted(str(p.relative_to(REPO)) for p in _snapshot() - before)
    assert not left, f"{path.name} wrote into the repository: {left}"
    text = _texts(nb)
    missing = [s for s in EXPECTED.get(path.name, []) if s not in text]
    assert not missing, f"{path.name}: expected output not found: {missing}"
    assert seconds < 90, f"{path.name} took {seconds:.1f} s"
