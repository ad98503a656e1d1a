"""The desk's use cases: open, claim, and the jobs that post to Slack.

Handlers and the worker call these; Bolt stays in ``handlers``. Every change a user
makes is in Redis (with the jobs that tell Slack about it) before anything is posted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from bot import blocks
from bot.blocks import TicketForm
from bot.config import Settings
from bot.notify import Slack, Undeliverable, marker, slack_call
from bot.sla import STANDARD, Plan, Step, Window, desired_timers, is_breached, response_window
from bot.store import Conflict, Job, Store, Versioned
from bot.tickets import Client, Ticket, TicketError, claim, mark_sent, ticket_key

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Epoch seconds now; injected so that tests own time."""

ONCE_TTL = 24 * 3600
DIRECTORY_TTL = 300.0
CONFLICT_RETRIES = 20


class JobKind(StrEnum):
    OPENED = "ticket_opened"
    SYNC_TRIAGE = "sync_triage"
    CLAIM_ACK = "claim_ack"
    SLA = "sla"


class JobPayload(BaseModel):
    kind: JobKind
    ticket: int
    step: Step | None = None
    generation: int | None = None


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    window: Window
    created: bool


class Desk:
    def __init__(self, settings: Settings, store: Store, slack: Slack, clock: Clock = time.time):
        self.settings = settings
        self.store = store
        self.slack = slack
        self.clock = clock
        self.plans = settings.plan_table
        self._users: dict[str, tuple[float, dict[str, Any]]] = {}
        self._team: tuple[float, frozenset[str]] | None = None

    # -- reading -----------------------------------------------------------------------

    def plan(self, client: Client | None) -> Plan:
        name = client.plan if client else STANDARD
        plan = self.plans.get(name)
        if plan is None:
            log.warning("client %s is on unknown plan %r: using %s", client and client.channel,
                        name, STANDARD)
            return self.plans[STANDARD]
        return plan

    async def client_and_plan(self, channel: str) -> tuple[Client | None, Plan]:
        client = await self.store.client(channel)
        return client, self.plan(client)

    # -- use cases ---------------------------------------------------------------------

    async def open_ticket(
        self, *, channel: str, reporter: str, form: TicketForm, once: str
    ) -> Opened:
        """Save a new ticket with its Slack posts and SLA timers; once per ``once`` key."""
        now = self.clock()
        client, plan = await self.client_and_plan(channel)
        draft = Ticket(number=0, channel=channel, reporter=reporter, title=form.title,
                       description=form.description, severity=form.severity, created_at=now)
        saved, created = await self.store.create(
            draft, once=once, once_ttl=ONCE_TTL,
            jobs=[Job("opened:#", {"kind": JobKind.OPENED})],
            timers=desired_timers(draft, plan, now, self.settings.warn_at),
        )
        ticket = saved.ticket
        if created:
            log.info("%s opened by %s in %s (%s, %s)", ticket.key, reporter, channel,
                     ticket.severity.value, client.name if client else "unregistered channel")
        else:
            log.info("%s: repeated submission %s, not opening another ticket", ticket.key, once)
        return Opened(ticket, response_window(ticket, plan), created)

    async def claim(self, number: int, user: str, team: str | None) -> str | None:
        """Assign the ticket to ``user``; returns why not, or None when claimed."""
        if not await self.is_staff(user, team):
            return "Only the support team can claim tickets."
        now = self.clock()
        try:
            await self.change(
                number,
                lambda t: claim(t, user, now, claim_is_response=self.settings.claim_is_response),
                jobs=[Job("triage:#", {"kind": JobKind.SYNC_TRIAGE}),
                      Job("claimack:#", {"kind": JobKind.CLAIM_ACK})],
            )
        except TicketError as refusal:
            return f"{ticket_key(number)} is {refusal}."
        log.info("%s claimed by %s", ticket_key(number), user)
        return None

    async def change(
        self, number: int, apply: Callable[[Ticket], Ticket], jobs: Sequence[Job] = ()
    ) -> Versioned:
        """Apply a domain change with optimistic concurrency; timers follow the new state.

        A change that returns the very ticket it was given is no change: nothing is written.
        """
        for _ in range(CONFLICT_RETRIES):
            current = await self.store.get(number)
            if current is None:
                raise TicketError(f"{ticket_key(number)} does not exist")
            changed = apply(current.ticket)
            if changed is current.ticket:
                return current
            _, plan = await self.client_and_plan(changed.channel)
            timers = desired_timers(changed, plan, self.clock(), self.settings.warn_at)
            try:
                return await self.store.save(current, changed, jobs=jobs, timers=timers)
            except Conflict:
                continue
        raise Conflict(f"{ticket_key(number)} kept changing; gave up after {CONFLICT_RETRIES}")

    # -- who is who --------------------------------------------------------------------

    async def is_staff(self, user: str, team: str | None) -> bool:
        """A human member of the installing workspace (and of SUPPORT_TEAM when set)."""
        identity = await self.slack.identity()
        if team is not None and team != identity.team_id:
            return False
        info = await self._user(user)
        if (info.get("is_bot") or info.get("deleted") or info.get("is_restricted")
                or info.get("is_ultra_restricted") or info.get("team_id") != identity.team_id
                or user == "USLACKBOT"):
            return False
        if self.settings.support_usergroup:
            return user in await self._support_team()
        if self.settings.support_team_ids:
            return user in self.settings.support_team_ids
        return True

    async def _user(self, user: str) -> dict[str, Any]:
        cached = self._users.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        r = await slack_call(self.slack.client.users_info(user=user))
        info: dict[str, Any] = dict(r["user"])
        self._users[user] = (time.monotonic() + DIRECTORY_TTL, info)
        return info

    async def _support_team(self) -> frozenset[str]:
        if self._team and self._team[0] > time.monotonic():
            return self._team[1]
        r = await slack_call(self.slack.client.usergroups_users_list(
            usergroup=self.settings.support_usergroup or ""))
        members = frozenset(r.get("users") or [])
        self._team = (time.monotonic() + DIRECTORY_TTL, members)
        return members

    # -- jobs --------------------------------------------------------------------------

    async def perform(self, payload: JobPayload, *, again: bool) -> None:
        """Do one job. ``again``: an earlier attempt may have reached Slack before failing."""
        current = await self.store.get(payload.ticket)
        if current is None:
            log.warning("%s: job %s for a ticket that does not exist, dropped",
                        ticket_key(payload.ticket), payload.kind.value)
            return
        ticket = current.ticket
        if payload.kind is JobKind.OPENED:
            await self._post_opened(ticket, again=again)
        elif payload.kind is JobKind.SYNC_TRIAGE:
            await self.sync_triage(ticket)
        elif payload.kind is JobKind.CLAIM_ACK:
            await self._post_claim_ack(ticket, again=again)
        else:
            raise NotImplementedError(f"{ticket.key}: no handler for job kind {payload.kind}")

    async def _post_opened(self, ticket: Ticket, *, again: bool) -> None:
        client, plan = await self.client_and_plan(ticket.channel)
        window = response_window(ticket, plan)
        problem = None
        if ticket.client_ts is None:
            text, body = blocks.client_thread_message(ticket, client, window)
            try:
                ts = await self.slack.post_once(
                    ticket.channel, text, body, mark=marker(ticket.key, "client_thread"),
                    again=again, oldest=ticket.created_at - 60)
            except Undeliverable as exc:
                log.error("%s: cannot post in client channel %s: %s", ticket.key,
                          ticket.channel, exc.error)
                problem = (f"Could not post this ticket in <#{ticket.channel}> ({exc.error}): "
                           "the client has not seen it. Invite the app to that channel.")
            else:
                await self._record_ts(ticket, "client_ts", ts)
                ticket = replace(ticket, client_ts=ts)
        if ticket.triage_ts is None:
            identity = await self.slack.identity()
            text, body = blocks.triage_message(
                ticket, client, window, identity,
                breached=is_breached(ticket, plan, self.clock()), problem=problem)
            ts = await self.slack.post_once(
                self.settings.triage_channel or "", text, body,
                mark=marker(ticket.key, "triage"), again=again, oldest=ticket.created_at - 60)
            await self._record_ts(ticket, "triage_ts", ts)

    async def _record_ts(self, ticket: Ticket, name: str, ts: str) -> None:
        if not await self.store.set_message_ts(ticket.number, name, ts):
            log.warning("%s: %s was already recorded; a second message %s may exist",
                        ticket.key, name, ts)

    async def sync_triage(self, ticket: Ticket) -> None:
        """Re-render the triage post from the ticket's state (idempotent)."""
        if ticket.triage_ts is None:
            return  # the post is still to come, and will show the current state
        client, plan = await self.client_and_plan(ticket.channel)
        text, body = blocks.triage_message(
            ticket, client, response_window(ticket, plan), await self.slack.identity(),
            breached=is_breached(ticket, plan, self.clock()))
        await self.slack.update(self.settings.triage_channel or "", ticket.triage_ts, text, body)

    async def _post_claim_ack(self, ticket: Ticket, *, again: bool) -> None:
        if "claim_ack" in ticket.sent or ticket.assignee is None:
            return
        if ticket.client_ts is None:
            log.warning("%s: claimed, but there is no client thread to tell", ticket.key)
            return
        await self.slack.post_once(
            ticket.channel, blocks.claim_ack(ticket), None, thread_ts=ticket.client_ts,
            mark=marker(ticket.key, "claim_ack"), again=again, oldest=ticket.created_at - 60)
        await self.change(ticket.number, lambda t: mark_sent(t, "claim_ack"))
