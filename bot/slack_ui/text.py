"""Text for Slack: escaping, cutting to Block Kit's limits, dates, durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY = re.compile(r"&(amp|lt|gt);")


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no mention, no link, no @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_written(message_text: str) -> str:
    """A Slack message's ``text`` as its author wrote it: Slack sends ``&``, ``<`` and ``>``
    as entities (``&lt;``), which a form would otherwise show as they are."""
    return _ENTITY.sub(lambda m: _ENTITIES[m[1]], message_text)


def fit(text: str, limit: int) -> str:
    """Escape ``text`` and cut it to ``limit`` characters without breaking an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def cut_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_marked(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, saying how much was left out when it was cut."""
    if len(text) <= limit:
        return text
    keep = limit - 60  # room for the note
    return text[:keep].rstrip() + f" […{len(text) - keep} more characters in the original]"


def pieces(text: str, limit: int) -> list[str]:
    """``text`` escaped, in pieces of at most ``limit`` characters, all of it: cut after a
    line or a space where one is near, never inside an entity (``&amp;``)."""
    escaped = escape(text)
    out: list[str] = []
    while len(escaped) > limit:
        cut = max(escaped.rfind("\n", 0, limit), escaped.rfind(" ", 0, limit))
        if cut < limit // 2:
            cut = limit
            amp = escaped.rfind("&", cut - 5, cut)
            if amp != -1 and ";" not in escaped[amp:cut]:
                cut = amp
        out.append(escaped[:cut])
        escaped = escaped[cut:].lstrip(" \n")
    out.append(escaped)
    return [p for p in out if p] or [""]


def slack_date(epoch: float) -> str:
    """A time every reader sees in their own timezone (with a UTC fallback)."""
    fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} at {{time}}|{fallback}>"




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
