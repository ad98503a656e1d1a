"""Slack stamps messages by its own clock; the desk keeps Redis's. Whichever runs ahead,
the order of the messages in a ticket's thread is Slack's: a client's answer to an update
support relayed is after it, and starts the wait for support's next response."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.redis_time import RedisTime as Clock
from bot.domain.tickets import (
    Severity,
    Ticket,
    claim,
    record_client_message,
    record_response,
    record_staff_message,
)
from bot.sandbox.standin import BOT_USER
from tests.conftest import (
    CLIENT_CHANNEL,
    CLIENT_USER,
    STAFF,
    RunningApp,
    drained,
    register_client,
    ticket,
)
from tests.flows import buttons, click, find_post, open_ticket, text_of, triage_post
from tests.test_coverage import modal

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
    await modal(app, post, "Post update to client", "Update", "A fix is rolling out.",
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


# --- the rule, on the ticket alone ------------------------------------------------------------

T0 = 1_700_000_000.0


def updated(ahead: float) -> Ticket:
    """Claimed, then an update relayed at T0 + 60 by the desk's clock, which runs ``ahead``
    of Slack's: Slack stamped the update's post ``ts`` T0 + 60 - ``ahead``."""
    t = Ticket(number=1001, channel=CLIENT_CHANNEL, reporter=CLIENT_USER, title="Exports",
               description="CSV empty", severity=Severity.CRITICAL, created_at=T0)
    t = record_response(claim(t, STAFF, T0 + 10, claim_is_response=False), T0 + 60)
    return record_staff_message(t, f"{T0 + 60 - ahead:.6f}")


@pytest.mark.parametrize("ahead", [5.0, -5.0])
def test_the_client_waits_when_they_wrote_after_the_update_in_slack(ahead: float) -> None:
    t = updated(ahead)
    written = T0 + 61 - ahead  # a second after the update, by Slack's clock
    seen = min(written, T0 + 61)  # as the desk records it
    after = record_client_message(t, seen, f"{written:.6f}")
    assert after.awaiting_since == seen
    before = record_client_message(t, seen, f"{written - 2:.6f}")  # before the update
    assert before.awaiting_since is None


def test_an_update_posted_after_the_clients_message_answers_it() -> None:
    t = Ticket(number=1001, channel=CLIENT_CHANNEL, reporter=CLIENT_USER, title="Exports",
               description="CSV empty", severity=Severity.CRITICAL, created_at=T0)
    t = record_response(claim(t, STAFF, T0 + 10, claim_is_response=False), T0 + 60,
                        f"{T0 + 60:.6f}")
    # The client writes while an update is on its way (submitted, not yet in the thread).
    t = record_response(t, T0 + 100)
    t = record_client_message(t, T0 + 101, f"{T0 + 101:.6f}")
    assert t.awaiting_since == T0 + 101
    answered = record_staff_message(t, f"{T0 + 102:.6f}")  # the update reaches the thread
    assert answered.awaiting_since is None and answered.staff_ts == f"{T0 + 102:.6f}"
    # Had it reached the thread before the client wrote, the client would still wait.
    assert record_staff_message(t, f"{T0 + 100.5:.6f}").awaiting_since == T0 + 101
