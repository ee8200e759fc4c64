"""Errors for unusable input (a bad ELF, an address outside RAM, a bad ISA)."""

from __future__ import annotations


class SimError(ValueError):
    """A one-line description of why the simulator cannot run this input."""
