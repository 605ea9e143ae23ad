"""A command that needs a missing optional extra says in one line which extra brings it, and writes nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim import extras


def test_require_names_the_extra_and_both_ways_to_install_it() -> None:
    with pytest.raises(extras.MissingExtra) as error:
        extras.require("sys", "sklearn.no_such_module_here")
    assert str(error.value) == ("no_such_module_here is not installed: it comes with the 'studies' extra (make test "
                                "installs every extra, or .venv/bin/pip install -c requirements.lock -e '.[studies]')")


def test_require_passes_when_everything_is_installed() -> None:
    extras.require("numpy", "optuna")


def _without(module: str, call: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``call`` in a fresh interpreter in which ``module`` cannot be imported, as if its extra were missing."""
    code = f"import sys\nsys.modules[{module!r}] = None\n{call}\n"
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("module", "call", "program", "extra"), [
    ("optuna", "from sim.apps.commands import optimise_main; optimise_main(['--trials', '1'])",
     "market-sim-optimise", "studies"),
    ("solara", "from sim.apps.commands import dashboard_main; dashboard_main([])", "market-sim-dashboard",
     "classroom"),
])
def test_a_command_without_its_extra_says_so_in_one_line(tmp_path, module, call, program, extra) -> None:
    done = _without(module, call, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"{program}: error: {module} is not installed: it comes with the '{extra}' extra")
    assert list(tmp_path.iterdir()) == []
