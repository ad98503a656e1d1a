"""The app serving HTTP while its Redis is down: a person is told nothing was saved or
nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.bootstrap import open_runtime
from bot.sandbox.standin import SlackStandIn
from handlers.errors import NOT_CHANGED, NOT_SAVED
from tests.support.desk import RunningApp, register_client, serving, settings_for
from tests.support.flows import click, open_modal, open_ticket, submit, triage_post
from tests.support.servers import start_redis
from tests.support.workspace import STAFF, TRIAGE


@asynccontextmanager
async def served_on_own_redis(slack: SlackStandIn, tmp_path: Path
                              ) -> AsyncIterator[tuple[RunningApp, Callable[[], None]]]:
    """The desk serving, on a Redis of its own; with the function that kills that Redis."""
    server = start_redis(tmp_path / "redis")
    try:
        async with open_runtime(settings_for(slack, server.url), server.url) as runtime:
            await register_client(runtime)
            async with serving(runtime, slack) as app:
                yield app, server.kill
    finally:
        server.kill()


async def test_a_submission_while_redis_is_down_is_told_nothing_was_saved(
        slack: SlackStandIn, tmp_path: Path) -> None:
    async with served_on_own_redis(slack, tmp_path) as (app, kill_redis):
        view = await open_modal(app)
        kill_redis()
        status, body = await submit(app, view, title="Checkout down", severity="Critical",
                                    description="All of it.")
    assert status == 200 and body is not None and body["response_action"] == "errors"
    assert list(body["errors"].values()) == [NOT_SAVED]


async def test_a_click_while_redis_is_down_is_told_nothing_changed(
        slack: SlackStandIn, tmp_path: Path) -> None:
    async with served_on_own_redis(slack, tmp_path) as (app, kill_redis):
        post = await triage_post(app, await open_ticket(app))
        kill_redis()
        status, _ = await click(app, post, "Claim", user=STAFF)
        told = await slack.wait_for(lambda: slack.calls_to("chat.postEphemeral"))
    assert status == 200
    assert told[0].args["user"] == STAFF and told[0].args["channel"] == TRIAGE
    assert told[0].args["text"] == NOT_CHANGED
