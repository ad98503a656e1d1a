"""Bolt listeners, one module per Slack surface, each with a ``register(app, desk)``.

The app runs with ``process_before_response``: a listener's own work (Redis only) is
done before Slack gets its answer, which goes out the moment the listener returns.
Slack calls that may wait (``views.open``, an ephemeral refusal) are started with
``after_ack`` and run while the answer is on its way. (Bolt's other mode polls for the
ack every 10 ms; its lazy listeners deep-copy the whole request: both cost every
request several milliseconds.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
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
