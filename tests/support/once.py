"""Counting what reached Slack and the SMTP server, to show each went out exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from bot.bootstrap import Runtime
from bot.domain.tickets import Severity
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.cli import bot_env
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, TRIAGE

LEASE = 2
"""The workers' job lease in these tests (s): a job whose worker died is taken over soon."""
PLANS = json.dumps({"standard": {"critical": 3}})
"""Critical due in 3 s: its warning at 2.25 s, its breach at 3 s."""
MINUTE_PLANS = {"standard": {"critical": 40, "high": 60, "medium": 80, "low": 120}}
"""Plans of seconds, for a clock moved forward (``advance``) instead of waited for:
Critical's warning is due at ``WARNING_AT``, its breach at ``BREACH_AT``."""
WARNING_AT, BREACH_AT = 30, 40
SLOW_PLANS = json.dumps({"standard": {"critical": 12}})
"""Critical due in 12 s, warned at half time (``worker_env``): time for a worker to die."""


def worker_env(slack: SlackStandIn, redis_url: str, smtp: SmtpSink,
               plans: str = PLANS) -> dict[str, str]:
    """The environment of ``python -m bot worker`` with ``plans``, breach emails to
    ``smtp`` and the short ``LEASE``."""
    # With the slow plan the warning is due at 6 s, the breach at 12 s: a warning whose
    # worker dies is taken over (lease 2 s) well before the breach makes it moot.
    return bot_env(slack, redis_url, PLANS=plans, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                   WARN_AT="0.5" if plans == SLOW_PLANS else "0.75",
                   SUPPORT_LEAD_EMAIL="lead@vendor.example", JOB_LEASE_SECONDS=str(LEASE))


async def open_tickets(runtime: Runtime, count: int) -> list[str]:
    keys = []
    for i in range(count):
        opened = await runtime.desk.tickets.open(NewTicket(
            channel=CLIENT_CHANNEL, reporter=STAFF, title="Down", severity=Severity.CRITICAL,
            description="All of it.", once=f"test:{i}"), Actor(STAFF))
        keys.append(opened.ticket.key)
    return keys


def marked(slack: SlackStandIn, channel: str, notification_prefix: str) -> Counter[str]:
    """How many messages each ticket got in ``channel`` whose marker starts so."""
    found: Counter[str] = Counter()
    for message in slack.messages.values():
        meta = (message.metadata or {}).get("event_payload") or {}
        if message.channel == channel and str(meta.get("notification", "")).startswith(
                notification_prefix):
            found[meta["ticket"]] += 1
    return found


async def everything_delivered(slack: SlackStandIn, smtp: SmtpSink, keys: list[str],
                               timeout: float = 40) -> None:
    """Wait for every breach, then a lease more: anything doubled would show by then."""
    def done() -> bool:
        return (len(marked(slack, dm_channel(LEAD), "breach")) == len(keys)
                and len(smtp.messages) >= len(keys)
                and len(marked(slack, TRIAGE, "breach")) == len(keys))
    try:
        await slack.wait_for(done, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"not delivered within {timeout} s: {missing(slack, smtp, keys)}"
                             ) from None
    await asyncio.sleep(LEASE + 0.5)


def missing(slack: SlackStandIn, smtp: SmtpSink, keys: list[str]) -> dict[str, list[str]]:
    """The tickets each message has not reached yet, by message."""
    subjects = " ".join(str(m["Subject"]) for m in smtp.messages)
    seen = {"client thread": marked(slack, CLIENT_CHANNEL, "client_thread"),
            "triage post": marked(slack, TRIAGE, "triage"),
            "warning DM": marked(slack, dm_channel(AM), "warning"),
            "breach DM": marked(slack, dm_channel(LEAD), "breach"),
            "breach note": marked(slack, TRIAGE, "breach")}
    found = {what: [k for k in keys if k not in got] for what, got in seen.items()}
    found["email"] = [k for k in keys if f"{k} " not in subjects + " "]
    return {what: ks for what, ks in found.items() if ks}


def assert_each_once(slack: SlackStandIn, smtp: SmtpSink, keys: list[str]) -> None:
    expected = Counter({key: 1 for key in keys})
    assert marked(slack, CLIENT_CHANNEL, "client_thread") == expected
    assert marked(slack, TRIAGE, "triage") == expected
    assert marked(slack, dm_channel(AM), "warning") == expected
    assert marked(slack, dm_channel(LEAD), "breach") == expected
    assert marked(slack, TRIAGE, "warning") == expected
    assert marked(slack, TRIAGE, "breach") == expected
    subjects = Counter(m["Subject"].split()[2] for m in smtp.messages)
    assert subjects == expected
