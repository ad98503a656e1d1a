"""Odd and hostile input: whatever a person types, pastes or clicks is kept whole, never
breaks a promise, and never reaches another client."""

from __future__ import annotations

import html
import json
import time
from typing import Any

import pytest

from bot.domain.tickets import Status
from bot.sandbox.standin import Message
from tests.support.desk import RunningApp, advance, drained, register_client, ticket
from tests.support.flows import (
    buttons,
    click,
    find_post,
    open_modal,
    open_ticket,
    prefilled_by_reaction,
    submit,
    submit_modal,
    text_of,
    triage_post,
)
from tests.support.servers import SmtpSink
from tests.support.slackreq import values_by_label
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, EXTERNAL, LEAD, STAFF, TRIAGE

PLANS = {"standard": {"critical": 40, "high": 60, "medium": 80, "low": 120}}


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


def shown(message: Message) -> str:
    """What a reader sees of a message's blocks, entities decoded."""
    parts = []
    for block in message.blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return html.unescape("\n".join(parts))


def within_block_kit(message: Message) -> None:
    for block in message.blocks:
        if isinstance(block.get("text"), dict):
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                assert len(element["text"]) <= 3000


async def test_a_description_full_of_ampersands_arrives_whole(app: RunningApp) -> None:
    description = ("Q&A <tag> & more " * 200)[:2990] + " THE END"
    number = await open_ticket(app, "Search & filters", "Low", description)
    triage = await triage_post(app, number)
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    for post in (triage, client_post):
        within_block_kit(post)
        assert " ".join(description.split()) in " ".join(shown(post).split())
        assert "&lt;tag&gt;" in json.dumps(post.blocks) and "<tag>" not in json.dumps(post.blocks)
    assert "".join(shown(client_post).split()).count("Q&A") == description.count("Q&A")


async def test_a_long_resolution_reaches_the_client_whole(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Slow", "Low", "Very slow.")
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: "Claim" not in buttons(post))
    resolution = "Fixed & deployed; " * 160 + "— signed, support"
    assert len(resolution) < 3000
    await submit_modal(app, post, "Resolve", "Resolution", resolution)
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    notice = await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(CLIENT_CHANNEL, client_post.ts) if "is resolved" in m.text])
    within_block_kit(notice[0])
    assert "— signed, support" in shown(notice[0])
    assert " ".join(shown(notice[0]).split()).count("Fixed & deployed") == 160
    await drained(app.runtime)
    assert "— signed, support" in shown(post)  # the triage post shows it whole too


