"""The urgency the indices of open tickets are scored by (pure)."""

from __future__ import annotations

from bot.domain.plans import default_plans
from bot.domain.tickets import Severity
from bot.domain.transitions import claim, record_response, resolve
from bot.domain.urgency import NOT_RUNNING, Standing, Urgency, urgency
from tests.support.tickets import draft

PLAN = default_plans()["standard"]
HOUR = 3600.0


def test_urgency_is_the_soonest_running_clock_and_its_first_warning() -> None:
    t = draft(Severity.HIGH, at=1000.0)
    u = urgency(t, PLAN, 0.75)
    assert (u.due, u.warn) == (1000 + 4 * HOUR, 1000 + 3 * HOUR)
    assert [u.standing(1000 + s * HOUR) for s in (1, 3, 3.99, 4)] == [
        Standing.ON_TRACK, Standing.AT_RISK, Standing.AT_RISK, Standing.BREACHED]
    # Claimed and answered: the update owed (High: every 4 h) is the clock that runs now.
    answered = record_response(claim(t, "U0STAFF001", 1100, claim_is_response=False), 1200)
    assert urgency(answered, PLAN, 0.75) == Urgency(1200 + 4 * HOUR, 1200 + 4 * HOUR)
    assert urgency(resolve(answered, "U0STAFF001", 1300, "ok"), PLAN, 0.75) == NOT_RUNNING
    assert NOT_RUNNING.standing(0) is Standing.ON_TRACK and NOT_RUNNING.left(0) is None
