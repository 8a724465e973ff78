"""Name normalisation shared by the directory and the matching engine."""

from __future__ import annotations

import unicodedata

from anyascii import anyascii

# Space, hyphen, apostrophes (straight, backtick), full stop, tab: what anyascii leaves of them.
_DROPPED = str.maketrans("", "", " -'`.\t\"")
_HIDDEN = frozenset({"Cc", "Cf"})  # control and format (e.g. U+202E right-to-left override)


def name_key(name: str) -> str:
    """Compare names ignoring case, accents, spaces, hyphens and apostrophes: O'Keeffe == okeeffe.

    Letters are folded to ASCII by anyascii (ISC), so Ø→O, æ→ae, ß→ss, ł→l, đ→d as well as
    accents: Søren and Soren are one name.
    """
    if any(unicodedata.category(ch) in _HIDDEN for ch in name if ch != "\t"):
        # A control or bidi-override character hides what the name says: it matches nobody.
        return name.casefold()
    return anyascii(name).casefold().translate(_DROPPED)
