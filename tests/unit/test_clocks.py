"""The clocks beyond the first response, calendars under the clocks, and their settings.

Pure unit tests of ``bot/domain/sla.py`` (next response, update cadence, resolution, and
the initial response under a plan calendar; pauses while waiting on the client; which
reminders are desired and which fired ones are still current; what the triage post
shows) and of ``bot/config/plans.py`` / ``load_settings`` (``CALENDARS`` and ``PLANS``).
The rules are those of docs/clocks.md: a severity raised or lowered, a deadline reached
exactly, a start in closed time, a warning and a breach due together after downtime (only
the breach), and a reopened ticket (nothing stale fires).

Every moment is a whole number of seconds (or a whole millisecond off one) and every
target a whole number of seconds, so the arithmetic is exact and ``==`` is fair.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from bot.config.plans import parse_calendars, parse_plans
from bot.domain.calendar import DAY, Calendar, add, elapsed, is_open
from bot.domain.plans import Plan, default_plans, merge_plan
from bot.domain.sla import (
    ClockState,
    Step,
    Timer,
    clock_states,
    desired_timers,
    reminder_current,
    windows,
)
from bot.domain.sla import SlaClock as Clock
from bot.domain.tickets import Severity, Status, Ticket
from bot.domain.transitions import (
    change_severity,
    change_status,
    claim,
    record_client_message,
    record_response,
    reopen,
    resolve,
)

H = 3600
M = 60
T0 = 1_700_000_000.0
WARN_AT = 0.75
STAFF = "U0STAFF001"
ROME = "Europe/Rome"
REOPEN_WITHIN = 7 * DAY

STANDARD = default_plans()["standard"]
PREMIUM = merge_plan(
    "premium", STANDARD,
    next_response={Severity.CRITICAL: 30 * M, Severity.HIGH: 2 * H},
    resolve_within={Severity.CRITICAL: 8 * H, Severity.HIGH: 2 * DAY},
)
"""Calendar time; next response and resolution for Critical and High only (the standard
update cadence: Critical 1 h, High 4 h)."""

NINE_TO_SIX = ((9 * H, 18 * H),)
OFFICE = Calendar("office", ROME, (NINE_TO_SIX,) * 5 + ((),) * 2)
"""Monday to Friday 09:00-18:00, Europe/Rome."""
LUNCH = Calendar("lunch", ROME, (((9 * H, 13 * H), (14 * H, 18 * H)),) * 5 + ((),) * 2,
                 frozenset({date(2026, 3, 6)}))
"""Monday to Friday 09:00-13:00 and 14:00-18:00, Europe/Rome, Friday 6 March 2026 off."""

BUSINESS = replace(PREMIUM, name="business", calendar=OFFICE)
BUSINESS_24X7 = replace(BUSINESS, name="business-24x7", always=frozenset({Severity.CRITICAL}))


def rome(day: int, hh: int, mm: int = 0) -> float:
    """Epoch seconds of a local time in Rome in March 2026 (no DST change before the 29th).

    2 March is a Monday, 6 a Friday, 7-8 the weekend, 9 a Monday.
    """
    return datetime(2026, 3, day, hh, mm, tzinfo=ZoneInfo(ROME)).timestamp()


def ticket(severity: Severity = Severity.HIGH, created: float = T0) -> Ticket:
    return Ticket(number=1001, channel="C0ACME0001", reporter="U0CLIENT01", title="Login fails",
                  description="nobody can log in", severity=severity, created_at=created)


def answered(t: Ticket, at: float) -> Ticket:
    """Claimed and answered by staff in the client thread at ``at``."""
    return record_response(claim(t, STAFF, at, claim_is_response=False), at)


def waiting(t: Ticket, at: float) -> Ticket:
    return change_status(t, Status.WAITING_ON_CLIENT, STAFF, at)


def back(t: Ticket, at: float) -> Ticket:
    return change_status(t, Status.CLAIMED, STAFF, at)


def mark_sent(t: Ticket, timer: Timer) -> Ticket:
    return replace(t, sent=t.sent | {timer.notification})


def of(timers: list[Timer], clock: Clock) -> list[tuple[Step, float]]:
    """The (step, due) of ``clock``'s timers, in due order."""
    return [(x.step, x.due) for x in timers if x.step.clock is clock]


def timer(t: Ticket, plan: Plan, now: float, step: Step) -> Timer:
    """The desired timer of ``step`` (exactly one)."""
    found = [x for x in desired_timers(t, plan, now, WARN_AT) if x.step is step]
    assert len(found) == 1, found
    return found[0]


def deadline(t: Ticket, plan: Plan, clock: Clock) -> float:
    return windows(t, plan)[clock].deadline


def following_up(severity: Severity = Severity.HIGH) -> Ticket:
    """Created at T0, answered at T0+10 min, the client wrote again at T0+20 min."""
    return record_client_message(answered(ticket(severity), T0 + 10 * M), T0 + 20 * M)


# --- next response --------------------------------------------------------------------------

def test_a_client_message_before_any_staff_message_starts_nothing() -> None:
    t = ticket()
    for follow_up in (T0 + 5 * M, T0 + 6 * M):
        t = record_client_message(t, follow_up)
    assert t.awaiting_since is None
    assert Clock.NEXT not in windows(t, PREMIUM)
    assert of(desired_timers(t, PREMIUM, T0 + 7 * M, WARN_AT), Clock.NEXT) == []
    # Claimed (an acknowledgement, not a message to the client): still nothing.
    claimed = record_client_message(claim(ticket(), STAFF, T0 + M, claim_is_response=False),
                                    T0 + 5 * M)
    assert Clock.NEXT not in windows(claimed, PREMIUM)
    # The initial-response clock, anchored to creation, is what runs: client messages
    # before the first staff reply do not move it.
    assert windows(t, PREMIUM)[Clock.INITIAL].deadline == T0 + 4 * H


def test_a_client_message_after_a_staff_message_starts_the_next_response_clock() -> None:
    t = answered(ticket(), T0 + 10 * M)
    assert Clock.NEXT not in windows(t, PREMIUM)  # support spoke last
    t = record_client_message(t, T0 + 20 * M)
    window = windows(t, PREMIUM)[Clock.NEXT]
    assert (window.start, window.deadline) == (T0 + 20 * M, T0 + 20 * M + 2 * H)
    assert of(desired_timers(t, PREMIUM, T0 + 21 * M, WARN_AT), Clock.NEXT) == [
        (Step.NEXT_WARNING, T0 + 20 * M + 90 * M), (Step.NEXT_BREACH, T0 + 20 * M + 2 * H)]


