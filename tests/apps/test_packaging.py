"""The package outside the checkout: a wheel that runs anywhere, configs inside it, user config folders."""

import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import sim
from sim.config.compose import CONFIG_DIR, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "my_conf"
MARKET_SIM = str(Path(sys.executable).with_name("market-sim"))
SHORT = ["market.steps=12", "market.customers=500", "output.figure=false"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed into a new virtual environment.

    The environment reuses this one's installed dependencies through a
    ``.pth`` line (so the test needs no network and installs in seconds)
    but not its checkout: ``.pth`` files inside that folder are not read,
    so the editable install of this repository stays invisible.
    """
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(folder / "dist"),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = (folder / "dist").glob("customer_strategy_sim-*.whl")
    environment = folder / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    return wheel, environment / "bin"


def test_the_wheel_carries_every_config_file_and_its_metadata(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(name for name in names if name.endswith(".dist-info/METADATA"))
        text = archive.read(meta).decode()
    shipped = {f"sim/conf/{path.relative_to(CONFIG_DIR).as_posix()}" for path in CONFIG_DIR.rglob("*.yaml")}
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "hydra_plugins/sim_sweeper/sim_sweeper.py" in names
    assert "Name: customer-strategy-sim" in text and f"Version: {sim.__version__}" in text
    assert "License-Expression: MIT" in text and "Classifier: Programming Language :: Python :: 3.11" in text


def test_the_installed_wheel_runs_a_market_from_any_folder(installed, tmp_path):
    _, bin_dir = installed
    where = subprocess.run([str(bin_dir / "python"), "-c", "import sim; print(sim.__file__)"], cwd=tmp_path,
                           check=True, capture_output=True, text=True).stdout
    assert str(bin_dir.parent) in where and str(ROOT) not in where
    done = subprocess.run([str(bin_dir / "market-sim"), "market.steps=12"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (run,) = (tmp_path / "outputs").glob("*/*")
    assert {"firms.parquet", "segments.parquet", "tenures.parquet", "summary.json", "market.png"} <= {
        path.name for path in run.iterdir()}
    swept = subprocess.run([str(bin_dir / "market-sim"), "-m", *SHORT, "seed=0,1", "hydra.sweep.dir=sweep"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert swept.returncode == 0, swept.stderr
    assert "sim_sweeper" in (tmp_path / "sweep" / "multirun.yaml").read_text()


def test_the_installed_wheel_takes_a_users_config_folder(installed, tmp_path):
    _, bin_dir = installed
    done = subprocess.run([str(bin_dir / "market-sim"), "--config-dir", str(EXAMPLE), "scenario=loyalty_push",
                           *SHORT], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "obsessed    loyal" in done.stdout


@pytest.mark.parametrize("how", [["--config-dir", str(EXAMPLE)], [f"hydra.searchpath=[file://{EXAMPLE}]"]])
def test_a_users_folder_adds_a_scenario_and_a_strategy_without_touching_the_repository(tmp_path, how):
    done = subprocess.run([MARKET_SIM, *how, "scenario=loyalty_push", *SHORT], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "obsessed    loyal" in done.stdout
    missing = subprocess.run([MARKET_SIM, "scenario=loyalty_push", *SHORT], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert missing.returncode == 2 and "scenario" in missing.stderr


def test_load_config_searches_a_users_folders():
    config = load_config(["scenario=loyalty_push"], config_dirs=[EXAMPLE])
    assert config.firms["obsessed"].strategy == "loyal"
    assert config.strategies["loyal"].winback_discount == 0.3
    assert config.strategies["loyal"].information == config.strategies["centric"].information


def test_the_version_has_one_home_the_package_metadata():
    assert sim.__version__ == metadata.version("customer-strategy-sim")
    assert 'version = "' + sim.__version__ + '"' in (ROOT / "pyproject.toml").read_text()
