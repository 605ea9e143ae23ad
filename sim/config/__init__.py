"""The ground floor: the typed schema every run is configured by, and composing it from ``conf/``.

Nothing here knows the model; every other floor reads a validated
:class:`SimConfig`, never a Hydra ``DictConfig``.
"""

from sim.lazy import exports

_HOMES = {
    "AUDIENCES": "sim.config.schema",
    "BehaviourConfig": "sim.config.schema",
    "CONFIG_DIR": "sim.config.compose",
    "ConfigError": "sim.config.schema",
    "CostConfig": "sim.config.schema",
    "EVENT_KINDS": "sim.config.schema",
    "EventConfig": "sim.config.schema",
    "FirmConfig": "sim.config.schema",
    "INFORMATION_SOURCES": "sim.config.schema",
    "MarketConfig": "sim.config.schema",
    "NETWORK_KINDS": "sim.config.schema",
    "NetworkConfig": "sim.config.schema",
    "OutputConfig": "sim.config.schema",
    "PRICING_POLICIES": "sim.config.schema",
    "PURCHASE_PROCESSES": "sim.config.schema",
    "PurchaseConfig": "sim.config.schema",
    "SERVICE_POLICIES": "sim.config.schema",
    "SegmentConfig": "sim.config.schema",
    "SimConfig": "sim.config.schema",
    "StrategyConfig": "sim.config.schema",
    "TARGETING": "sim.config.schema",
    "WordOfMouthConfig": "sim.config.schema",
    "load_config": "sim.config.compose",
    "register_configs": "sim.config.schema",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = exports(__name__, _HOMES)
