"""Assignment: a ticket given by hand (Assign to, Unassign) or by the desk (round robin or
least busy among the support team's members on shift and not away), and handed over when
its assignee stays silent or cannot be reached.

An assignment is a change of the ticket like a claim, through ``Changes``: the DM to the
assignee, the line in the client thread, the triage post, App Home and the ``assigned``
event are jobs armed in the same write."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.domain import assignment as rules
from bot.domain.calendar import Calendar, is_open
from bot.domain.jobs import (
    Armed,
    AssignedDM,
    AssignedNotice,
    AssignmentNote,
    AutoAssign,
    SyncTriage,
)
from bot.domain.text import N_
from bot.domain.tickets import Status, Ticket, TicketError, ticket_key
from bot.services.changes import Changes
from bot.services.ports import Directory, Now, Presence, Roster, TicketStore
from bot.services.sinks import Sinks
from bot.services.staff import Actor, StaffCheck

log = logging.getLogger(__name__)

RETRY_EVERY = 60.0
"""While nobody is available, the desk looks again this often."""
SKIP_FOR = 86_400.0
"""Someone the desk cannot DM is left out of automatic assignment this long."""
DEFAULT_AWAY = frozenset({":palm_tree:", ":face_with_thermometer:", ":airplane:"})


class NobodyAvailable(Exception):
    """Nobody can be given the ticket now; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AutoSettings:
    """How the desk assigns by itself (``ASSIGNMENT``, ``SHIFTS``, ``AWAY_EMOJI``,
    ``REASSIGN_AFTER``)."""

    rule: rules.Rule = rules.Rule.NONE
    shifts: Mapping[str, Calendar] | None = None
    away: frozenset[str] = DEFAULT_AWAY
    reassign_after: float | None = None


