"""The digest of what a ticket's timers are worked out from (``bot.domain.stamps``): the
same in every process for the same plan, different once anything in it changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.calendar import Calendar
from bot.domain.plans import STANDARD, default_plans
from bot.domain.stamps import rules_stamp
from bot.domain.tickets import Severity

NINE_TO_FIVE = ((9 * 3600, 17 * 3600),)
WEEK = (NINE_TO_FIVE,) * 5 + ((), ())
HOLIDAYS = [date(2026, 12, d) for d in (8, 24, 25, 26, 31)]


def test_the_same_plan_has_the_same_digest_however_it_was_built() -> None:
    plan = default_plans()[STANDARD]
    one = replace(plan, calendar=Calendar("office", "Europe/Rome", WEEK, frozenset(HOLIDAYS)))
    two = replace(default_plans()[STANDARD], calendar=Calendar(
        "office", "Europe/Rome", WEEK, frozenset(reversed(HOLIDAYS))),
        targets=dict(reversed(list(plan.targets.items()))))
    assert rules_stamp(one, 0.75) == rules_stamp(two, 0.75)


def test_anything_the_timers_depend_on_changes_the_digest() -> None:
    plan = default_plans()[STANDARD]
    office = replace(plan, calendar=Calendar("office", "Europe/Rome", WEEK,
                                             frozenset(HOLIDAYS)))
    others = [
        replace(plan, targets={**plan.targets, Severity.LOW: 7200}),
        replace(plan, always=frozenset({Severity.CRITICAL})),
        office,
        replace(office, calendar=Calendar("office", "Europe/Rome", WEEK,
                                          frozenset(HOLIDAYS[1:]))),
        replace(office, calendar=Calendar("office", "America/New_York", WEEK,
                                          frozenset(HOLIDAYS))),
    ]
    digests = {rules_stamp(p, 0.75) for p in [plan, *others]} | {rules_stamp(plan, 0.5)}
    assert len(digests) == len(others) + 2
