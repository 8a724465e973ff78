"""The learner record engine's services: validate, store and process batches of LearnerRows."""

from __future__ import annotations

from learners.results import RowError, RowResult

__all__ = ["RowError", "RowResult"]
