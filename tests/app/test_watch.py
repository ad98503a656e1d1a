"""Watching client messages, in process over HTTP: the other ways in agree with a ticket
opened from a message (the reaction, the shortcut), edits and deletions follow it, the
client changes its severity on the card, and a client not watched opens nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.cli.clients import set_client
from bot.domain.tickets import Severity, Status
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import card_in_thread, client_writes, text_of, triage_post
from tests.support.slackreq import shortcut, values_by_label
from tests.support.workspace import AM, CLIENT_CHANNEL, CLIENT_USER, EXTERNAL, STAFF, TRIAGE


async def watched_ticket(app: RunningApp, text: str = "Uploads fail with error 413") -> str:
    await register_client(app.runtime)
    ts = await client_writes(app, text, event_id="EvWatchApp01")
    await triage_post(app, 1001)
    await app.slack.wait_for(lambda: card_in_thread(app, ts))
    return ts


async def test_a_reaction_on_a_message_that_opened_a_ticket_offers_nothing(
        app: RunningApp) -> None:
    ts = await watched_ticket(app)
    response = await app.client.event({
        "type": "reaction_added", "user": EXTERNAL, "reaction": "ticket",
        "item": {"type": "message", "channel": CLIENT_CHANNEL, "ts": ts}},
        event_id="EvWatchApp02")
    assert response.status == 200
    await drained(app.runtime)
    assert not [m for m in app.slack.posts(CLIENT_CHANNEL, ts)
                if "Open a ticket" in json.dumps(m.blocks)]


async def test_the_shortcut_on_it_edits_that_ticket_never_a_second(app: RunningApp) -> None:
    ts = await watched_ticket(app)
    status, _ = await app.client.interaction(shortcut(ts, "Uploads fail with error 413",
                                                      STAFF))
    assert status == 200
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    assert view["title"]["text"] == "Edit T-1001"
    values = values_by_label(view, {"Title": "Uploads over 100 MB fail",
                                    "Severity": "High",
                                    "Description": "Error 413 on every upload over 100 MB"})
    status, body = await app.client.submit(view, values, user=STAFF)
    assert status == 200 and body is None
    edited = await ticket(app.runtime, 1001)
    assert edited.title == "Uploads over 100 MB fail" and edited.severity is Severity.HIGH
    assert edited.severity_changes[-1].by == STAFF
    assert await app.runtime.store.get(1002) is None
    triage = await triage_post(app, 1001)
    await app.slack.wait_for(lambda: "Uploads over 100 MB fail" in text_of(triage))


async def test_an_edit_before_an_answer_retitles_and_a_deletion_withdraws(
        app: RunningApp) -> None:
    ts = await watched_ticket(app)
    response = await app.client.event({
        "type": "message", "subtype": "message_changed", "channel": CLIENT_CHANNEL,
        "message": {"type": "message", "user": CLIENT_USER, "ts": ts,
                    "text": "Uploads fail with error 413 on Android"},
        "previous_message": {"type": "message", "user": CLIENT_USER, "ts": ts}},
        event_id="EvWatchApp03")
    assert response.status == 200
    assert (await ticket(app.runtime, 1001)).title == "Uploads fail with error 413 on Android"
    response = await app.client.event({
        "type": "message", "subtype": "message_deleted", "channel": CLIENT_CHANNEL,
        "deleted_ts": ts, "previous_message": {"type": "message", "user": CLIENT_USER,
                                               "ts": ts}}, event_id="EvWatchApp04")
    assert response.status == 200
    gone = await ticket(app.runtime, 1001)
    assert gone.status is Status.RESOLVED and "Withdrawn" in (gone.resolution or "")


async def test_the_client_changes_the_severity_on_the_card(app: RunningApp) -> None:
    ts = await watched_ticket(app)
    card = card_in_thread(app, ts)
    assert card is not None
    menu = next(e for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                if e.get("placeholder", {}).get("text") == "Change severity")
    critical = next(o for o in menu["options"] if o["text"]["text"] == "Critical")
    status, _ = await app.client.interaction({
        "type": "block_actions", "team": {"id": "T0OTHER001"},
        "user": {"id": EXTERNAL, "team_id": "T0OTHER001"}, "api_app_id": "A0APP00001",
        "trigger_id": "1.watch", "channel": {"id": CLIENT_CHANNEL},
        "container": {"type": "message", "message_ts": card.ts, "channel_id": CLIENT_CHANNEL},
        "message": {"ts": card.ts, "text": ""},
        "actions": [{"action_id": menu["action_id"], "block_id": "b", "type": "static_select",
                     "selected_option": critical, "action_ts": "1.1"}]})
    assert status == 200
    changed = await ticket(app.runtime, 1001)
    assert changed.severity is Severity.CRITICAL and changed.severity_changes[-1].by == EXTERNAL


async def test_a_client_set_to_tickets_only_opens_nothing_by_writing(app: RunningApp) -> None:
    await set_client(app.runtime, channel=CLIENT_CHANNEL, name="Acme Media",
                     account_manager=AM, watch="tickets")
    welcome = app.slack.posts(CLIENT_CHANNEL)[0]
    assert "just write here" not in text_of(welcome)
    await client_writes(app, "Uploads fail with error 413", event_id="EvWatchApp05")
    await drained(app.runtime)
    assert await app.runtime.store.get(1001) is None and app.slack.posts(TRIAGE) == []
    await set_client(app.runtime, channel=CLIENT_CHANNEL, name="Acme Media",
                     account_manager=AM, watch="messages")
    assert "just write here" in text_of(welcome)


async def test_a_follow_up_delivered_with_its_request_joins_it(app: RunningApp) -> None:
    await register_client(app.runtime)
    for i in range(5):
        user = f"U0EXTRA{i:03d}"
        app.slack.add_user(user, team_id="T0OTHER001")
        await asyncio.gather(
            client_writes(app, f"Request number {i}: the player fails", user=user,
                          event_id=f"EvWatchRace{i}a"),
            client_writes(app, "Also on iOS", user=user, event_id=f"EvWatchRace{i}b"))
    await drained(app.runtime)
    assert await app.runtime.store.get(1005) is not None
    assert await app.runtime.store.get(1006) is None


async def test_bots_apps_joins_edits_and_stray_thread_replies_open_nothing(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    parent = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Hello")
    base: dict[str, Any] = {"type": "message", "channel": CLIENT_CHANNEL,
                            "text": "Uploads fail badly",
            "user": CLIENT_USER, "user_team": "T0OTHER001"}
    events: list[dict[str, Any]] = [
        {**base, "subtype": "bot_message", "bot_id": "B0OTHER001", "ts": "1796112000.000001"},
        {**base, "bot_id": "B0OTHER002", "ts": "1796112000.000002"},  # an app's message
        {**base, "subtype": "channel_join", "ts": "1796112000.000003"},
        {**base, "ts": "1796112000.000004", "thread_ts": parent},  # a reply, no ticket
        {"type": "message", "subtype": "message_changed", "channel": CLIENT_CHANNEL,
         "message": {**base, "ts": parent}},
        {"type": "message", "subtype": "message_deleted", "channel": CLIENT_CHANNEL,
         "deleted_ts": parent},
        {**base, "user": STAFF, "user_team": "T0DESK0001", "ts": "1796112000.000005"},
    ]
    for i, event in enumerate(events):
        response = await app.client.event(event, event_id=f"EvWatchNever{i}")
        assert response.status == 200
    await drained(app.runtime)
    assert await app.runtime.store.get(1001) is None and app.slack.posts(TRIAGE) == []


async def test_the_shortcut_keeps_a_description_longer_than_its_form_whole(
        app: RunningApp) -> None:
    text = "Uploads fail with error 413. " + " ".join(
        f"Step {i}: the upload of file {i} stops at 99 percent." for i in range(120))
    assert len(text) > 3000
    ts = await watched_ticket(app, text)
    status, _ = await app.client.interaction(shortcut(ts, text, STAFF))
    assert status == 200
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    assert "Description" not in [b["label"]["text"] for b in view["blocks"]
                                 if b["type"] == "input"]
    note = json.dumps([b for b in view["blocks"] if b["type"] == "context"])
    assert "description" in note and "keeps it as it is" in note
    values = values_by_label(view, {"Title": "Uploads fail with error 413",
                                    "Severity": "High"})
    status, body = await app.client.submit(view, values, user=STAFF)
    assert status == 200 and body is None
    edited = await ticket(app.runtime, 1001)
    assert edited.severity is Severity.HIGH and edited.description == text
