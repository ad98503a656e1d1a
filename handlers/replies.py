"""What a person sees besides the ack: a message only they see, a form opened for them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import Retryable, Undeliverable, slack_call
from bot.domain.text import N_
from bot.slack_ui.words import Words

log = logging.getLogger(__name__)


async def ephemeral(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """A message in ``channel`` that only ``user`` sees."""
    await slack_call(client.chat_postEphemeral(channel=channel, user=user, text=text))


NOT_OPENED = N_("Slack did not open the form (it answered too late or not at all), so "
                "nothing changed: please try again.")


async def open_form(client: AsyncWebClient, trigger_id: str, view: dict[str, Any], *,
                    what: str, tell: Callable[[str], Awaitable[object]], w: Words) -> None:
    """``views.open``; when Slack does not open the form (its trigger expired, a 429, a
    5xx), the person is told with ``tell`` and the failure logged with ``what``, which
    names the ticket when there is one. (The trigger works once, within 3 s: a retry of the
    call cannot help, the person's next click can.)"""
    try:
        await slack_call(client.views_open(trigger_id=trigger_id, view=view))
    except (Retryable, Undeliverable) as exc:
        log.warning("%s: Slack did not open the form (views.open): %s", what, exc)
        await tell(w._(NOT_OPENED))
