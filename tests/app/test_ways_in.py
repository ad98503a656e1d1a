"""More ways in (a :ticket: reaction, the message shortcut) and /ticket list."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.standin import SlackStandIn
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import buttons, open_modal, open_ticket, submit, text_of, triage_post
from tests.support.slackreq import shortcut, values_by_label
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, EXTERNAL, GUEST, STAFF, TRIAGE

OTHER_CLIENT = "C0GLOBEX01"


async def register(app: RunningApp) -> None:
    app.slack.add_channel(OTHER_CLIENT, "globex-support")
    await register_client(app.runtime, channel=CLIENT_CHANNEL, name="Acme")
    await register_client(app.runtime, channel=OTHER_CLIENT, name="Globex")


async def react(app: RunningApp, user: str, channel: str, ts: str, reaction: str = "ticket",
                event_id: str = "EvReact001") -> None:
    response = await app.client.event({
        "type": "reaction_added", "user": user, "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": CLIENT_USER,
        "event_ts": "1.1"}, event_id=event_id)
    assert response.status == 200


def prompts(slack: SlackStandIn, channel: str, ts: str) -> list[Any]:
    return [m for m in slack.posts(channel) if m.thread_ts == ts
            and "Open a ticket" in json.dumps(m.blocks)]


async def test_a_ticket_reaction_offers_a_prefilled_button_once(app: RunningApp) -> None:
    await register(app)
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER,
                               "Videos stopped playing\nSince 9:00 every video is black.")
    await react(app, EXTERNAL, CLIENT_CHANNEL, ts)
    await react(app, CLIENT_USER, CLIENT_CHANNEL, ts, event_id="EvReact002")
    prompt = (await app.slack.wait_for(lambda: prompts(app.slack, CLIENT_CHANNEL, ts)))[0]
    await drained(app.runtime)
    assert len(prompts(app.slack, CLIENT_CHANNEL, ts)) == 1

    button = buttons(prompt)["Open a ticket"]
    status, _ = await app.client.click(button["action_id"], button["value"], user=EXTERNAL,
                                       channel=CLIENT_CHANNEL, team="T0OTHER001")
    assert status == 200
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    fields = {b["label"]["text"]: b["element"].get("initial_value") for b in view["blocks"]
              if b["type"] == "input"}
    assert fields["Title"] == "Videos stopped playing"
    assert "every video is black" in fields["Description"]
    # The external member submits it, from their own organisation.
    values = values_by_label(view, {"Title": fields["Title"], "Severity": "Critical",
                                    "Description": fields["Description"]})
    status, body = await app.client.submit(view, values, user=EXTERNAL, team="T0OTHER001")
    assert status == 200 and body is not None and body["response_action"] == "update"
    triage = await triage_post(app, 1001)
    assert "Opened from" in text_of(triage)
    assert f"archives/{CLIENT_CHANNEL}/p{ts.replace('.', '')}" in text_of(triage)
    stored = await ticket(app.runtime, 1001)
    assert stored.reporter == EXTERNAL and stored.title == "Videos stopped playing"
    assert stored.source_link is not None and stored.source_link.endswith(
        f"p{ts.replace('.', '')}")


async def test_other_reactions_and_unregistered_channels_are_ignored(app: RunningApp) -> None:
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "hello")
    await react(app, CLIENT_USER, CLIENT_CHANNEL, ts)  # not a client channel yet
    await register(app)
    await react(app, CLIENT_USER, CLIENT_CHANNEL, ts, reaction="eyes", event_id="EvReact003")
    await drained(app.runtime)
    assert prompts(app.slack, CLIENT_CHANNEL, ts) == []
    # Now registered, a :ticket: on the same message is answered: the ignored one did not
    # use up the message's one prompt.
    await react(app, CLIENT_USER, CLIENT_CHANNEL, ts, event_id="EvReact004")
    await app.slack.wait_for(lambda: prompts(app.slack, CLIENT_CHANNEL, ts))


async def test_a_reaction_on_a_thread_reply_answers_in_that_thread(app: RunningApp) -> None:
    await register(app)
    parent = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Question")
    reply = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Uploads fail", thread_ts=parent)
    await react(app, CLIENT_USER, CLIENT_CHANNEL, reply)
    await app.slack.wait_for(lambda: prompts(app.slack, CLIENT_CHANNEL, parent))


async def test_the_shortcut_opens_a_ticket_on_behalf_of_the_author(app: RunningApp) -> None:
    await register(app)
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "The CMS logs us out every minute")
    status, _ = await app.client.interaction(shortcut(ts, "The CMS logs us out every minute",
                                                      STAFF))
    assert status == 200
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    description = next(b["element"]["initial_value"] for b in view["blocks"]
                       if b.get("label", {}).get("text") == "Description")
    assert description == "The CMS logs us out every minute"
    status, body = await submit(app, view, title="CMS logouts", severity="High",
                                description=description, user=STAFF)
    assert body is not None and body["response_action"] == "update"
    triage = await triage_post(app, 1001)
    assert f"<@{CLIENT_USER}>" in text_of(triage) and "Opened from" in text_of(triage)
    stored = await ticket(app.runtime, 1001)
    assert stored.reporter == CLIENT_USER and stored.title == "CMS logouts"
    assert stored.source_link is not None
    assert stored.source_link.endswith(f"p{ts.replace('.', '')}")


async def test_a_guest_cannot_open_a_ticket_for_someone_else(app: RunningApp) -> None:
    await register(app)
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Broken")
    await app.client.interaction(shortcut(ts, "Broken", GUEST))
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    _, body = await submit(app, view, title="x", severity="Low", description="Broken",
                           user=GUEST)
    assert body is not None and body["response_action"] == "errors"
    assert "Only the support team" in body["errors"]["title"]
    assert await app.runtime.store.get(1001) is None
    await drained(app.runtime)
    assert app.slack.posts(TRIAGE) == []


async def listing(app: RunningApp, text: str, user: str, channel: str) -> str:
    before = len(app.slack.calls_to("chat.postEphemeral"))
    await app.client.command("/ticket", text, user=user, channel=channel)
    calls = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral")[before:])
    assert calls[0].args["user"] == user and calls[0].args["channel"] == channel
    return str(calls[0].args["text"])


async def test_ticket_list_shows_a_client_only_its_own_tickets(app: RunningApp) -> None:
    await register(app)
    await open_ticket(app, "Acme low", "Low", "d")                     # T-1001, Acme
    await open_ticket(app, "Globex critical", "Critical", "d", channel=OTHER_CLIENT)  # T-1002
    await open_ticket(app, "Acme critical", "Critical", "d")           # T-1003, Acme
    acme = await listing(app, "list", GUEST, CLIENT_CHANNEL)
    assert "T-1001" in acme and "T-1003" in acme and "T-1002" not in acme
    assert "left" in acme and "open" in acme
    one = await listing(app, "T-1003", CLIENT_USER, CLIENT_CHANNEL)
    assert "T-1003" in one and "Acme critical" in one
    refused = await listing(app, "t-1002", CLIENT_USER, CLIENT_CHANNEL)
    assert "T-1002 is not a ticket of this channel" in refused and "Globex" not in refused


async def test_staff_in_triage_see_all_open_tickets_most_urgent_first(app: RunningApp) -> None:
    await register(app)
    await open_ticket(app, "Acme low", "Low", "d")
    await open_ticket(app, "Globex critical", "Critical", "d", channel=OTHER_CLIENT)
    await open_ticket(app, "Acme high", "High", "d")
    text = await listing(app, "list", STAFF, TRIAGE)
    order = [line.split("*")[1] for line in text.splitlines()]
    assert order == ["T-1002", "T-1003", "T-1001"]
    refused = await listing(app, "list", GUEST, TRIAGE)
    assert "Only the support team" in refused


async def test_the_shortcut_answers_at_once_and_opens_the_form_while_auth_test_fails(
        app: RunningApp) -> None:
    # The message's permalink needs the workspace's URL (auth.test), which Slack refuses
    # just now: the form opens all the same, without the link, and Slack has its answer.
    await open_modal(app)  # Bolt has checked its token: the app is serving
    app.slack.fail("auth.test", status=500, times=50)
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "The CMS logs us out")
    status, _ = await app.client.interaction(shortcut(ts, "The CMS logs us out", STAFF))
    assert status == 200
    opened = await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[1:])
    view = opened[0].args["view"]
    description = next(b["element"]["initial_value"] for b in view["blocks"]
                       if b.get("label", {}).get("text") == "Description")
    assert description == "The CMS logs us out"


async def test_a_message_with_angle_brackets_and_ampersands_prefills_what_its_author_wrote(
        app: RunningApp) -> None:
    # Slack sends a message's text with &, < and > as entities; the form shows what the
    # client wrote, not "&lt;", and the ticket keeps it so.
    await register(app)
    wrote = "Fails when qty < 5 && price > 3, see <x> & <!channel>"
    sent = "Fails when qty &lt; 5 &amp;&amp; price &gt; 3, see &lt;x&gt; &amp; &lt;!channel&gt;"
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, sent)
    await app.client.interaction(shortcut(ts, sent, STAFF))
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")))[0].args["view"]
    description = next(b["element"]["initial_value"] for b in view["blocks"]
                       if b.get("label", {}).get("text") == "Description")
    assert description == wrote
    before = len(app.slack.calls_to("views.open"))
    await react(app, CLIENT_USER, CLIENT_CHANNEL, ts)
    prompt = (await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(CLIENT_CHANNEL, ts) if "Open a ticket" in json.dumps(m.blocks)
    ]))[0]
    button = buttons(prompt)["Open a ticket"]
    await app.client.click(button["action_id"], button["value"], user=CLIENT_USER,
                           channel=CLIENT_CHANNEL)
    modal = (await app.slack.wait_for(
        lambda: app.slack.calls_to("views.open")[before:]))[0].args["view"]
    fields = {b["label"]["text"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert fields["Description"]["initial_value"] == wrote
    assert fields["Title"]["initial_value"] == wrote
