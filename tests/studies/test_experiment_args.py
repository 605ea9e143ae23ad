"""The arguments every ready-made study in ``experiments/`` shares (sim/apps/experiment.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.apps import experiment


def test_a_config_dir_is_searched_wherever_a_study_composes_and_a_missing_one_is_refused(tmp_path, capsys):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "small.yaml").write_text("# @package _global_\nmarket:\n  customers: 600\n")
    args = experiment.parser("A study.", seeds=2).parse_args(["--config-dir", str(tmp_path), "scenario=small"])
    assert experiment.compose("study", args.overrides).market.customers == 600
    with pytest.raises(SystemExit) as stopped:
        experiment.parser("A study.", seeds=2).parse_args(["--config-dir", str(tmp_path / "nowhere")])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"--config-dir: no such folder: {tmp_path / 'nowhere'}")


@pytest.mark.parametrize("script", ["futures", "robustness"])
def test_the_studies_with_their_own_arguments_refuse_a_missing_config_dir_too(tmp_path, script):
    """futures.py and robustness.py build their own parsers on experiment.StudyParser: the same option."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "experiments" / f"{script}.py"), "--config-dir",
                           str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"--config-dir: no such folder: {tmp_path / 'nowhere'}")
