"""What fuzzing reports: the log records the desk must never write (``problems``) and where
they came from; a payload in a line (``essentials``, ``essence``, ``summary``)."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from tests.support.cli import ROOT
from tests.support.strategies.events import envelope
from tests.support.strategies.payload import Payload


def _frames(record: logging.LogRecord) -> list[str]:
    if record.exc_info and record.exc_info[2] is not None:
        return [f.filename for f in traceback.extract_tb(record.exc_info[2])]
    return []


def from_standin(record: logging.LogRecord) -> bool:
    """A record of the Slack stand-in's own server failing (not the desk's)."""
    return any(name.endswith("slack_standin.py") for name in _frames(record))


def is_problem(record: logging.LogRecord) -> bool:
    """A record the desk must never write: ERROR or above, or any carrying a traceback."""
    if from_standin(record):
        return False
    return (record.levelno >= logging.ERROR or record.exc_info is not None
            or bool(record.exc_text) or bool(record.stack_info)
            or "Traceback (most recent call last)" in record.getMessage())


def problems(records: Iterable[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if is_problem(r)]


def first_line(record: logging.LogRecord) -> str:
    lines = record.getMessage().splitlines()
    return lines[0] if lines else ""


def origin(record: logging.LogRecord) -> str:
    """Where the record's exception was raised: the innermost frame of the project's own
    code (else the innermost at all), as ``path:line in function: source``."""
    if not record.exc_info or record.exc_info[2] is None:
        return ""
    frames = traceback.extract_tb(record.exc_info[2])
    own = [f for f in frames if "/site-packages/" not in f.filename
           and not f.filename.startswith("<")] or list(frames)
    frame = own[-1]
    path = Path(frame.filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()[:120]}"


def exception_lines(record: logging.LogRecord, most: int = 3) -> list[str]:
    """The exception's type and the first lines of its message."""
    if not record.exc_info or record.exc_info[1] is None:
        return []
    exc = record.exc_info[1]
    lines = [line for line in str(exc).splitlines() if line.strip()][:most] or [""]
    return [f"{type(exc).__name__}: {lines[0][:200]}", *(line[:200] for line in lines[1:])]


def describe(record: logging.LogRecord) -> str:
    """The record's logger, level and first line; where its exception came from, and what
    it says."""
    text = f"{record.name} {record.levelname}: {first_line(record)[:300]}"
    if record.exc_info:
        text += "\n    at " + origin(record)
        text += "".join(f"\n    {line}" for line in exception_lines(record))
    return text


ENVELOPE_KEYS: Final = tuple(envelope({}))


def essentials(payload: Payload) -> dict[str, Any]:
    """The parts of ``payload`` that vary from one payload to the next (the rest is the same
    boilerplate every time); keys left out are shown as ``"(missing)"``."""
    body = payload.body

    def get(source: Any, key: str) -> Any:
        if isinstance(source, Mapping):
            return source.get(key, "(missing)")
        return f"(not an object: {source!r:.40})"

    def pick(source: Any, *keys: str) -> dict[str, Any]:
        return {k: get(source, k) for k in keys}

    kind = body.get("type")
    if payload.kind == "form":
        found = {k: body[k] for k in ("command", "text", "user_id", "team_id", "channel_id",
                                      "ssl_check") if k in body}
        return {**found, **({} if "text" in body or "ssl_check" in body
                            else {"text": "(missing)"})}
    if kind == "block_actions":
        return {"user": get(body, "user"), "channel": get(get(body, "channel"), "id"),
                "message_ts": get(get(body, "container"), "message_ts"),
                "actions": get(body, "actions")}
    if kind == "view_submission":
        return {"user": get(body, "user"),
                **pick(get(body, "view"), "type", "callback_id", "private_metadata", "state")}
    if kind in ("message_action", "shortcut"):
        return pick(body, "type", "callback_id", "user", "channel", "message")
    if kind == "event_callback" or "event" in body:
        missing = [k for k in ENVELOPE_KEYS if k not in body]
        return {"event": get(body, "event"),
                **({"envelope without": missing} if missing else {}),
                **({"retry": payload.retry_num} if payload.retry_num else {})}
    return dict(body)


def essence(payload: Payload, limit: int = 600) -> str:
    """``essentials`` in a line (odd characters escaped), cut to ``limit`` characters."""
    text = f"{payload.family}: " + json.dumps(essentials(payload), default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def summary(payload: Payload, limit: int = 600) -> str:
    """The payload in a line (for reports), cut to ``limit`` characters."""
    text = json.dumps(payload.body, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