def test_the_earliest_of_several_client_messages_starts_the_clock() -> None:
    t = answered(ticket(), T0 + 10 * M)
    # Three follow-ups, their events delivered out of order: the earliest counts.
    for follow_up in (T0 + 30 * M, T0 + 40 * M, T0 + 20 * M, T0 + 25 * M):
        t = record_client_message(t, follow_up)
    assert t.awaiting_since == T0 + 20 * M
    assert deadline(t, PREMIUM, Clock.NEXT) == T0 + 20 * M + 2 * H
    # A client message older than support's last message was already answered by it.
    late_old = record_client_message(answered(ticket(), T0 + 10 * M), T0 + 5 * M)
    assert Clock.NEXT not in windows(late_old, PREMIUM)


def test_the_next_staff_message_stops_the_next_response_clock() -> None:
    t = following_up()
    # A staff message from before the client's (delivered late) does not answer it.
    stale = record_response(t, T0 + 15 * M)
    assert deadline(stale, PREMIUM, Clock.NEXT) == T0 + 20 * M + 2 * H
    replied = record_response(t, T0 + 50 * M)
    assert replied.awaiting_since is None
    assert Clock.NEXT not in windows(replied, PREMIUM)
    assert of(desired_timers(replied, PREMIUM, T0 + 51 * M, WARN_AT), Clock.NEXT) == []
    assert all(s.clock is not Clock.NEXT for s in clock_states(replied, PREMIUM, T0 + 51 * M))
    # The client writes again: a new window from that message.
    again = record_client_message(replied, T0 + 60 * M)
    assert deadline(again, PREMIUM, Clock.NEXT) == T0 + 60 * M + 2 * H


@pytest.mark.parametrize("plan", [
    STANDARD,  # no next_response table at all
    PREMIUM,   # Medium is not in it
    merge_plan("explicit-none", PREMIUM, next_response={Severity.MEDIUM: None}),
], ids=["standard", "medium-absent", "medium-null"])
def test_no_next_response_target_for_the_severity_runs_nothing(plan: Plan) -> None:
    t = following_up(Severity.MEDIUM)
    assert t.awaiting_since == T0 + 20 * M  # the client is waiting: only the target lacks
    assert Clock.NEXT not in windows(t, plan)
    assert of(desired_timers(t, plan, T0 + 21 * M, WARN_AT), Clock.NEXT) == []
    assert all(s.clock is not Clock.NEXT for s in clock_states(t, plan, T0 + 21 * M))
    paused = waiting(t, T0 + 30 * M)
    assert all(s.clock is not Clock.NEXT for s in clock_states(paused, plan, T0 + 31 * M))


@pytest.mark.parametrize("warn_at", [0.75, 0.5, 0.9])
def test_next_response_warns_at_warn_at_and_breaches_at_the_deadline(warn_at: float) -> None:
    t = following_up()
    start = T0 + 20 * M
    timers = [x for x in desired_timers(t, PREMIUM, start, warn_at) if x.step.clock is Clock.NEXT]
    assert [(x.step, x.due) for x in timers] == [
        (Step.NEXT_WARNING, start + warn_at * 2 * H), (Step.NEXT_BREACH, start + 2 * H)]
    assert timers[0].generation == timers[1].generation
    assert not Step.NEXT_WARNING.is_breach and Step.NEXT_BREACH.is_breach
    # Breached from the deadline itself on (at the deadline, not a millisecond later).
    end = start + 2 * H
    assert [s for s in clock_states(t, PREMIUM, end - 0.001) if s.clock is Clock.NEXT] == [
        ClockState(Clock.NEXT, end, False)]
    assert [s for s in clock_states(t, PREMIUM, end) if s.clock is Clock.NEXT] == [
        ClockState(Clock.NEXT, end, True)]


def test_waiting_on_the_client_pauses_the_next_response_and_moves_its_deadline() -> None:
    t = following_up()  # window T0+20m .. T0+2h20m
    before = deadline(t, PREMIUM, Clock.NEXT)
    paused = waiting(t, T0 + 50 * M)
    assert paused.status is Status.WAITING_ON_CLIENT
    assert Clock.NEXT not in windows(paused, PREMIUM)
    # Nothing fires while paused, not even past the old deadline.
    assert of(desired_timers(paused, PREMIUM, T0 + 5 * H, WARN_AT), Clock.NEXT) == []
    resumed = back(paused, T0 + 6 * H)
    assert deadline(resumed, PREMIUM, Clock.NEXT) == before + (6 * H - 50 * M)
    assert of(desired_timers(resumed, PREMIUM, T0 + 6 * H, WARN_AT), Clock.NEXT) == [
        (Step.NEXT_WARNING, T0 + 6 * H + 60 * M), (Step.NEXT_BREACH, before + 6 * H - 50 * M)]
    # Two pauses add up.
    twice = back(waiting(resumed, T0 + 6 * H + 10 * M), T0 + 7 * H + 10 * M)
    assert deadline(twice, PREMIUM, Clock.NEXT) == before + (6 * H - 50 * M) + H


def test_a_pause_before_the_client_wrote_does_not_move_the_next_response() -> None:
    t = answered(ticket(), T0 + 10 * M)
    t = back(waiting(t, T0 + 12 * M), T0 + 15 * M)  # paused and back before the client wrote
    t = record_client_message(t, T0 + 20 * M)
    assert deadline(t, PREMIUM, Clock.NEXT) == T0 + 20 * M + 2 * H


def test_a_client_reply_while_waiting_on_the_client_counts_from_the_resume() -> None:
    t = waiting(answered(ticket(), T0 + 10 * M), T0 + 11 * M)
    t = record_client_message(t, T0 + 30 * M)  # the answer support asked for
    assert Clock.NEXT not in windows(t, PREMIUM)
    assert [s for s in clock_states(t, PREMIUM, T0 + 31 * M) if s.clock is Clock.NEXT] == [
        ClockState(Clock.NEXT, None)]
    resumed = back(t, T0 + 45 * M)
    assert deadline(resumed, PREMIUM, Clock.NEXT) == T0 + 45 * M + 2 * H


