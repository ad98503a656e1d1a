"""Slack's answer in time: a listener's work within the ack's budget, and the work that
goes on after the ack.

The app runs with ``process_before_response``: a listener's own work (Redis only) is done
before Slack gets its answer, which goes out the moment the listener returns. Slack calls
that may wait (``views.open``, an ephemeral refusal) are started with ``after_ack`` and
run while the answer is on its way. (Bolt's other mode polls for the ack every 10 ms; its
lazy listeners deep-copy the whole request: both cost every request several
milliseconds.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()


def after_ack(work: Coroutine[Any, Any, Any], what: str) -> None:
    """Run ``work`` once the listener has returned (and Slack has its answer).

    Failures are logged with ``what``; nothing is swallowed silently.
    """
    task = asyncio.create_task(work)
    _running.add(task)

    def done(finished: asyncio.Task[Any]) -> None:
        _running.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("%s failed after the ack", what, exc_info=finished.exception())

    task.add_done_callback(done)


ACK_BUDGET = 2.0
"""Seconds a listener may spend on its work before Slack gets its answer (Slack allows 3)."""


async def in_time(work: Coroutine[Any, Any, Any], what: str,
                  late: Callable[[BaseException | None], Awaitable[None]]) -> bool:
    """Run ``work`` for at most ``ACK_BUDGET`` seconds; True if it finished in time.

    If it did not (Slack answering ``users.info`` slowly, say), it goes on after the ack,
    and ``late`` is called with its refusal or failure (None when it went through), so
    the person still hears of it. Its own exceptions are raised when it finished in time.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
    if done:
        task.result()
        return True

    async def finish() -> None:
        try:
            await task
        except Exception as exc:  # noqa: BLE001 - handed to ``late``, which tells the person
            await late(exc)
        else:
            await late(None)

    log.info("%s is taking longer than %.0f s: answering Slack now, finishing after", what,
             ACK_BUDGET)
    after_ack(finish(), what)
    return False
