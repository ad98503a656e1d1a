"""Hypothesis strategies for every payload the desk accepts.

The payloads are the ones Slack sends to ``/slack/events`` (see ``handlers/`` and
``manifest.yml``): the ``/ticket`` command (``commands``), ``block_actions`` for every
``ActionId`` (``actions``), a ``view_submission`` for every ``CallbackId`` (``views``), the
message shortcut (``shortcuts``), the events the manifest subscribes to
(``message.channels``, ``message.groups``: ``message`` events of every subtype;
``reaction_added``) and the envelopes Slack wraps or sends beside them
(``url_verification``, ``ssl_check``, ``app_rate_limited``) (``events``); ``families`` names
them all. What a user or the app's own earlier output controls is generated odd or hostile
(``text``, ``identities``): any text (control characters, U+2028, huge digit strings,
``T-²``), forged button values and ``private_metadata`` (``forged``: valid JSON of the typed
payloads of ``bot/slack_ui/ids.py``, wrong types, other tickets' numbers, garbage, missing
keys), modal state with missing, null, oversized, unicode and wrong-typed values, events
with fields missing or of the wrong type, in registered and unregistered channels.

Every strategy draws from a ``World`` (``world``): the channels, people, tickets and threads
of a running desk. One client's ticket, the *victim*, lives in a registered channel no
payload comes from; payloads by staff never name its number (staff may change any ticket:
that is no breach), payloads by anyone else may. Building the world on a running desk,
sending the payloads and checking what they did is the fuzz harness's
(``tests.support.fuzz``).

This package re-exports what ``tests/app/test_fuzz.py`` and ``bench/fuzz.py`` use; the rest is
in its modules.
"""

from tests.support.strategies.actions import block_actions, replayed_elsewhere
from tests.support.strategies.commands import commands
from tests.support.strategies.events import MESSAGE_SUBTYPES, envelopes, event_types, events
from tests.support.strategies.families import families
from tests.support.strategies.payload import Payload
from tests.support.strategies.shortcuts import message_shortcuts
from tests.support.strategies.views import view_submissions
from tests.support.strategies.world import OTHER_TEAM, World

__all__ = [
    "MESSAGE_SUBTYPES",
    "OTHER_TEAM",
    "Payload",
    "World",
    "block_actions",
    "commands",
    "envelopes",
    "event_types",
    "events",
    "families",
    "message_shortcuts",
    "replayed_elsewhere",
    "view_submissions",
]
