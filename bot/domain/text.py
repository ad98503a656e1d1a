"""Cleaning what people type or paste, at intake, before it is stored.

Control characters (but tab and newline) are removed; line and paragraph separators and
other line breaks become newlines; a single-line field has no newline at all. Nothing is
cut here: limits are the forms' business, and they say so.
"""

from __future__ import annotations

import re
import unicodedata

_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]*\n")


def clean_block(text: str) -> str:
    """Multi-line text: line breaks of every kind as ``\\n``, no control characters."""
    text = _BREAKS.sub("\n", text)
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return _SPACES.sub("\n", kept).strip()


def clean_line(text: str) -> str:
    """Single-line text (a title, a name): every run of whitespace one space."""
    return " ".join(clean_block(text).split())
