"""The arguments every ready-made study in ``experiments/`` shares (sim/apps/experiment.py)."""

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
