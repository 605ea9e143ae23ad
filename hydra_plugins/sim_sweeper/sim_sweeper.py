"""The sweeper ``market-sim -m`` uses: Hydra's basic sweeper with a cheaper check before each batch.

Before launching a batch, the basic sweeper composes every job's config in
the driver to catch composition errors early, then each worker composes it
again. At about 0.35 s a composition that serial check costs a 30-seed sweep
ten seconds before any job starts, a third of what a second worker saves.
Replications differ only by ``seed`` and the rows of a design table only by
``+design.row``, which cannot break a composition, so composing one job per
configuration catches the same errors.

It lives in Hydra's ``hydra_plugins`` namespace because Hydra instantiates
sweepers only from there. No ``from __future__ import annotations``: Hydra
runs this module without registering it in ``sys.modules``, where
``dataclass`` would look the postponed annotations up.
"""

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from omegaconf import open_dict


@dataclass
class SimSweeperConf:
    """The basic sweeper's settings, with this sweeper as the target."""

    _target_: str = "hydra_plugins.sim_sweeper.sim_sweeper.SimSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(group="hydra/sweeper", name="sim", node=SimSweeperConf, provider="sim")


class SimSweeper(BasicSweeper):
    """Expands and launches jobs exactly as :class:`BasicSweeper` does."""

    def setup(self, *, hydra_context, task_function, config) -> None:
        """Set up as the basic sweeper does; Ray's own start-up lines stay out of a log or a pipe.

        In a pipe Ray would write a token-authentication warning and its
        dashboard address in colour codes before the sweep's first line;
        its errors still show. A terminal sees what Ray writes, and a
        ``hydra.launcher.ray.init.logging_level`` given by the user wins.
        """
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        ray_cfg = getattr(self.launcher, "ray_cfg", None)
        if ray_cfg is not None and not sys.stdout.isatty():
            with open_dict(ray_cfg):
                ray_cfg.init.setdefault("logging_level", "ERROR")

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose the first job of each configuration in ``batch`` (see the module docstring)."""
        from sim.sweeps.driver import one_job_per_configuration

        super().validate_batch_is_legal(one_job_per_configuration(batch))
