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
from bot.notify import Author, Mailer, Slack, Undeliverable, marker, slack_call
from bot.sla import (
    STANDARD,
    Plan,
    Step,
    Timer,
    Window,
    clock_running,
    desired_timers,
    is_breached,
    response_window,
)
from bot.store import Conflict, Job, Store, Versioned
from bot.tickets import (
    Client,
    Severity,
    Status,
    Ticket,
    TicketError,
    change_severity,
    change_status,
    claim,
    mark_sent,
    record_response,
    reopen,
    resolve,
    ticket_key,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Epoch seconds now; injected so that tests own time."""

ONCE_TTL = 24 * 3600
REACTION_TTL = 90 * 86_400
"""A message's :ticket: reaction is answered once; a quarter later, Slack history is stale."""
DIRECTORY_TTL = 300.0
CONFLICT_RETRIES = 20


class NotDue(Exception):
    """A timer came up before its due time (the ticket changed since it was armed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"due in {seconds:.3f} s")
        self.seconds = seconds


class JobKind(StrEnum):
    OPENED = "ticket_opened"
    SYNC_TRIAGE = "sync_triage"
    STATUS_NOTICE = "status_notice"
    SEVERITY_NOTICE = "severity_notice"
    ENGINEERING = "engineering_handoff"
    RELAY_UPDATE = "relay_update"
    REACTION_PROMPT = "reaction_prompt"
    SLA = "sla"


class JobPayload(BaseModel):
    kind: JobKind
    ticket: int = 0
    """0 for the one job that is not about a ticket yet (a :ticket: reaction's prompt)."""
    step: Step | None = None
    generation: int | None = None
    change: int | None = None
    """For a status or severity notice: which change (its index in the ticket's history)."""
    by: str | None = None
    text: str | None = None
    channel: str | None = None
    ts: str | None = None
    ref: str | None = None
    """What makes a relayed update unique (the modal submission it came from)."""


def status_jobs(changed: Ticket) -> list[Job]:
    """The jobs of a status change: the triage post re-rendered, the client told."""
    index = len(changed.status_changes) - 1
    return [Job("triage:#", {"kind": JobKind.SYNC_TRIAGE}),
            Job(f"status:#:{index}", {"kind": JobKind.STATUS_NOTICE, "change": index})]


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    window: Window
    created: bool


class Desk:
    def __init__(self, settings: Settings, store: Store, slack: Slack, clock: Clock = time.time,
                 mailer: Mailer | None = None):
        self.settings = settings
        self.store = store
        self.slack = slack
        self.clock = clock
        self.mailer = mailer
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
        self, *, channel: str, reporter: str, form: TicketForm, once: str,
        source_link: str | None = None,
    ) -> Opened:
        """Save a new ticket with its Slack posts and SLA timers; once per ``once`` key."""
        now = self.clock()
        client, plan = await self.client_and_plan(channel)
        draft = Ticket(number=0, channel=channel, reporter=reporter, title=form.title,
                       description=form.description, severity=form.severity, created_at=now,
                       source_link=source_link)
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
                jobs=status_jobs)
        except TicketError as refusal:
            return f"{ticket_key(number)} is {refusal}."
        log.info("%s claimed by %s", ticket_key(number), user)
        return None

    async def record_reply(
        self, *, channel: str, thread_ts: str, user: str, team: str | None, ts: str
    ) -> bool:
        """A message in a ticket's client thread: a staff one is the response. True if it was."""
        # The thread index is per channel: a thread found here is this ticket's client thread.
        number = await self.store.ticket_for_thread(channel, thread_ts)
        if number is None or not await self.is_staff(user, team):
            return False
        saved = await self.change(number, lambda t: record_response(t, float(ts)),
                                  jobs=[Job("triage:#", {"kind": JobKind.SYNC_TRIAGE})])
        if saved.ticket.first_response_at == float(ts):
            log.info("%s: first response by %s at %s", saved.ticket.key, user, ts)
        return True

    async def change_severity(
        self, number: int, severity: Severity, user: str, team: str | None
    ) -> str | None:
        """Change the severity (staff only); returns why not, or None when done."""
        if not await self.is_staff(user, team):
            return "Only the support team can change a ticket's severity."
        now = self.clock()

        def notices(changed: Ticket) -> list[Job]:
            index = len(changed.severity_changes) - 1
            return [Job("triage:#", {"kind": JobKind.SYNC_TRIAGE}),
                    Job(f"severity:#:{index}", {"kind": JobKind.SEVERITY_NOTICE, "change": index})]

        try:
            saved = await self.change(
                number, lambda t: change_severity(t, severity, user, now), jobs=notices)
        except TicketError as refusal:
            return str(refusal)
        changes = saved.ticket.severity_changes
        if changes and changes[-1].at == now:
            log.info("%s: severity %s -> %s by %s", saved.ticket.key, changes[-1].old.value,
                     severity.value, user)
        return None

    async def set_status(self, number: int, status: Status, user: str, team: str | None
                         ) -> str | None:
        """Move a ticket between working statuses (staff only); returns why not, or None."""
        if not await self.is_staff(user, team):
            return "Only the support team can change a ticket's status."
        now = self.clock()

        def jobs(changed: Ticket) -> list[Job]:
            handoff = [Job("engineering:#", {"kind": JobKind.ENGINEERING, "by": user})]
            return status_jobs(changed) + (
                handoff if status is Status.WITH_ENGINEERING else [])

        try:
            await self.change(number, lambda t: change_status(t, status, user, now), jobs=jobs)
        except TicketError as refusal:
            return str(refusal)
        log.info("%s: %s by %s", ticket_key(number), status.value, user)
        return None

    async def resolve(self, number: int, user: str, team: str | None, resolution: str
                      ) -> str | None:
        if not await self.is_staff(user, team):
            return "Only the support team can resolve tickets."
        now = self.clock()
        try:
            await self.change(number, lambda t: resolve(t, user, now, resolution),
                              jobs=status_jobs)
        except TicketError as refusal:
            return str(refusal)
        log.info("%s resolved by %s", ticket_key(number), user)
        return None

    async def reopen(self, number: int, user: str, team: str | None, channel: str
                     ) -> str | None:
        """Reopen from the client thread (anyone there) or the triage post (staff)."""
        current = await self.store.get(number)
        if current is None:
            return f"{ticket_key(number)} does not exist."
        in_client_thread = channel == current.ticket.channel
        if not in_client_thread and not await self.is_staff(user, team):
            return "Only the client or the support team can reopen this ticket."
        now = self.clock()
        within = self.settings.reopen_days * 86_400
        try:
            await self.change(number, lambda t: reopen(t, user, now, within=within),
                              jobs=status_jobs)
        except TicketError as refusal:
            return str(refusal)
        log.info("%s reopened by %s", ticket_key(number), user)
        return None

    async def post_update(self, number: int, user: str, team: str | None, text: str,
                          once: str) -> str | None:
        """Relay a staff-written update to the client thread, under the staff member's name.

        It counts as a message from support to the client: the first response if none was
        yet, and the latest update for the update cadence.
        """
        if not await self.is_staff(user, team):
            return "Only the support team can post updates to the client."
        now = self.clock()
        try:
            await self.change(number, lambda t: record_response(t, now), jobs=[
                Job(f"relay:#:{once}", {"kind": JobKind.RELAY_UPDATE, "by": user, "text": text,
                                        "ref": once}),
                Job("triage:#", {"kind": JobKind.SYNC_TRIAGE})])
        except TicketError as refusal:
            return str(refusal)
        return None

    async def prompt_from_reaction(self, *, channel: str, ts: str, user: str) -> None:
        """A :ticket: reaction in a client channel: offer an Open a ticket button, once."""
        if await self.store.client(channel) is None:
            return
        if await self.store.remember_once(f"reaction:{channel}:{ts}", REACTION_TTL):
            await self.store.enqueue(Job(f"prompt:{channel}:{ts}", {
                "kind": JobKind.REACTION_PROMPT, "channel": channel, "ts": ts, "by": user}))

    async def tickets_for(self, channel: str, user: str, team: str | None,
                          only: int | None = None) -> str:
        """``/ticket list`` and ``/ticket T-1042``: what this person may see from here.

        In a client channel: that client's tickets only. In the triage channel: staff see all
        open tickets, the most urgent first.
        """
        internal = channel == self.settings.triage_channel
        if internal and not await self.is_staff(user, team):
            return "Only the support team can list tickets here."
        now = self.clock()
        numbers = [only] if only is not None else await self.store.open_numbers()
        rows: list[tuple[float, str]] = []
        for number in numbers:
            current = await self.store.get(number)
            if current is None or (not internal and current.ticket.channel != channel):
                continue
            ticket = current.ticket
            _, plan = await self.client_and_plan(ticket.channel)
            window = response_window(ticket, plan)
            line = blocks.ticket_line(ticket, window, now,
                                      breached=is_breached(ticket, plan, now))
            if internal:
                line += f" (<#{ticket.channel}>)"
            rows.append((window.deadline if clock_running(ticket) else float("inf"), line))
        if only is not None and not rows:
            return f"{ticket_key(only)} is not a ticket of this channel."
        if not rows:
            return "No open tickets."
        return "\n".join(line for _, line in sorted(rows))

    async def rearm(self, number: int) -> None:
        """Rebuild the ticket's timers from its state (after a plan change, or a sweep)."""
        await self.change(number, lambda t: t, force=True)

    async def follow_plan(self, channel: str) -> int:
        """Recompute the open tickets of a client whose plan changed; how many there were."""
        count = 0
        for number in await self.store.open_numbers():
            current = await self.store.get(number)
            if current is not None and current.ticket.channel == channel:
                await self.rearm(number)
                count += 1
        return count

    async def sweep(self) -> int:
        """Rebuild every open ticket's timers from its state; a missed breach becomes due now.

        Returns how many tickets were swept.
        """
        numbers = await self.store.open_numbers()
        for number in numbers:
            try:
                await self.rearm(number)
            except (TicketError, Conflict) as exc:
                log.error("%s: sweep could not rebuild its timers: %s", ticket_key(number), exc)
        return len(numbers)

    async def change(
        self,
        number: int,
        apply: Callable[[Ticket], Ticket],
        jobs: Sequence[Job] | Callable[[Ticket], Sequence[Job]] = (),
        *,
        force: bool = False,
    ) -> Versioned:
        """Apply a domain change with optimistic concurrency; timers follow the new state.

        A change that returns the very ticket it was given is no change: nothing is
        written, unless ``force`` (to rebuild the timers or add jobs all the same).
        """
        for _ in range(CONFLICT_RETRIES):
            current = await self.store.get(number)
            if current is None:
                raise TicketError(f"{ticket_key(number)} does not exist")
            changed = apply(current.ticket)
            if changed is current.ticket and not force:
                return current
            _, plan = await self.client_and_plan(changed.channel)
            timers = desired_timers(changed, plan, self.clock(), self.settings.warn_at)
            try:
                return await self.store.save(
                    current, changed, jobs=jobs(changed) if callable(jobs) else jobs,
                    timers=timers)
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

    async def perform(self, payload: JobPayload, *, again: bool, now: float) -> None:
        """Do one job. ``again``: an earlier attempt may have reached Slack before failing.

        ``now`` is the queue's clock (Redis's) when the job was claimed: a timer fires by
        the same clock that made it due.
        """
        if payload.kind is JobKind.REACTION_PROMPT:
            await self._prompt_in_thread(payload, again=again)
            return
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
        elif payload.kind is JobKind.STATUS_NOTICE:
            await self._post_status_notice(ticket, payload.change or 0, again=again)
        elif payload.kind is JobKind.SEVERITY_NOTICE:
            await self._post_severity_notice(ticket, payload.change or 0, again=again)
        elif payload.kind is JobKind.ENGINEERING:
            await self._hand_to_engineering(ticket, payload.by or "", again=again)
        elif payload.kind is JobKind.RELAY_UPDATE:
            await self._relay_update(ticket, payload, again=again)
        else:
            await self._fire(ticket, payload, now=now, again=again)

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
        if not await self.store.set_message_ts(ticket, name, ts):
            log.warning("%s: %s was already recorded; a second message %s may exist",
                        ticket.key, name, ts)

    async def sync_triage(self, ticket: Ticket) -> None:
        """Re-render the triage post from the ticket's state (idempotent)."""
        if ticket.triage_ts is None:
            return  # the post is still to come, and will show the current state
        client, plan = await self.client_and_plan(ticket.channel)
        identity = await self.slack.identity()
        engineering = (identity.permalink(self.settings.engineering_channel, ticket.engineering_ts)
                       if ticket.engineering_ts and self.settings.engineering_channel else None)
        text, body = blocks.triage_message(
            ticket, client, response_window(ticket, plan), identity,
            breached=is_breached(ticket, plan, self.clock()), engineering_link=engineering)
        await self.slack.update(self.settings.triage_channel or "", ticket.triage_ts, text, body)

    async def _in_client_thread(self, ticket: Ticket, name: str, text: str,
                                body: list[dict[str, Any]] | None, *, again: bool,
                                author: Author | None = None) -> None:
        """Post once in the ticket's client thread, recorded in ``sent`` as ``name``."""
        if name in ticket.sent:
            return
        if ticket.client_ts is None:
            log.warning("%s: no client thread to post %s in", ticket.key, name)
            return
        await self.slack.post_once(
            ticket.channel, text, body, thread_ts=ticket.client_ts,
            mark=marker(ticket.key, name), again=again, oldest=ticket.created_at - 60,
            author=author)
        await self.change(ticket.number, lambda t: mark_sent(t, name))

    async def _post_status_notice(self, ticket: Ticket, index: int, *, again: bool) -> None:
        if index >= len(ticket.status_changes):
            return
        text, body = blocks.status_notice(ticket, ticket.status_changes[index],
                                          self.settings.reopen_days)
        await self._in_client_thread(ticket, f"status:{index}", text, body, again=again)

    async def _hand_to_engineering(self, ticket: Ticket, by: str, *, again: bool) -> None:
        channel = self.settings.engineering_channel
        if ticket.engineering_ts:
            return
        if channel is None:
            log.warning("%s sent to engineering, but ENGINEERING_CHANNEL is not set",
                        ticket.key)
            return
        client, _ = await self.client_and_plan(ticket.channel)
        identity = await self.slack.identity()
        triage = (identity.permalink(self.settings.triage_channel or "", ticket.triage_ts)
                  if ticket.triage_ts else None)
        text, body = blocks.engineering_message(ticket, client, by, triage)
        ts = await self.slack.post_once(channel, text, body, mark=marker(ticket.key, "engineering"),
                                        again=again, oldest=ticket.created_at - 60)
        await self._record_ts(ticket, "engineering_ts", ts)
        await self.sync_triage(replace(ticket, engineering_ts=ts))

    async def _relay_update(self, ticket: Ticket, payload: JobPayload, *, again: bool) -> None:
        author = await self._user(payload.by or "")
        profile = author.get("profile") or {}
        name = str(profile.get("display_name") or profile.get("real_name")
                   or author.get("name") or "Support")
        text = blocks.fit(payload.text or "", blocks.SECTION_MAX)
        await self._in_client_thread(
            ticket, f"update:{payload.ref}",
            text, None, again=again, author=Author(f"{name} (support)", profile.get("image_72")))

    async def _prompt_in_thread(self, payload: JobPayload, *, again: bool) -> None:
        channel, ts = payload.channel or "", payload.ts or ""
        message = await self.slack.message(channel, ts)
        if message is None:
            log.info("reaction on %s/%s: the message is gone, no prompt", channel, ts)
            return
        text = str(message.get("text") or "")
        identity = await self.slack.identity()
        prefill = blocks.OpenTicketValue(
            title=blocks.cut_plain(text.split("\n", 1)[0], blocks.TITLE_MAX),
            description=blocks.cut_plain(text, 1500),
            source_link=identity.permalink(channel, ts))
        body_text, body = blocks.reaction_prompt(prefill)
        await self.slack.post_once(
            channel, body_text, body, thread_ts=message.get("thread_ts") or ts,
            mark=marker(f"{channel}:{ts}", "reaction_prompt"), again=again,
            oldest=float(ts) - 1)

    async def _post_severity_notice(self, ticket: Ticket, index: int, *, again: bool) -> None:
        name = f"severity_notice:{index}"
        if name in ticket.sent or ticket.client_ts is None or index >= len(
                ticket.severity_changes):
            return
        _, plan = await self.client_and_plan(ticket.channel)
        shown = replace(ticket, severity_changes=ticket.severity_changes[: index + 1])
        await self.slack.post_once(
            ticket.channel, blocks.severity_notice(shown, response_window(shown, plan)), None,
            thread_ts=ticket.client_ts, mark=marker(ticket.key, name), again=again,
            oldest=ticket.created_at - 60)
        await self.change(ticket.number, lambda t: mark_sent(t, name))

    # -- SLA reminders -------------------------------------------------------------------

    async def _fire(self, ticket: Ticket, payload: JobPayload, *, now: float,
                    again: bool) -> None:
        """Send a warning or breach if the ticket's state still wants it (the fencing check)."""
        client, plan = await self.client_and_plan(ticket.channel)
        wanted = [t for t in desired_timers(ticket, plan, now, self.settings.warn_at)
                  if t.step is payload.step and t.generation == payload.generation]
        if not wanted:
            log.info("%s: %s timer (generation %s) no longer wanted, dropped", ticket.key,
                     payload.step, payload.generation)
            return
        timer = wanted[0]
        # The queue scores due times in whole milliseconds: compare at that grain.
        if round(timer.due * 1000) > round(now * 1000):
            raise NotDue(timer.due - now)
        sender = Reminder(self, ticket, client, plan, timer, now=now, again=again)
        if timer.step is Step.WARNING:
            await sender.warn()
        elif timer.step is Step.BREACH:
            await sender.escalate()
        else:
            await sender.ask_for_update()
        await self.change(ticket.number, lambda t: mark_sent(t, timer.notification),
                          jobs=[Job("triage:#", {"kind": JobKind.SYNC_TRIAGE})]
                          if timer.step is Step.BREACH else ())
        log.info("%s: %s sent (deadline %s)", ticket.key, timer.step.value,
                 time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(timer.generation / 1000)))


