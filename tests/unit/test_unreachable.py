"""Which failures people are told are the desk's database not answering."""

from __future__ import annotations

import aiohttp
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.adapters.connection import redis_client, redis_unreachable
from tests.support.servers import free_port


def test_redis_not_answering_is_unreachable_but_slack_not_answering_is_not() -> None:
    assert redis_unreachable(RedisConnectionError("refused"))
    assert redis_unreachable(RedisTimeoutError("timed out"))
    assert redis_unreachable(ConnectionResetError())
    # aiohttp's connection errors are OSErrors too: they say Slack did not answer.
    refused = aiohttp.ClientOSError(111, "Connection refused")
    assert isinstance(refused, OSError) and not redis_unreachable(refused)
    assert not redis_unreachable(ResponseError("a script's own error"))


async def test_what_redis_py_raises_with_nothing_listening_is_unreachable() -> None:
    redis = redis_client(f"redis://127.0.0.1:{free_port()}")
    with pytest.raises(Exception) as raised:
        await redis.ping()
    await redis.aclose()
    assert redis_unreachable(raised.value)
