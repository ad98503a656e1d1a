"""Slack stamps messages by its own clock; the desk keeps Redis's. The rule on the ticket
alone: whichever clock runs ahead, the order of the messages in its thread is Slack's.
(Through the app: ``tests/app/test_slack_clock.py``.)"""

from __future__ import annotations

import pytest

from bot.domain.tickets import Severity, Ticket
from bot.domain.transitions import (
    claim,
    record_client_message,
    record_response,
    record_staff_message,
)
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF

T0 = 1_700_000_000.0


def updated(ahead: float) -> Ticket:
    """Claimed, then an update relayed at T0 + 60 by the desk's clock, which runs ``ahead``
    of Slack's: Slack stamped the update's post ``ts`` T0 + 60 - ``ahead``."""
    t = Ticket(number=1001, channel=CLIENT_CHANNEL, reporter=CLIENT_USER, title="Exports",
               description="CSV empty", severity=Severity.CRITICAL, created_at=T0)
    t = record_response(claim(t, STAFF, T0 + 10, claim_is_response=False), T0 + 60)
    return record_staff_message(t, f"{T0 + 60 - ahead:.6f}")


@pytest.mark.parametrize("ahead", [5.0, -5.0])
def test_the_client_waits_when_they_wrote_after_the_update_in_slack(ahead: float) -> None:
    t = updated(ahead)
    written = T0 + 61 - ahead  # a second after the update, by Slack's clock
    seen = min(written, T0 + 61)  # as the desk records it
    after = record_client_message(t, seen, f"{written:.6f}")
    assert after.awaiting_since == seen
    before = record_client_message(t, seen, f"{written - 2:.6f}")  # before the update
    assert before.awaiting_since is None


def test_an_update_posted_after_the_clients_message_answers_it() -> None:
    t = Ticket(number=1001, channel=CLIENT_CHANNEL, reporter=CLIENT_USER, title="Exports",
               description="CSV empty", severity=Severity.CRITICAL, created_at=T0)
    t = record_response(claim(t, STAFF, T0 + 10, claim_is_response=False), T0 + 60,
                        f"{T0 + 60:.6f}")
    # The client writes while an update is on its way (submitted, not yet in the thread).
    t = record_response(t, T0 + 100)
    t = record_client_message(t, T0 + 101, f"{T0 + 101:.6f}")
    assert t.awaiting_since == T0 + 101
    answered = record_staff_message(t, f"{T0 + 102:.6f}")  # the update reaches the thread
    assert answered.awaiting_since is None and answered.staff_ts == f"{T0 + 102:.6f}"
    # Had it reached the thread before the client wrote, the client would still wait.
    assert record_staff_message(t, f"{T0 + 100.5:.6f}").awaiting_since == T0 + 101
