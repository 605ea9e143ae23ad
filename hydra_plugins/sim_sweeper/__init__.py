"""Hydra's basic sweeper, checking one job per configuration instead of every job (``hydra/sweeper=sim``)."""
