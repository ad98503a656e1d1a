"""Slack stamps messages by its own clock; the desk keeps Redis's. Whichever runs ahead,
the order of the messages in a ticket's thread is Slack's: a client's answer to an update
support relayed is after it, and starts the wait for support's next response. (The rule
on the ticket alone: ``tests/unit/test_slack_clock.py``.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.redis_time import RedisTime as Clock
from bot.sandbox.standin import BOT_USER
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import buttons, click, find_post, open_ticket, text_of, triage_post
from tests.support.reporting import modal_text
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF

PLANS = {"standard": {"critical": 600, "next_response": {"critical": 300},
                      "update_every": {"critical": None}}}
AHEAD = 5.0
"""How far the desk's clock runs ahead of Slack's (s)."""


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"plans": json.dumps(PLANS)}


async def test_a_clients_answer_to_a_relayed_update_starts_the_next_response_clock(
        app: RunningApp, clock: Clock) -> None:
    clock.advance(AHEAD)
    slack = app.slack
    await register_client(app.runtime)
    number = await open_ticket(app, "Exports fail", "Critical", "The CSV is empty.")
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    await slack.wait_for(lambda: "Post update to client" in buttons(post))
    await modal_text(app, post, "Post update to client", "Update", "A fix is rolling out.",
                     user=STAFF)
    card = find_post(app, CLIENT_CHANNEL, f"T-{number}")
    assert card is not None
    await slack.wait_for(lambda: [m for m in slack.posts(CLIENT_CHANNEL, card.ts)
                                  if "rolling out" in m.text])
    await drained(app.runtime)
    # The client answers at once: in Slack, after the update; by the desk's clock, before.
    answer = slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Still empty here.",
                               thread_ts=card.ts)
    response = await app.client.event({
        "type": "message", "channel": CLIENT_CHANNEL, "user": CLIENT_USER,
        "text": "Still empty here.", "ts": answer, "thread_ts": card.ts,
        "parent_user_id": BOT_USER, "user_team": "T0OTHER001"}, event_id="EvAhead001")
    assert response.status == 200
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).awaiting_since is not None
    assert "*Next response:* due" in text_of(post)
