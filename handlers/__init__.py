"""Bolt listeners, one module per Slack surface, each with a ``register(app, desk)``.

The app runs with ``process_before_response``: a listener's own work (Redis only) is
done before Slack gets its answer, and Slack calls that may wait (``views.open``, an
ephemeral refusal) run right after, as lazy listeners. Bolt's other mode polls for the
ack every 10 ms, which would cost every request up to 10 ms.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck


async def acknowledge(ack: AsyncAck) -> None:
    """The ack of a listener whose work is all in its lazy part."""
    await ack()
