"""App Home on the running app: the queue each person sees, claimed from, paged, kept
current (debounced), and the ticket's card in the client thread kept current in place."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import pytest

from bot.delivery.home import QUIET
from bot.domain.home import PAGE
from bot.domain.tickets import Severity
from bot.sandbox.limits import VIEW_BLOCKS
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import click, find_post, home_text, open_ticket, text_of, triage_post
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    STAFF,
    STAFF_2,
    TRIAGE,
)

_ids = itertools.count(1)


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"intake_limit": 1000}


async def open_home(app: RunningApp, user: str) -> dict[str, Any]:
    """``user`` opens the app's Home tab; the view the app publishes for it."""
    before = len(app.slack.calls_to("views.publish", user_id=user))
    response = await app.client.event(
        {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D" + user[1:],
         "event_ts": f"{time.time():.6f}"}, event_id=f"EvHome{next(_ids):06d}")
    assert response.status == 200
    await app.slack.wait_for(lambda: app.slack.calls_to("views.publish",
                                                        user_id=user)[before:])
    return app.slack.homes[user]


def section_rows(view: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """The ticket rows under the section headed ``title (n)``."""
    rows: list[dict[str, Any]] = []
    inside = False
    for block in view["blocks"]:
        if block["type"] == "header":
            inside = block["text"]["text"].startswith(title + " (")
        elif inside and block["type"] == "section":
            rows.append(block)
    return rows


def headers(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def home_button(view: dict[str, Any], label: str, key: str | None = None) -> dict[str, Any]:
    """A button of the Home (on the row of ticket ``key``, if given) by its text."""
    for block in view["blocks"]:
        elements = [block["accessory"]] if "accessory" in block else block.get("elements", [])
        if key is not None and key not in block.get("text", {}).get("text", ""):
            continue
        for element in elements:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return dict(element)
    raise AssertionError(f"no {label} button in {home_text(view)}")


async def click_in_home(app: RunningApp, user: str, element: dict[str, Any]) -> int:
    """A click in ``user``'s App Home, as Slack sends it: a view, and no channel."""
    status, _ = await app.client.interaction({
        "type": "block_actions", "team": {"id": "T0DESK0001"},
        "user": {"id": user, "username": user, "team_id": "T0DESK0001"},
        "trigger_id": app.client.trigger(), "container": {"type": "view", "view_id": "H1"},
        "view": {**app.slack.homes[user], "id": "H1", "state": {"values": {}}},
        "actions": [{"action_id": element["action_id"], "block_id": "b", "type": "button",
                     "value": element.get("value", ""), "action_ts": f"{time.time():.6f}"}]})
    return status


async def opened_quietly(app: RunningApp, i: int, severity: str = "high") -> int:
    """A ticket opened through the service (as the modal does), without waiting on posts."""
    opened = await app.runtime.desk.tickets.open(NewTicket(
        channel=CLIENT_CHANNEL, reporter=STAFF, title=f"Problem {i}",
        severity=Severity(severity), description="d", once=f"home:{i}"), Actor(STAFF))
    return opened.ticket.number


async def test_an_engineer_sees_the_queue_and_claims_from_it(app: RunningApp) -> None:
    number = await open_ticket(app, "Login fails", "High")
    view = await open_home(app, STAFF)
    assert headers(view) == ["My tickets (0)", "Unassigned (1)", "At risk (0)", "Breached (0)"]
    row = section_rows(view, "Unassigned")[0]["text"]["text"]
    assert f"*T-{number}* · High · <#{CLIENT_CHANNEL}> · 4 h left · due <!date^" in row
    assert "Login fails" in row
    # The deadline itself, which does not go stale in an open Home tab: 4 h after opening.
    due = int(re.search(r"due <!date\^(\d+)\^", row).group(1))  # type: ignore[union-attr]
    assert abs(due - (time.time() + 4 * 3600)) < 60

    assert await click_in_home(app, STAFF, home_button(view, "Claim", f"T-{number}")) == 200
    post = await triage_post(app, number)
    await app.slack.wait_for(lambda: f"Claimed by <@{STAFF}>" in text_of(post))
    await app.slack.wait_for(lambda: headers(app.slack.homes[STAFF])[:2] == [
        "My tickets (1)", "Unassigned (0)"])
    mine = section_rows(app.slack.homes[STAFF], "My tickets")[0]["text"]["text"]
    assert f"*T-{number}*" in mine and "accessory" not in section_rows(
        app.slack.homes[STAFF], "My tickets")[0]


async def test_a_claim_from_home_is_refused_as_in_triage(app: RunningApp) -> None:
    number = await open_ticket(app)
    stale = await open_home(app, STAFF_2)
    await click(app, await triage_post(app, number), "Claim", user=STAFF)
    await drained(app.runtime)
    app.slack.homes[STAFF_2] = stale  # not yet refreshed on their screen
    assert await click_in_home(app, STAFF_2, home_button(stale, "Claim")) == 200
    told = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postMessage",
                                                               channel=STAFF_2))
    assert told[0].args["text"] == f"T-{number} is already claimed by <@{STAFF}>."


