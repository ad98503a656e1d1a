"""Assignment: the choosing rule (pure, with a Hypothesis property of round robin's
fairness), and the service on the in-memory fakes: by hand, round robin, least busy,
shifts, away, nobody available, hand-over, someone who cannot be reached."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.codec import decode_outcome, encode_outcome
from bot.config import ConfigError, load_settings
from bot.domain.assignee_reports import ByAssignee, assignee_csv
from bot.domain.assignment import available, choose, current_assignment, holder_at
from bot.domain.jobs import (
    AssignedDM,
    AssignedNotice,
    AssignmentNote,
    AutoAssign,
    Sink,
    SyncTriage,
    TicketEvent,
)
from bot.domain.reports import Outcome, outcome
from bot.domain.sla import SlaClock
from bot.domain.staff import Member
from bot.domain.tickets import Severity, Status, TicketError
from bot.services.assignment import NobodyAvailable
from bot.services.staff import Actor
from tests.support.fakes import T0
from tests.support.services import (
    CLIENT,
    VENDOR,
    World,
    make_world,
    open_ticket,
    posted_in_client_channel,
    read,
)
from tests.support.workspace import CLIENT_USER, STAFF, STAFF_2

STAFF_3 = "U0STAFF003"
TEAM = f"{STAFF},{STAFF_2},{STAFF_3}"
NIGHTS = {"nights": {"timezone": "UTC", "hours": {"mon-sun": ["08:00-12:00"]}}}
"""A shift closed at T0 (22:13 UTC)."""


# ---------------------------------------------------------------------------------------
# The rule (pure)
# ---------------------------------------------------------------------------------------

def test_round_robin_goes_in_ascending_user_id_order_and_wraps() -> None:
    people = ["U3", "U1", "U2"]
    assert choose(people, None) == "U1"
    assert choose(people, "U1") == "U2"
    assert choose(people, "U3") == "U1"
    assert choose(["U1", "U3"], "U2") == "U3"  # after the one before, whoever is there
    assert choose([], "U1") is None


def test_least_busy_picks_the_fewest_and_breaks_ties_in_turn() -> None:
    people = ["U1", "U2", "U3"]
    assert choose(people, None, {"U1": 2, "U2": 0, "U3": 1}) == "U2"
    assert choose(people, "U1", {"U1": 0, "U2": 1, "U3": 0}) == "U3"
    assert choose(people, "U3", {"U1": 0, "U2": 1, "U3": 0}) == "U1"


def test_availability_says_why_nobody_is() -> None:
    team = ["U1", "U2"]
    assert available(team, on_shift=[], away=[], unreachable=[]).nobody == "nobody on shift"
    assert available(team, on_shift=team, away=team, unreachable=[]).nobody == "everyone away"
    assert available(team, on_shift=team, away=["U1"], unreachable=[]).people == ("U2",)
    assert available(team, on_shift=team, away=[], unreachable=["U2"]).people == ("U1",)


PEOPLE = [f"U{i:02d}" for i in range(6)]


@given(st.lists(st.sets(st.sampled_from(PEOPLE)), min_size=1, max_size=60))
def test_round_robin_never_skips_anyone_who_stayed_available(
        arrivals: list[set[str]]) -> None:
    """Tickets arrive one by one, each when some people are on shift (any subset). Between
    two tickets given to the same person, everyone who was available at every arrival after
    the first, up to the second, got one in between: nobody is passed over, whatever the
    order and the shifts."""
    last: str | None = None
    given_to: list[str | None] = []
    for present in arrivals:
        last = choose(sorted(present), last) or last
        given_to.append(last if present else None)
    for i, person in enumerate(given_to):
        if person is None:
            continue
        later = next((j for j in range(i + 1, len(given_to)) if given_to[j] == person), None)
        if later is None:
            continue
        between = arrivals[i + 1:later + 1]
        for other in (set.intersection(*between) if between else set()) - {person}:
            assert other in given_to[i + 1:later], (person, other, arrivals, given_to)


@given(st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=60))
def test_round_robin_shares_evenly_among_people_always_there(size: int, tickets: int) -> None:
    people, last, counts = PEOPLE[:size], None, dict.fromkeys(PEOPLE[:size], 0)
    for _ in range(tickets):
        last = choose(people, last)
        assert last is not None
        counts[last] += 1
    assert max(counts.values()) - min(counts.values()) <= 1


# ---------------------------------------------------------------------------------------
# By hand
# ---------------------------------------------------------------------------------------

def world(**settings: Any) -> World:
    w = make_world(**settings)
    w.directory.add(Member(STAFF_3, VENDOR, name=STAFF_3))
    return w


async def test_an_assignment_is_one_change_with_all_its_effects() -> None:
    w = world()
    number = await open_ticket(w)
    mark = len(w.store.armed)
    await w.assignments.assign(number, STAFF_2, Actor(STAFF))
    jobs = w.store.armed_since(mark)
    assert SyncTriage(ticket=number) in jobs
    assert AssignedNotice(ticket=number, change=0) in jobs
    assert AssignedDM(ticket=number, change=0, user=STAFF_2) in jobs
    ticket = await read(w, number)
    assert (ticket.status, ticket.assignee, ticket.first_response_at) == (
        Status.CLAIMED, STAFF_2, None)
    assert current_assignment(ticket) == ticket.assignments[0]
    assert (ticket.assignments[0].by, ticket.assignments[0].to) == (STAFF, STAFF_2)


async def test_the_assigned_event_goes_to_the_webhook_and_nothing_to_the_pager() -> None:
    w = world(webhook_url="https://hooks.example/desk", webhook_secret="s" * 16,
              pagerduty_routing_key="R0UTINGKEY0123456789")
    number = await open_ticket(w)
    mark = len(w.store.armed)
    await w.assignments.assign(number, STAFF_2, Actor(STAFF))
    [event] = [j for j in w.store.armed_since(mark) if isinstance(j, TicketEvent)]
    assert event.event == "assigned" and [s.value for s in event.sinks] == ["webhook"]
    assert event.data["to"] == STAFF_2 and event.data["by"] == STAFF


@pytest.mark.parametrize(("actor", "to"), [(CLIENT_USER, STAFF_2), (STAFF, CLIENT_USER)])
async def test_only_staff_assign_and_only_to_staff(actor: str, to: str) -> None:
    w = world()
    number = await open_ticket(w)
    with pytest.raises(TicketError):
        await w.assignments.assign(number, to, Actor(actor))
    assert (await read(w, number)).assignee is None


async def test_a_resolved_ticket_cannot_be_assigned_and_unassign_needs_an_assignee() -> None:
    w = world()
    number = await open_ticket(w)
    with pytest.raises(TicketError, match="not assigned"):
        await w.assignments.unassign(number, Actor(STAFF))
    await w.tickets.resolve(number, "Fixed.", Actor(STAFF))
    with pytest.raises(TicketError, match="resolved"):
        await w.assignments.assign(number, STAFF_2, Actor(STAFF))


async def test_the_holder_at_a_time_follows_the_history() -> None:
    w = world()
    number = await open_ticket(w)
    await w.assignments.assign(number, STAFF_2, Actor(STAFF))
    w.clock.advance(60)
    await w.assignments.assign(number, STAFF, Actor(STAFF))
    ticket = await read(w, number)
    assert holder_at(ticket, T0 + 30) == STAFF_2
    assert holder_at(ticket, T0 + 61) == STAFF
    assert holder_at(ticket, T0 - 1) is None


# ---------------------------------------------------------------------------------------
# By the desk
# ---------------------------------------------------------------------------------------

def auto_world(rule: str = "round-robin", **settings: Any) -> World:
    return world(assignment=rule, support_team=TEAM, **settings)


async def open_and_assign(w: World) -> tuple[int, str | None]:
    number = await open_ticket(w)
    [job] = [j for j in w.store.jobs(number) if isinstance(j, AutoAssign)]
    given = await w.assignments.assign_automatically(job)
    return number, given.assignee if given else None


def test_the_start_refuses_assignment_without_a_support_team() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, slack_bot_token="xoxb-x", assignment="round-robin")
    assert "ASSIGNMENT" in str(refused.value) and "SUPPORT_TEAM" in str(refused.value)


def test_a_shift_must_name_a_calendar() -> None:
    with pytest.raises(ConfigError, match="SHIFTS"):
        load_settings(_env_file=None, slack_bot_token="xoxb-x", support_team=TEAM,
                      assignment="round-robin", shifts=json.dumps({STAFF: "nope"}))


async def test_round_robin_gives_tickets_in_turn() -> None:
    w = auto_world()
    assigned = [(await open_and_assign(w))[1] for _ in range(4)]
    assert assigned == [STAFF, STAFF_2, STAFF_3, STAFF]


async def test_off_shift_and_away_people_are_left_out() -> None:
    w = auto_world(calendars=json.dumps(NIGHTS), shifts=json.dumps({STAFF_2: "nights"}))
    w.directory.statuses[STAFF_3] = ":palm_tree:"
    assigned = [(await open_and_assign(w))[1] for _ in range(3)]
    assert assigned == [STAFF, STAFF, STAFF]


async def test_least_busy_counts_open_assigned_tickets() -> None:
    w = auto_world("least-busy")
    first = await open_ticket(w)
    await w.assignments.assign(first, STAFF, Actor(STAFF))
    assert [(await open_and_assign(w))[1] for _ in range(3)] == [STAFF_2, STAFF_3, STAFF]


async def test_nobody_available_leaves_a_note_and_assigns_when_someone_is() -> None:
    w = auto_world()
    for user in (STAFF, STAFF_2, STAFF_3):
        w.directory.statuses[user] = ":airplane:"
    number = await open_ticket(w)
    [job] = [j for j in w.store.jobs(number) if isinstance(j, AutoAssign)]
    with pytest.raises(NobodyAvailable, match="everyone away"):
        await w.assignments.assign_automatically(job)
    assert AssignmentNote(ticket=number, reason="everyone away") in w.store.jobs(number)
    assert (await read(w, number)).assignee is None
    w.directory.statuses[STAFF_2] = ""
    given = await w.assignments.assign_automatically(job)
    assert given is not None and given.assignee == STAFF_2


async def test_a_ticket_assigned_by_hand_meanwhile_is_left_alone() -> None:
    w = auto_world()
    number = await open_ticket(w)
    [job] = [j for j in w.store.jobs(number) if isinstance(j, AutoAssign)]
    await w.assignments.assign(number, STAFF_3, Actor(STAFF))
    assert await w.assignments.assign_automatically(job) is None
    assert (await read(w, number)).assignee == STAFF_3


async def test_a_silent_assignee_hands_over_once_per_person() -> None:
    w = auto_world(reassign_after="PT10M")
    number, first = await open_and_assign(w)
    assert first == STAFF
    check = next(j for j in w.store.jobs(number) if isinstance(j, AutoAssign) and j.after == 0)
    assert w.store.due(check.id) == T0 + 600
    w.clock.advance(600)
    mark = len(w.store.armed)
    given = await w.assignments.assign_automatically(check)
    assert given is not None and given.assignee == STAFF_2
    jobs = w.store.armed_since(mark)
    assert AssignedDM(ticket=number, change=1, user=STAFF_2) in jobs
    assert AssignedDM(ticket=number, change=1, user=STAFF) in jobs
    assert AssignmentNote(ticket=number, previous=STAFF, to=STAFF_2) in jobs
    # Run again (a worker died after the change): nothing moves a second time.
    assert await w.assignments.assign_automatically(check) is None
    nxt = next(j for j in w.store.jobs(number) if isinstance(j, AutoAssign) and j.after == 1)
    await w.assignments.assign_automatically(nxt)
    last = next(j for j in w.store.jobs(number) if isinstance(j, AutoAssign) and j.after == 2)
    # Everyone has held it: it stays, said once, and is not looked at again.
    assert await w.assignments.assign_automatically(last) is None
    assert AssignmentNote(ticket=number, previous=STAFF_3,
                          reason="nobody else in the support team") in w.store.jobs(number)
    assert (await read(w, number)).assignee == STAFF_3


async def test_an_assignee_who_answered_keeps_the_ticket_and_a_manual_one_is_never_taken(
        ) -> None:
    w = auto_world(reassign_after="PT10M")
    number, _ = await open_and_assign(w)
    check = next(j for j in w.store.jobs(number) if isinstance(j, AutoAssign) and j.after == 0)
    await w.tickets.post_update(number, "Looking into it.", Actor(STAFF), once="view:9")
    assert await w.assignments.assign_automatically(check) is None
    other = await open_ticket(w)
    await w.assignments.assign(other, STAFF_2, Actor(STAFF))
    assert not [j for j in w.store.jobs(other) if isinstance(j, AutoAssign) and j.after >= 0]


async def test_an_unreachable_assignee_is_skipped_for_a_day() -> None:
    w = auto_world()
    number, first = await open_and_assign(w)
    assert first == STAFF
    given = await w.assignments.assign_automatically(
        AutoAssign(ticket=number, after=0, unreachable=STAFF))
    assert given is not None and given.assignee == STAFF_2
    assert [(await open_and_assign(w))[1] for _ in range(2)] == [STAFF_3, STAFF_2]
    w.clock.advance(86_400)
    assert [(await open_and_assign(w))[1] for _ in range(2)] == [STAFF_3, STAFF]


# ---------------------------------------------------------------------------------------
# Reports by assignee
# ---------------------------------------------------------------------------------------

async def test_a_ticket_counts_for_whoever_held_it_at_its_first_response() -> None:
    w = world()
    number = await open_ticket(w)
    await w.assignments.assign(number, STAFF_2, Actor(STAFF))
    w.clock.advance(600)
    await w.tickets.post_update(number, "On it.", Actor(STAFF), once="view:1")
    w.clock.advance(60)
    await w.assignments.assign(number, STAFF, Actor(STAFF))
    ticket = await read(w, number)
    plan = w.settings.plan_table["standard"]
    assert outcome(ticket, plan, now=w.clock()).holder == STAFF_2
    unanswered = await read(w, await open_ticket(w))
    assert outcome(unanswered, plan, now=w.clock()).holder is None


def test_an_outcome_keeps_its_holder_and_older_ones_read_without() -> None:
    kept = Outcome(1001, "C0ACME0001", Severity.HIGH, T0, T0 + 60, {}, holder=STAFF)
    assert decode_outcome(1001, encode_outcome(kept)).holder == STAFF
    old = encode_outcome(replace(kept, holder=None))
    assert json.loads(old)[-1] == [] and decode_outcome(1001, old).holder is None
    both = decode_outcome(1001, encode_outcome(replace(kept, not_request=True)))
    assert (both.holder, both.not_request) == (STAFF, True)
    assert decode_outcome(1001, encode_outcome(replace(kept, holder=None, not_request=True))
                          ).not_request


def test_the_assignee_rows_count_tickets_percentiles_and_breaches() -> None:
    def o(n: int, holder: str | None, first: float | None, breached: bool = False) -> Outcome:
        return Outcome(n, "C0ACME0001", Severity.HIGH, T0, None,
                       {SlaClock.INITIAL: first} if first is not None else {},
                       frozenset({SlaClock.INITIAL}) if breached else frozenset(),
                       holder=holder)

    tally = ByAssignee()
    seen = list(tally.watching([o(1, STAFF_2, 60), o(2, STAFF, 600), o(3, STAFF, 7200, True),
                                o(4, None, None)]))
    assert len(seen) == 4
    rows = tally.rows()
    assert [(r.client, r.values) for r in rows] == [
        (STAFF, (2, 600, 7200, 1)), (STAFF_2, (1, 60, 60, 0)), ("unassigned", (1, None, None, 0))]
    assert assignee_csv(rows).splitlines()[0] == (
        "assignee,tickets,first response p50 (s),first response p90 (s),breaches")


async def test_a_worker_dying_between_choosing_and_telling_loses_nothing_doubles_nothing(
        ) -> None:
    w = auto_world()
    number = await open_ticket(w)
    [job] = [j for j in w.store.jobs(number) if isinstance(j, AutoAssign)]

    async def dies() -> None:
        raise ConnectionError("the worker's connection dropped")

    w.store.before("save", dies)  # chosen (the turn taken), the change not written
    with pytest.raises(ConnectionError):
        await w.assignments.assign_automatically(job)
    assert (await read(w, number)).assignee is None
    given = await w.assignments.assign_automatically(job)  # the job runs again
    assert given is not None and given.assignee == STAFF_2
    # It dies after the change was written: run again, the job tells nobody twice.
    mark = len(w.store.armed)
    assert await w.assignments.assign_automatically(job) is None
    assert w.store.armed_since(mark) == []
    ticket = await read(w, number)
    assert [a.to for a in ticket.assignments] == [STAFF_2]


async def test_only_the_assignees_own_claim_or_answer_acknowledges_the_page() -> None:
    w = world(pagerduty_routing_key="R0UTINGKEY0123456789")

    def paged(mark: int) -> list[str]:
        return [j.event for j in w.store.armed_since(mark)
                if isinstance(j, TicketEvent) and Sink.PAGER in j.sinks]

    number = await open_ticket(w)  # Critical: paged
    thread = await posted_in_client_channel(w, number)
    mark = len(w.store.armed)
    await w.assignments.assign(number, STAFF_2, Actor(STAFF))
    w.clock.advance(60)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                 ts=f"{w.clock():.6f}", actor=Actor(STAFF))
    assert paged(mark) == []  # someone else's answer does not: the assignee has not seen it
    other = await open_ticket(w)
    other_thread = await posted_in_client_channel(w, other)
    await w.assignments.assign(other, STAFF_2, Actor(STAFF))
    mark = len(w.store.armed)
    w.clock.advance(60)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=other_thread,
                                 ts=f"{w.clock():.6f}", actor=Actor(STAFF_2))
    assert paged(mark) == ["acknowledged"]


async def test_the_sweep_gives_back_a_lost_assignment_job_and_only_that() -> None:
    w = auto_world()
    never = await open_ticket(w)
    unassigned = await open_ticket(w)
    await w.assignments.assign(unassigned, STAFF, Actor(STAFF))
    await w.assignments.unassign(unassigned, Actor(STAFF))  # taken back on purpose
    w.store.lose_queue()
    await w.sweeper.sweep()
    assert AutoAssign(ticket=never) in w.store.jobs(never)
    assert not [j for j in w.store.jobs(unassigned) if isinstance(j, AutoAssign)]


async def test_the_sweep_gives_back_a_lost_hand_over_check_when_due_until_it_has_run(
        ) -> None:
    w = auto_world(reassign_after="PT10M")
    number, first = await open_and_assign(w)
    answered, _ = await open_and_assign(w)
    await w.tickets.post_update(answered, "Looking into it.", Actor(STAFF), once="view:8")
    check = AutoAssign(ticket=number, after=0)
    w.store.lose_queue()
    await w.sweeper.sweep()
    assert w.store.due(check.id) == T0 + 600
    assert not [j for j in w.store.jobs(answered) if isinstance(j, AutoAssign)]
    # Lost past its due: it is due still, at once.
    w.clock.advance(900)
    w.store.lose_queue()
    await w.sweeper.sweep()
    assert w.store.due(check.id) == T0 + 600
    for after, holder in [(0, STAFF_3), (1, STAFF_2), (2, STAFF_2)]:
        job = AutoAssign(ticket=number, after=after)
        w.store.lose_queue()
        await w.sweeper.sweep()
        assert job.id in w.store.job_ids(number)
        await w.assignments.assign_automatically(job)
        w.store.ack(job.id)
        assert (await read(w, number)).assignee == holder
    # Everyone has held it: its last check ran, and no sweep brings it back.
    w.store.lose_queue()
    await w.sweeper.sweep()
    assert not [j for j in w.store.jobs(number) if isinstance(j, AutoAssign)]
    assert first == STAFF
