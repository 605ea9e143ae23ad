"""The output contract: documented columns, reproducibility, and files that are never partial."""

import json
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from sim.output.files import read_results, write_results
from sim.world.run import run_model

DOCS = Path(__file__).resolve().parents[2] / "docs" / "OUTPUTS.md"


def _documented_columns(table: str) -> list[str]:
    section = DOCS.read_text().split(f"## {table}.parquet")[1].split("\n## ")[0]
    return re.findall(r"^\| ([a-z_&;]+) \|", section, flags=re.MULTILINE)[1:]


@pytest.mark.parametrize("table", ["firms", "segments", "tenures"])
def test_tables_have_exactly_the_documented_columns(small_config, table):
    result = run_model(small_config)
    documented = _documented_columns(table)
    attributes = [f"offering_{a}" for a in small_config.market.attributes]
    expected = [c for c in documented if c != "offering_&lt;attribute&gt;"] + (attributes if table == "firms" else [])
    assert list(getattr(result, table).columns) == expected


def test_tables_are_tidy_and_consistent(small_config):
    result = run_model(small_config)
    steps, firms, segments = small_config.market.steps, len(small_config.firms), len(small_config.segments)
    assert len(result.firms) == steps * firms
    assert len(result.segments) == steps * firms * segments
    by_firm = result.segments.groupby(["step", "firm"], observed=True)["customers"].sum()
    assert by_firm.to_numpy() == pytest.approx(result.firms.set_index(["step", "firm"])["customers"].to_numpy())
    costs = result.firms.filter(like="cost_").sum(axis=1)
    assert (result.firms["revenue"] - costs).to_numpy() == pytest.approx(result.firms["profit"].to_numpy())
    # Every customer's spells tile time without overlap.
    spells = result.tenures
    assert (spells["end"] >= spells["start"]).all()
    ordered = spells.sort_values(["customer", "start"])
    same_customer = ordered["customer"].to_numpy()[1:] == ordered["customer"].to_numpy()[:-1]
    starts_after_previous_end = ordered["start"].to_numpy()[1:] >= ordered["end"].to_numpy()[:-1]
    assert starts_after_previous_end[same_customer].all()
    held = result.firms[result.firms["step"] == steps]["customers"].sum()
    assert (spells["ended_by"] == "censored").sum() * small_config.market.scale == pytest.approx(held)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.suffix == ".parquet"}


def _summary_without_timing(directory: Path) -> dict:
    summary = json.loads((directory / "summary.json").read_text())
    summary.pop("wall_time_seconds")
    assert set(summary.pop("phase_seconds")) >= {"build network", "word of mouth", "choice", "tables"}
    return summary


def test_same_seed_same_files_alone_or_in_a_worker(small_config, tmp_path):
    write_results(run_model(small_config, seed=3), tmp_path / "a")
    write_results(run_model(small_config, seed=3), tmp_path / "b")
    with ProcessPoolExecutor(1) as pool:
        in_worker = pool.submit(run_model, small_config, 3).result()
    write_results(in_worker, tmp_path / "c")
    assert _files(tmp_path / "a") == _files(tmp_path / "b") == _files(tmp_path / "c")
    assert _summary_without_timing(tmp_path / "a") == _summary_without_timing(tmp_path / "c")


def test_different_seeds_differ(small_config):
    first = run_model(small_config, seed=1).firms
    second = run_model(small_config, seed=2).firms
    assert not first.equals(second)


def test_results_read_back_unchanged(small_config, tmp_path):
    result = run_model(small_config)
    write_results(result, tmp_path)
    again = read_results(tmp_path)
    for table in ("firms", "segments", "tenures"):
        pd.testing.assert_frame_equal(getattr(again, table), getattr(result, table))
    assert not list(tmp_path.glob(".*tmp*"))
