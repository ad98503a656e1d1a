"""The escalation ladder on the app in this process, its clock moved: a breach missed in an
outage still pages and reaches the webhook once; the breach note names who was told. (On
the real process: ``tests/process/test_ladder.py``.)"""

from __future__ import annotations

import json

import pytest

from bot.sandbox.standin import Message
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import open_ticket, triage_post
from tests.support.hooks_standin import WEBHOOK_SECRET, PagerDuty, Receiver
from tests.support.servers import SmtpSink
from tests.support.workspace import LEAD, TRIAGE

ONCALL = "C0ONCALL01"
HALF_HOURLY = {"standard": {"critical": 40, "high": 60, "escalation": {
    "critical": [{"at": 0.75, "notify": ["account_manager"]},
                 {"at": "breach", "notify": ["head_of_support"], "every": 1800, "times": 3}],
    "high": [{"at": "breach", "notify": [ONCALL]}]}}}
"""Critical: the head of support at the breach and every 30 minutes; High: a channel."""


@pytest.fixture
def settings_extra(pagerduty: PagerDuty, receiver: Receiver, smtp_sink: SmtpSink
                   ) -> dict[str, object]:
    return {"plans": json.dumps(HALF_HOURLY), "pagerduty_routing_key": "R0UTINGKEY0123456789",
            "pagerduty_url": pagerduty.url, "webhook_url": receiver.url,
            "webhook_secret": WEBHOOK_SECRET, "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def test_a_breach_missed_in_an_outage_still_pages_and_reaches_the_webhook(
        app: RunningApp, pagerduty: PagerDuty, receiver: Receiver) -> None:
    # The worker is down from before the deadline until 31 minutes after it: of the
    # breach's notifications only the latest past due goes out, and it is the breach.
    await register_client(app.runtime)
    await open_ticket(app, "Payments down", "Critical", "Every checkout fails.")
    await drained(app.runtime)
    await advance(app.runtime, 40 + 31 * 60)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == 1
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "trigger"]
    assert pagerduty.events[1]["payload"]["class"] == "breach"
    assert [e["event"] for e in receiver.events] == ["opened", "breach"]
    # The next re-notification is one of its later ones: an escalation, not paged again.
    await advance(app.runtime, 30 * 60)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == 2
    assert [e["event"] for e in receiver.events] == ["opened", "breach", "escalation"]
    assert len(pagerduty.events) == 2


async def test_the_breach_note_names_who_was_told(app: RunningApp, smtp_sink: SmtpSink) -> None:
    app.slack.add_channel(ONCALL, "on-call")
    await register_client(app.runtime)
    high = await triage_post(app, await open_ticket(app, "Uploads fail", "High", "All."))
    critical = await triage_post(app, await open_ticket(app, "Login fails", "Critical", "All."))
    await drained(app.runtime)
    await advance(app.runtime, 60)
    await drained(app.runtime)

    def breach_note(post: Message) -> str:
        [note] = [m.text for m in app.slack.posts(TRIAGE, post.ts) if "breached its" in m.text]
        return note

    # High's step alerts only the on-call channel: no DM, no email.
    assert app.slack.posts(ONCALL)
    assert breach_note(high).endswith(f"alerted: <#{ONCALL}>.")
    # Critical's tells the head of support by DM and by email.
    assert breach_note(critical).endswith(
        f"alerted: <@{LEAD}>, the head of support by email (lead@vendor.example).")
    assert len(smtp_sink.messages) == 1
