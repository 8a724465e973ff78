"""The two learner programs a row is judged under: a licensing/specialty board, or OA REMS."""

from __future__ import annotations

from django.db import models


class Program(models.TextChoices):
    BOARD = "board", "Licensing or Specialty Board"
    REMS = "rems", "Opioid Analgesic REMS"
