"""The services on the in-memory fakes, wired as ``bot.bootstrap`` wires them (a store with
versions and a queue, a directory, a clock that moves only when told): the ``World`` the
fast service tests drive, and what they do in it; and the same services handed to the
listeners (``desk_on``) and to the effect handlers (``run_on``) with Slack in memory."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from bot.adapters.slack import Slack
from bot.adapters.store import Store
from bot.bootstrap import auto_settings, words_in
from bot.config import Settings, load_settings
from bot.delivery.job_run import DeliveryConfig, Deps, Run
from bot.domain.assignment import Rule
from bot.domain.jobs import PostClientThread
from bot.domain.staff import SLACKBOT, Member, Organisation
from bot.domain.tickets import Client, Severity, Ticket
from bot.services.assignment import Assignments
from bot.services.changes import Changes
from bot.services.channels import Channels
from bot.services.csat import Ratings
from bot.services.home import Homes
from bot.services.plans import Plans
from bot.services.queries import Queries
from bot.services.reminders import Reminders
from bot.services.reports import Reports
from bot.services.sinks import Sinks
from bot.services.staff import Actor, StaffCheck
from bot.services.sweep import Sweeper
from bot.services.tickets import NewTicket, Tickets
from bot.slack_ui.words import words_for
from handlers.desk import Desk
from tests.support.fake_records import FakeDirectory, FakeRoster
from tests.support.fake_slack import FakeSlack
from tests.support.fakes import FakeClock, FakeStore
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)

CLIENT = CLIENT_CHANNEL
OTHER_CLIENT = "C0GLOBEX01"
VENDOR = "T0VENDOR01"
CLIENT_ORG = "T0ACME0001"

LEAD_EMAIL = "lead@vendor.example"
BOT = "U0BOT00001"
DELETED = "U0GONE0001"
NOBODY = "U0NOBODY01"

HOUR = 3600
DAY = 86_400
CRITICAL_TARGET = HOUR  # the standard plan's defaults
WARN_AT = 0.75


@dataclass
class World:
    settings: Settings
    clock: FakeClock
    store: FakeStore
    directory: FakeDirectory
    plans: Plans
    changes: Changes
    staff: StaffCheck
    tickets: Tickets
    reminders: Reminders
    queries: Queries
    sweeper: Sweeper
    roster: FakeRoster
    assignments: Assignments


def make_world(*, group: frozenset[str] | None = None, **overrides: Any) -> World:
    """The services wired as ``bot.bootstrap`` wires them, on the fakes."""
    config: dict[str, Any] = {
        "_env_file": None, "slack_bot_token": "xoxb-x", "triage_channel": TRIAGE,
        "support_lead": LEAD, "support_lead_email": LEAD_EMAIL,
        "smtp_url": "smtp://127.0.0.1:25", "support_team": None, "plans": "",
        "warn_at": WARN_AT, "claim_is_response": False, "reopen_days": 7,
    }
    settings = load_settings(**{**config, **overrides})
    clock = FakeClock()
    store = FakeStore(clock)
    directory = FakeDirectory(Organisation(VENDOR), group=group)
    directory.add(
        *(Member(u, VENDOR, name=u) for u in (STAFF, STAFF_2, AM, LEAD)),
        Member(GUEST, VENDOR, guest=True),
        Member(EXTERNAL, CLIENT_ORG),
        Member(CLIENT_USER, CLIENT_ORG),
        Member(BOT, VENDOR, is_bot=True),
        Member(DELETED, VENDOR, deleted=True),
        Member(SLACKBOT, VENDOR),
    )
    plans = Plans(store, settings.plan_table)
    changes = Changes(store, plans, settings.warn_at, clock)
    staff = StaffCheck(directory, settings.support_team_ids)
    sinks = Sinks(webhook=settings.webhook_url is not None,
                  pager=settings.pagerduty_routing_key is not None)
    reminders = Reminders(store, plans, sinks, warn_at=settings.warn_at,
                          support_lead=settings.support_lead,
                          breach_email_to=settings.support_lead_email if settings.smtp_url
                          else None)
    auto = auto_settings(settings)
    tickets = Tickets(changes, store, plans, staff, sinks, clock, warn_at=settings.warn_at,
                      intake_limit=settings.intake_limit,
                      claim_is_response=settings.claim_is_response,
                      reopen_days=settings.reopen_days, auto_assign=auto.rule is not Rule.NONE)
    roster = FakeRoster(clock, lambda user: sum(
        1 for t in store.tickets.values() if t.assignee == user and t.resolved_at is None))
    return World(settings, clock, store, directory, plans, changes, staff, tickets, reminders,
                 Queries(store, plans, staff, store, clock, settings.triage_channel),
                 Sweeper(store, plans, settings.warn_at, clock, auto.rule is not Rule.NONE,
                         auto.reassign_after),
                 roster,
                 Assignments(changes, store, staff, directory, directory, roster, sinks, clock,
                             auto, settings.support_team_ids))


async def with_client(w: World, *, manager: str | None = AM, plan: str = "standard",
                      channel: str = CLIENT) -> None:
    await w.store.put_client(Client(channel=channel, name="Acme Media", plan=plan,
                                    account_manager=manager))


_submissions = itertools.count(1)


async def open_ticket(w: World, severity: Severity = Severity.CRITICAL, *,
                      channel: str = CLIENT, reporter: str = CLIENT_USER) -> int:
    opened = await w.tickets.open(
        NewTicket(channel=channel, reporter=reporter, title="Player shows a black screen",
                  severity=severity, description="Since 9:00 for every viewer",
                  once=f"view:{next(_submissions)}"),
        Actor(reporter))
    return opened.ticket.number


async def read(w: World, number: int) -> Ticket:
    current = await w.store.get(number)
    assert current is not None
    return current.ticket


async def posted_in_client_channel(w: World, number: int) -> str:
    """The client thread's post went out (what the delivery does): returns its ts."""
    ts = f"{w.clock() + 1:.6f}"
    assert await w.store.set_message_ts(await read(w, number), "client_ts", ts)
    w.store.ack(PostClientThread(ticket=number).id)
    return ts


