"""Text for Slack: escaping, cutting to Block Kit's limits, durations (dates are in ``words``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY = re.compile(r"&(amp|lt|gt);")


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no mention, no link, no @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def person(reporter: str) -> str:
    """Who opened a ticket, as Slack shows them: a mention of a Slack user ID, or the
    address of someone who wrote by email (as written, not a broken mention)."""
    return f"<@{reporter}>" if _USER_ID.fullmatch(reporter) else escape(reporter)


def as_written(message_text: str) -> str:
    """A Slack message's ``text`` as its author wrote it: Slack sends ``&``, ``<`` and ``>``
    as entities (``&lt;``), which a form would otherwise show as they are."""
    return _ENTITY.sub(lambda m: _ENTITIES[m[1]], message_text)


def slack_len(text: str) -> int:
    """How long Slack may count ``text``: in UTF-16 code units, where an emoji or any
    character beyond U+FFFF is two (see ``bot.slack_ui.ids`` for why this count)."""
    if text.isascii():
        return len(text)
    # Two bytes a unit; a lone surrogate (from JSON's "\ud83d") counts one, as in Slack.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def within(text: str, limit: int) -> int:
    """How many characters of ``text`` (from its start) fit in ``limit`` as Slack counts."""
    if len(text) * 2 <= limit:
        return len(text)
    used = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def fit(text: str, limit: int) -> str:
    """Escape ``text`` and cut it to ``limit`` (as Slack counts) without breaking an entity."""
    escaped = escape(text)
    if slack_len(escaped) <= limit:
        return escaped
    cut = escaped[: within(escaped, limit - 1)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def cut_plain(text: str, limit: int) -> str:
    """``text`` within ``limit`` (as Slack counts), an ellipsis where it was cut."""
    return text if slack_len(text) <= limit else text[: within(text, limit - 1)] + "…"


def cut_marked(text: str, limit: int, note: Callable[[int], str] | None = None) -> str:
    """``text`` within ``limit`` (as Slack counts), saying how much was left out when cut
    (``note``: how, from the count; at most 60 characters)."""
    if slack_len(text) <= limit:
        return text
    kept = text[: within(text, limit - 60)].rstrip()  # room for the note
    left = len(text) - len(kept)
    return kept + " " + (note(left) if note else f"[…{left} more characters in the original]")


_JOINERS = frozenset("\u200d\u034f")
"""Characters that bind what follows them to what they follow (zero-width joiner,
combining grapheme joiner)."""


def _bound(text: str, at: int) -> bool:
    """Whether a cut of ``text`` before index ``at`` would split a character as people see
    it: a combining mark or a variation selector from its base, a joined emoji."""
    if at <= 0 or at >= len(text):
        return False
    return (unicodedata.combining(text[at]) > 0 or text[at] in _JOINERS
            or text[at - 1] in _JOINERS or "\ufe00" <= text[at] <= "\ufe0f"
            or "\U000e0100" <= text[at] <= "\U000e01ef"
            or "\U0001f3fb" <= text[at] <= "\U0001f3ff")


def _hard_cut(text: str, end: int) -> int:
    """Where to cut ``text`` at or before ``end``: never inside an entity (``&amp;``), nor
    inside a character as people see it unless it runs over half the piece."""
    cut = end
    while _bound(text, cut) and cut > end // 2:
        cut -= 1
    if _bound(text, cut):
        cut = end
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return max(cut, 1)


def _split(text: str, limit: int) -> list[str]:
    """Mrkdwn ``text`` in pieces of at most ``limit`` (as Slack counts), all of it: cut at a
    line's end where one is in the piece's second half (the next piece starts that line with
    its indentation), else after a space, else at the limit, never inside an entity
    (``&amp;``) nor inside a character as people see it."""
    out: list[str] = []
    while slack_len(text) > limit:
        end = within(text, limit)
        line, space = text.rfind("\n", 0, end), text.rfind(" ", 0, end)
        if line >= max(1, end // 2):
            out.append(text[:line])
            text = text[line + 1:].lstrip("\n")
        elif space >= max(1, end // 2):
            out.append(text[:space])
            text = text[space + 1:]
        else:
            cut = _hard_cut(text, end)
            out.append(text[:cut])
            text = text[cut:]
    out.append(text)
    return [p for p in out if p] or [""]


def pieces(text: str, limit: int) -> list[str]:
    """``text`` escaped, in pieces of at most ``limit`` (as Slack counts), all of it."""
    return _split(escape(text), limit)


def packed(lines: list[str], limit: int) -> list[str]:
    """Mrkdwn ``lines`` joined in as few texts of at most ``limit`` (as Slack counts) as
    keep each line whole; a line longer than ``limit`` alone is split as ``pieces`` are."""
    out: list[str] = []
    for line in lines:
        for part in _split(line, limit):
            if out and slack_len(out[-1]) + 1 + slack_len(part) <= limit:
                out[-1] += "\n" + part
            else:
                out.append(part)
    return out


def humanize(seconds: float) -> str:
    """A duration as people say it: ``45 s``, ``15 min``, ``1 h 5 min``, ``2 d 3 h``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
