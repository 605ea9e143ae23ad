"""The notebooks' first code cell installs the project where it is missing, and only there.

In Colab, or a Jupyter without the project, that cell is all a class has, so it is run as there: in a fresh virtual
environment, from a git URL (a clone of this checkout at HEAD; uncommitted changes are not in it). It installs the
core only, without the ``classroom`` extra: the notebooks import nothing else, and Colab has Jupyter already.
"""

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# What pip prints when it reaches no index and has nothing cached; anything else is a real failure
OFFLINE = re.compile(r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
                     r"|Network is unreachable|from versions: none")


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def _install_cell(path: Path) -> str:
    return next(source for source in _code_cells(path) if "REPOSITORY =" in source)


def _with_repository(source: str, url: str) -> str:
    changed, count = re.subn(r'^REPOSITORY = "[^"]*"', f'REPOSITORY = "{url}"', source, flags=re.MULTILINE)
    assert count == 1, "the install cell sets REPOSITORY on one line of its own"
    return changed


def _notebook_imports() -> str:
    """Every import statement of every notebook, so a fresh environment can show it has what the lessons use."""
    statements = [ast.unparse(node) for path in NOTEBOOKS for source in _code_cells(path)
                  for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(statements))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_first_code_cell_of_every_notebook_is_the_same_install_cell(path):
    assert _code_cells(path)[0] == _install_cell(NOTEBOOKS[0])


def test_the_cell_does_nothing_where_the_project_is_installed(monkeypatch):
    def install(*args, **kwargs):
        raise AssertionError(f"the cell ran {args} although sim is importable")

    monkeypatch.setattr(subprocess, "run", install)
    exec(_install_cell(NOTEBOOKS[0]), {})


@pytest.fixture(scope="module")
def fresh() -> Iterator[tuple[Path, Path]]:
    """A clone of this checkout and an empty virtual environment, removed afterwards (the environment is ~1 GB)."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout, so there is no repository to install from")
    with tempfile.TemporaryDirectory(prefix="install-cell-") as folder:
        clone, venv = Path(folder) / "clone", Path(folder) / "venv"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        yield clone, venv


def _run(venv: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the fresh environment's python, away from this checkout so it cannot import sim from here."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=venv, env=environment,
                          capture_output=True, text=True, timeout=900)


def test_the_cell_installs_the_project_from_a_git_url_once(fresh):
    clone, venv = fresh
    cell = _install_cell(NOTEBOOKS[0])
    installed = _run(venv, _with_repository(cell, f"git+file://{clone}"))  # about 50 s here, with pip's cache
    offline = OFFLINE.search(installed.stderr)
    if installed.returncode and offline and not os.environ.get("CI"):
        pytest.skip(f"pip reached no package index and has nothing cached ({offline.group()}); under CI this fails")
    assert installed.returncode == 0, installed.stderr

    run = _run(venv, f"{_notebook_imports()}\nimport sim\nprint(sim.__file__)\n"
                     "sim.run_model(sim.load_config(['market.customers=300', 'market.steps=3']), 0)")
    assert run.returncode == 0, run.stderr
    source = Path(run.stdout.splitlines()[0])
    assert source.is_relative_to(venv), f"sim came from {source}, not the fresh virtual environment"

    # A second run must not call pip: from a repository that does not exist it would fail
    again = _run(venv, _with_repository(cell, f"git+file://{venv}/no-such-repository"))
    assert again.returncode == 0, again.stderr
