"""When Slack does not open a form (``views.open`` refused, rate limited or failing), the
person who asked for it is told, and the log names the ticket."""

from __future__ import annotations

import logging

import pytest

from tests.support.desk import RunningApp
from tests.support.flows import click, open_ticket, triage_post
from tests.support.workspace import CLIENT_CHANNEL, STAFF, STAFF_2, TRIAGE


async def told(app: RunningApp, user: str, channel: str) -> str:
    calls = await app.slack.wait_for(
        lambda: app.slack.calls_to("chat.postEphemeral", user=user, channel=channel))
    return str(calls[0].args["text"])


@pytest.mark.parametrize("failure", [
    {"error": "expired_trigger_id"},
    {"status": 429, "retry_after": 5},
    {"status": 500, "times": 2},  # the interactive client retries a 5xx once
])
async def test_resolve_whose_form_slack_does_not_open_is_told_to_the_clicker(
        app: RunningApp, failure: dict[str, object], caplog: pytest.LogCaptureFixture) -> None:
    number = await open_ticket(app, user=STAFF_2)
    post = await triage_post(app, number)
    app.slack.fail("views.open", **failure)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO):
        status, _ = await click(app, post, "Resolve", user=STAFF)
        assert status == 200
        text = await told(app, STAFF, TRIAGE)
    assert "did not open the form" in text and "try again" in text
    assert any(f"T-{number}" in r.getMessage() and "views.open" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.WARNING)


async def test_ticket_command_whose_form_slack_does_not_open_is_told_to_the_person(
        app: RunningApp) -> None:
    app.slack.fail("views.open", error="expired_trigger_id")
    response = await app.client.command("/ticket", "Login fails", user=STAFF,
                                        channel=CLIENT_CHANNEL)
    assert response.status == 200
    assert "did not open the form" in await told(app, STAFF, CLIENT_CHANNEL)
