"""Cleaning what people type or paste, at intake, before it is stored.

Control characters (but tab and newline) are removed; line and paragraph separators and
other line breaks become newlines; a single-line field has no newline at all. Nothing is
cut here: limits are the forms' business, and they say so. Text that shows nothing (spaces,
zero-width and other invisible characters only) is ``blank``: refused as empty.
"""

from __future__ import annotations

import re
import unicodedata

_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]*\n")
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""The control characters of ASCII (category Cc) but tab and newline."""
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
"""Characters that show nothing yet are neither spaces nor format characters: the combining
grapheme joiner, the Hangul and Khmer fillers, the blank Braille pattern."""
_UNSEEN = frozenset(("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))


def clean_block(text: str) -> str:
    """Multi-line text: line breaks of every kind as ``\\n``, no control characters."""
    text = _BREAKS.sub("\n", text)
    if text.isascii():  # the usual case, without a look at each character
        kept = _ASCII_CONTROLS.sub("", text)
    else:
        kept = "".join(c for c in text
                       if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return _SPACES.sub("\n", kept).strip()


def clean_line(text: str) -> str:
    """Single-line text (a title, a name): every run of whitespace one space."""
    return " ".join(clean_block(text).split())


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace, control and format characters
    (zero-width space, joiners, direction marks, the BOM), variation selectors and fillers."""
    return all(c.isspace() or c in _INVISIBLE or unicodedata.category(c) in _UNSEEN
               or "\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef"
               for c in text)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks ``message`` for the catalog where it is written; translated where it is shown."""
    return message
