"""Gaps of the end-to-end suite: escaping in everything the desk sends, the staff rule on
every staff action (``SUPPORT_TEAM``, deleted users, Slackbot, Slack Connect members),
``WARN_AT``, the ``REOPEN_DAYS`` boundary, an update as the first response, and a breach
with the head of support's DM or email not configured.

Plan targets are seconds here (Critical 40 s: the warning at 30 s, the breach at 40 s) and
the desk's clock is moved forward (``advance``) instead of waiting.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, cast

import pytest

from bot.domain.tickets import Severity, Status
from bot.sandbox.standin import TEAM_ID, Call, Message, SlackStandIn
from tests.support.desk import RunningApp, advance, drained, register_client, ticket
from tests.support.flows import buttons, client_thread, open_ticket, text_of, triage_post
from tests.support.servers import SmtpSink
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)

ENGINEERING = "C0ENGINE01"
OTHER_ORG = "T0OTHER001"
DELETED = "U0GONE0001"
SLACKBOT = "USLACKBOT"
PLANS = {"standard": {"critical": 40, "high": 60, "medium": 80, "low": 120}}
WARNING_AT, BREACH_AT = 30, 40
DAY = 86_400

_ids = itertools.count(1)


@pytest.fixture
def settings_extra(request: pytest.FixtureRequest, smtp_sink: SmtpSink) -> dict[str, Any]:
    """Seconds plans, the SMTP sink, an engineering channel; a test's indirect parameter
    overrides any of them (``None``: the setting is unset)."""
    base: dict[str, Any] = {
        "plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}",
        "email_from": "desk@vendor.example", "engineering_channel": ENGINEERING}
    override = cast(dict[str, Any], getattr(request, "param", {}))
    return {**base, **override}


@pytest.fixture(autouse=True)
def people_and_channels(slack: SlackStandIn) -> None:
    slack.add_channel(ENGINEERING, "engineering")
    slack.add_user(DELETED, deleted=True)
    # Slackbot, as users.info describes it: a member of the workspace, not flagged a bot.
    slack.add_user(SLACKBOT, name="slackbot")


# -- what people see --------------------------------------------------------------------

def inert(text: str) -> str:
    """User text as it must arrive in Slack mrkdwn: &, < and > escaped, once."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


LIVE = ("<!channel>", "<!here>", "<@U0STAFF001>", "<https://evil.example")
"""What would ping everyone, ping a person or make a link, were it left live."""


def assert_inert(text: str, *user_texts: str) -> None:
    for live in LIVE:
        assert live not in text, f"{live!r} is live in: {text!r}"
    for user_text in user_texts:
        assert inert(user_text) in text, f"{inert(user_text)!r} not in: {text!r}"
    assert "&amp;lt;" not in text and "&amp;gt;" not in text and "&amp;amp;" not in text, text


def dm_texts(app: RunningApp, user: str) -> list[str]:
    return [str(c.args.get("text", "")) for c in
            app.slack.calls_to("chat.postMessage", channel=user)]


def replies(app: RunningApp, channel: str, ts: str) -> list[Message]:
    return sorted(app.slack.posts(channel, ts), key=lambda m: m.ts)


def ephemerals(app: RunningApp) -> list[Call]:
    return app.slack.calls_to("chat.postEphemeral")


def sla_alerts(app: RunningApp, post: Message) -> list[str]:
    """Every initial-response warning or breach a person would see."""
    dms = [t for user in (AM, LEAD, STAFF, STAFF_2) for t in dm_texts(app, user)
           if "No response yet" in t or "SLA breached" in t]
    notes = [m.text for m in replies(app, TRIAGE, post.ts)
             if "No response yet" in m.text or "breached" in m.text]
    flag = ["BREACHED"] if "BREACHED" in text_of(post) else []
    return dms + notes + flag


# -- what people do -----------------------------------------------------------------------

def button(message: Message, label: str) -> dict[str, Any]:
    element = buttons(message)[label]
    return {"action_id": element["action_id"], "block_id": "b", "value": element["value"],
            "type": "button", "action_ts": f"{time.time():.6f}"}


