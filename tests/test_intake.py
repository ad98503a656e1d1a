"""Opening a ticket: /ticket and the Open a ticket button, the modal, validation, the posts."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from tests.conftest import AM, CLIENT_CHANNEL, EXTERNAL, GUEST, STAFF, TRIAGE, RunningApp
from tests.flows import buttons, find_post, open_modal, open_ticket, submit, text_of
from tests.slackreq import values_by_label


async def register_client(app: RunningApp, **kw: str) -> None:
    from bot.tickets import Client

    await app.runtime.store.put_client(Client(
        channel=CLIENT_CHANNEL, name=kw.get("name", "Acme Media"), plan="standard",
        account_manager=AM, phone=kw.get("phone", "+44 20 7946 0000")))


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
    await register_client(app)
    number = await open_ticket(app, "Checkout is down", "Critical", "Payments fail with 502.")
    assert number == 1001
    client_post = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None
    text = text_of(client_post)
    assert "Checkout is down" in text and "Critical" in text
    assert "<!date^" in text  # the deadline, in each reader's own timezone
    assert f"<@{AM}>" in text and "+44 20 7946 0000" in text  # Critical: the AM and phone
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
    await register_client(app)
    await open_ticket(app, "CMS slow", "Medium", "Saving takes 10 s.")
    text = text_of(find_post(app, CLIENT_CHANNEL, "T-1001"))  # type: ignore[arg-type]
    assert "+44 20 7946 0000" not in text


async def test_unregistered_channel_still_opens_and_says_so(app: RunningApp) -> None:
    await open_ticket(app, "Uploads fail", "High", "Every upload stops at 99%.")
    triage = find_post(app, TRIAGE, "T-1001")
    assert triage is not None
    assert "unregistered" in text_of(triage)
    assert find_post(app, CLIENT_CHANNEL, "T-1001") is not None


async def test_the_stored_ticket_is_one_hash_with_the_submission(app: RunningApp) -> None:
    await open_ticket(app, "Encoding stuck", "High", "Jobs queued for 2 hours.")
    redis: Redis = app.runtime.redis
    stored = await redis.hgetall("sd:{desk}:ticket:1001")
    assert stored["title"] == "Encoding stuck"
    assert stored["severity"] == "high"
    assert stored["reporter"] == STAFF
    assert stored["status"] == "open"


async def test_validation_errors_are_shown_on_the_fields(app: RunningApp) -> None:
    view = await open_modal(app)
    cases = [
        (dict(title="", severity="High", description="x"), "title"),
        (dict(title="x" * 151, severity="High", description="x"), "title"),
        (dict(title="ok", severity=None, description="x"), "severity"),
        (dict(title="ok", severity="High", description="   "), "description"),
        (dict(title="ok", severity="High", description="d" * 3001), "description"),
    ]
    for answers, field in cases:
        status, body = await submit(app, view, **answers)  # type: ignore[arg-type]
        assert status == 200
        assert body is not None and body["response_action"] == "errors", answers
        assert list(body["errors"]) == [field]
        assert body["errors"][field]
    await asyncio.sleep(0.3)
    assert app.slack.posts() == []
    assert await app.runtime.redis.exists("sd:{desk}:ticket:1001") == 0


async def test_double_submit_of_one_modal_opens_one_ticket(app: RunningApp) -> None:
    view = await open_modal(app)
    values = values_by_label(view, {"Title": "Player blank", "Severity": "Critical",
                                    "Description": "Black screen."})
    results = await asyncio.gather(*(app.client.submit(view, values, user=STAFF,
                                                       view_id="V0DOUBLE01") for _ in range(3)))
    assert all(status == 200 for status, _ in results)
    await app.slack.wait_for(lambda: find_post(app, TRIAGE, "T-1001"))
    await asyncio.sleep(0.3)
    assert len([m for m in app.slack.posts(TRIAGE) if m.thread_ts is None]) == 1
    assert await app.runtime.redis.exists("sd:{desk}:ticket:1002") == 0


async def test_user_text_is_escaped_everywhere(app: RunningApp) -> None:
    await open_ticket(app, "<!channel> <@U0STAFF002> & more", "High", "<!here> ping <@U1>")
    for channel in (CLIENT_CHANNEL, TRIAGE):
        message = find_post(app, channel, "T-1001")
        assert message is not None
        text = text_of(message)
        assert "<!channel>" not in text and "<@U0STAFF002>" not in text
        assert "<!here>" not in text and "<@U1>" not in text
        assert "&lt;!channel&gt; &lt;@U0STAFF002&gt; &amp; more" in text


async def test_open_a_ticket_button_works_for_an_external_member(app: RunningApp) -> None:
    from bot import blocks
    from bot.tickets import Client

    _, body = blocks.welcome_message(Client(CLIENT_CHANNEL, "Acme", "standard", AM))
    button = body[1]["elements"][0]
    assert button["text"]["text"] == "Open a ticket"
    status, _ = await app.client.click(button["action_id"], button["value"], user=EXTERNAL,
                                       channel=CLIENT_CHANNEL)
    assert status == 200
    call = await app.slack.wait_for(lambda: app.slack.calls_to("views.open"))
    view = call[0].args["view"]
    status, response = await submit(app, view, title="Cannot log in", severity="Critical",
                                    description="All our editors are locked out.", user=EXTERNAL)
    assert response is not None and response["response_action"] == "update"
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    assert f"<@{EXTERNAL}>" in text_of(client_post)


async def test_a_guest_can_open_a_ticket(app: RunningApp) -> None:
    number = await open_ticket(app, user=GUEST)
    assert number == 1001