def test_next_response_under_a_calendar_is_business_time_and_so_is_the_pause() -> None:
    t = answered(ticket(Severity.HIGH, rome(6, 10)), rome(6, 10, 10))
    t = record_client_message(t, rome(6, 17))  # Friday 17:00, an hour before closing
    window = windows(t, BUSINESS)[Clock.NEXT]
    # 2 business hours: Friday 17:00-18:00, Monday 09:00-10:00.
    assert window.deadline == rome(9, 10)
    assert of(desired_timers(t, BUSINESS, rome(6, 17), WARN_AT), Clock.NEXT) == [
        (Step.NEXT_WARNING, rome(9, 9, 30)), (Step.NEXT_BREACH, rome(9, 10))]
    # Waiting on the client from Friday 17:30 to Monday 09:15: 64 h 45 min on the wall,
    # 45 min of business time. The deadline moves by the business time only.
    paused_from, paused_to = rome(6, 17, 30), rome(9, 9, 15)
    assert elapsed(paused_from, paused_to, OFFICE) == 45 * M
    resumed = back(waiting(t, paused_from), paused_to)
    assert deadline(resumed, BUSINESS, Clock.NEXT) == rome(9, 10, 45)
    # A pause wholly in closed time moves nothing (and keeps the generation).
    weekend = back(waiting(t, rome(7, 10)), rome(8, 10))
    assert windows(weekend, BUSINESS)[Clock.NEXT].generation == window.generation


def test_a_reopened_ticket_gets_no_stale_next_response_breach() -> None:
    # The client says "thanks, that fixed it" and support resolves without replying.
    t = following_up()                                    # client wrote at T0+20m (High: 2 h)
    t = resolve(t, STAFF, T0 + 30 * M, "Fixed by the 4.2 release")
    assert of(desired_timers(t, PREMIUM, T0 + 31 * M, WARN_AT), Clock.NEXT) == []
    # Three days later the client reopens it: the time it spent resolved was nobody's
    # wait for support, so nothing may be breached at once (nothing stale fires).
    opened_at = T0 + 3 * DAY
    reopened = reopen(t, "U0CLIENT01", opened_at, within=REOPEN_WITHIN)
    stale = [x for x in desired_timers(reopened, PREMIUM, opened_at, WARN_AT)
             if x.step is Step.NEXT_BREACH and x.due <= opened_at]
    assert stale == [], "a next-response breach for the days the ticket was resolved"
    assert not any(s.breached for s in clock_states(reopened, PREMIUM, opened_at)
                   if s.clock is Clock.NEXT)


# --- resolution -----------------------------------------------------------------------------

def test_resolution_runs_from_creation() -> None:
    t = ticket(Severity.CRITICAL)
    assert deadline(t, PREMIUM, Clock.RESOLUTION) == T0 + 8 * H
    assert of(desired_timers(t, PREMIUM, T0, WARN_AT), Clock.RESOLUTION) == [
        (Step.RESOLVE_WARNING, T0 + 6 * H), (Step.RESOLVE_BREACH, T0 + 8 * H)]
    # Neither claiming nor answering stops it.
    worked = answered(t, T0 + 5 * M)
    assert deadline(worked, PREMIUM, Clock.RESOLUTION) == T0 + 8 * H
    assert deadline(change_status(worked, Status.WITH_ENGINEERING, STAFF, T0 + H), PREMIUM,
                    Clock.RESOLUTION) == T0 + 8 * H
    # No resolve_within for the severity: no clock.
    assert Clock.RESOLUTION not in windows(ticket(Severity.LOW), PREMIUM)
    assert Clock.RESOLUTION not in windows(t, STANDARD)


def test_resolution_stops_when_resolved() -> None:
    t = resolve(answered(ticket(Severity.CRITICAL), T0 + 5 * M), STAFF, T0 + 2 * H, "fixed")
    assert Clock.RESOLUTION not in windows(t, PREMIUM)
    # Even long after the deadline would have been: nothing.
    assert desired_timers(t, PREMIUM, T0 + 20 * H, WARN_AT) == []
    assert clock_states(t, PREMIUM, T0 + 20 * H) == []


def test_resolution_resumes_on_reopen_without_counting_the_resolved_period() -> None:
    t = resolve(answered(ticket(Severity.CRITICAL), T0 + 5 * M), STAFF, T0 + 2 * H, "fixed")
    reopened = reopen(t, "U0CLIENT01", T0 + 2 * DAY, within=REOPEN_WITHIN)
    # 2 h used before the resolution; 6 h left from the reopen.
    assert deadline(reopened, PREMIUM, Clock.RESOLUTION) == T0 + 2 * DAY + 6 * H
    assert of(desired_timers(reopened, PREMIUM, T0 + 2 * DAY, WARN_AT), Clock.RESOLUTION) == [
        (Step.RESOLVE_WARNING, T0 + 2 * DAY + 4 * H),
        (Step.RESOLVE_BREACH, T0 + 2 * DAY + 6 * H)]
    # Resolved and reopened twice: both resolved periods are left out.
    again = reopen(resolve(reopened, STAFF, T0 + 2 * DAY + H, "fixed again"), "U0CLIENT01",
                   T0 + 3 * DAY, within=REOPEN_WITHIN)
    assert deadline(again, PREMIUM, Clock.RESOLUTION) == T0 + 3 * DAY + 5 * H


def test_waiting_on_the_client_pauses_the_resolution_clock() -> None:
    t = answered(ticket(Severity.CRITICAL), T0 + 5 * M)
    paused = waiting(t, T0 + H)
    assert Clock.RESOLUTION not in windows(paused, PREMIUM)
    assert of(desired_timers(paused, PREMIUM, T0 + 10 * H, WARN_AT), Clock.RESOLUTION) == []
    resumed = back(paused, T0 + 11 * H)
    assert deadline(resumed, PREMIUM, Clock.RESOLUTION) == T0 + 8 * H + 10 * H
    # With engineering is not waiting on the client: that time counts.
    eng = change_status(resumed, Status.WITH_ENGINEERING, STAFF, T0 + 12 * H)
    assert deadline(eng, PREMIUM, Clock.RESOLUTION) == T0 + 18 * H
    # Waiting on the client straight from with engineering pauses too.
    eng_paused = back(waiting(eng, T0 + 13 * H), T0 + 14 * H)
    assert deadline(eng_paused, PREMIUM, Clock.RESOLUTION) == T0 + 19 * H


def test_paused_then_resolved_in_one_step_keeps_the_pause_on_reopen() -> None:
    # Waiting on the client at 2 h, then resolved from there directly (no resume between).
    t = waiting(answered(ticket(Severity.CRITICAL), T0 + 5 * M), T0 + 2 * H)
    done = resolve(t, STAFF, T0 + 5 * H, "the client confirmed the fix")
    assert desired_timers(done, PREMIUM, T0 + 5 * H, WARN_AT) == []
    assert clock_states(done, PREMIUM, T0 + 5 * H) == []
    # Reopened: neither the 3 h waiting on the client nor the day resolved count.
    reopened = reopen(done, "U0CLIENT01", T0 + DAY + 5 * H, within=REOPEN_WITHIN)
    assert deadline(reopened, PREMIUM, Clock.RESOLUTION) == T0 + DAY + 5 * H + 6 * H