def severity_option(message: Message, label: str) -> dict[str, Any]:
    menu = next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                if e["type"] == "static_select")
    option = next(o for o in menu["options"] if o["text"]["text"] == label)
    return {"action_id": menu["action_id"], "block_id": "b", "type": "static_select",
            "selected_option": option, "action_ts": f"{time.time():.6f}"}


def user_of(user: str, user_team: str | None) -> dict[str, Any]:
    who: dict[str, Any] = {"id": user, "username": user.lower()}
    if user_team is not None:
        who["team_id"] = user_team
    return who


async def act(app: RunningApp, message: Message, action: dict[str, Any], *, user: str,
              team: str = TEAM_ID, user_team: str | None = TEAM_ID) -> None:
    """A click on ``message`` as Slack sends it: ``team`` is the payload's team (in a
    shared channel, the host's), ``user_team`` the clicker's own (None: not given)."""
    status, _ = await app.client.interaction({
        "type": "block_actions", "team": {"id": team, "domain": "desk-test"},
        "user": user_of(user, user_team), "api_app_id": "A0APP00001",
        "trigger_id": f"{next(_ids)}.trigger", "channel": {"id": message.channel, "name": "x"},
        "container": {"type": "message", "message_ts": message.ts,
                      "channel_id": message.channel},
        "message": {"ts": message.ts, "text": message.text, "type": "message"},
        "actions": [action], "response_url": "https://hooks.example/actions/1"})
    assert status == 200


async def press(app: RunningApp, post: Message, label: str, user: str = STAFF) -> None:
    """A click that changes the ticket: wait for the triage post to show it."""
    updates = post.updates
    await act(app, post, button(post, label), user=user)
    await app.slack.wait_for(lambda: post.updates > updates)


async def refused(app: RunningApp, message: Message, action: dict[str, Any], *, user: str,
                  team: str = TEAM_ID, user_team: str | None = TEAM_ID) -> str:
    """Click, and return the refusal shown to the clicker (and nobody else)."""
    before = len(ephemerals(app))
    await act(app, message, action, user=user, team=team, user_team=user_team)
    calls = await app.slack.wait_for(lambda: ephemerals(app)[before:])
    assert len(calls) == 1
    assert calls[0].args["user"] == user and calls[0].args["channel"] == message.channel
    return str(calls[0].args["text"])


async def modal(app: RunningApp, post: Message, label: str, field: str, text: str, *,
                user: str, team: str = TEAM_ID, user_team: str | None = TEAM_ID
                ) -> dict[str, Any] | None:
    """Open the modal behind ``label`` and submit ``text`` in its ``field``; Slack's answer."""
    before = len(app.slack.calls_to("views.open"))
    await act(app, post, button(post, label), user=user, team=team, user_team=user_team)
    call = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[before:]))[0]
    view = call.args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    block = next(b for b in view["blocks"] if b["type"] == "input"
                 and b["label"]["text"] == field)
    values = {block["block_id"]: {block["element"]["action_id"]: {
        "type": "plain_text_input", "value": text}}}
    submitted = {**view, "id": f"V0MODAL{next(_ids):04d}", "team_id": team,
                 "state": {"values": values}, "hash": "1.h", "app_id": "A0APP00001",
                 "bot_id": "B0BOT00001"}
    status, body = await app.client.interaction({
        "type": "view_submission", "team": {"id": team, "domain": "desk-test"},
        "user": user_of(user, user_team), "api_app_id": "A0APP00001",
        "trigger_id": f"{next(_ids)}.trigger", "view": submitted})
    assert status == 200
    return body


async def reply(app: RunningApp, user: str, thread_ts: str, **extra: Any) -> str:
    """Someone writes in the ticket's client thread; the message's ts."""
    ts = f"{time.time():.6f}"
    response = await app.client.event(
        {"type": "message", "channel": CLIENT_CHANNEL, "user": user, "text": "Looking into it",
         "ts": ts, "thread_ts": thread_ts, **extra}, event_id=f"EvCov{next(_ids):06d}")
    assert response.status == 200
    return ts