async def test_a_reaction_on_a_huge_pasted_log_opens_a_marked_prefill(app: RunningApp) -> None:
    await register_client(app.runtime)
    log = "ERROR upload failed at chunk & retry\n" * 400  # ~15,000 characters
    button, modal = await prefilled_by_reaction(app, "Uploads broken\n" + log, "EvBig1")
    assert len(button["value"]) <= 2000
    fields = {b["label"]["text"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert fields["Title"]["initial_value"] == "Uploads broken"
    description = fields["Description"]["initial_value"]
    assert len(description) <= 3000 and "more characters in the original" in description
    status, body = await app.client.submit(modal, values_by_label(modal, {
        "Title": "Uploads broken", "Severity": "High", "Description": description}),
        user=EXTERNAL, team="T0OTHER001", view_id="V0BIGLOG01")
    assert status == 200 and body and body["response_action"] == "update"
    assert (await ticket(app.runtime, 1001)).source_link is not None


async def test_any_ticket_command_text_is_answered(app: RunningApp) -> None:
    for text in ("T-²", "T-" + "9" * 400, "T-١٢", "\u2028", "list\x00", "T-0"):
        response = await app.client.command("/ticket", text, user=STAFF, channel=CLIENT_CHANNEL)
        assert response.status == 200, text


async def test_ticket_command_text_longer_than_a_title_is_kept_whole_in_the_form(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    text = ("Since the 9:00 deploy every upload over 10 MB fails with a 413 and the retry "
            "button spins forever; customers in three regions report it, starting with "
            "the EU ones, and our own staff too")
    assert len(text) > 150
    modal = await open_modal(app, text)
    fields = {b["label"]["text"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    prefilled = [f.get("initial_value") or "" for f in fields.values()]
    assert any(text in value for value in prefilled)
    for field in fields.values():
        assert len(field.get("initial_value") or "") <= field.get("max_length", 3000)


@pytest.mark.parametrize("settings_extra", [{"intake_limit": 50}])
async def test_a_long_triage_list_is_bounded_and_says_how_many_more(app: RunningApp) -> None:
    for i in range(30):
        await open_ticket(app, f"Ticket {i}", "Low", "d", view_id=f"V0LIST{i:04d}")
    before = len(app.slack.calls_to("chat.postEphemeral"))
    await app.client.command("/ticket", "list", user=STAFF, channel=TRIAGE)
    listing = (await app.slack.wait_for(
        lambda: app.slack.calls_to("chat.postEphemeral")[before:]))[0].args["text"]
    assert listing.count("\n") == 25 and "…and 5 more" in listing


async def test_a_reopened_ticket_says_who_reopened_it_and_keeps_the_old_resolution(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Player", "Low", "Blank.")
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    await submit_modal(app, post, "Resolve", "Resolution", "Cleared the CDN cache.")
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    notice = (await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(CLIENT_CHANNEL, client_post.ts) if "is resolved" in m.text]))
    await click(app, notice[0], "Reopen", user=EXTERNAL)
    await app.slack.wait_for(lambda: (text_of(post).find("Reopened") != -1))
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).status is Status.CLAIMED
    assert f"*Reopened* by <@{EXTERNAL}>" in text_of(post)
    assert "*Previous resolution:* Cleared the CDN cache." in text_of(post)


async def test_a_line_separator_in_a_title_still_gets_the_breach_emailed(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    number = await open_ticket(app, "Login\u2028fails", "Critical", "Para\u2029graph")
    stored = await ticket(app.runtime, number)
    assert stored.title == "Login fails" and stored.description == "Para\ngraph"
    await advance(app.runtime, 41)
    await app.slack.wait_for(lambda: smtp_sink.messages, timeout=5)
    assert "T-1001 Critical" in smtp_sink.messages[0]["Subject"]
    assert "Login fails" in smtp_sink.messages[0]["Subject"]
    assert app.slack.calls_to("chat.postMessage", channel=LEAD)


async def test_a_slack_clock_ahead_of_ours_changes_nothing(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "CMS", "Critical", "Down.")
    post = await triage_post(app, number)
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    ahead = f"{time.time() + 30:.6f}"  # Slack stamps the reply 30 s in our future
    await app.client.event({"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF,
                            "text": "Looking", "ts": ahead, "thread_ts": client_post.ts},
                           event_id="EvAhead1")
    responded = (await ticket(app.runtime, number)).first_response_at
    assert responded is not None and responded <= app.runtime.clock.now()
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: "Post update to client" in buttons(post))
    await submit_modal(app, post, "Post update to client", "Update", "Deploying a fix now.",
                       view_id="V0AHEAD001")
    await app.slack.wait_for(lambda: [m for m in app.slack.posts(CLIENT_CHANNEL, client_post.ts)
                                      if "Deploying a fix now." in m.text])


@pytest.mark.parametrize("settings_extra", [{"intake_limit": 2}])
async def test_one_reporter_cannot_flood_the_desk(app: RunningApp) -> None:
    await open_ticket(app, "One", "Low", "d", user=CLIENT_USER, view_id="V0FLOOD001")
    await open_ticket(app, "Two", "Low", "d", user=CLIENT_USER, view_id="V0FLOOD002")
    view = await open_modal(app, user=CLIENT_USER)
    status, body = await submit(app, view, title="Three", severity="Low", description="d",
                                user=CLIENT_USER, view_id="V0FLOOD003")
    assert status == 200 and body and body["response_action"] == "errors"
    assert "opened 2 tickets in the last hour" in body["errors"]["title"]
    assert await app.runtime.store.get(1003) is None
    await advance(app.runtime, 3600)
    await open_ticket(app, "Next hour", "Low", "d", user=CLIENT_USER, view_id="V0FLOOD004")


@pytest.mark.parametrize(("title", "description", "update"), [
    ("\x00\x07\x1b", "\x08\x7f", "\x00\x07\x1b"),
    ("\u200b\ufeff\u2060", "\u200b" * 50 + "\n\u200c\u3164", "\u200b\u200d"),
], ids=["control characters", "invisible characters"])
async def test_text_that_shows_nothing_is_refused_as_empty(
        app: RunningApp, title: str, description: str, update: str) -> None:
    # Nothing of it survives cleaning at intake, or nothing of it shows: an empty title, an
    # empty update.
    await register_client(app.runtime)
    view = await open_modal(app)
    status, body = await submit(app, view, title=title, severity="High",
                                description=description)
    assert status == 200 and body is not None and body["response_action"] == "errors"
    assert body["errors"] == {"title": "Give the ticket a title.",
                              "description": "Describe the problem: what happens, and since when."}
    number = await open_ticket(app, "Slow", "Low", "Very slow.")
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: "Post update to client" in buttons(post))
    body = await submit_modal(app, post, "Post update to client", "Update", update)
    assert body is not None and body["response_action"] == "errors"
    assert list(body["errors"].values()) == ["Write the update for the client."]


async def test_resolutions_updates_and_comments_reach_slack_without_control_characters(
        app: RunningApp) -> None:
    # Invisible only: refused as empty. What shows is taken, without its control characters.
    await register_client(app.runtime)
    post = await triage_post(app, await open_ticket(app, "Slow", "Low", "Very slow."))
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: "Post update to client" in buttons(post))
    body = await submit_modal(app, post, "Resolve", "Resolution", "\u2060 \ufeff",
                              view_id="V0SHOWN001")
    assert body is not None and list(body["errors"].values()) == [
        "Tell the client how it was solved."]
    await submit_modal(app, post, "Post update to client", "Update", "Deploying\x01 now\x7f",
                       view_id="V0SHOWN002")
    await submit_modal(app, post, "Resolve", "Resolution", "Fixed\x01 the\x1b cache.",
                       view_id="V0SHOWN003")
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    notice = (await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(CLIENT_CHANNEL, client_post.ts) if "is resolved" in m.text]))[0]
    await click(app, notice, "4", user=EXTERNAL)
    await app.slack.wait_for(lambda: "CSAT 4/5" in text_of(post))
    body = await submit_modal(app, notice, "Add a comment", "Your comment", "\u200b\u180e",
                              user=EXTERNAL, view_id="V0SHOWN004")
    assert body is not None and list(body["errors"].values()) == ["Write your comment."]
    await submit_modal(app, notice, "Add a comment", "Your comment", "Quick\x01 fix.",
                       user=EXTERNAL, view_id="V0SHOWN005")
    await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE, post.ts)
                                      if "commented" in m.text])
    await drained(app.runtime)
    said = json.dumps([[m.text, m.blocks] for m in app.slack.posts(CLIENT_CHANNEL, client_post.ts)
                       + app.slack.posts(TRIAGE, post.ts) + [post]])
    assert "Deploying now" in said and "Fixed the cache." in said and "Quick fix." in said
    assert not any(c in said for c in ("\\u0001", "\\u001b", "\\u007f"))