def test_resolution_under_a_calendar_is_business_time_and_so_is_the_pause() -> None:
    t = answered(ticket(Severity.CRITICAL, rome(6, 14)), rome(6, 14, 5))
    # 8 business hours from Friday 14:00: 4 on Friday, 4 on Monday.
    assert deadline(t, BUSINESS, Clock.RESOLUTION) == rome(9, 13)
    assert of(desired_timers(t, BUSINESS, rome(6, 14), WARN_AT), Clock.RESOLUTION) == [
        (Step.RESOLVE_WARNING, rome(9, 11)), (Step.RESOLVE_BREACH, rome(9, 13))]
    # Waiting on the client across the weekend, Friday 17:00 to Monday 10:00: 2 business
    # hours, not the 65 on the wall (GLPI's over-credited weekend).
    resumed = back(waiting(t, rome(6, 17)), rome(9, 10))
    assert deadline(resumed, BUSINESS, Clock.RESOLUTION) == rome(9, 15)
    # Where the plan keeps Critical 24x7: calendar time, Friday 22:00.
    assert deadline(t, BUSINESS_24X7, Clock.RESOLUTION) == rome(6, 22)


# --- update cadence -------------------------------------------------------------------------

def test_the_update_cadence_under_a_calendar_counts_business_time() -> None:
    # High: an update every 4 h. Answered Friday 16:30: 1.5 h on Friday, 2.5 h on Monday.
    t = answered(ticket(Severity.HIGH, rome(6, 15)), rome(6, 16, 30))
    assert of(desired_timers(t, BUSINESS, rome(6, 16, 30), WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, rome(9, 11, 30))]
    assert of(desired_timers(t, PREMIUM, rome(6, 16, 30), WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, rome(6, 20, 30))]
    # Critical (1 h) answered Friday 17:30: Monday 09:30 under the calendar, Friday 18:30
    # where the plan keeps Critical 24x7.
    c = answered(ticket(Severity.CRITICAL, rome(6, 17)), rome(6, 17, 30))
    assert of(desired_timers(c, BUSINESS, rome(6, 17, 30), WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, rome(9, 9, 30))]
    assert of(desired_timers(c, BUSINESS_24X7, rome(6, 17, 30), WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, rome(6, 18, 30))]


def test_the_update_cadence_stops_while_waiting_and_restarts_from_the_status_change() -> None:
    t = answered(ticket(Severity.HIGH, rome(6, 15)), rome(6, 16, 30))
    paused = waiting(t, rome(6, 17))
    assert of(desired_timers(paused, BUSINESS, rome(9, 12), WARN_AT), Clock.UPDATE) == []
    # Back on Saturday: the cadence counts from Monday's opening.
    resumed = back(paused, rome(7, 11))
    assert of(desired_timers(resumed, BUSINESS, rome(7, 11), WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, rome(9, 13))]


# --- the initial response under a calendar --------------------------------------------------

def test_a_ticket_opened_on_friday_evening_warns_and_breaches_on_monday() -> None:
    t = ticket(Severity.CRITICAL, rome(6, 19, 30))
    assert of(desired_timers(t, BUSINESS, rome(6, 19, 30), WARN_AT), Clock.INITIAL) == [
        (Step.WARNING, rome(9, 9, 45)), (Step.BREACH, rome(9, 10))]
    # Nothing is due over the weekend: on Sunday night both are still ahead.
    assert all(x.due > rome(8, 23) for x in desired_timers(t, BUSINESS, rome(8, 23), WARN_AT))
    # Answered on Monday at 09:50: in time, nothing left of the initial clock.
    done = answered(t, rome(9, 9, 50))
    assert of(desired_timers(done, BUSINESS, rome(9, 9, 50), WARN_AT), Clock.INITIAL) == []


def test_24x7_critical_keeps_calendar_time_while_high_counts_business_time() -> None:
    created = rome(6, 19, 30)
    critical = ticket(Severity.CRITICAL, created)
    high = ticket(Severity.HIGH, created)
    assert of(desired_timers(critical, BUSINESS_24X7, created, WARN_AT), Clock.INITIAL) == [
        (Step.WARNING, rome(6, 20, 15)), (Step.BREACH, rome(6, 20, 30))]
    assert of(desired_timers(high, BUSINESS_24X7, created, WARN_AT), Clock.INITIAL) == [
        (Step.WARNING, rome(9, 12)), (Step.BREACH, rome(9, 13))]
    # The same plan's other clocks follow the same split.
    assert deadline(answered(critical, created + M), BUSINESS_24X7, Clock.RESOLUTION) == (
        created + 8 * H)
    assert deadline(record_client_message(answered(high, rome(6, 19, 40)), rome(6, 19, 50)),
                    BUSINESS_24X7, Clock.NEXT) == rome(9, 11)


def test_a_warning_at_75_percent_of_a_business_window_is_never_in_closed_time() -> None:
    plan = replace(PREMIUM, calendar=LUNCH)
    # Monday 10:00 + 4 h: 10-13, 14-15. A wall-clock 75 % (13:45) would be lunch.
    t = ticket(Severity.HIGH, rome(2, 10))
    assert of(desired_timers(t, plan, rome(2, 10), WARN_AT), Clock.INITIAL) == [
        (Step.WARNING, rome(2, 13)), (Step.BREACH, rome(2, 15))]
    # Every start over a week with a holiday Friday, for every clock's window: the warning
    # is open time and exactly 75 % of the window's business time after its start.
    start, end = rome(2, 0), rome(10, 0)
    checked = 0
    while start < end:
        fresh = ticket(Severity.HIGH, start)
        follow = record_client_message(answered(fresh, start + 60), start + 120)
        for window in [*windows(fresh, plan).values(), *windows(follow, plan).values()]:
            warning = window.warning_due(WARN_AT)
            assert is_open(warning, LUNCH), datetime.fromtimestamp(warning, ZoneInfo(ROME))
            assert elapsed(window.start, warning, LUNCH) == WARN_AT * window.length
            assert warning < window.deadline
            checked += 1
        start += 37 * M
    assert checked > 1000


# --- which reminders are desired ------------------------------------------------------------

Case = tuple[Ticket, Plan, Clock, float]
"""A ticket, its plan, a clock that runs, and that clock's deadline."""


