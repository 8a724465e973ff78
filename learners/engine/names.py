"""Name normalisation shared by the directory and the matching engine."""

from __future__ import annotations

import unicodedata

# Space, hyphen, apostrophes (straight, typographic U+2019, backtick), full stop, tab.
_DROPPED = str.maketrans("", "", " -'\u2019`.\t")


def name_key(name: str) -> str:
    """Compare names ignoring case, accents, spaces, hyphens and apostrophes: O'Keeffe == okeeffe."""
    decomposed = unicodedata.normalize("NFKD", name)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return without_accents.casefold().translate(_DROPPED)