class Assignments:
    def __init__(self, changes: Changes, store: TicketStore, staff: StaffCheck,
                 directory: Directory, presence: Presence, roster: Roster, sinks: Sinks,
                 now: Now, auto: AutoSettings = AutoSettings(),
                 listed: frozenset[str] = frozenset()) -> None:
        """``listed``: the support team's members as set up (``SUPPORT_TEAM`` as user IDs);
        a user group's come from ``directory``."""
        self.changes = changes
        self.store = store
        self.staff = staff
        self.directory = directory
        self.presence = presence
        self.roster = roster
        self.sinks = sinks
        self.now = now
        self.auto = auto
        self.listed = listed

    # -- by hand ---------------------------------------------------------------------------

    async def assign(self, number: int, to: str, actor: Actor) -> None:
        """Assign or reassign the ticket to ``to`` (anyone who may claim)."""
        await self.staff.require(actor, "Only the support team can assign tickets.")
        if not await self.staff.is_staff(Actor(to)):
            raise TicketError("That person cannot be assigned tickets: only the support "
                              "team can hold them.")
        await self.give(number, to, actor.user)
        log.info("%s assigned to %s by %s", ticket_key(number), to, actor.user)

    async def unassign(self, number: int, actor: Actor) -> None:
        await self.staff.require(actor, "Only the support team can unassign tickets.")
        now = self.now()
        await self.changes.change(
            number, lambda t: rules.unassign(t, actor.user, now),
            jobs=lambda t: [Armed(SyncTriage(ticket=number)),
                            *self.sinks(t, "unassigned", now, by=actor.user)])
        log.info("%s unassigned by %s", ticket_key(number), actor.user)

    async def give(self, number: int, to: str, by: str | None,
                   still: Callable[[Ticket], bool] = lambda t: True,
                   note: AssignmentNote | None = None) -> Ticket | None:
        """Give the ticket to ``to`` (``by``: who; None: the desk), with the jobs that tell
        everyone, if ``still`` holds of the ticket as the change finds it; the ticket given,
        or None. ``note``: why it changes hands, for the triage thread."""
        now = self.now()
        given = False

        def apply(ticket: Ticket) -> Ticket:
            nonlocal given
            given = still(ticket)
            return rules.assign(ticket, to, by, now) if given else ticket

        saved = await self.changes.change(number, apply, jobs=self.told(to, by, now, note))
        return saved.ticket if given and saved.ticket.assignee == to else None

    def told(self, to: str, by: str | None, now: float, note: AssignmentNote | None = None
             ) -> Callable[[Ticket], list[Armed]]:
        """An assignment's jobs: the triage post, the client thread, a DM to the assignee
        (and, handed over by the desk, to the one before), the event, and with
        ``REASSIGN_AFTER`` the hand-over's check of an automatic assignment."""
        def jobs(changed: Ticket) -> list[Armed]:
            number, index = changed.number, len(changed.assignments) - 1
            told = [to]
            previous = changed.assignments[index - 1].to if index >= 1 else None
            if by is None and previous is not None and previous != to:
                told.append(previous)
            armed = [Armed(SyncTriage(ticket=number)),
                     Armed(AssignedNotice(ticket=number, change=index)),
                     *(Armed(AssignedDM(ticket=number, change=index, user=u)) for u in told),
                     *self.sinks(changed, "assigned", now, by=by, to=to,
                                 automatic=by is None)]
            if note is not None:
                armed.append(Armed(note.model_copy(update={"to": to})))
            if by is None and self.auto.reassign_after:
                armed.append(Armed(AutoAssign(ticket=number, after=index),
                                   now + self.auto.reassign_after))
            return armed
        return jobs

    # -- by the desk -----------------------------------------------------------------------

    async def team(self) -> frozenset[str]:
        group = await self.directory.support_team()
        return group if group is not None else self.listed

    async def availability(self, now: float, excluded: frozenset[str] = frozenset()
                           ) -> rules.Availability:
        team = sorted(await self.team() - excluded)
        shifts = self.auto.shifts or {}
        on_shift = [u for u in team if u not in shifts or is_open(now, shifts[u])]
        away = [u for u in on_shift if await self.presence.status_emoji(u) in self.auto.away]
        return rules.available(team, on_shift=on_shift, away=away,
                               unreachable=await self.roster.skipped(on_shift),
                               excluded=excluded)

    async def assign_automatically(self, job: AutoAssign) -> Ticket | None:
        """Carry out ``job``: the ticket to the next available person, or NobodyAvailable
        (a note in the triage thread is armed, and the job is to be tried again)."""
        current = await self.store.get(job.ticket)
        if current is None:
            return None
        ticket = current.ticket
        if ticket.status is Status.RESOLVED:
            return None
        note: AssignmentNote | None = None
        excluded: frozenset[str] = frozenset()
        if job.after < 0:
            if ticket.assignee is not None:
                return None  # assigned by hand meanwhile
        else:
            if job.unreachable is not None:
                await self.roster.skip(job.unreachable, SKIP_FOR)
            held = ticket.assignments[job.after] if job.after < len(ticket.assignments) else None
            if (held is None or held.by is not None or job.after != len(ticket.assignments) - 1
                    or ticket.assignee != held.to
                    or job.unreachable not in (None, held.to)):
                return None  # assigned again since, by hand or by the desk
            if job.unreachable is None and not rules.silent_since(ticket, held.at):
                return None  # they answered: the ticket stays theirs
            note = AssignmentNote(ticket=ticket.number, previous=held.to,
                                  unreachable=job.unreachable is not None)
            excluded = rules.held_by(ticket)
        found = await self.availability(self.now(), excluded)
        if not found.people:
            reason = found.nobody or N_("nobody available")
            told = (note or AssignmentNote(ticket=ticket.number)).model_copy(
                update={"reason": reason})
            await self.store.enqueue(Armed(told))
            if excluded and not await self.team() - excluded:
                # Everyone has held it: it stays where it is, for good (the mark tells the
                # sweep that this check is done, not lost).
                await self.store.commit_effects(current, marks=[job.id])
                return None
            raise NobodyAvailable(reason)
        busy = (await self.roster.busy(found.people)
                if self.auto.rule is rules.Rule.LEAST_BUSY else None)
        chosen = await self.roster.take_turn(lambda last: rules.choose(found.people, last, busy))
        if chosen is None:
            return None
        number, after = ticket.number, job.after

        def still(t: Ticket) -> bool:
            if after < 0:
                return t.assignee is None and t.status is not Status.RESOLVED
            return len(t.assignments) - 1 == after and t.status is not Status.RESOLVED

        given = await self.give(number, chosen, None, still, note)
        if given is not None:
            log.info("%s assigned to %s automatically (%s)", ticket_key(number), chosen,
                     self.auto.rule.value)
        return given