def initial_case() -> Case:
    return ticket(Severity.CRITICAL), PREMIUM, Clock.INITIAL, T0 + H


def next_case() -> Case:
    return following_up(), PREMIUM, Clock.NEXT, T0 + 20 * M + 2 * H


def resolution_case() -> Case:
    return answered(ticket(Severity.CRITICAL), T0 + 5 * M), PREMIUM, Clock.RESOLUTION, T0 + 8 * H


def business_next_case() -> Case:
    t = record_client_message(answered(ticket(Severity.HIGH, rome(6, 10)), rome(6, 10, 10)),
                              rome(6, 17))
    return t, BUSINESS, Clock.NEXT, rome(9, 10)


CASES: list[Callable[[], Case]] = [initial_case, next_case, resolution_case, business_next_case]
WARNING_OF = {Clock.INITIAL: Step.WARNING, Clock.NEXT: Step.NEXT_WARNING,
              Clock.RESOLUTION: Step.RESOLVE_WARNING}
BREACH_OF = {Clock.INITIAL: Step.BREACH, Clock.NEXT: Step.NEXT_BREACH,
             Clock.RESOLUTION: Step.RESOLVE_BREACH}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_past_a_deadline_only_the_breach_is_desired(case: Callable[[], Case]) -> None:
    t, plan, clock, end = case()
    assert deadline(t, plan, clock) == end
    just_before = [s for s, _ in of(desired_timers(t, plan, end - 0.001, WARN_AT), clock)]
    assert just_before == [WARNING_OF[clock], BREACH_OF[clock]]
    for now in (end, end + 0.001, end + 3 * DAY):  # after downtime: the breach alone
        assert of(desired_timers(t, plan, now, WARN_AT), clock) == [(BREACH_OF[clock], end)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_a_fired_notification_is_never_desired_again(case: Callable[[], Case]) -> None:
    t, plan, clock, end = case()
    now = t.created_at
    for fired in desired_timers(t, plan, now, WARN_AT):
        sent = mark_sent(t, fired)
        for later in (now, fired.due, end + DAY):
            left = desired_timers(sent, plan, later, WARN_AT)
            assert fired.notification not in {x.notification for x in left}
        # The others are still wanted.
        assert [x for x in desired_timers(t, plan, now, WARN_AT) if x != fired] == (
            desired_timers(sent, plan, now, WARN_AT))
    breach = timer(t, plan, end, BREACH_OF[clock])
    assert of(desired_timers(mark_sent(t, breach), plan, end + DAY, WARN_AT), clock) == []


def test_the_update_reminder_is_sent_once_per_anchor() -> None:
    t = answered(ticket(Severity.CRITICAL), T0 + 5 * M)
    update = timer(t, PREMIUM, T0 + 5 * M, Step.UPDATE)
    assert update.due == T0 + 65 * M
    sent = mark_sent(t, update)
    assert of(desired_timers(sent, PREMIUM, T0 + 2 * H, WARN_AT), Clock.UPDATE) == []
    # A new staff update gives a new anchor, so a new reminder.
    updated = record_response(sent, T0 + 2 * H)
    assert of(desired_timers(updated, PREMIUM, T0 + 2 * H, WARN_AT), Clock.UPDATE) == [
        (Step.UPDATE, T0 + 3 * H)]


@pytest.mark.parametrize(("clock", "old_end", "new_end"), [
    (Clock.NEXT, T0 + 20 * M + 30 * M, T0 + 20 * M + 2 * H),
    (Clock.RESOLUTION, T0 + 8 * H, T0 + 2 * DAY),
    (Clock.INITIAL, T0 + H, T0 + 4 * H),
])
def test_a_deadline_moved_by_a_severity_change_is_a_new_generation(
        clock: Clock, old_end: float, new_end: float) -> None:
    critical = following_up(Severity.CRITICAL)
    if clock is Clock.INITIAL:
        critical = ticket(Severity.CRITICAL)
    now = T0 + 21 * M
    warning = timer(critical, PREMIUM, now, WARNING_OF[clock])
    assert deadline(critical, PREMIUM, clock) == old_end
    warned = mark_sent(critical, warning)
    assert [s for s, _ in of(desired_timers(warned, PREMIUM, now, WARN_AT), clock)] == [
        BREACH_OF[clock]]
    # Lowered to High: a later deadline, a new generation, so its own warning.
    lowered = change_severity(warned, Severity.HIGH, STAFF, T0 + 25 * M)
    assert deadline(lowered, PREMIUM, clock) == new_end
    fresh = [x for x in desired_timers(lowered, PREMIUM, T0 + 25 * M, WARN_AT)
             if x.step.clock is clock]
    assert [x.step for x in fresh] == [WARNING_OF[clock], BREACH_OF[clock]]
    assert {x.generation for x in fresh} == {round(new_end * 1000)} != {warning.generation}


@pytest.mark.parametrize(("clock", "start", "old_target", "new_target"), [
    (Clock.NEXT, T0 + 20 * M, 2 * H, 30 * M),
    (Clock.RESOLUTION, T0, 2 * DAY, 8 * H),
])
def test_raising_the_severity_never_breaches_a_clock_backwards(
        clock: Clock, start: float, old_target: int, new_target: int) -> None:
    # The rule for severity changes (docs/clocks.md, and response_window for the
    # initial clock): an upgrade never makes the deadline later,
    # and gives at most the new target counted from the change, so it is never already
    # past at the moment of the change unless the old deadline was.
    t = following_up(Severity.HIGH)
    assert deadline(t, PREMIUM, clock) == start + old_target
    changed_at = start + old_target * 3 / 4
    raised = change_severity(t, Severity.CRITICAL, STAFF, changed_at)
    expected = min(start + old_target, changed_at + new_target)
    assert deadline(raised, PREMIUM, clock) == expected
    assert of(desired_timers(raised, PREMIUM, changed_at, WARN_AT), clock)[-1][1] > changed_at


# --- whether a fired reminder is still current ----------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_a_warning_whose_clock_stopped_is_not_current_a_breach_is(
        case: Callable[[], Case]) -> None:
    t, plan, clock, end = case()
    warning = timer(t, plan, t.created_at, WARNING_OF[clock])
    breach = timer(t, plan, t.created_at, BREACH_OF[clock])
    assert breach.due == end
    assert reminder_current(t, plan, warning.step, warning.generation)
    stop_at = warning.due + 1
    if clock is Clock.RESOLUTION:
        stopped = resolve(t, STAFF, stop_at, "fixed")
    else:
        stopped = record_response(t, stop_at)  # the (first or next) staff reply
    assert clock not in windows(stopped, plan)
    assert not reminder_current(stopped, plan, warning.step, warning.generation)
    assert reminder_current(stopped, plan, breach.step, breach.generation)
    if clock is not Clock.INITIAL:
        # Paused is stopped for now: a warning delivered while waiting on the client says
        # nothing true.
        paused = waiting(t, stop_at)
        assert not reminder_current(paused, plan, warning.step, warning.generation)
        assert reminder_current(paused, plan, breach.step, breach.generation)


