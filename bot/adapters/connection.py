"""The Redis client: one server, or a Redis Cluster (``REDIS_CLUSTER=true``).

On a cluster the client follows the slots (MOVED, ASK) and rides out a failover: a command
whose shard went away is retried with backoff while a replica takes over.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeAlias, cast

import aiohttp
from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.cluster import ClusterPipeline
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ClusterDownError, MaxConnectionsError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.adapters.embedded_redis import connection_name

RedisClient: TypeAlias = Redis | RedisCluster

UNREACHABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError,
                                            ClusterDownError, OSError)
"""What a call to Redis raises when Redis does not answer (down, failing over)."""


def redis_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says Redis did not answer (an OSError from aiohttp says it of Slack)."""
    return isinstance(error, UNREACHABLE) and not isinstance(error, aiohttp.ClientError)

FAILOVER_RETRIES = 8
"""Retries of a command whose shard does not answer: about 6 s with the backoff, longer
than a replica takes to be promoted (a couple of node timeouts)."""


MAX_CONNECTIONS = 100
"""Connections to Redis a process opens at most (to each node, on a cluster)."""
POOL_WAIT = 2.0
"""How long a command waits for a free connection when all are in use (a burst of
requests) before it fails as if Redis did not answer: under Slack's 3 s."""


def redis_client(url: str, *, cluster: bool = False, timeout: float = 10.0,
                 max_connections: int = MAX_CONNECTIONS) -> RedisClient:
    """A client of ``url`` that decodes replies; ``timeout`` bounds a blocking wait. A
    command that finds its ``max_connections`` connections in use waits up to
    ``POOL_WAIT`` for one."""
    if not cluster:
        return Redis.from_pool(WaitingPool.from_url(
            url, max_connections=max_connections, decode_responses=True,
            health_check_interval=30, socket_timeout=timeout, socket_connect_timeout=5,
            client_name=connection_name()))
    return WaitingCluster.from_url(
        url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=2,
        client_name=connection_name(), max_connections=max_connections,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), FAILOVER_RETRIES,
                    supported_errors=(RedisConnectionError, RedisTimeoutError)))


class WaitingPool(ConnectionPool):
    """redis-py's pool, whose command waits up to ``POOL_WAIT`` for a connection when all
    are in use, in turn, rather than fail at once. (redis-py's BlockingConnectionPool
    does the same at a cost to every command, about a sixth more CPU; this one waits
    only when the pool is exhausted.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + POOL_WAIT
        while True:
            try:
                return cast(AbstractConnection,
                            await super().get_connection())  # type: ignore[no-untyped-call]
            except MaxConnectionsError:
                if loop.time() >= deadline:
                    raise RedisConnectionError("No connection available.") from None
            turn = loop.create_future()
            self._waiting.append(turn)
            try:
                await asyncio.wait_for(turn, deadline - loop.time())
            except TimeoutError:
                raise RedisConnectionError("No connection available.") from None
            finally:
                if turn in self._waiting:
                    self._waiting.remove(turn)

    async def release(self, connection: AbstractConnection) -> None:
        try:
            await super().release(connection)
        finally:
            while self._waiting:
                turn = self._waiting.popleft()
                if not turn.done():
                    turn.set_result(None)
                    break


_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("holding", default=False)
"""Whether this task already holds one of the cluster client's turns (a pipeline's
redirected command runs within the pipeline's turn)."""


class WaitingCluster(RedisCluster):
    """The cluster client, whose command or pipeline waits up to ``POOL_WAIT`` for a turn
    when ``max_connections`` are running, rather than fail at once (redis-py's cluster
    client has no blocking pool): at most that many run at once, so no node is asked for
    more connections than it may open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_connections", MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)
        self._turns = asyncio.Semaphore(kwargs["max_connections"])

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if _holding.get():
            yield
            return
        try:
            await asyncio.wait_for(self._turns.acquire(), POOL_WAIT)
        except TimeoutError as exc:
            raise RedisConnectionError("No connection available.") from exc
        token = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(token)
            self._turns.release()

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.turn():
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None
                 ) -> ClusterPipeline:
        if shard_hint:
            return super().pipeline(transaction, shard_hint)  # refused by redis-py
        return WaitingPipeline(self, transaction)  # type: ignore[abstract]


class WaitingPipeline(ClusterPipeline):
    """A pipeline of ``WaitingCluster``: it runs in one turn of its client."""

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True
                      ) -> list[Any]:
        async with cast(WaitingCluster, self.cluster_client).turn():
            return await super().execute(raise_on_error, allow_redirections)


def subscriber_client(url: str, *, health_check: int) -> Redis:
    """A client for pub/sub on ``url`` (on a cluster, the node it names: a message
    published on any node reaches them all). It pings Redis after ``health_check`` idle
    seconds, so that a peer that went away is noticed."""
    return Redis.from_url(url, decode_responses=True, health_check_interval=health_check,
                          socket_connect_timeout=5, client_name=connection_name())


def stand_by_cancellation() -> None:
    """Raise CancelledError if this task was cancelled: redis-py can swallow a cancellation
    that lands while it connects (taking it for its own timeout, and connecting again), so
    a loop that calls Redis checks before it goes on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling() > 0:
        raise asyncio.CancelledError()


CLUSTER_CALLS = 64
"""Scripts run at once on a cluster, whose pipelines run none."""


async def run_scripts(redis: RedisClient, script: Any,
                      calls: Sequence[tuple[list[str], list[Any]]]) -> list[Any]:
    """``script`` once per (keys, args) in ``calls``, their answers in order: one pipelined
    round trip on one server; on a cluster, ``CLUSTER_CALLS`` calls at a time."""
    if not calls:
        return []
    if len(calls) == 1:  # a pipeline would first ask whether Redis has the script
        keys, args = calls[0]
        return [await script(keys=keys, args=args)]
    if isinstance(redis, RedisCluster):
        slots = asyncio.Semaphore(CLUSTER_CALLS)

        async def one(keys: list[str], args: list[Any]) -> Any:
            async with slots:
                return await script(keys=keys, args=args)

        return list(await asyncio.gather(*(one(keys, args) for keys, args in calls)))
    async with redis.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            await script(keys=keys, args=args, client=cast(Any, pipe))
        return list(await pipe.execute())