async def listing(app: RunningApp, user: str, channel: str, text: str = "list") -> str:
    before = len(ephemerals(app))
    response = await app.client.command("/ticket", text, user=user, channel=channel)
    assert response.status == 200
    calls = await app.slack.wait_for(lambda: ephemerals(app)[before:])
    assert calls[0].args["user"] == user and calls[0].args["channel"] == channel
    return str(calls[0].args["text"])


@dataclass(frozen=True)
class Seen:
    """Everything about a ticket that someone could notice change."""

    status: Status
    assignee: str | None
    severity: Severity
    status_changes: int
    severity_changes: int
    first_response_at: float | None
    resolution: str | None
    triage: str
    triage_updates: int
    client_thread: tuple[str, ...]
    engineering: tuple[str, ...]
    relayed: int


async def seen(app: RunningApp, number: int) -> Seen:
    await drained(app.runtime)
    stored = await ticket(app.runtime, number)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    return Seen(
        stored.status, stored.assignee, stored.severity, len(stored.status_changes),
        len(stored.severity_changes), stored.first_response_at, stored.resolution,
        text_of(post), post.updates,
        tuple(m.text for m in replies(app, CLIENT_CHANNEL, thread.ts)),
        tuple(m.text for m in app.slack.posts(ENGINEERING)),
        len([c for c in app.slack.calls_to("chat.postMessage") if c.args.get("username")]))


# -- 1. user text arrives inert everywhere -------------------------------------------------

TITLE = "Pay <!channel> <@U0STAFF001> <https://evil.example|click> & co\r\nBcc: x@y.example"
DESCRIPTION = "Tell <!channel> and <@U0STAFF001>: see <https://evil.example|click> & hurry."
CLIENT_NAME = "Acme <!here> & Sons"
SHOWN_TITLE = " ".join(TITLE.split())
"""A title is one line: its line break is a space wherever it is shown."""


async def evil_ticket(app: RunningApp) -> tuple[int, Message, Message]:
    """A Critical ticket whose client name, title and description try to ping and link;
    opened by the client's member and claimed by STAFF_2 (so that a live ``<@U0STAFF001>``
    could only come from the user text)."""
    await register_client(app.runtime, name=CLIENT_NAME)
    number = await open_ticket(app, TITLE, "Critical", DESCRIPTION, user=CLIENT_USER)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    await press(app, post, "Claim", user=STAFF_2)
    return number, post, thread


