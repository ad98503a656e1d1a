"""Opening a ticket: /ticket and the Open a ticket button, the modal, validation, the posts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.domain.tickets import Severity, Status
from bot.sandbox.standin import TEAM_ID
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import buttons, find_post, open_modal, open_ticket, submit, text_of
from tests.support.slackreq import values_by_label
from tests.support.workspace import AM, CLIENT_CHANNEL, EXTERNAL, GUEST, STAFF, TRIAGE

OTHER_ORG = "T0OTHER001"
"""The external member's own organisation (a Slack Connect partner of the desk's)."""
PHONE = "+44 20 7946 0000"


async def test_ticket_command_opens_the_modal_with_the_labels_and_meanings(
        app: RunningApp) -> None:
    view = await open_modal(app, "Videos do not play")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["Title", "Severity", "Description"]
    title = view["blocks"][0]["element"]
    assert title["initial_value"] == "Videos do not play"
    options = view["blocks"][1]["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["Critical", "High", "Medium", "Low"]
    assert all(o["description"]["text"] for o in options)
    assert "login" in options[0]["description"]["text"]
    assert "how-to" in options[2]["description"]["text"]


async def test_views_open_is_the_first_call_after_the_command(app: RunningApp) -> None:
    app.slack.calls.clear()
    await open_modal(app)
    # Bolt asks auth.test once per process, on its first request; nothing else comes first.
    assert next(c.method for c in app.slack.calls if c.method != "auth.test") == "views.open"


async def test_opening_posts_the_client_thread_and_the_triage_post(app: RunningApp) -> None:
    await register_client(app.runtime, phone=PHONE)
    number = await open_ticket(app, "Checkout is down", "Critical", "Payments fail with 502.")
    assert number == 1001
    client_post = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None
    text = text_of(client_post)
    assert "Checkout is down" in text and "Critical" in text
    assert "<!date^" in text  # the deadline, in each reader's own timezone
    assert f"<@{AM}>" in text and PHONE in text  # Critical: the AM and phone
    triage = find_post(app, TRIAGE, "T-1001")
    assert triage is not None
    triage_text = text_of(triage)
    assert "Acme Media" in triage_text and f"<@{STAFF}>" in triage_text
    assert "Critical" in triage_text and "<!date^" in triage_text
    assert f"https://desk-test.slack.com/archives/{CLIENT_CHANNEL}/p" in triage_text
    assert "Claim" in buttons(triage)
    second = await open_ticket(app, "Typo on the invoice page", "Low", "Says 'Totla'.")
    assert second == 1002


async def test_non_critical_ticket_does_not_show_the_phone(app: RunningApp) -> None:
    await register_client(app.runtime, phone=PHONE)
    await open_ticket(app, "CMS slow", "Medium", "Saving takes 10 s.")
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    text = text_of(client_post)
    assert "CMS slow" in text
    assert PHONE not in text


async def test_unregistered_channel_still_opens_and_says_so(app: RunningApp) -> None:
    await open_ticket(app, "Uploads fail", "High", "Every upload stops at 99%.")
    triage = find_post(app, TRIAGE, "T-1001")
    assert triage is not None
    assert "unregistered" in text_of(triage)
    assert find_post(app, CLIENT_CHANNEL, "T-1001") is not None


async def test_the_stored_ticket_keeps_the_submission(app: RunningApp) -> None:
    await open_ticket(app, "Encoding stuck", "High", "Jobs queued for 2 hours.")
    stored = await ticket(app.runtime, 1001)
    assert stored.title == "Encoding stuck"
    assert stored.description == "Jobs queued for 2 hours."
    assert stored.severity is Severity.HIGH
    assert stored.reporter == STAFF
    assert stored.channel == CLIENT_CHANNEL
    assert stored.status is Status.OPEN and stored.assignee is None


async def test_validation_errors_are_shown_on_the_fields(app: RunningApp) -> None:
    view = await open_modal(app)
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"title": "", "severity": "High", "description": "x"}, "title"),
        ({"title": "x" * 151, "severity": "High", "description": "x"}, "title"),
        ({"title": "ok", "severity": None, "description": "x"}, "severity"),
        ({"title": "ok", "severity": "High", "description": "   "}, "description"),
        ({"title": "ok", "severity": "High", "description": "d" * 3001}, "description"),
    ]
    for answers, field in cases:
        status, body = await submit(app, view, title=answers["title"],
                                    severity=answers["severity"],
                                    description=answers["description"])
        assert status == 200
        assert body is not None and body["response_action"] == "errors", answers
        assert list(body["errors"]) == [field]
        assert body["errors"][field]
    await drained(app.runtime)
    assert app.slack.posts() == []
    assert await app.runtime.store.get(1001) is None


async def test_double_submit_of_one_modal_opens_one_ticket(app: RunningApp) -> None:
    view = await open_modal(app)
    values = values_by_label(view, {"Title": "Player blank", "Severity": "Critical",
                                    "Description": "Black screen."})
    results = await asyncio.gather(*(app.client.submit(view, values, user=STAFF,
                                                       view_id="V0DOUBLE01") for _ in range(3)))
    assert all(status == 200 for status, _ in results)
    # Every answer shows the one ticket opened.
    assert all(body is not None and body["response_action"] == "update"
               and "T-1001" in str(body["view"]) for _, body in results)
    await app.slack.wait_for(lambda: find_post(app, TRIAGE, "T-1001"))
    await drained(app.runtime)
    assert len([m for m in app.slack.posts(TRIAGE) if m.thread_ts is None]) == 1
    assert len([m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts is None]) == 1
    assert await app.runtime.store.get(1002) is None


async def test_a_submission_numbered_by_a_delivery_that_died_opens_when_sent_again(
        app: RunningApp) -> None:
    # An earlier delivery of this form took T-1001 and died before writing it (Redis
    # failing over between the two writes, or the process killed): its record says so.
    layout = app.runtime.store.layout
    home = layout.of_text("view:V0RETRY001")
    await app.runtime.redis.set(home.once("view:V0RETRY001"), "pending:1001", ex=30)
    await app.runtime.redis.set(home.seq, 1001)
    view = await open_modal(app)
    status, body = await submit(app, view, title="Checkout down", severity="High",
                                description="Since 9:00.", view_id="V0RETRY001")
    assert status == 200 and body is not None and body["response_action"] == "update", body
    assert "T-1001" in str(body["view"])
    assert (await ticket(app.runtime, 1001)).title == "Checkout down"
    await app.slack.wait_for(lambda: find_post(app, TRIAGE, "T-1001"))


async def test_user_text_is_escaped_everywhere(app: RunningApp) -> None:
    await open_ticket(app, "<!channel> <@U0STAFF002> & more", "High", "<!here> ping <@U1>")
    await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    for channel in (CLIENT_CHANNEL, TRIAGE):
        message = find_post(app, channel, "T-1001")
        assert message is not None
        text = text_of(message)
        assert "<!channel>" not in text and "<@U0STAFF002>" not in text
        assert "<!here>" not in text and "<@U1>" not in text
        assert "&lt;!channel&gt; &lt;@U0STAFF002&gt; &amp; more" in text


def connect_click(action: dict[str, Any], *, user: str, channel: str,
                  trigger: str) -> dict[str, Any]:
    """A button click in a Slack Connect channel, as Slack sends it to the app: ``team`` is
    the app's workspace, ``user.team_id`` the clicker's own organisation."""
    return {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "desk-test"},
        "user": {"id": user, "username": user, "team_id": OTHER_ORG},
        "api_app_id": "A0APP00001", "trigger_id": trigger, "is_enterprise_install": False,
        "channel": {"id": channel, "name": "acme-support"},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel},
        "message": {"ts": "1.000001", "text": "", "type": "message"},
        "actions": [{"action_id": action["action_id"], "block_id": "b",
                     "value": action["value"], "type": "button",
                     "action_ts": str(time.time())}],
        "response_url": "https://hooks.example/actions/1",
    }


def connect_submission(view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str,
                       view_id: str, trigger: str) -> dict[str, Any]:
    """A modal submitted by a member of another organisation (``user.team_id``)."""
    submitted = {**view, "id": view_id, "team_id": TEAM_ID, "state": {"values": values},
                 "hash": "1.h", "app_id": "A0APP00001", "bot_id": "B0BOT00001"}
    return {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "desk-test"},
        "user": {"id": user, "username": user, "team_id": OTHER_ORG},
        "api_app_id": "A0APP00001", "trigger_id": trigger, "view": submitted,
    }


async def test_open_a_ticket_button_works_for_an_external_member(app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    welcome = await app.slack.wait_for(lambda: app.slack.posts(CLIENT_CHANNEL))
    button = buttons(welcome[0])["Open a ticket"]
    status, _ = await app.client.interaction(connect_click(
        button, user=EXTERNAL, channel=CLIENT_CHANNEL, trigger="1.connect"))
    assert status == 200
    call = await app.slack.wait_for(lambda: app.slack.calls_to("views.open"))
    assert call[0].args["trigger_id"] == "1.connect"
    view = call[0].args["view"]
    values = values_by_label(view, {"Title": "Cannot log in", "Severity": "Critical",
                                    "Description": "All our editors are locked out."})
    status, response = await app.client.interaction(connect_submission(
        view, values, user=EXTERNAL, view_id="V0CONNECT1", trigger="2.connect"))
    assert status == 200
    assert response is not None and response["response_action"] == "update"
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    assert f"<@{EXTERNAL}>" in text_of(client_post)
    triage = await app.slack.wait_for(lambda: find_post(app, TRIAGE, "T-1001"))
    assert "Acme" in text_of(triage) and f"<@{EXTERNAL}>" in text_of(triage)
    stored = await ticket(app.runtime, 1001)
    assert stored.reporter == EXTERNAL and stored.channel == CLIENT_CHANNEL
    assert stored.severity is Severity.CRITICAL and stored.title == "Cannot log in"


async def test_a_guest_can_open_a_ticket(app: RunningApp) -> None:
    number = await open_ticket(app, user=GUEST)
    assert number == 1001
    assert (await ticket(app.runtime, number)).reporter == GUEST
