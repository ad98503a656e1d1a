"""Building the desk (``open_runtime``) on a real Redis: what it logs."""

from __future__ import annotations

import logging

import pytest

from bot.bootstrap import open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support.desk import settings_for


async def test_the_token_in_the_environment_is_not_said_to_be_unused(
        slack: SlackStandIn, redis_url: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Deployed, the token is in SLACK_BOT_TOKEN, which Bolt reads too.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    with caplog.at_level(logging.INFO):
        async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
            assert runtime.bolt.client.token == "xoxb-test-token"
    assert not [r for r in caplog.records if "token" in r.getMessage()]