async def test_user_text_is_inert_in_posts_dms_listings_and_the_breach_email(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    number, post, thread = await evil_ticket(app)
    assert_inert(text_of(thread), SHOWN_TITLE, DESCRIPTION)
    welcome = next(m for m in app.slack.posts(CLIENT_CHANNEL) if "Welcome" in m.text)
    assert_inert(text_of(welcome), CLIENT_NAME)

    await press(app, post, "Send to engineering", user=STAFF_2)
    handoff = (await app.slack.wait_for(lambda: app.slack.posts(ENGINEERING)))[0]
    assert_inert(text_of(handoff), CLIENT_NAME, SHOWN_TITLE, DESCRIPTION)

    assert_inert(await listing(app, CLIENT_USER, CLIENT_CHANNEL), SHOWN_TITLE)
    assert_inert(await listing(app, CLIENT_USER, CLIENT_CHANNEL, f"T-{number}"), SHOWN_TITLE)
    assert_inert(await listing(app, STAFF, TRIAGE), SHOWN_TITLE)

    await advance(app.runtime, WARNING_AT)
    await app.slack.wait_for(lambda: dm_texts(app, AM) and dm_texts(app, STAFF_2))
    for text in (dm_texts(app, AM)[0], dm_texts(app, STAFF_2)[0]):
        assert "No response yet" in text
        assert_inert(text, CLIENT_NAME, SHOWN_TITLE)

    await advance(app.runtime, BREACH_AT - WARNING_AT)
    breach = (await app.slack.wait_for(lambda: dm_texts(app, LEAD)))[0]
    assert "SLA breached" in breach
    assert_inert(breach, CLIENT_NAME, SHOWN_TITLE)
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    assert_inert(text_of(post), CLIENT_NAME, SHOWN_TITLE, DESCRIPTION)
    for note in replies(app, TRIAGE, post.ts):
        assert_inert(note.text)

    # The email is plain text: the user's words as written, and no header of their making.
    mail = (await app.slack.wait_for(lambda: smtp_sink.messages))[0]
    subject = str(mail["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert SHOWN_TITLE in subject and CLIENT_NAME in subject
    assert "&lt;" not in subject and "&amp;" not in subject
    assert mail["Bcc"] is None and "x@y.example" not in str(mail["To"])
    assert {k.lower() for k in mail} <= {"from", "to", "subject", "message-id", "date",
                                         "mime-version", "content-type",
                                         "content-transfer-encoding"}
    assert smtp_sink.sessions == 1  # one recipient asked for: lead@vendor.example
    body = mail.get_content()
    assert SHOWN_TITLE in body and CLIENT_NAME in body
    assert "&lt;" not in body and "&gt;" not in body and "&amp;" not in body


async def test_updates_and_resolutions_are_inert_in_the_client_thread(app: RunningApp) -> None:
    number, post, thread = await evil_ticket(app)
    update = "Heads up <!channel>: <@U0STAFF001> deployed <https://evil.example|the fix> & more"
    body = await modal(app, post, "Post update to client", "Update", update, user=STAFF_2)
    assert body is None or "errors" not in body
    relayed = (await app.slack.wait_for(lambda: [
        m for m in replies(app, CLIENT_CHANNEL, thread.ts) if "deployed" in m.text]))[0]
    assert_inert(text_of(relayed), update)

    resolution = "Closed for <!here> by <@U0STAFF001>; notes at <https://evil.example|x> & y"
    body = await modal(app, post, "Resolve", "Resolution", resolution, user=STAFF_2)
    assert body is None or "errors" not in body
    resolved = (await app.slack.wait_for(lambda: [
        m for m in replies(app, CLIENT_CHANNEL, thread.ts) if "is resolved" in m.text]))[0]
    assert_inert(text_of(resolved), resolution)
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    assert_inert(text_of(post), CLIENT_NAME, SHOWN_TITLE, DESCRIPTION, resolution)
    await drained(app.runtime)
    for message in [*app.slack.posts(CLIENT_CHANNEL), *app.slack.posts(TRIAGE)]:
        assert_inert(text_of(message))
    assert (await ticket(app.runtime, number)).status is Status.RESOLVED


# -- 2. SUPPORT_TEAM narrows every staff action ---------------------------------------------

@pytest.mark.parametrize("settings_extra", [{"support_team": f"{STAFF},{LEAD}"}],
                         indirect=True)
async def test_support_team_list_narrows_every_staff_action(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Uploads fail", "High", "At 99%.", user=CLIENT_USER)
    post = await triage_post(app, number)
    await press(app, post, "Claim", user=STAFF)
    before = await seen(app, number)

    # STAFF_2 is a member of the workspace, but not in SUPPORT_TEAM.
    for label in ("Waiting on client", "Send to engineering"):
        text = await refused(app, post, button(post, label), user=STAFF_2)
        assert "Only the support team" in text, label
    text = await refused(app, post, severity_option(post, "Critical"), user=STAFF_2)
    assert "Only the support team" in text
    answer = await modal(app, post, "Post update to client", "Update", "Hello", user=STAFF_2)
    assert answer is not None and answer["response_action"] == "errors"
    assert "Only the support team" in answer["errors"]["update"]
    answer = await modal(app, post, "Resolve", "Resolution", "Done", user=STAFF_2)
    assert answer is not None and answer["response_action"] == "errors"
    assert "Only the support team" in answer["errors"]["resolution"]
    assert "Only the support team" in await listing(app, STAFF_2, TRIAGE)
    assert await seen(app, number) == before

    await press(app, post, "Waiting on client", user=STAFF)
    before = await seen(app, number)
    text = await refused(app, post, button(post, "Back to support"), user=STAFF_2)
    assert "Only the support team" in text
    assert await seen(app, number) == before

    # The second one listed is staff: the list is a list, not its first ID.
    updates = post.updates
    await act(app, post, severity_option(post, "Critical"), user=LEAD)
    await app.slack.wait_for(lambda: post.updates > updates)
    assert (await ticket(app.runtime, number)).severity is Severity.CRITICAL

    answer = await modal(app, post, "Resolve", "Resolution", "Fixed.", user=STAFF)
    assert answer is None or "errors" not in answer
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    before = await seen(app, number)
    text = await refused(app, post, button(post, "Reopen"), user=STAFF_2)
    assert "Only the client or the support team" in text
    assert await seen(app, number) == before
    assert before.status is Status.RESOLVED and app.slack.posts(ENGINEERING) == []


# -- 3. deleted users and Slackbot are not staff ------------------------------------------

@pytest.mark.parametrize("user", [DELETED, SLACKBOT])
async def test_deleted_users_and_slackbot_cannot_act_or_respond(app: RunningApp,
                                                                 user: str) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Player blank", "Critical", "Black screen.",
                               user=CLIENT_USER)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    before = await seen(app, number)
    assert "Only the support team" in await refused(app, post, button(post, "Claim"), user=user)
    assert await seen(app, number) == before

    await press(app, post, "Claim", user=STAFF)
    before = await seen(app, number)
    for label in ("Waiting on client", "Send to engineering"):
        assert "Only the support team" in await refused(app, post, button(post, label),
                                                        user=user), label
    assert "Only the support team" in await refused(app, post, severity_option(post, "Low"),
                                                    user=user)
    for label, field in (("Post update to client", "Update"), ("Resolve", "Resolution")):
        answer = await modal(app, post, label, field, "All good now.", user=user)
        assert answer is not None and answer["response_action"] == "errors", label
        assert "Only the support team" in next(iter(answer["errors"].values()))
    # Their message in the client thread is not the response: the clock runs on.
    await reply(app, user, thread.ts)
    assert await seen(app, number) == before
    assert (await ticket(app.runtime, number)).first_response_at is None
    await advance(app.runtime, WARNING_AT)
    warning = (await app.slack.wait_for(lambda: dm_texts(app, AM)))[0]
    assert "No response yet" in warning
    assert "responded" not in text_of(post)


# -- 4. a Slack Connect member is not staff, whatever team the payload names ------------------

@pytest.mark.parametrize("user_team", [OTHER_ORG, None], ids=["own-team", "no-user-team"])
async def test_an_external_member_acting_in_the_host_team_is_not_staff(
        app: RunningApp, user_team: str | None) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Checkout down", "Critical", "502s.", user=CLIENT_USER)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    # In a shared channel the payload's team is the host's; the user's own is another org.
    host, own = TEAM_ID, user_team
    before = await seen(app, number)
    text = await refused(app, post, button(post, "Claim"), user=EXTERNAL, team=host,
                         user_team=own)
    assert "Only the support team" in text
    assert await seen(app, number) == before

    await press(app, post, "Claim", user=STAFF)
    before = await seen(app, number)
    for action in (button(post, "Send to engineering"), severity_option(post, "Low")):
        text = await refused(app, post, action, user=EXTERNAL, team=host, user_team=own)
        assert "Only the support team" in text, action["action_id"]
    answer = await modal(app, post, "Post update to client", "Update", "Fixed.",
                         user=EXTERNAL, team=host, user_team=own)
    assert answer is not None and "Only the support team" in answer["errors"]["update"]
    answer = await modal(app, post, "Resolve", "Resolution", "Fixed.", user=EXTERNAL,
                         team=host, user_team=own)
    assert answer is not None and "Only the support team" in answer["errors"]["resolution"]
    assert "Only the support team" in await listing(app, EXTERNAL, TRIAGE)
    # Their reply, delivered to the host's app with the host as the source team.
    await reply(app, EXTERNAL, thread.ts, source_team=TEAM_ID)
    assert await seen(app, number) == before
    await advance(app.runtime, WARNING_AT)
    await app.slack.wait_for(lambda: dm_texts(app, AM))
    assert (await ticket(app.runtime, number)).first_response_at is None


# -- 5. WARN_AT ----------------------------------------------------------------------------

@pytest.mark.parametrize("settings_extra", [{
    "warn_at": 0.5, "plans": json.dumps({"standard": {"critical": 1200}})}], indirect=True)
async def test_the_warning_comes_at_warn_at_of_the_window(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Payments down", "Critical", "All fail.", user=CLIENT_USER)
    post = await triage_post(app, number)
    await advance(app.runtime, 590)  # just short of half the 20 min window
    await drained(app.runtime)
    assert dm_texts(app, AM) == [] and replies(app, TRIAGE, post.ts) == []
    await advance(app.runtime, 11)  # just past half: well before 75 % (15 min)
    warning = (await app.slack.wait_for(lambda: dm_texts(app, AM)))[0]
    assert "No response yet" in warning and "9 min left" in warning
    note = (await app.slack.wait_for(lambda: replies(app, TRIAGE, post.ts)))[0]
    assert "9 min left" in note.text
    # The deadline itself has not moved: the breach comes at 20 min, not before.
    await advance(app.runtime, 590)
    await drained(app.runtime)
    assert dm_texts(app, LEAD) == [] and "BREACHED" not in text_of(post)
    await advance(app.runtime, 10)
    await app.slack.wait_for(lambda: dm_texts(app, LEAD))
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    assert len(dm_texts(app, AM)) == 1


# -- 6. REOPEN_DAYS ------------------------------------------------------------------------

async def resolved_ticket(app: RunningApp) -> tuple[int, Message, Message, Message]:
    """A claimed ticket, resolved: its number, triage post, client thread, resolution."""
    await register_client(app.runtime)
    number = await open_ticket(app, "Exports empty", "High", "CSV has no rows.",
                               user=CLIENT_USER)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    await press(app, post, "Claim", user=STAFF)
    answer = await modal(app, post, "Resolve", "Resolution", "Fixed in 4.2.", user=STAFF)
    assert answer is None or "errors" not in answer
    resolution = (await app.slack.wait_for(lambda: [
        m for m in replies(app, CLIENT_CHANNEL, thread.ts) if "is resolved" in m.text]))[0]
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    return number, post, thread, resolution


@pytest.mark.parametrize("settings_extra", [{"reopen_days": 1}], indirect=True)
async def test_the_client_reopens_one_second_inside_reopen_days(app: RunningApp) -> None:
    number, post, thread, resolution = await resolved_ticket(app)
    assert "within 1 day" in text_of(resolution)
    await advance(app.runtime, DAY - 1)
    await act(app, resolution, button(resolution, "Reopen"), user=CLIENT_USER,
              team=OTHER_ORG, user_team=OTHER_ORG)
    await app.slack.wait_for(lambda: any("reopened" in m.text for m in
                                         replies(app, CLIENT_CHANNEL, thread.ts)))
    reopened = await ticket(app.runtime, number)
    assert reopened.status is Status.CLAIMED and reopened.assignee == STAFF
    assert reopened.resolution is None
    await app.slack.wait_for(lambda: "Reopen" not in buttons(post))
    assert "Resolve" in buttons(post)
    assert ephemerals(app) == []


@pytest.mark.parametrize("settings_extra", [{"reopen_days": 1}], indirect=True)
async def test_the_client_cannot_reopen_one_second_outside_reopen_days(
        app: RunningApp) -> None:
    number, post, _, resolution = await resolved_ticket(app)
    before = await seen(app, number)
    await advance(app.runtime, DAY + 1)
    text = await refused(app, resolution, button(resolution, "Reopen"), user=CLIENT_USER,
                         team=OTHER_ORG, user_team=OTHER_ORG)
    assert text == f"T-{number} was resolved too long ago to reopen; please open a new ticket."
    assert await seen(app, number) == before
    assert "Reopen" in buttons(post)


@pytest.mark.parametrize("settings_extra", [{"reopen_days": 1}], indirect=True)
async def test_staff_reopen_from_the_triage_post(app: RunningApp) -> None:
    number, post, thread, _ = await resolved_ticket(app)
    await advance(app.runtime, DAY - 1)
    before = await seen(app, number)
    # From the triage post, the client's side is not enough: a guest is refused.
    text = await refused(app, post, button(post, "Reopen"), user=GUEST)
    assert "Only the client or the support team" in text
    assert await seen(app, number) == before
    await press(app, post, "Reopen", user=STAFF_2)
    reopened = await ticket(app.runtime, number)
    assert reopened.status is Status.CLAIMED and reopened.assignee == STAFF
    assert reopened.status_changes[-1].by == STAFF_2
    assert "Reopen" not in buttons(post) and "Resolve" in buttons(post)
    notice = await app.slack.wait_for(lambda: [m for m in replies(app, CLIENT_CHANNEL, thread.ts)
                                               if "reopened" in m.text])
    assert f"<@{STAFF_2}>" in notice[0].text


# -- 7. an update to the client is the initial response ---------------------------------------

async def test_an_update_to_the_client_as_first_response_stops_the_clock(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Videos black", "Critical", "No playback.",
                               user=CLIENT_USER)
    post = await triage_post(app, number)
    thread = await client_thread(app, number)
    await press(app, post, "Claim", user=STAFF)
    answer = await modal(app, post, "Post update to client", "Update",
                         "We are restarting the players now.", user=STAFF)
    assert answer is None or "errors" not in answer
    await app.slack.wait_for(lambda: [m for m in replies(app, CLIENT_CHANNEL, thread.ts)
                                      if "restarting the players" in m.text])
    await app.slack.wait_for(lambda: "responded" in text_of(post))
    assert (await ticket(app.runtime, number)).first_response_at is not None
    await advance(app.runtime, BREACH_AT + 20)  # past the warning and the deadline
    await drained(app.runtime)
    assert sla_alerts(app, post) == []
    assert smtp_sink.messages == [] and smtp_sink.sessions == 0
    assert "respond" in await listing(app, CLIENT_USER, CLIENT_CHANNEL)  # "responded"
    assert "overdue" not in await listing(app, CLIENT_USER, CLIENT_CHANNEL)


# -- 8. a breach with part of the escalation not configured ----------------------------------

@pytest.mark.parametrize("settings_extra", [{"support_lead": None}, {"smtp_url": None}],
                         ids=["no-SUPPORT_LEAD", "no-SMTP_URL"], indirect=True)
async def test_a_breach_without_the_dm_or_the_email_still_sends_the_rest(
        app: RunningApp, smtp_sink: SmtpSink, settings_extra: dict[str, Any]) -> None:
    no_lead = settings_extra.get("support_lead", LEAD) is None
    await register_client(app.runtime)
    number = await open_ticket(app, "Login fails", "Critical", "Nobody can log in.",
                               user=CLIENT_USER)
    post = await triage_post(app, number)
    await drained(app.runtime)
    await advance(app.runtime, BREACH_AT)
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    note = await app.slack.wait_for(lambda: [m for m in replies(app, TRIAGE, post.ts)
                                             if "breached its response deadline" in m.text])
    assert f"T-{number}" in note[0].text
    if no_lead:
        mail = (await app.slack.wait_for(lambda: smtp_sink.messages))[0]
        assert mail["To"] == "lead@vendor.example" and f"T-{number}" in mail["Subject"]
    else:
        dm = (await app.slack.wait_for(lambda: dm_texts(app, LEAD)))[0]
        assert "SLA breached" in dm and f"T-{number}" in dm
    await advance(app.runtime, 60)
    await drained(app.runtime)
    breach_dms = [t for c in app.slack.calls_to("chat.postMessage")
                  if str(c.args["channel"]).startswith(("U", "D"))
                  for t in [str(c.args.get("text", ""))] if "SLA breached" in t]
    if no_lead:
        assert breach_dms == [] and len(smtp_sink.messages) == 1
    else:
        assert len(breach_dms) == 1 and smtp_sink.messages == [] and smtp_sink.sessions == 0
    # Nothing failed: no problem note in the triage thread, nothing dead-lettered.
    assert not [m for m in replies(app, TRIAGE, post.ts) if "Could not" in m.text]
    assert await app.runtime.queue.dead_letters() == {}
    assert len([m for m in replies(app, TRIAGE, post.ts) if "breached" in m.text]) == 1
