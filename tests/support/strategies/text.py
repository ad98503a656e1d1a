"""Text, numbers, odd values: what a user or the app's own earlier output controls, generated
odd or hostile (control characters, U+2028, huge digit strings, ``T-²``, wrong types).

The builders are cached (``functools.cache``, a ``World`` hashes by identity): hypothesis
then builds each strategy once, not on every draw.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

WHITESPACE: Final = (" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029"
                     "\u202f\u205f\u3000\u200b\ufeff")
"""What ``str.strip`` removes, and two it does not (zero-width space, BOM)."""
ODD_CATEGORIES: Final = ("Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "Me", "Co", "So", "Nd", "No")
HUGE_DIGITS: Final = "9" * 5000
"""More digits than ``int()`` converts (4300 by default)."""
ODD_TEXTS: Final = (
    "", " ", "list", "LIST", " List ", "list me", "T-", "T-²", "T-①", "T-٣", "T-１２",
    "t-1001", "T-0", "T-00", "T--1", "T-1e3", "T-1_000", "T- 1", "T-+1", "T-" + HUGE_DIGITS,
    HUGE_DIGITS, "\u2028", "\u2029", "T-1001\u2028", "\u2028list", "\x00", "\x1b[31mred",
    "\ufeff", "\u202eevil", "<!channel>", "<!here>", "<@U0STAFF001>", "<#C0TRIAGE01>",
    "*bold* _it_ ~s~", "```code```", "&amp;&lt;&gt;", "%00", "null", "{}", "[]", "\\", '"',
    "'; DROP TABLE tickets; --", "\U0001f3ab" * 50, "e\u0301" * 100, "\r\n" * 10,
    "a\x00b", "\U0001f3ab T-1001", "list\x00",
)
"""Texts known to be odd: empty, ``list`` and ticket keys in every spelling, digits that
are not ASCII (``int('²')`` fails), too many digits, line separators, control and
direction characters, Slack markup and mentions."""
SIZES: Final = (149, 150, 151, 1500, 2999, 3000, 3001, 4000, 4301, 12_000, 40_000)
"""Lengths around Slack's limits (a title 150, a text 3,000) and far over them."""


@functools.cache
def hostile_text(max_size: int = 200) -> SearchStrategy[str]:
    """Any text: plain, unicode, control and format characters, the odd ones, oversized."""
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(ODD_TEXTS),
        st.text(st.characters(categories=ODD_CATEGORIES), max_size=max_size),
        st.builds(operator.add, st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3),
                  st.sampled_from(ODD_TEXTS)),
        oversized_text(),
    )


@functools.cache
def oversized_text() -> SearchStrategy[str]:
    """Text around and far over Slack's limits (150 for a title, 3000 for a text)."""
    return st.builds(lambda unit, n: (unit * n)[:n],
                     st.sampled_from(("x", "9", "é", "\U0001f3ab", "\u2028", " ", "<", "\x00",
                                      "ab ")),
                     st.sampled_from(SIZES) | st.integers(0, 12_000))


JSON_LEAF: Final[SearchStrategy[Any]] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES: Final[SearchStrategy[Any]] = st.recursive(
    JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=8)
"""Any JSON value (NaN and Infinity too)."""
NOT_A_STRING: Final[SearchStrategy[Any]] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.lists(JSON_LEAF, max_size=3), st.dictionaries(st.text(max_size=8), JSON_LEAF, max_size=3))
"""A value of the wrong type where a string belongs."""

EDGE_NUMBERS: Final = (0, -1, 1, 999, 1000, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63,
                       2**64, -(2**63), 10**100)
