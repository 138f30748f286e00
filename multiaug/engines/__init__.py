"""Engines that run an augmenter over files: :mod:`multiaug.engines.local` (streaming, this machine)
and :mod:`multiaug.engines.ray` (Ray Data; needs ``multiaug[ray]``), both driven by one
:class:`RunOptions`."""
from .options import RunOptions

__all__ = ["RunOptions"]
