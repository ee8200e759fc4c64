"""Functional coverage of the ISS's retirement trace (docs/coverage.md)."""

from .closure import holes, summary, table, to_json
from .model import Model
from .runs import Coverage
from .sampler import Sampler

__all__ = ["Coverage", "Model", "Sampler", "holes", "summary", "table", "to_json"]
