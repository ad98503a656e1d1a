"""Bolt listeners, one module per Slack surface: the list of them, registered in order.

Listeners are named top-level functions: they parse the payload, call a service, render.
The services reach them through Bolt's context (``handlers.desk``); Slack gets its
answer in time as ``handlers.acking`` says.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack_ui.words import Words
from handlers import actions, commands, csat, errors, events, home, views


def register(app: AsyncApp, staff: Words) -> None:
    """Every surface's listeners on ``app``; ``staff``: the words of ``LANGUAGE``."""
    events.register(app)
    commands.register(app)
    views.register(app)
    actions.register(app)
    home.register(app)
    csat.register(app)
    errors.register(app, staff)
