"""Secrets never appear in what the desk prints or answers."""

from __future__ import annotations

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import bot_env, run_bot
from tests.support.servers import free_port


async def test_check_never_prints_the_redis_password(slack: SlackStandIn) -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"  # nobody listens there
    result = await run_bot("check", env=bot_env(slack, url))
    assert result.code == 1
    assert "hunter2-secret" not in result.out + result.err
    assert "redis://:***@127.0.0.1" in result.out
