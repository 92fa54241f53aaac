"""The Geopera Orders & Tasking contract: the operations table and its models."""

from __future__ import annotations

from . import models
from .operations import OPERATIONS, OPERATIONS_BY_ID, PLACE_BODY_MODELS, Operation

__all__ = ["OPERATIONS", "OPERATIONS_BY_ID", "PLACE_BODY_MODELS", "Operation", "models"]
