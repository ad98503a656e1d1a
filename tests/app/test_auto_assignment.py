"""Automatic assignment on the app in this process, its clock moved: round robin over two
engineers, a closed shift, the hand-over of a silent assignee's ticket, and an assignee the
desk cannot DM."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.desk import RunningApp, advance, drained, ticket
from tests.support.flows import client_thread, open_ticket, staff_reply, text_of, triage_post
from tests.support.workspace import STAFF, STAFF_2, TRIAGE

TEAM = {"assignment": "round-robin", "support_team": f"{STAFF},{STAFF_2}"}
TOMORROW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
    (time.gmtime().tm_wday + 1) % 7]
CLOSED_TODAY = {"tomorrow": {"timezone": "UTC", "hours": {TOMORROW: ["00:00-24:00"]}}}


def dms(app: RunningApp, user: str) -> list[str]:
    return [c.args["text"] for c in app.slack.calls_to("chat.postMessage", channel=user)]


def notes(app: RunningApp, number: int) -> list[str]:
    post = next(m for m in app.slack.posts(TRIAGE) if m.thread_ts is None
                and m.text.find(f"T-{number} ") != -1)
    return [m.text for m in app.slack.posts(TRIAGE, post.ts)]


@pytest.mark.parametrize("settings_extra", [TEAM])
async def test_round_robin_gives_two_tickets_to_each_of_two_engineers(app: RunningApp) -> None:
    numbers = [await open_ticket(app, f"Problem {i}") for i in range(4)]
    await drained(app.runtime)
    holders = [(await ticket(app.runtime, n)).assignee for n in numbers]
    assert holders == [STAFF, STAFF_2, STAFF, STAFF_2]
    for number, holder in zip(numbers, holders, strict=True):
        assert f"Claimed by <@{holder}>" in text_of(await triage_post(app, number))
    assert len([t for t in dms(app, STAFF) if "You have been assigned" in t]) == 2
    assert len([t for t in dms(app, STAFF_2) if "You have been assigned" in t]) == 2
    # Whether STAFF_2 is away was read from Slack once for the four (at most once a minute).
    assert len(app.slack.calls_to("users.info", user=STAFF_2)) == 1


@pytest.mark.parametrize("settings_extra", [{
    **TEAM, "calendars": json.dumps(CLOSED_TODAY), "shifts": json.dumps({STAFF: "tomorrow"})}])
async def test_with_one_shift_closed_every_ticket_goes_to_the_other(app: RunningApp) -> None:
    numbers = [await open_ticket(app, f"Problem {i}") for i in range(3)]
    await drained(app.runtime)
    assert [(await ticket(app.runtime, n)).assignee for n in numbers] == [STAFF_2] * 3


@pytest.mark.parametrize("settings_extra", [{
    **TEAM, "calendars": json.dumps(CLOSED_TODAY),
    "shifts": json.dumps({STAFF: "tomorrow", STAFF_2: "tomorrow"})}])
async def test_nobody_on_shift_leaves_the_ticket_unassigned_with_a_note(app: RunningApp
                                                                        ) -> None:
    number = await open_ticket(app)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee is None
    await app.slack.wait_for(
        lambda: [n for n in notes(app, number) if "Not assigned: nobody on shift" in n])
    await advance(app.runtime, 61)  # checked again every minute: still nobody, no new note
    await drained(app.runtime)
    assert len([n for n in notes(app, number) if "Not assigned" in n]) == 1


@pytest.mark.parametrize("settings_extra", [{**TEAM, "reassign_after": "PT30S"}])
async def test_a_silent_assignee_s_ticket_moves_once(app: RunningApp) -> None:
    number = await open_ticket(app)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee == STAFF
    await advance(app.runtime, 31)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee == STAFF_2
    assert [t for t in dms(app, STAFF) if "It has passed to" in t]
    assert [t for t in dms(app, STAFF_2) if "You have been assigned" in t]
    await app.slack.wait_for(lambda: [n for n in notes(app, number)
                                      if "has not answered the client" in n
                                      and f"passed to <@{STAFF_2}>" in n])
    await advance(app.runtime, 31)  # everyone has held it: it stays
    await drained(app.runtime)
    stored = await ticket(app.runtime, number)
    assert stored.assignee == STAFF_2 and len(stored.assignments) == 2


@pytest.mark.parametrize("settings_extra", [{**TEAM, "reassign_after": "PT30S"}])
async def test_an_assignee_who_answered_keeps_the_ticket(app: RunningApp) -> None:
    number = await open_ticket(app)
    await drained(app.runtime)
    assert await staff_reply(app, await client_thread(app, number), "Ev0REPLY001") == 200
    await drained(app.runtime)
    await advance(app.runtime, 31)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee == STAFF


@pytest.mark.parametrize("settings_extra", [TEAM])
async def test_an_assignee_who_cannot_be_dmed_is_skipped(app: RunningApp) -> None:
    app.slack.fail("chat.postMessage", error="user_disabled", channel=STAFF, times=10)
    number = await open_ticket(app)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee == STAFF_2
    # (A note may wait for the triage post it goes under.)
    await app.slack.wait_for(lambda: [n for n in notes(app, number)
                                      if "cannot be reached by direct message" in n])
    await app.slack.wait_for(lambda: [n for n in notes(app, number) if "user_disabled" in n])
    # Skipped for a day: the next ticket goes to the other engineer too.
    other = await open_ticket(app, "Another")
    await drained(app.runtime)
    assert (await ticket(app.runtime, other)).assignee == STAFF_2
