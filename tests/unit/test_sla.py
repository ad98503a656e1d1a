"""SLA rules as pure functions: deadlines, severity changes, what counts, which timers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.codec import job_spec, timer_jobs, timer_specs
from bot.domain.plans import DAY, Plan, default_plans, merge_plan
from bot.domain.sla import (
    Step,
    Timer,
    desired_timers,
    is_breached,
    response_window,
    running,
)
from bot.domain.tickets import AlreadyClaimed, Severity, Status, Ticket, TicketError
from bot.domain.transitions import change_severity, claim, record_response
from bot.domain.urgency import urgency

T0 = 1_700_000_000.0
STANDARD = default_plans()["standard"]
HOUR = 3600


def mark_sent(t: Ticket, notification: str) -> Ticket:
    return replace(t, sent=t.sent | {notification})


def ticket(severity: Severity = Severity.CRITICAL, created: float = T0) -> Ticket:
    return Ticket(number=1001, channel="C1", reporter="U1", title="t", description="d",
                  severity=severity, created_at=created)


def steps(timers: list) -> list[tuple[Step, float]]:  # type: ignore[type-arg]
    return [(t.step, t.due) for t in timers]


def test_default_targets() -> None:
    for severity, hours in [(Severity.CRITICAL, 1), (Severity.HIGH, 4), (Severity.MEDIUM, 8)]:
        assert response_window(ticket(severity), STANDARD).deadline == T0 + hours * HOUR
    assert response_window(ticket(Severity.LOW), STANDARD).deadline == T0 + DAY


def test_warning_at_75_percent_then_breach_at_the_deadline() -> None:
    timers = desired_timers(ticket(), STANDARD, T0, warn_at=0.75)
    assert steps(timers) == [(Step.WARNING, T0 + 45 * 60), (Step.BREACH, T0 + HOUR)]
    assert timers[0].generation == timers[1].generation


@pytest.mark.parametrize(("zone", "local", "wall_hours"), [
    ("Europe/Rome", "2026-03-28T12:00", 25),      # spring forward: the next day is 23 h
    ("Europe/Rome", "2026-10-24T12:00", 23),      # fall back: the next day is 25 h
    ("America/New_York", "2026-03-07T12:00", 25),
    ("America/New_York", "2026-10-31T12:00", 23),
])
def test_one_day_is_86400_seconds_across_a_dst_change(zone: str, local: str,
                                                      wall_hours: int) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    created = datetime.fromisoformat(local).replace(tzinfo=tz)
    window = response_window(ticket(Severity.LOW, created.timestamp()), STANDARD)
    assert window.deadline - created.timestamp() == 86_400
    # Not "the same time tomorrow": across the change the local clock shows an hour more
    # or less than a day later.
    due = datetime.fromtimestamp(window.deadline, tz)
    wall = (due.replace(tzinfo=None) - created.replace(tzinfo=None)).total_seconds() / 3600
    assert wall == wall_hours


@pytest.mark.parametrize(("offset", "breached"), [(-0.001, False), (0.0, True), (0.001, True)])
def test_breach_is_due_from_the_deadline_itself(offset: float, breached: bool) -> None:
    t = ticket()
    deadline = T0 + HOUR
    assert is_breached(t, STANDARD, deadline + offset) is breached
    timers = desired_timers(t, STANDARD, deadline + offset, 0.75)
    assert [x.step for x in timers] == ([Step.WARNING, Step.BREACH] if not breached
                                        else [Step.BREACH])


def test_warning_and_breach_both_due_after_downtime_gives_only_the_breach() -> None:
    timers = desired_timers(ticket(), STANDARD, T0 + 3 * HOUR, 0.75)
    assert steps(timers) == [(Step.BREACH, T0 + HOUR)]


def test_severity_raised_on_an_old_ticket_breaches_now_without_a_warning() -> None:
    old = ticket(Severity.LOW)
    raised = change_severity(old, Severity.CRITICAL, "U2", T0 + 5 * HOUR)
    window = response_window(raised, STANDARD)
    assert window.deadline == T0 + 6 * HOUR  # at most the new target, from the change
    assert steps(desired_timers(raised, STANDARD, T0 + 5 * HOUR, 0.75)) == [
        (Step.WARNING, T0 + 5 * HOUR + 45 * 60), (Step.BREACH, T0 + 6 * HOUR)]
    medium = ticket(Severity.MEDIUM)
    raised = change_severity(medium, Severity.HIGH, "U2", T0 + 7 * HOUR)
    # 4 h from creation is past: the deadline never moves later than the old one would be.
    assert response_window(raised, STANDARD).deadline == T0 + 8 * HOUR
    high = ticket(Severity.LOW)
    later = change_severity(high, Severity.HIGH, "U2", T0 + 30 * HOUR)
    assert response_window(later, STANDARD).deadline == T0 + DAY
    assert steps(desired_timers(later, STANDARD, T0 + 30 * HOUR, 0.75)) == [
        (Step.BREACH, T0 + DAY)]


def test_an_upgrade_never_makes_the_deadline_later() -> None:
    high = ticket(Severity.HIGH)
    raised = change_severity(high, Severity.CRITICAL, "U2", T0 + 3.5 * HOUR)
    assert response_window(raised, STANDARD).deadline == T0 + 4 * HOUR


def test_severity_lowered_after_the_warning_gets_a_new_warning() -> None:
    t = ticket(Severity.CRITICAL)
    first = desired_timers(t, STANDARD, T0 + 46 * 60, 0.75)
    assert first[0].step is Step.WARNING and first[0].due == T0 + 45 * 60  # due, not yet sent
    t = mark_sent(t, first[0].notification)
    assert [x.step for x in desired_timers(t, STANDARD, T0 + 46 * 60, 0.75)] == [Step.BREACH]
    lowered = change_severity(t, Severity.HIGH, "U2", T0 + 50 * 60)
    timers = desired_timers(lowered, STANDARD, T0 + 50 * 60, 0.75)
    assert steps(timers) == [(Step.WARNING, T0 + 3 * HOUR), (Step.BREACH, T0 + 4 * HOUR)]
    assert timers[0].generation != first[0].generation
    assert lowered.severity_changes[-1].by == "U2"
    assert lowered.severity_changes[-1].old is Severity.CRITICAL


def test_a_sent_notification_is_never_desired_again() -> None:
    t = ticket()
    warning = desired_timers(t, STANDARD, T0, 0.75)[0]
    assert [x.step for x in desired_timers(mark_sent(t, warning.notification), STANDARD,
                                           T0, 0.75)] == [Step.BREACH]


def test_plan_edits_and_plan_moves_recompute_the_deadline() -> None:
    premium = merge_plan("premium", STANDARD, targets={Severity.CRITICAL: 1800})
    t = ticket()
    # Warned under the old plan: the new plan's deadline is another generation, so it gets
    # its own warning, and the old timers are not the ones the ticket now wants.
    warned = mark_sent(t, desired_timers(t, STANDARD, T0, 0.75)[0].notification)
    moved = desired_timers(warned, premium, T0 + 60, 0.75)
    assert steps(moved) == [(Step.WARNING, T0 + 1350), (Step.BREACH, T0 + 1800)]
    assert {x.generation for x in moved} != {
        x.generation for x in desired_timers(warned, STANDARD, T0 + 60, 0.75)}
    # Moved after the new deadline passed: the breach is due at once, with no warning.
    assert steps(desired_timers(warned, premium, T0 + 2000, 0.75)) == [(Step.BREACH, T0 + 1800)]


def test_a_response_stops_the_clock_and_a_late_one_keeps_the_breach() -> None:
    t = ticket()
    on_time = record_response(t, T0 + 10 * 60)
    assert desired_timers(on_time, STANDARD, T0 + 11 * 60, 0.75) == []
    assert not is_breached(on_time, STANDARD, T0 + 5 * HOUR)
    late = record_response(t, T0 + 2 * HOUR)
    assert desired_timers(late, STANDARD, T0 + 3 * HOUR, 0.75) == []
    assert is_breached(late, STANDARD, T0 + 3 * HOUR)


def test_the_earliest_staff_response_wins_whatever_the_order() -> None:
    t = record_response(ticket(), T0 + 600)
    t = record_response(t, T0 + 300)
    assert t.first_response_at == T0 + 300
    assert record_response(t, T0 + 900).first_response_at == T0 + 300


def test_a_resolved_then_reopened_ticket_is_not_re_armed() -> None:
    t = replace(ticket(), resolved_at=T0 + 10, status=Status.OPEN)
    assert desired_timers(t, STANDARD, T0 + 20, 0.75) == []


def test_claim_rules() -> None:
    t = ticket()
    claimed = claim(t, "U2", T0 + 1, claim_is_response=False)
    assert claimed.status is Status.CLAIMED and claimed.assignee == "U2"
    assert claimed.first_response_at is None
    assert claim(claimed, "U2", T0 + 2, claim_is_response=False) is claimed
    with pytest.raises(AlreadyClaimed):
        claim(claimed, "U3", T0 + 2, claim_is_response=False)
    counted = claim(t, "U2", T0 + 5, claim_is_response=True)
    assert counted.first_response_at == T0 + 5
    with pytest.raises(TicketError):
        change_severity(replace(t, status=Status.RESOLVED), Severity.LOW, "U2", T0)


def test_plans_default_and_merge() -> None:
    plans = default_plans()
    assert set(plans) == {"standard"}
    merged: Plan = merge_plan("p", plans["standard"], targets={Severity.HIGH: 60},
                             update_every={Severity.LOW: 600})
    assert merged.target(Severity.HIGH) == 60 and merged.target(Severity.CRITICAL) == HOUR
    assert merged.update_every[Severity.LOW] == 600


@pytest.mark.parametrize(("text", "number"), [
    ("T-1042", 1042), (" t-7 ", 7), ("T-²", None), ("T-١٢", None), ("T-" + "9" * 13, None),
    ("T-", None), ("T-12x", None), ("list", None), ("", None), ("T--1", None),
])
def test_ticket_keys_are_ascii_digits_only(text: str, number: int | None) -> None:
    from bot.domain.tickets import parse_ticket_key

    assert parse_ticket_key(text) == number


@pytest.mark.parametrize(("raw", "block", "line"), [
    ("Login\u2028fails", "Login\nfails", "Login fails"),
    ("a\r\nb\rc\x0bd\x0ce\x85f\u2029g", "a\nb\nc\nd\ne\nf\ng", "a b c d e f g"),
    ("bell\x07 nul\x00 esc\x1b[31m", "bell nul esc[31m", "bell nul esc[31m"),
    ("  tab\there  \n\n next ", "tab\there\n\n next", "tab here next"),
])
def test_intake_text_is_cleaned_but_never_cut(raw: str, block: str, line: str) -> None:
    from bot.domain.text import clean_block, clean_line

    assert clean_block(raw) == block
    assert clean_line(raw) == line
    long = "x" * 100_000
    assert clean_block(long) == long


def test_a_timer_rebuilt_by_the_sweep_is_the_job_a_change_arms() -> None:
    # The sweep writes each timer's job without making the model: the same id and payload.
    timers = [Timer(Step.WARNING, 1.7e9 + 0.1234, 1_700_000_000_123),
              Timer(Step.RESOLVE_BREACH, 1.8e9, 17, rung=2, repeat=3)]
    assert timer_specs(1042, timers) == [job_spec(a) for a in timer_jobs(1042, timers)]


def test_the_sweep_works_out_timers_and_urgency_from_one_reading_of_the_clocks() -> None:
    for t in (ticket(Severity.HIGH), claim(ticket(), "U0STAFF001", T0 + 100,
                                           claim_is_response=True)):
        clocks = running(t, STANDARD)
        assert desired_timers(t, STANDARD, T0 + 500, 0.75, clocks) == desired_timers(
            t, STANDARD, T0 + 500, 0.75)
        assert urgency(t, STANDARD, 0.75, clocks) == urgency(t, STANDARD, 0.75)