@pytest.mark.parametrize("clock", [Clock.NEXT, Clock.RESOLUTION])
def test_a_warning_whose_deadline_moved_with_a_pause_is_not_current(clock: Clock) -> None:
    t = following_up(Severity.CRITICAL)
    warning = timer(t, PREMIUM, T0 + 21 * M, WARNING_OF[clock])
    breach = timer(t, PREMIUM, T0 + 21 * M, BREACH_OF[clock])
    resumed = back(waiting(t, T0 + 30 * M), T0 + 40 * M)
    assert deadline(resumed, PREMIUM, clock) == deadline(t, PREMIUM, clock) + 10 * M
    assert not reminder_current(resumed, PREMIUM, warning.step, warning.generation)
    assert reminder_current(resumed, PREMIUM, breach.step, breach.generation)
    moved = timer(resumed, PREMIUM, T0 + 40 * M, WARNING_OF[clock])
    assert reminder_current(resumed, PREMIUM, moved.step, moved.generation)


def test_an_initial_warning_whose_deadline_moved_with_the_severity_is_not_current() -> None:
    t = ticket(Severity.CRITICAL)
    warning = timer(t, PREMIUM, T0, Step.WARNING)
    lowered = change_severity(t, Severity.LOW, STAFF, T0 + 50 * M)
    assert not reminder_current(lowered, PREMIUM, Step.WARNING, warning.generation)
    assert reminder_current(lowered, PREMIUM, Step.BREACH, warning.generation)


def test_an_update_reminder_after_a_newer_update_is_not_current() -> None:
    t = answered(ticket(Severity.CRITICAL), T0 + 5 * M)
    update = timer(t, PREMIUM, T0 + 5 * M, Step.UPDATE)
    assert reminder_current(t, PREMIUM, Step.UPDATE, update.generation)
    updated = record_response(t, T0 + 50 * M)
    assert not reminder_current(updated, PREMIUM, Step.UPDATE, update.generation)
    assert not reminder_current(waiting(t, T0 + 50 * M), PREMIUM, Step.UPDATE,
                                update.generation)
    assert not reminder_current(resolve(t, STAFF, T0 + 50 * M, "fixed"), PREMIUM, Step.UPDATE,
                                update.generation)


# --- what the triage post shows -------------------------------------------------------------

def test_clock_states_show_each_running_clock_due() -> None:
    t = following_up()  # High under premium
    next_due, update_due, resolve_due = T0 + 20 * M + 2 * H, T0 + 10 * M + 4 * H, T0 + 2 * DAY
    assert clock_states(t, PREMIUM, T0 + 30 * M) == [
        ClockState(Clock.NEXT, next_due, False),
        ClockState(Clock.UPDATE, update_due, False),
        ClockState(Clock.RESOLUTION, resolve_due, False),
    ]
    assert not any(s.paused for s in clock_states(t, PREMIUM, T0 + 30 * M))
    # Each shows breached from its own deadline on.
    assert clock_states(t, PREMIUM, next_due) == [
        ClockState(Clock.NEXT, next_due, True),
        ClockState(Clock.UPDATE, update_due, False),
        ClockState(Clock.RESOLUTION, resolve_due, False),
    ]
    assert [s.breached for s in clock_states(t, PREMIUM, update_due)] == [True, True, False]
    assert [s.breached for s in clock_states(t, PREMIUM, resolve_due)] == [True, True, True]


def test_clock_states_show_paused_while_waiting_on_the_client() -> None:
    paused = waiting(following_up(), T0 + 40 * M)
    states = clock_states(paused, PREMIUM, T0 + 5 * DAY)
    assert ClockState(Clock.NEXT, None) in states
    assert ClockState(Clock.RESOLUTION, None) in states
    assert all(s.paused and not s.breached for s in states)
    # The update cadence shows no due time while the client has the ball.
    assert all(s.due is None for s in states if s.clock is Clock.UPDATE)
    # Back: due again, the pause added.
    resumed = back(paused, T0 + 5 * DAY)
    pause = 5 * DAY - 40 * M
    assert [(s.clock, s.due) for s in clock_states(resumed, PREMIUM, T0 + 5 * DAY)] == [
        (Clock.NEXT, T0 + 20 * M + 2 * H + pause),
        (Clock.UPDATE, T0 + 5 * DAY + 4 * H),
        (Clock.RESOLUTION, T0 + 2 * DAY + pause),
    ]


def test_clock_states_show_nothing_that_does_not_apply() -> None:
    assert clock_states(ticket(), STANDARD, T0) == []  # the initial clock is shown elsewhere
    assert clock_states(ticket(Severity.LOW), PREMIUM, T0) == []
    # Not answered yet: no update is owed, and the client waits on the first response.
    assert clock_states(ticket(), PREMIUM, T0) == [
        ClockState(Clock.RESOLUTION, T0 + 2 * DAY, False)]


# --- CALENDARS ------------------------------------------------------------------------------

TODAY = date(2026, 1, 15)
GOOD: dict[str, Any] = {"timezone": ROME, "hours": {"mon-fri": ["09:00-18:00"]}}


def calendars(**spec: Any) -> str:
    """``CALENDARS`` with a good ``office`` and ``acme-desk`` with ``spec`` over GOOD."""
    return json.dumps({"office": GOOD, "acme-desk": {**GOOD, **spec}})


