"""A sweep over a design table records each row's values, so its store and report have parameters, not row numbers."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from sim.config import load_config
from sim.output import jobs
from sim.sweeps import store

MARKET_SIM = str(Path(sys.executable).with_name("market-sim"))


def test_the_columns_of_a_design_table_are_the_swept_parameters_of_its_sweep(tmp_path):
    pd.DataFrame({"sample": [0, 1], "market.drift": [0.5, 2.0], "market.wom.imitation": [0.2, 0.6]}).to_parquet(
        tmp_path / "design.parquet")
    done = subprocess.run([MARKET_SIM, "-m", "market.customers=300", "market.steps=12", "output.figure=false",
                           "+design.file=design.parquet", "+design.row=range(0,2)", "seed=0", "hydra.sweep.dir=sweep"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "sweep" / "1" / jobs.RECORD).read_text())
    assert record["design"] == {"market.drift": 2.0, "market.wom.imitation": 0.6}
    built = store.build(tmp_path / "sweep")
    assert built.swept == ("market.drift", "market.wom.imitation")
    with built.connect() as connection:
        runs = connection.execute('SELECT "market.drift", "market.wom.imitation" FROM runs ORDER BY job').fetchall()
    assert runs == [(0.5, 0.2), (2.0, 0.6)]


def test_a_design_row_keeps_each_columns_type_and_an_unreadable_table_records_nothing(tmp_path):
    pd.DataFrame({"sample": [0], "market.customers": [300], "market.drift": [0.5]}).to_parquet(tmp_path / "d.parquet")
    assert jobs.design_values([f"+design.file={tmp_path / 'd.parquet'}", "+design.row=0"]) == {
        "market.customers": 300, "market.drift": 0.5}
    assert jobs.design_values([f"+design.file={tmp_path / 'missing.parquet'}", "+design.row=0"]) == {}
    assert jobs.design_values(["market.drift=1"]) == {}


def test_an_integer_design_column_stays_an_integer_beside_a_float_one(tmp_path):
    """A row read as a Series would give market.customers=300.0, which the schema refuses."""
    pd.DataFrame({"market.customers": [300, 400], "market.drift": [0.5, 2.0]}).to_parquet(tmp_path / "d.parquet")
    config = load_config([f"+design.file={tmp_path / 'd.parquet'}", "+design.row=1"])
    assert config.market.customers == 400 and config.market.drift == 2.0
