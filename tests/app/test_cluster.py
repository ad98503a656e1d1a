"""On a real Redis Cluster (three masters with a replica each, on loopback): the whole chain
of a ticket, through the app serving HTTP."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from bot.sandbox.standin import SlackStandIn
from tests.support.cluster import Cluster, desk_on
from tests.support.desk import RunningApp, serving, ticket
from tests.support.flows import buttons, click, open_ticket, text_of, triage_post
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, LEAD, STAFF


@contextlib.asynccontextmanager
async def app_on(cluster: Cluster, slack: SlackStandIn, smtp: SmtpSink,
                 **extra: Any) -> AsyncIterator[RunningApp]:
    cluster.flush()
    async with desk_on(cluster, slack, smtp, **extra) as runtime, \
            serving(runtime, slack) as running:
        yield running


async def test_intake_claim_warning_breach_and_email_on_a_cluster(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    plans = json.dumps({"standard": {"critical": 4}})
    async with app_on(cluster, slack, smtp_sink, plans=plans) as app:
        number = await open_ticket(app, "Checkout down", "Critical", "Every payment fails.")
        post = await triage_post(app, number)
        await click(app, post, "Claim", user=STAFF)
        await slack.wait_for(lambda: "Claim" not in buttons(post))
        warned = await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=AM), timeout=8)
        breach = await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=LEAD), timeout=8)
        await slack.wait_for(lambda: smtp_sink.messages and "BREACHED" in text_of(post))
        saved = await ticket(app.runtime, number)
    assert saved.assignee == STAFF and f"<@{STAFF}>" in text_of(post)
    assert f"T-{number}" in warned[0].args["text"] and f"T-{number}" in breach[0].args["text"]
    assert len(smtp_sink.messages) == 1 and f"T-{number}" in smtp_sink.messages[0]["Subject"]
