"""The floors of sim/ hold (import-linter's contracts in pyproject.toml), and a wrong import breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts that a test may break."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_package_keeps_every_contract(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout
    assert "3 kept, 0 broken" in done.stdout


def test_the_world_importing_a_study_breaks_the_floors(tree: Path) -> None:
    with (tree / "sim" / "world" / "run.py").open("a") as module:
        module.write("from sim.studies import stats  # noqa\n")
    done = _lint(tree)
    assert done.returncode == 1
    assert "sim.world.run -> sim.studies.stats" in done.stdout
    assert "0 kept, 3 broken" in done.stdout


def test_a_cycle_closed_only_by_a_type_hint_is_refused(tree: Path) -> None:
    firms = tree / "sim" / "world" / "firms.py"
    firms.write_text(firms.read_text().replace(
        "from typing import Protocol\n",
        "from typing import TYPE_CHECKING, Protocol\n\n"
        "if TYPE_CHECKING:\n    from sim.world.model import MarketModel\n"))
    done = _lint(tree)
    assert done.returncode == 1
    assert "No cycles are allowed in sim.world" in done.stdout and ".firms -> .model" in done.stdout