_NOT_HERE: Any = None
"""App Home's indices and viewers, the archive's outcomes, the once records and the
pre-fills, which only Redis keeps: no listener or effect handler tested on the fakes
reaches them."""


def desk_on(w: World, slack: FakeSlack) -> Desk:
    """What the listeners get from Bolt's context (``handlers.desk.provide``), as
    ``bot.bootstrap`` builds it."""
    interactive = Slack(slack.client())
    return Desk(w.tickets, w.queries,
                Homes(w.store, w.plans, w.staff, _NOT_HERE, _NOT_HERE, w.clock,
                      w.settings.warn_at),
                Reports(w.store, w.plans, w.staff, w.store, w.clock),
                Ratings(w.changes, w.store, w.plans, w.clock),
                Channels(w.changes, w.store, _NOT_HERE),
                once=_NOT_HERE, prefills=_NOT_HERE, identity=interactive.identity,
                tell=lambda user, text: interactive.post(user, text),
                words=partial(words_in, w.store, w.settings.language),
                staff_words=words_for(w.settings.language),
                assignments=w.assignments)


def run_on(w: World, slack: FakeSlack, *, again: bool = False) -> Run:
    """One run of a job by a worker, on the fakes (``again``: a rerun after a failure)."""
    settings = w.settings
    deps = Deps(DeliveryConfig(settings.triage_channel, settings.engineering_channel,
                               settings.reopen_days, settings.language),
                cast(Store, w.store), Slack(slack.client()), w.plans, w.clock)

    async def fence() -> None:
        return None

    return Run(deps, again=again, now=w.clock(), fence=fence)
