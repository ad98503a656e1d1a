"""Email in and out, end to end on the real ``python -m bot serve`` (its worker reads the
support mailbox) against a real Dovecot and a real SMTP server: an email opens a ticket,
is acknowledged in its thread, replies travel both ways; automatic mail, bounces and
unknown senders open nothing and get nothing; a worker killed between reading an email and
marking it seen makes one ticket."""

from __future__ import annotations

import asyncio

from bot.bootstrap import open_runtime
from bot.domain.tickets import Severity
from bot.sandbox.records import Message
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import register_acme
from tests.support.desk import settings_for, ticket
from tests.support.dovecot import USER, Dovecot, email
from tests.support.flows import text_of, triage_post
from tests.support.processes import serve
from tests.support.servers import SmtpSink
from tests.support.workspace import CLIENT_CHANNEL

DANA = "Dana Client <dana@acme.example>"


def mail_env(dovecot: Dovecot, smtp_sink: SmtpSink, **more: str) -> dict[str, str]:
    return {"IMAP_URL": dovecot.url(), "SUPPORT_EMAIL": USER,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "EMAIL_FROM": "alerts@desk.example", **more}


def top_level(slack: SlackStandIn) -> list[Message]:
    return [m for m in slack.posts(CLIENT_CHANNEL) if m.thread_ts is None
            and "wrote to support" in text_of(m)]


async def test_an_email_opens_a_critical_ticket_acknowledged_in_its_thread(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    original = email(DANA, "[Critical] Payments down",
                     "Every checkout fails since 9:00.\n\nOn Mon, Bob <bob@acme.example> "
                     "wrote:\n> an older message\n")
    async with serve(slack, redis_url, **mail_env(dovecot, smtp_sink)) as served:
        await asyncio.to_thread(dovecot.deliver, original)
        triage = await triage_post(served, 1001)
        origin = (await slack.wait_for(lambda: top_level(slack)))[0]
        card = (await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, origin.ts) if "T-1001" in m.text]))[0]
        ack = (await slack.wait_for(lambda: smtp_sink.messages, timeout=15))[0]
        await slack.wait_for(lambda: "\\Seen" in dovecot.flags()[original["Message-ID"]])
    assert "dana@acme.example" in text_of(origin) and "Payments down" in text_of(origin)
    assert "an older message" not in text_of(origin)
    assert "Critical" in card.text and "Critical" in text_of(triage)
    assert ack["To"] == "dana@acme.example" and ack["From"] == USER
    assert ack["Subject"] == "[T-1001] Re: [Critical] Payments down"
    assert ack["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"].endswith("@desk.example>")
    assert "Critical" in ack.get_content()
    async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
        opened = await ticket(runtime, 1001)
    assert opened.severity is Severity.CRITICAL and opened.title == "Payments down"
    assert opened.reporter == "dana@acme.example"
    assert "Every checkout fails" in opened.description
    assert "older message" not in opened.description
