"""What a user does, step by step, through signed requests to the running app."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from bot.sandbox.records import APP_ID, TEAM_ID
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import BOT_USER, Message, SlackStandIn
from tests.support.slackreq import values_by_label
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, EXTERNAL, STAFF, STAFF_2, TRIAGE


class Driven(Protocol):
    """A running app as the flows see it: Slack's side of it (in-process or a real process)."""

    @property
    def slack(self) -> SlackStandIn: ...

    @property
    def client(self) -> SlackClientSide: ...


async def open_modal(app: Driven, text: str = "", *, user: str = STAFF,
                     channel: str = CLIENT_CHANNEL) -> dict[str, Any]:
    """Run ``/ticket text`` and return the modal the app opened."""
    before = len(app.slack.calls_to("views.open"))
    response = await app.client.command("/ticket", text, user=user, channel=channel)
    assert response.status == 200
    calls = await app.slack.wait_for(
        lambda: app.slack.calls_to("views.open")[before:], timeout=5)
    view: dict[str, Any] = calls[0].args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    return view


async def submit(app: Driven, view: dict[str, Any], *, title: str | None,
                 severity: str | None, description: str | None, user: str = STAFF,
                 view_id: str = "V0VIEW0001") -> tuple[int, dict[str, Any] | None]:
    values = values_by_label(view, {"Title": title, "Severity": severity,
                                    "Description": description})
    return await app.client.submit(view, values, user=user, view_id=view_id)


async def open_ticket(app: Driven, title: str = "Login fails", severity: str = "High",
                      description: str = "Nobody can log in since 9:00.", *,
                      user: str = STAFF, channel: str = CLIENT_CHANNEL,
                      view_id: str | None = None) -> int:
    """Open a ticket through /ticket and the modal; wait for its triage post; its number."""
    view = await open_modal(app, user=user, channel=channel)
    count = len(app.slack.calls_to("views.open"))
    status, body = await submit(app, view, title=title, severity=severity,
                                description=description, user=user,
                                view_id=view_id or f"V0VIEW{count:04d}")
    assert status == 200 and body and body.get("response_action") == "update", body
    key = body["view"]["blocks"][0]["text"]["text"].split("*")[1]
    number = int(key.removeprefix("T-"))
    await triage_post(app, number)
    return number


def find_post(app: Driven, channel: str, key: str) -> Message | None:
    return next((m for m in app.slack.posts(channel) if m.thread_ts is None
                 and m.text.find(key + " ") != -1), None)


async def triage_post(app: Driven, number: int) -> Message:
    key = f"T-{number}"
    message: Message = await app.slack.wait_for(lambda: find_post(app, TRIAGE, key))
    return message


async def client_thread(app: Driven, number: int) -> Message:
    """Ticket ``number``'s post in the client's channel, once it is there."""
    message: Message = await app.slack.wait_for(
        lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    return message


def dm_times(slack: SlackStandIn, user: str) -> list[float]:
    """When each direct message to ``user`` reached Slack (epoch seconds)."""
    return [c.at for c in slack.calls_to("chat.postMessage", channel=user)]


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    """The message's buttons by their visible text."""
    return {e["text"]["text"]: e for b in message.blocks if b["type"] == "actions"
            for e in b["elements"] if e["type"] == "button"}


def text_of(message: Message) -> str:
    parts = [message.text]
    for block in message.blocks:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def home_text(view: dict[str, Any]) -> str:
    """The text of an App Home view, block after block."""
    parts = []
    for block in view["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text["text"])
        parts += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


async def click(app: Driven, message: Message, button: str, *, user: str
                ) -> tuple[int, dict[str, Any] | None]:
    element = buttons(message)[button]
    return await app.client.click(element["action_id"], element.get("value", ""), user=user,
                                  channel=message.channel, message_ts=message.ts)


async def submit_modal(app: Driven, post: Message, button: str, label: str, text: str,
                       user: str = STAFF, view_id: str = "V0MODAL001"
                       ) -> dict[str, Any] | None:
    """Click ``button`` on ``post``, type ``text`` in the modal's ``label`` and send it;
    the app's answer."""
    before = len(app.slack.calls_to("views.open"))
    await click(app, post, button, user=user)
    call = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[before:]))[0]
    view = call.args["view"]
    status, body = await app.client.submit(view, values_by_label(view, {label: text}),
                                           user=user, view_id=view_id)
    assert status == 200
    return body


