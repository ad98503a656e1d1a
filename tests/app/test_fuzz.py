"""Odd and hostile input: generated payloads of every kind, signed as Slack signs them, sent
to the running app.

For every payload: no answer with a status of 500 or more, every answer within 3 s, no log
record at ERROR or above and none with a traceback, and no effect on another client's
ticket (a ticket in a second registered client channel, opened first: unchanged, its client
and triage threads without a new message or edit, and shown nowhere but in its own channel,
in triage and in staff's App Home). The strategies are in ``tests/support/strategies/``,
the harness that sends them in ``tests/support/fuzz/``; ``python -m bench.fuzz`` runs them
for longer.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack_ui.ids import STATUS_BUTTONS, ActionId, CallbackId
from tests.support.desk import RunningApp
from tests.support.fuzz import (
    VictimState,
    deliver,
    describe,
    essence,
    leaks,
    prepare_world,
    problems,
    settle,
    victim_state,
)
from tests.support.strategies import (
    Payload,
    World,
    block_actions,
    commands,
    envelopes,
    event_types,
    events,
    message_shortcuts,
    replayed_elsewhere,
    view_submissions,
)

ANSWER_WITHIN = 3.0

FUZZ = settings(max_examples=40, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
"""CI-bounded: 40 examples per family (``python -m bench.fuzz`` runs thousands)."""

_serials = itertools.count(1)


class Fuzzed:
    """The app under fuzzing, its world, and the victim's state before any payload."""

    def __init__(self, app: RunningApp, world: World, victim: VictimState,
                 caplog: pytest.LogCaptureFixture) -> None:
        self.app = app
        self.world = world
        self.victim = victim
        self.caplog = caplog

    async def send(self, payload: Payload) -> None:
        """Send ``payload``, let what it set off finish, and check everything."""
        app, world = self.app, self.world
        records, calls = len(self.caplog.records), len(app.slack.calls)
        answer = await deliver(app.client.session, app.client.url, payload, next(_serials))
        await settle(app.runtime)
        logged = problems(self.caplog.records[records:])
        sent = essence(payload, 1200)
        assert not logged, (f"HTTP {answer.status}, and logged:\n"
                            + "\n".join(describe(r) for r in logged) + f"\npayload: {sent}")
        assert answer.status != 0, f"no answer ({answer.body}); payload: {sent}"
        assert answer.status < 500, f"HTTP {answer.status}; payload: {sent}"
        assert answer.seconds <= ANSWER_WITHIN, \
            f"answered in {answer.seconds:.2f} s; payload: {sent}"
        now = await victim_state(app, world)
        assert now == self.victim, f"the other client's ticket changed: {now}; payload: {sent}"
        shown = leaks(app.slack, world, calls)
        assert not shown, f"the other client's ticket shown: {shown}; payload: {sent}"


@pytest.fixture
async def fuzzed(app: RunningApp, caplog: pytest.LogCaptureFixture) -> Fuzzed:
    world = await prepare_world(app)
    return Fuzzed(app, world, await victim_state(app, world), caplog)


@FUZZ
@given(data=st.data())
async def test_slash_command(fuzzed: Fuzzed, data: st.DataObject) -> None:
    await fuzzed.send(data.draw(commands(fuzzed.world), label="payload"))


def groups(named: dict[str, list[str]], every: list[str]) -> dict[str, tuple[str, ...]]:
    """``named``, only with the ids that exist, and the rest of ``every`` (and ids that do
    not exist) as ``other``: every id is fuzzed, whatever is added later."""
    kept = {name: tuple(i for i in ids if i in every) for name, ids in named.items()}
    grouped = {i for ids in kept.values() for i in ids}
    rest = tuple(i for i in every if i not in grouped)
    return {**{k: v for k, v in kept.items() if v}, "other": (*rest, "unknown_id", "")}


ACTION_GROUPS = groups({
    "ticket buttons": [ActionId.CLAIM, ActionId.REOPEN, *STATUS_BUTTONS],
    "severity menu": [ActionId.CHANGE_SEVERITY],
    "open a ticket": [ActionId.OPEN_TICKET],
    "modal openers": [ActionId.RESOLVE, ActionId.POST_UPDATE],
}, [a.value for a in ActionId])


@pytest.mark.parametrize("group", list(ACTION_GROUPS))
@FUZZ
@given(data=st.data())
async def test_block_actions(fuzzed: Fuzzed, group: str, data: st.DataObject) -> None:
    await fuzzed.send(data.draw(block_actions(fuzzed.world, ACTION_GROUPS[group]),
                                label="payload"))


VIEW_GROUPS = groups({
    "ticket modal": [CallbackId.TICKET_MODAL],
    "note modals": [CallbackId.RESOLVE_MODAL, CallbackId.UPDATE_MODAL],
}, [c.value for c in CallbackId])


@pytest.mark.parametrize("group", list(VIEW_GROUPS))
@FUZZ
@given(data=st.data())
async def test_view_submission(fuzzed: Fuzzed, group: str, data: st.DataObject) -> None:
    await fuzzed.send(data.draw(view_submissions(fuzzed.world, VIEW_GROUPS[group]),
                                label="payload"))


@FUZZ
@given(data=st.data())
async def test_message_shortcut(fuzzed: Fuzzed, data: st.DataObject) -> None:
    await fuzzed.send(data.draw(message_shortcuts(fuzzed.world), label="payload"))


@pytest.mark.parametrize("event_type", event_types())
@FUZZ
@given(data=st.data())
async def test_events(fuzzed: Fuzzed, event_type: str, data: st.DataObject) -> None:
    """Every event type ``manifest.yml`` subscribes to."""
    await fuzzed.send(data.draw(events(fuzzed.world, event_type), label="payload"))


@FUZZ
@given(data=st.data())
async def test_envelopes(fuzzed: Fuzzed, data: st.DataObject) -> None:
    await fuzzed.send(data.draw(envelopes(fuzzed.world), label="payload"))


async def test_other_clients_buttons_clicked_from_elsewhere(fuzzed: Fuzzed) -> None:
    """Not generated but swept: every value on the other client's buttons and menus (its
    triage post, its reaction prompt), clicked by outsiders from another channel."""
    replays = replayed_elsewhere(fuzzed.world)
    assert replays, "the other client's messages carry no buttons to replay"
    for payload in replays:
        await fuzzed.send(payload)