class Reminder:
    """The messages of one SLA notification, each sent once and recorded as it goes.

    Each part (a DM, the triage note, the email) is recorded in the ticket's ``sent`` as
    soon as it is out, so a rerun after a crash sends only what is missing.
    """

    def __init__(self, desk: Desk, ticket: Ticket, client: Client | None, plan: Plan,
                 timer: Timer, *, now: float, again: bool) -> None:
        self.desk, self.ticket, self.client, self.timer = desk, ticket, client, timer
        self.window = response_window(ticket, plan)
        self.now, self.again = now, again

    async def _once(self, part: str, channel: str, text: str, thread_ts: str | None = None
                    ) -> None:
        name = f"{self.timer.notification}/{part}"
        if name in self.ticket.sent:
            return
        await self.desk.slack.post_once(
            channel, text, None, thread_ts=thread_ts, again=self.again,
            mark=marker(self.ticket.key, name), oldest=self.timer.due - 60)
        await self._record(name)

    async def _record(self, name: str) -> None:
        saved = await self.desk.change(self.ticket.number, lambda t: mark_sent(t, name))
        self.ticket = saved.ticket

    async def _links(self) -> tuple[str | None, str | None]:
        identity = await self.desk.slack.identity()
        thread = (identity.permalink(self.ticket.channel, self.ticket.client_ts)
                  if self.ticket.client_ts else None)
        triage_channel = self.desk.settings.triage_channel
        triage = (identity.permalink(triage_channel, self.ticket.triage_ts)
                  if self.ticket.triage_ts and triage_channel else None)
        return thread, triage

    async def warn(self) -> None:
        thread_link, _ = await self._links()
        manager = self.client.account_manager if self.client else None
        warned = list(dict.fromkeys(u for u in (manager, self.ticket.assignee) if u))
        text = blocks.warning_dm(self.ticket, self.client, self.window, self.now, thread_link)
        for user in warned:
            await self._once(f"dm:{user}", user, text)
        await self._triage_note(blocks.warning_note(self.ticket, self.client, self.window,
                                                    self.now, warned))

    async def escalate(self) -> None:
        thread_link, triage_link = await self._links()
        settings = self.desk.settings
        if settings.support_lead:
            await self._once(f"dm:{settings.support_lead}", settings.support_lead,
                             blocks.breach_dm(self.ticket, self.client, self.window, self.now,
                                              thread_link, triage_link))
        else:
            log.warning("%s breached, and SUPPORT_LEAD is not set: no one to DM",
                        self.ticket.key)
        await self._email(thread_link, triage_link)
        await self._triage_note(blocks.breach_note(self.ticket, self.window, self.now))

    async def ask_for_update(self) -> None:
        thread_link, _ = await self._links()
        since = self.timer.generation / 1000
        if self.ticket.assignee:
            await self._once(f"dm:{self.ticket.assignee}", self.ticket.assignee,
                             blocks.update_overdue_dm(self.ticket, self.client, since, self.now,
                                                      thread_link))
        await self._triage_note(blocks.update_overdue_note(self.ticket, since, self.now))

    async def _triage_note(self, text: str) -> None:
        channel = self.desk.settings.triage_channel
        if channel and self.ticket.triage_ts:
            await self._once("triage", channel, text, thread_ts=self.ticket.triage_ts)

    async def _email(self, thread_link: str | None, triage_link: str | None) -> None:
        name = f"{self.timer.notification}/email"
        to = self.desk.settings.support_lead_email
        if name in self.ticket.sent:
            return
        if self.desk.mailer is None or to is None:
            log.warning("%s breached; no email sent (SMTP_URL or SUPPORT_LEAD_EMAIL not set)",
                        self.ticket.key)
            return
        await self.desk.mailer.send(blocks.breach_email(
            self.ticket, self.client, self.window, self.now, to=to, thread_link=thread_link,
            triage_link=triage_link, generation=self.timer.generation))
        await self._record(name)
