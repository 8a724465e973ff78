"""Name normalisation shared by the directory and the matching engine."""

from __future__ import annotations

from anyascii import anyascii

# Space, hyphen, apostrophes (straight, backtick), full stop, tab: what anyascii leaves of them.
_DROPPED = str.maketrans("", "", " -'`.\t\"")


def name_key(name: str) -> str:
    """Compare names ignoring case, accents, spaces, hyphens and apostrophes: O'Keeffe == okeeffe.

    Letters are folded to ASCII by anyascii (ISC), so Ø→O, æ→ae, ß→ss, ł→l, đ→d as well as
    accents: Søren and Soren are one name.
    """
    return anyascii(name).casefold().translate(_DROPPED)