async def test_guests_and_other_organisations_see_no_tickets(app: RunningApp) -> None:
    await open_ticket(app)
    for user in (GUEST, EXTERNAL, CLIENT_USER):
        view = await open_home(app, user)
        assert "T-1001" not in home_text(view) and headers(view) == []
        assert "support team and to account managers only" in home_text(view)


async def test_an_account_manager_also_sees_their_clients(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Uploads fail", "Critical", user=CLIENT_USER)
    await open_ticket(app, "Other channel", "Low", channel=TRIAGE)
    view = await open_home(app, AM)
    assert headers(view)[-1] == "My clients (1)"
    assert f"*T-{number}* · Critical · Acme Media" in section_rows(
        view, "My clients")[0]["text"]["text"]


@pytest.mark.parametrize("settings_extra", [{"support_team": STAFF}])
async def test_an_account_manager_outside_the_support_team_sees_their_clients_only(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Uploads fail", "High", user=CLIENT_USER)
    assert headers(await open_home(app, AM)) == ["My clients (1)"]
    # Their client's ticket changes: their Home follows.
    await click(app, await triage_post(app, number), "Claim", user=STAFF)
    await app.slack.wait_for(lambda: f"<@{STAFF}>" in section_rows(
        app.slack.homes[AM], "My clients")[0]["text"]["text"], timeout=QUIET + 5)


async def test_a_long_queue_is_paged_within_homes_blocks(app: RunningApp) -> None:
    for i in range(3 * PAGE + 2):
        await opened_quietly(app, i)
    await drained(app.runtime)
    view = await open_home(app, STAFF)
    assert len(view["blocks"]) <= VIEW_BLOCKS
    assert len(section_rows(view, "Unassigned")) == PAGE
    assert f"Showing 1–{PAGE} of {3 * PAGE + 2} · {2 * PAGE + 2} more, less urgent" in \
        home_text(view)
    before = len(app.slack.calls_to("views.publish", user_id=STAFF))
    assert await click_in_home(app, STAFF, home_button(view, f"Next {PAGE}")) == 200
    await app.slack.wait_for(lambda: app.slack.calls_to("views.publish",
                                                        user_id=STAFF)[before:])
    paged = app.slack.homes[STAFF]
    assert f"Showing {PAGE + 1}–{2 * PAGE} of {3 * PAGE + 2}" in home_text(paged)
    first = {r["text"]["text"].split("*")[1] for r in section_rows(view, "Unassigned")}
    second = {r["text"]["text"].split("*")[1] for r in section_rows(paged, "Unassigned")}
    assert not first & second
    home_button(paged, "Previous")


async def on_the_second_page(app: RunningApp, count: int) -> list[int]:
    """``count`` unassigned tickets, and STAFF's Home turned to their second page."""
    numbers = [await opened_quietly(app, i) for i in range(count)]
    await drained(app.runtime)
    view = await open_home(app, STAFF)
    before = len(app.slack.calls_to("views.publish", user_id=STAFF))
    rest = min(PAGE, count - PAGE)
    assert await click_in_home(app, STAFF, home_button(view, f"Next {rest}")) == 200
    await app.slack.wait_for(lambda: app.slack.calls_to("views.publish",
                                                        user_id=STAFF)[before:])
    assert f"Showing {PAGE + 1}–{PAGE + rest} of {count}" in home_text(app.slack.homes[STAFF])
    return numbers


async def test_a_section_that_shrinks_under_its_page_shows_its_last_page(
        app: RunningApp) -> None:
    numbers = await on_the_second_page(app, 2 * PAGE)
    for number in numbers[:PAGE]:  # half of them claimed meanwhile: one page is left
        await app.runtime.desk.tickets.claim(number, Actor(STAFF))
    await app.slack.wait_for(lambda: "Unassigned (10)" in headers(app.slack.homes[STAFF]),
                             timeout=QUIET + 5)
    view = app.slack.homes[STAFF]
    shown = {int(r["text"]["text"].split("*")[1][2:]) for r in section_rows(view, "Unassigned")}
    assert shown == set(numbers[PAGE:])
    unassigned = home_text(view).split("Unassigned (10)")[1].split("At risk (")[0]
    assert "Nothing here." not in unassigned and "Showing" not in unassigned
    # Tickets come again: the Home stays on the page shown, the first.
    await opened_quietly(app, 100)
    await app.slack.wait_for(lambda: "Unassigned (11)" in headers(app.slack.homes[STAFF]),
                             timeout=QUIET + 5)
    assert f"Showing 1–{PAGE} of {PAGE + 1}" in home_text(app.slack.homes[STAFF])


async def test_opening_home_again_starts_each_section_on_its_first_page(
        app: RunningApp) -> None:
    await on_the_second_page(app, 2 * PAGE + 1)
    view = await open_home(app, STAFF)
    assert f"Showing 1–{PAGE} of {2 * PAGE + 1}" in home_text(view)


async def test_at_risk_then_breached_as_time_passes(app: RunningApp) -> None:
    number = await open_ticket(app, "Slow", "High")
    await click(app, await triage_post(app, number), "Claim", user=STAFF)
    await drained(app.runtime)
    await open_home(app, STAFF_2)
    await advance(app.runtime, 3.5 * 3600)  # past the warning at 3 h of 4
    await app.slack.wait_for(lambda: "At risk (1)" in headers(app.slack.homes[STAFF_2]))
    row = section_rows(app.slack.homes[STAFF_2], "At risk")[0]["text"]["text"]
    assert re.search(r" · (29|30) min left · ", row), row
    await advance(app.runtime, 3600)
    await app.slack.wait_for(lambda: "Breached (1)" in headers(app.slack.homes[STAFF_2]),
                             timeout=QUIET + 5)
    view = app.slack.homes[STAFF_2]
    assert "At risk (0)" in headers(view)
    row = section_rows(view, "Breached")[0]["text"]["text"]
    assert re.search(r" · overdue by (30|31) min · ", row), row


async def test_refreshes_are_debounced_and_end_on_the_latest_state(app: RunningApp) -> None:
    await open_home(app, STAFF)
    opened_at = time.monotonic()
    numbers = [await opened_quietly(app, i) for i in range(4)]
    await app.slack.wait_for(
        lambda: "Unassigned (4)" in headers(app.slack.homes[STAFF]), timeout=QUIET + 5)
    await drained(app.runtime)
    publishes = [c.at for c in app.slack.calls_to("views.publish", user_id=STAFF)]
    refreshes = publishes[1:]  # the first one: opened
    assert 1 <= len(refreshes) <= 1 + (time.monotonic() - opened_at) // QUIET
    assert all(b - a >= QUIET - 0.1 for a, b in itertools.pairwise(publishes))
    shown = home_text(app.slack.homes[STAFF])
    assert all(f"*T-{n}*" in shown for n in numbers)


async def test_the_clients_card_is_kept_current_in_place(app: RunningApp) -> None:
    number = await open_ticket(app, "Login fails", "High")
    key = f"T-{number}"
    card = find_post(app, CLIENT_CHANNEL, key)
    assert card is not None
    shown = text_of(card)
    assert "*Status:* Open" in shown and "*Owner:* not yet assigned" in shown
    assert "*First response:* due <!date^" in shown and "*Hours:* around the clock" in shown
    await click(app, await triage_post(app, number), "Claim", user=STAFF)
    await app.slack.wait_for(lambda: f"*Owner:* <@{STAFF}>" in text_of(card))
    assert "*Status:* Claimed" in text_of(card)
    response = await app.client.event(
        {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "On it",
         "ts": f"{time.time():.6f}", "thread_ts": card.ts}, event_id="EvCard000001")
    assert response.status == 200
    await app.slack.wait_for(lambda: "*First response:* responded <!date^" in text_of(card))
    assert "*Next update:* due <!date^" in text_of(card)
    tops = [m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts is None]
    assert [m.ts for m in tops] == [card.ts] and card.updates >= 2


async def test_ticket_list_stays_short_and_points_to_home(app: RunningApp) -> None:
    for i in range(30):
        await opened_quietly(app, i, "low" if i % 2 else "critical")
    await app.client.command("/ticket", "list", user=STAFF, channel=TRIAGE)
    said = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    lines = said[0].args["text"].split("\n")
    assert len(lines) == 26 and "Critical" in lines[0] and "Critical" in lines[14]
    assert lines[-1] == "…and 5 more, less urgent: see them all in the app's Home tab."


async def test_a_home_slack_refuses_is_dead_lettered_at_once(app: RunningApp) -> None:
    app.slack.fail("views.publish", error="not_enabled", times=5)
    response = await app.client.event(
        {"type": "app_home_opened", "user": STAFF, "tab": "home", "channel": "D0STAFF001"},
        event_id="EvHomeDead01")
    assert response.status == 200
    await app.slack.wait_for(lambda: app.slack.calls_to("views.publish"))
    await drained(app.runtime)
    dead = await app.runtime.queue.dead_letter_list()
    assert [(d.id, d.error, d.attempts) for d in dead] == [(f"home:{STAFF}", "not_enabled", 1)]
    # Nor is it tried again with each change.
    await opened_quietly(app, 1)
    await drained(app.runtime)
    assert len(app.slack.calls_to("views.publish")) == 1


async def test_the_messages_tab_publishes_nothing(app: RunningApp) -> None:
    response = await app.client.event(
        {"type": "app_home_opened", "user": STAFF, "tab": "messages", "channel": "D0STAFF001"},
        event_id="EvHomeMsgs01")
    assert response.status == 200
    await drained(app.runtime)
    assert app.slack.calls_to("views.publish") == []


async def test_a_card_slack_will_not_update_is_told_in_triage(app: RunningApp) -> None:
    number = await open_ticket(app)
    await drained(app.runtime)
    app.slack.fail("chat.update", error="cant_update_message", channel=CLIENT_CHANNEL)
    await click(app, await triage_post(app, number), "Claim", user=STAFF)
    post = await triage_post(app, number)
    note = await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE, post.ts)
                                             if "card" in m.text])
    assert note[0].text == (":warning: Could not bring the ticket's card in the client thread "
                            "up to date: `cant_update_message`. The client sees an older "
                            "state there.")
    assert f"Claimed by <@{STAFF}>" in text_of(post)
