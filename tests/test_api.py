"""`import sim` is the API: every name it and its floors promise loads, and the faces people read use only it."""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ("config", "world", "output", "clv", "studies", "sweeps", "apps")
#: An import of a module inside a floor (``from sim.world.run import ...``), which users should not need.
INTERNAL = re.compile(r"^\s*(from|import) sim\.\w+\.\w+", re.M)


@pytest.mark.parametrize("package", ["sim", *(f"sim.{floor}" for floor in FLOORS)])
def test_every_exported_name_loads(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module)) | {"DISTRIBUTION", "__version__"}


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"module 'sim\.world' has no attribute 'nothing'"):
        importlib.import_module("sim.world").nothing  # noqa: B018


def test_importing_sim_loads_neither_the_model_nor_mesa() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, sim; print('mesa' in sys.modules, 'sim.world.model' in "
                           "sys.modules)"], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"]


def _code(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    return path.read_text()


@pytest.mark.parametrize("path", sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("experiments/*.py")]),
                         ids=lambda path: path.name)
def test_notebooks_and_experiments_use_the_api_not_internal_modules(path: Path) -> None:
    assert INTERNAL.findall(_code(path)) == []


def test_the_readme_examples_use_the_api() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks and all(INTERNAL.findall(block) == [] for block in blocks)
