"""What a person sees when the desk cannot reach Redis: a word they can act on, instead
of Slack's own "dispatch_failed" or a modal that only says something went wrong. (A click
is answered by its listener: ``NOT_CHANGED``, to the clicker only.)"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.adapters.connection import redis_unreachable
from bot.domain.text import N_
from bot.slack_ui.words import Words

log = logging.getLogger(__name__)

NOT_SAVED = N_("The support desk cannot reach its database just now, so nothing was saved. "
               "Try again in a minute.")
NOT_CHANGED = N_("The support desk cannot reach its database just now, so nothing changed. "
                 "Try again in a minute.")


def register(app: AsyncApp, w: Words) -> None:
    """``w``: the desk's ``LANGUAGE`` (without its database, a client's is not known)."""

    async def database_unreachable(error: Exception, body: dict[str, Any]
                                   ) -> BoltResponse | None:
        return await unreachable(error, body, w=w)

    app.error(database_unreachable)


async def unreachable(error: Exception, body: dict[str, Any], *, w: Words
                      ) -> BoltResponse | None:
    """A submission or command that failed because Redis did not answer: told so (a
    modal's first field carries it, the form stays open to send again)."""
    if not redis_unreachable(error):
        return None
    log.error("Redis did not answer while serving a %s: %s", body.get("type", "command"),
              type(error).__name__)
    if "command" in body:
        return _json({"response_type": "ephemeral", "text": w._(NOT_SAVED)})
    view = body.get("view") if body.get("type") == "view_submission" else None
    blocks = view.get("blocks") if isinstance(view, dict) else None
    field = next((b.get("block_id") for b in blocks or () if isinstance(b, dict)
                  and b.get("type") == "input" and isinstance(b.get("block_id"), str)), None)
    if field is None:
        return None
    return _json({"response_action": "errors", "errors": {field: w._(NOT_SAVED)}})


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload),
                        headers={"content-type": "application/json;charset=utf-8"})
