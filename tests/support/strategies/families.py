"""Every payload family, by name: one per handler Slack can reach."""

from __future__ import annotations

from hypothesis.strategies import SearchStrategy

from bot.slack_ui.ids import ActionId, CallbackId
from tests.support.strategies.actions import block_actions
from tests.support.strategies.commands import commands
from tests.support.strategies.events import envelopes, event_types, events
from tests.support.strategies.payload import Payload
from tests.support.strategies.shortcuts import message_shortcuts
from tests.support.strategies.views import view_submissions
from tests.support.strategies.world import World


def families(world: World) -> dict[str, SearchStrategy[Payload]]:
    """Every payload family, by name, one per handler Slack can reach: ``/ticket``, each
    ``ActionId`` (and an unknown one), each ``CallbackId`` (and an unknown one), the
    shortcut, each event type the manifest subscribes to, and the envelopes."""
    return {
        "command /ticket": commands(world),
        **{f"block_actions {a.value}": block_actions(world, (a.value,)) for a in ActionId},
        "block_actions (unknown id)": block_actions(world, ("unknown_action", "")),
        **{f"view_submission {c.value}": view_submissions(world, (c.value,))
           for c in CallbackId},
        "view_submission (unknown id)": view_submissions(world, ("unknown_modal", "")),
        "shortcut": message_shortcuts(world),
        **{f"event {t}": events(world, t) for t in event_types()},
        "envelope": envelopes(world),
    }