async def staff_reply(app: Driven, card: Message, event_id: str) -> int:
    """An engineer answers in the thread of the ticket's card, as Slack tells it; the
    status the app answered."""
    response = await app.client.event({
        "type": "message", "channel": card.channel, "user": STAFF_2, "text": "On it",
        "ts": f"{time.time():.6f}", "thread_ts": card.ts, "parent_user_id": BOT_USER},
        event_id=event_id)
    return response.status


async def prefilled_by_reaction(app: Driven, text: str, event_id: str
                                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A client's message of ``text``, a :ticket: reaction on it, and a click on the prompt's
    Open a ticket (by an external member): the button clicked, and the modal it opened."""
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, text)
    response = await app.client.event({
        "type": "reaction_added", "user": CLIENT_USER, "reaction": "ticket",
        "item": {"type": "message", "channel": CLIENT_CHANNEL, "ts": ts}}, event_id=event_id)
    assert response.status == 200
    prompt = (await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(CLIENT_CHANNEL, ts) if "Open a ticket" in json.dumps(m.blocks)
    ]))[0]
    button = buttons(prompt)["Open a ticket"]
    before = len(app.slack.calls_to("views.open"))
    await app.client.click(button["action_id"], button["value"], user=EXTERNAL,
                           channel=CLIENT_CHANNEL, team="T0OTHER001")
    view = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[before:]))[0]
    modal: dict[str, Any] = view.args["view"]
    return button, modal


async def client_writes(app: Driven, text: str, *, event_id: str, user: str = CLIENT_USER,
                        thread_ts: str | None = None, retry_num: int | None = None,
                        ts: str | None = None) -> str:
    """A client member writes in the client channel (at the top, or in ``thread_ts``'s
    thread), and Slack tells the app (``retry_num``: a redelivery of ``ts``'s event); the
    message's ts."""
    if ts is None:
        ts = app.slack.add_message(CLIENT_CHANNEL, user, text, thread_ts)
    event: dict[str, Any] = {"type": "message", "channel": CLIENT_CHANNEL, "user": user,
                             "text": text, "ts": ts, "user_team": "T0OTHER001",
                             "channel_type": "channel"}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    response = await app.client.event(event, event_id=event_id, retry_num=retry_num)
    assert response.status == 200
    return ts


def card_in_thread(app: Driven, ts: str) -> Message | None:
    """The bot's card in the thread of the client's message at ``ts``, if it is there."""
    return next((m for m in app.slack.posts(CLIENT_CHANNEL, ts)
                 if m.user == BOT_USER and "*Status:*" in text_of(m)), None)


def element(message: Message, action_id: str) -> tuple[str, dict[str, Any]]:
    """The element of ``message`` with ``action_id``, and its block's id."""
    return next((b.get("block_id", ""), e) for b in message.blocks if b["type"] == "actions"
                for e in b["elements"] if e.get("action_id") == action_id)


async def choose(app: Driven, message: Message, action_id: str, *, user: str,
                 selected_user: str | None = None, option: str | None = None,
                 team: str = TEAM_ID) -> tuple[int, dict[str, Any] | None]:
    """Choose in a menu of ``message``, as Slack sends it: a person in a user picker
    (``selected_user``), or the menu's option labelled ``option``; ``user`` of ``team``."""
    block_id, menu = element(message, action_id)
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id,
                              "type": menu["type"], "action_ts": f"{time.time():.6f}"}
    if selected_user is not None:
        action["selected_user"] = selected_user
    if option is not None:
        action["selected_option"] = next(o for o in menu["options"]
                                         if o["text"]["text"] == option)
    return await app.client.interaction({
        "type": "block_actions", "team": {"id": team, "domain": "desk-test"},
        "user": {"id": user, "username": user, "team_id": team},
        "api_app_id": APP_ID, "trigger_id": f"{time.time():.6f}.trigger",
        "channel": {"id": message.channel, "name": "x"},
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel},
        "message": {"ts": message.ts, "text": "", "type": "message"},
        "actions": [action], "response_url": "https://hooks.example/actions/1"})