@pytest.mark.parametrize(("spec", "named"), [
    ({"timezone": "Mars/Olympus_Mons"}, ["acme-desk.timezone", "Mars/Olympus_Mons"]),
    ({"timezone": "Europe"}, ["acme-desk.timezone"]),
    ({"timezone": 1}, ["acme-desk.timezone"]),
    ({"hours": {"mon-fri": ["9-17"]}}, ["acme-desk.hours.mon-fri", "9-17"]),
    ({"hours": {"mon-fri": ["18:00-09:00"]}}, ["acme-desk.hours.mon-fri", "18:00-09:00"]),
    ({"hours": {"mon-fri": ["25:00-26:00"]}}, ["acme-desk.hours.mon-fri", "25:00-26:00"]),
    ({"hours": {"mon-fri": ["09:00-24:30"]}}, ["acme-desk.hours.mon-fri", "09:00-24:30"]),
    ({"hours": {"mon-fri": ["09:00-13:00", "12:00-18:00"]}}, ["acme-desk.hours.mon-fri"]),
    ({"hours": {"mon-fri": "09:00-18:00"}}, ["acme-desk.hours.mon-fri"]),
    ({"hours": {"mon-fry": ["09:00-18:00"]}}, ["acme-desk.hours.mon-fry", "mon-fry"]),
    ({"hours": {"fri-mon": ["09:00-18:00"]}}, ["acme-desk.hours.fri-mon"]),
    ({"hours": {}}, ["acme-desk", "no working time"]),
    ({"hours": {"mon-fri": [], "sat-sun": []}}, ["acme-desk", "no working time"]),
    ({"hours": None}, ["acme-desk.hours"]),
    ({"holidays": ["XX"]}, ["acme-desk.holidays", "XX"]),
    ({"holidays": ["US-ZZ"]}, ["acme-desk.holidays", "US-ZZ"]),
    ({"holidays": ["christmas"]}, ["acme-desk.holidays", "christmas"]),
    ({"holidays": ["2026-13-01"]}, ["acme-desk.holidays", "2026-13-01"]),
    ({"holidays": "IT"}, ["acme-desk.holidays"]),
    ({"holday": ["IT"]}, ["acme-desk", "holday"]),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else None)
def test_a_bad_calendar_is_refused_naming_the_calendar_and_the_field(
        spec: dict[str, Any], named: list[str]) -> None:
    with pytest.raises(ValueError) as refused:
        parse_calendars(calendars(**spec), TODAY)
    message = str(refused.value)
    for part in named:
        assert part in message, message
    assert "office" not in message  # the good calendar is not blamed


def test_day_ranges_several_intervals_seconds_and_24_00_are_accepted() -> None:
    raw = json.dumps({"desk": {"timezone": "America/New_York", "hours": {
        "mon-thu": ["09:00-13:00", "14:00-18:00"],
        "fri": ["08:30:15-12:00:45"],
        "SAT": ["18:00-24:00"],
    }}})
    desk = parse_calendars(raw, TODAY)["desk"]
    lunch = ((9 * H, 13 * H), (14 * H, 18 * H))
    assert desk.week == (lunch, lunch, lunch, lunch,
                         ((8 * H + 30 * M + 15, 12 * H + 45),), ((18 * H, DAY),), ())
    assert desk.timezone == "America/New_York"


@pytest.mark.parametrize("interval", ["00:00-23:59", "00:00-24:00", "00:00-23:59:59"])
def test_a_whole_day_has_no_gap_at_midnight(interval: str) -> None:
    raw = json.dumps({"always": {"timezone": ROME, "hours": {"mon-sun": [interval]}}})
    always = parse_calendars(raw, TODAY)["always"]
    assert always.week == (((0, DAY),),) * 7
    for start in (rome(2, 23, 30), rome(8, 23, 59), rome(28, 22)):  # 29 March: spring forward
        for seconds in (30 * M, 2 * H, 3 * DAY + 17):
            assert add(start, seconds, always) == start + seconds
    # A ticket under it is as under no calendar at all.
    plan = replace(PREMIUM, calendar=always)
    t = ticket(Severity.CRITICAL, rome(2, 23, 30))
    assert desired_timers(t, plan, t.created_at, WARN_AT) == desired_timers(
        t, PREMIUM, t.created_at, WARN_AT)


def test_hours_given_twice_for_one_day_are_not_counted_twice() -> None:
    # Friday has its own longer hours on top of mon-fri: the day is 09:00-20:00, 11 hours.
    raw = json.dumps({"desk": {"timezone": ROME, "hours": {
        "mon-fri": ["09:00-17:00"], "fri": ["12:00-20:00"]}}})
    try:
        desk = parse_calendars(raw, TODAY)["desk"]
    except ValueError as refused:  # refusing the overlap is fine too
        assert "desk.hours" in str(refused)
        return
    assert elapsed(rome(6, 9), rome(6, 21), desk) == 11 * H
    assert add(rome(6, 9), 10 * H, desk) == rome(6, 19)


def test_holidays_from_country_codes_with_subdivisions_and_iso_dates() -> None:
    raw = json.dumps({
        "ny": {"timezone": "America/New_York", "hours": {"mon-fri": ["09:00-17:00"]},
               "holidays": ["US-NY"]},
        "it": {"timezone": ROME, "hours": {"mon-fri": ["09:00-18:00"]},
               "holidays": ["IT", "2026-12-24", "2027-08-16"]},
    })
    found = parse_calendars(raw, TODAY)
    ny, it = found["ny"].holidays, found["it"].holidays
    assert {date(2026, 1, 1), date(2026, 7, 3), date(2026, 11, 26)} <= ny  # federal
    assert date(2026, 2, 12) in ny  # Lincoln's Birthday: New York State's, not federal
    assert date(2026, 2, 12) not in parse_calendars(json.dumps(
        {"us": {**GOOD, "holidays": ["US"]}}), TODAY)["us"].holidays
    assert {date(2026, 4, 6), date(2026, 6, 2), date(2026, 12, 8)} <= it  # Italian
    assert {date(2026, 12, 24), date(2027, 8, 16)} <= it  # the dates given
    assert date(2026, 12, 24) not in ny and date(2026, 6, 2) not in ny
    # Years ahead are read too (a deadline can cross New Year).
    assert date(2030, 12, 25) in it
    # And they close the office: Monday 17:00 + 2 h skips Tuesday 2 June (Republic Day).
    monday = datetime(2026, 6, 1, 17, tzinfo=ZoneInfo(ROME)).timestamp()
    assert add(monday, 2 * H, found["it"]) == datetime(
        2026, 6, 3, 10, tzinfo=ZoneInfo(ROME)).timestamp()


def test_no_calendars_is_no_calendars() -> None:
    assert parse_calendars("", TODAY) == {}
    assert parse_calendars("  ", TODAY) == {}


# --- PLANS ----------------------------------------------------------------------------------

CALS = parse_calendars(json.dumps({"office": GOOD}), TODAY)


@pytest.mark.parametrize(("spec", "named"), [
    ({"calendar": "ofice"}, ["premium.calendar", "ofice", "office"]),
    ({"calendar": None}, ["premium.calendar"]),
    ({"24x7": "critical"}, ["premium.24x7"]),
    ({"24x7": ["urgent"]}, ["premium.24x7", "urgent"]),
    ({"next_response": {"high": "two hours"}}, ["premium.next_response.high", "two hours"]),
    ({"next_response": {"high": 0}}, ["premium.next_response.high"]),
    ({"next_response": {"high": -60}}, ["premium.next_response.high"]),
    ({"next_response": {"urgent": 60}}, ["premium.next_response.urgent", "urgent"]),
    ({"next_response": "PT1H"}, ["premium.next_response"]),
    ({"resolve_within": {"critical": "P1X"}}, ["premium.resolve_within.critical", "P1X"]),
    ({"resolve_within": {"critical": 1.5}}, ["premium.resolve_within.critical"]),
    ({"resolve_within": {"critical": True}}, ["premium.resolve_within.critical"]),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else None)
def test_a_bad_plan_is_refused_naming_the_plan_and_the_key(
        spec: dict[str, Any], named: list[str]) -> None:
    with pytest.raises(ValueError) as refused:
        parse_plans(json.dumps({"premium": {"critical": 1800, **spec}}), CALS)
    message = str(refused.value)
    for part in named:
        assert part in message, message


def test_a_plan_with_a_calendar_24x7_and_the_other_clocks_is_read() -> None:
    raw = json.dumps({"premium": {
        "critical": "PT30M", "calendar": "office", "24x7": ["Critical"],
        "next_response": {"critical": 900, "high": "PT2H", "low": None},
        "resolve_within": {"critical": "P1D"},
    }})
    premium = parse_plans(raw, CALS)["premium"]
    assert premium.target(Severity.CRITICAL) == 1800
    assert premium.target(Severity.HIGH) == 4 * H  # from standard
    assert premium.calendar == CALS["office"]
    assert premium.calendar_for(Severity.CRITICAL) is None
    assert premium.calendar_for(Severity.HIGH) == CALS["office"]
    assert dict(premium.next_response) == {Severity.CRITICAL: 900, Severity.HIGH: 2 * H,
                                           Severity.LOW: None}
    assert dict(premium.resolve_within) == {Severity.CRITICAL: DAY}
    # The standard plan is untouched by another plan's keys.
    standard = parse_plans(raw, CALS)["standard"]
    assert standard.calendar is None and not standard.next_response


# --- load_settings --------------------------------------------------------------------------

OFFICE_JSON = json.dumps({"office": GOOD})


@pytest.mark.parametrize(("overrides", "prefix", "named"), [
    ({"plans": json.dumps({"premium": {"calendar": "office"}})}, "PLANS:", "premium.calendar"),
    ({"calendars": OFFICE_JSON, "plans": json.dumps({"premium": {"24x7": "critical"}})},
     "PLANS:", "premium.24x7"),
    ({"calendars": OFFICE_JSON,
      "plans": json.dumps({"premium": {"next_response": {"high": "soon"}}})},
     "PLANS:", "premium.next_response.high"),
    ({"calendars": json.dumps({"office": {**GOOD, "timezone": "Rome"}})},
     "CALENDARS:", "office.timezone"),
    ({"calendars": json.dumps({"office": {**GOOD, "hours": {"mon-fri": ["9-18"]}}})},
     "CALENDARS:", "office.hours.mon-fri"),
    ({"calendars": json.dumps({"office": {**GOOD, "holidays": ["XX"]}})},
     "CALENDARS:", "office.holidays"),
    # Hours too long to show in a ticket's card: 24 intervals a day, to the second.
    ({"calendars": json.dumps({"office": {**GOOD, "hours": {
        day: [f"{h:02d}:0{d}:1{d}-{h:02d}:5{d}:5{d}" for h in range(24)]
        for d, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}}})},
     "CALENDARS:", "office.hours: written out, the hours take"),
    ({"plans": json.dumps({"p" * 201: {"critical": 60}})}, "PLANS:", "1 to 200 characters"),
    ({"plans": json.dumps({"gold\x01": {"critical": 60}})}, "PLANS:", "without control"),
], ids=["plan-calendar", "plan-24x7", "plan-next", "cal-zone", "cal-hours", "cal-holidays",
        "cal-too-long", "plan-name-long", "plan-name-control"])
def test_load_settings_names_the_bad_variable(overrides: dict[str, str], prefix: str,
                                              named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **overrides)
    message = str(refused.value)
    assert message.startswith(prefix), message
    assert named in message.splitlines()[0], message


def test_load_settings_reads_good_plans_and_calendars() -> None:
    settings = load_settings(_env_file=None, calendars=OFFICE_JSON, plans=json.dumps(
        {"premium": {"calendar": "office", "24x7": ["critical"],
                     "next_response": {"high": "PT2H"}}}))
    premium = settings.plan_table["premium"]
    assert premium.calendar is not None and premium.calendar.name == "office"
    assert premium.always == frozenset({Severity.CRITICAL})
    assert premium.next_response[Severity.HIGH] == 2 * H


def test_an_upgrade_to_a_24x7_severity_counts_the_old_window_in_office_hours() -> None:
    # Regression: the window before the change was recomputed in the new severity's hours
    # (calendar time), so High Friday 17:00 (due Monday 12:00 in office hours) raised to
    # Critical on Saturday 10:00 was "due" Friday 21:00: breached at once.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.config.plans import parse_calendars, parse_plans
    from bot.domain.sla import response_window
    from bot.domain.tickets import Severity, Ticket
    from bot.domain.transitions import change_severity

    rome = ZoneInfo("Europe/Rome")
    calendars = parse_calendars('{"office": {"timezone": "Europe/Rome", "hours": '
                                '{"mon-fri": ["09:00-13:00", "14:00-18:00"]}}}')
    plan = parse_plans('{"premium": {"calendar": "office", "24x7": ["critical"], '
                       '"high": "PT4H"}}', calendars)["premium"]
    opened = datetime(2026, 12, 4, 17, 0, tzinfo=rome).timestamp()
    ticket = Ticket(number=1, channel="C0ACME0001", reporter="U0CLIENT01", title="t",
                    description="d", severity=Severity.HIGH, created_at=opened)
    raised_at = datetime(2026, 12, 5, 10, 0, tzinfo=rome).timestamp()
    raised = change_severity(ticket, Severity.CRITICAL, "U0STAFF001", raised_at)
    due = datetime.fromtimestamp(response_window(raised, plan).deadline, rome)
    assert due == datetime(2026, 12, 5, 11, 0, tzinfo=rome)  # an hour from the change
