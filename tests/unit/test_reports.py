"""The report's figures, periods and CSAT rules: pure functions, hand-computed cases and
properties."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.config.plans import parse_calendars, parse_plans
from bot.domain import csat
from bot.domain.periods import month, next_statement, parse_report
from bot.domain.reports import (
    ALL,
    COLUMNS,
    REPORTED,
    Outcome,
    Reported,
    Row,
    columns,
    figures,
    nearest_rank,
    outcome,
    tickets_in,
    to_csv,
)
from bot.domain.sla import SlaClock as Clock
from bot.domain.tickets import Severity, Status, StatusChange, Ticket, TicketError
from bot.domain.transitions import resolve
from bot.slack_ui.csat import score_line
from bot.slack_ui.reports import SUMMARY_LINES, report_message
from bot.slack_ui.words import words_for

EN = words_for("en")
HOUR = 3600
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()  # a Monday
ACME, GLOBEX = "C0ACME0001", "C0GLOBEX01"
NAMES = {ACME: "Acme", GLOBEX: "Globex"}
STANDARD = parse_plans("", {})["standard"]


def done(number: int, channel: str, severity: Severity, first: float | None, resolution: float,
         breached: frozenset[Clock] = frozenset(), scores: tuple[int, ...] = ()) -> Outcome:
    durations = {Clock.RESOLUTION: resolution}
    if first is not None:
        durations[Clock.INITIAL] = first
    return Outcome(number, channel, severity, T0, T0 + resolution, durations, breached, scores)


# -- percentiles ------------------------------------------------------------------------

def test_nearest_rank_by_hand() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert nearest_rank(values, 30) == 20.0  # ceil(0.3 * 5) = 2nd
    assert nearest_rank(values, 40) == 20.0
    assert nearest_rank(values, 50) == 35.0
    assert nearest_rank(values, 100) == 50.0
    assert nearest_rank([7.0], 99) == 7.0
    assert nearest_rank([], 50) is None
    with pytest.raises(ValueError):
        nearest_rank(values, 0)


@given(st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=300),
       st.integers(1, 100))
def test_nearest_rank_is_a_value_with_p_percent_at_or_below_it(values: list[float],
                                                               p: int) -> None:
    ordered = sorted(values)
    found = nearest_rank(ordered, p)
    assert found in ordered
    n = len(ordered)
    assert 100 * sum(1 for v in ordered if v <= found) >= p * n
    assert 100 * sum(1 for v in ordered if v < found) < p * n


@given(st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=200),
       st.integers(1, 99))
def test_percentiles_never_decrease(values: list[float], p: int) -> None:
    ordered = sorted(values)
    low, high = nearest_rank(ordered, p), nearest_rank(ordered, p + 1)
    assert low is not None and high is not None and low <= high


# -- the figures ------------------------------------------------------------------------

outcomes_strategy = st.lists(st.builds(
    done, st.integers(1, 10**6), st.sampled_from([ACME, GLOBEX, "C0OTHER001"]),
    st.sampled_from(list(Severity)), st.none() | st.floats(0, 1e6), st.floats(0, 1e7),
    st.frozensets(st.sampled_from([Clock.INITIAL, Clock.RESOLUTION])),
    st.lists(st.integers(1, 5), max_size=3).map(tuple)), max_size=60)


def value(row: Row, name: str) -> float | None:
    found = row.values[[c.name for c in COLUMNS].index(name)]
    return None if found is None else float(found)


def number(row: Row, name: str) -> float:
    found = value(row, name)
    assert found is not None
    return found


@given(outcomes_strategy)
def test_the_figures_add_up(outcomes: list[Outcome]) -> None:
    rows = figures(outcomes, NAMES)
    for client in {r.client for r in rows} - {"All clients"}:
        mine = [r for r in rows if r.client == client and r.severity != ALL]
        total = next(r for r in rows if r.client == client and r.severity == ALL)
        for name in ("tickets", "CSAT ratings", "breaches"):
            assert number(total, name) == sum(number(r, name) for r in mine)
    clients = [r for r in rows if r.severity == ALL and r.client != "All clients"]
    assert sum(number(r, "tickets") for r in clients) == len(outcomes)
    for r in rows:
        assert 0 <= number(r, "first response met %") <= 100
        assert number(r, "breaches") <= number(r, "tickets")
        p50, p90, p99 = (value(r, f"first response p{p}") for p in (50, 90, 99))
        if p50 is None or p90 is None or p99 is None:
            assert p50 is None and p99 is None
        else:
            assert p50 <= p90 <= p99


def test_figures_per_client_and_severity_match_a_hand_computation() -> None:
    outcomes = [
        done(1001, ACME, Severity.HIGH, 600, 3 * HOUR, scores=(5,)),
        done(1002, ACME, Severity.HIGH, 1200, 5 * HOUR, scores=(4, 2)),
        done(1003, ACME, Severity.HIGH, 5 * HOUR, 9 * HOUR, frozenset({Clock.INITIAL})),
        done(1004, ACME, Severity.LOW, None, 2 * HOUR),
        done(1005, GLOBEX, Severity.CRITICAL, 300, HOUR, scores=(5,)),
    ]
    rows = {(r.client, r.severity): dict(zip((c.name for c in COLUMNS), r.values, strict=True))
            for r in figures(outcomes, NAMES)}
    high = rows[("Acme", "high")]
    assert high["tickets"] == 3
    assert high["first response met %"] == pytest.approx(200 / 3)
    # 600, 1200, 18000: p50 = 2nd, p90 = p99 = 3rd.
    assert (high["first response p50"], high["first response p90"],
            high["first response p99"]) == (1200, 18000, 18000)
    assert high["breaches"] == 1
    assert (high["resolution p50"], high["resolution p90"]) == (5 * HOUR, 9 * HOUR)
    assert high["CSAT average"] == pytest.approx(11 / 3) and high["CSAT ratings"] == 3
    low = rows[("Acme", "low")]
    assert low["first response p50"] is None and low["first response met %"] == 100
    assert low["CSAT average"] is None and low["CSAT ratings"] == 0
    acme = rows[("Acme", ALL)]
    assert acme["tickets"] == 4 and acme["first response p50"] == 1200
    assert acme["resolution p90"] == 9 * HOUR
    everyone = rows[("All clients", ALL)]
    assert everyone["tickets"] == 5 and everyone["CSAT ratings"] == 4
    assert list(rows)[:3] == [("Acme", "high"), ("Acme", "low"), ("Acme", ALL)]


def test_a_new_clock_is_a_column_more_not_a_code_path() -> None:
    more = (*REPORTED, Reported(Clock.NEXT, "next response", (50,)))
    names = [c.name for c in columns(more)]
    assert names[:len(COLUMNS) - 4] == [c.name for c in COLUMNS][:len(COLUMNS) - 4]
    assert "next response p50" in names
    outcomes = [replace(done(1, ACME, Severity.LOW, 60, HOUR),
                        durations={Clock.INITIAL: 60, Clock.RESOLUTION: HOUR, Clock.NEXT: 90})]
    row = figures(outcomes, NAMES, columns(more))[0]
    assert dict(zip(names, row.values, strict=True))["next response p50"] == 90


def test_csv_has_a_row_per_figure_row_seconds_and_no_formulas() -> None:
    outcomes = [done(1, ACME, Severity.HIGH, 600.5, HOUR, scores=(4,)),
                done(2, "C0EVIL0001", Severity.LOW, 60, HOUR)]
    text = to_csv(figures(outcomes, {**NAMES, "C0EVIL0001": "=cmd()"}))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["client", "severity", "tickets", "first response met %"]
    assert "first response p50 (s)" in table[0]
    assert [r[:2] for r in table[1:]] == [["'=cmd()", "low"], ["'=cmd()", "all"],
                                          ["Acme", "high"], ["Acme", "all"],
                                          ["All clients", "all"]]
    assert table[3][2:4] == ["1", "100"]
    assert table[3][table[0].index("first response p50 (s)")] == "600.5"


# -- outcomes: business time, pauses, breaches ------------------------------------------

def test_outcome_counts_business_time_and_leaves_out_waiting_on_the_client() -> None:
    calendars = parse_calendars('{"office": {"timezone": "UTC", "hours": '
                                '{"mon-fri": ["09:00-17:00"]}}}')
    plan = parse_plans('{"gold": {"calendar": "office"}}', calendars)["gold"]
    friday_4pm = datetime(2026, 11, 6, 16, 0, tzinfo=UTC).timestamp()
    monday = datetime(2026, 11, 9, 9, 0, tzinfo=UTC).timestamp()
    ticket = Ticket(1001, ACME, "U1", "t", "d", Severity.HIGH, friday_4pm,
                    first_response_at=monday + 1800, status=Status.CLAIMED, assignee="U2",
                    status_changes=(
                        StatusChange(monday + 3600, "U2", Status.CLAIMED,
                                     Status.WAITING_ON_CLIENT),
                        StatusChange(monday + 3 * 3600, "U2", Status.WAITING_ON_CLIENT,
                                     Status.CLAIMED)))
    solved = resolve(ticket, "U2", monday + 4 * 3600, "fixed")
    found = outcome(solved, plan, [("resolution", monday + 3600)])
    # Friday 16:00-17:00, then Monday 09:00-09:30: 1 h 30 of business time.
    assert found.durations[Clock.INITIAL] == 5400
    # Until Monday 13:00: 1 h + 4 h, less the 2 h waiting on the client.
    assert found.durations[Clock.RESOLUTION] == 3 * 3600
    assert found.breached == frozenset({Clock.RESOLUTION})


def test_a_late_first_response_is_a_breach_even_if_none_was_fired() -> None:
    ticket = Ticket(1001, ACME, "U1", "t", "d", Severity.CRITICAL, T0,
                    first_response_at=T0 + 2 * HOUR)
    found = outcome(resolve(ticket, "U2", T0 + 3 * HOUR, "fixed"), STANDARD)
    assert found.breached == frozenset({Clock.INITIAL})
    on_time = replace(ticket, first_response_at=T0 + 600)
    assert outcome(resolve(on_time, "U2", T0 + HOUR, "ok"), STANDARD).breached == frozenset()


# -- periods ----------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 10, 56, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "label", "rest"), [
    ("", "2026-12", ""), ("this month", "2026-12", ""), ("last month Acme", "2026-11", "Acme"),
    ("LAST MONTH", "2026-11", ""), ("2026-02 Globex Media", "2026-02", "Globex Media"),
    ("30d", "last 30 days", ""), ("Acme", "2026-12", "Acme"),
])
def test_report_periods(text: str, label: str, rest: str) -> None:
    period, who = parse_report(text, NOW)
    assert (period.label, who) == (label, rest)
    assert period.start < period.end


def test_months_are_local_to_the_timezone_and_run_a_whole_month() -> None:
    november = month(2026, 11)
    assert november.end - november.start == 30 * 86_400
    rome = month(2026, 3, "Europe/Rome")  # 31 days, one hour of which lost to DST
    assert rome.end - rome.start == 31 * 86_400 - 3600
    assert month(2026, 12).end == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("bad", ["2026-13", "0d", "99999d", "1969-12", "2027-01", "9999-12"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(TicketError, match=bad):
        parse_report(bad, NOW)


typed_periods = st.one_of(
    st.sampled_from(["", "this month", "last month", "LAST MONTH", "this", "month"]),
    st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99)),
    st.builds("{}d".format, st.integers(0, 99999)),
    st.from_regex(r"\A[0-9٠-٩]{1,5}[-d]?[0-9]{0,3}\Z"),
    st.text(max_size=12),
)


@given(typed_periods, st.sampled_from(["", " Acme", " #acme-support"]),
       st.floats(0, datetime(2100, 1, 1, tzinfo=UTC).timestamp()),
       st.sampled_from(["UTC", "Europe/Rome", "Pacific/Kiritimati", "America/Adak"]))
@example("9999-12", "", NOW, "UTC")
@example("1970-01", "", 0.0, "America/Adak")
@example("", "", 2051222399.9999995, "UTC")  # half a microsecond before a month begins
def test_every_typed_period_is_one_that_has_begun_or_a_refusal(
        period: str, client: str, now: float, timezone: str) -> None:
    try:
        found, rest = parse_report(period + client, now, timezone)
    except TicketError as refusal:
        assert str(refusal)
        return
    assert found.start < found.end and found.start <= now and found.label
    assert rest.endswith(client.strip())


def test_the_next_statement_is_the_first_at_nine_local_for_the_month_before() -> None:
    due, covered = next_statement(NOW)
    assert due == datetime(2027, 1, 1, 9, 0, tzinfo=UTC).timestamp()
    assert covered.label == "2026-12"
    early = datetime(2026, 12, 1, 7, 0, tzinfo=UTC).timestamp()
    due, covered = next_statement(early, "Europe/Rome")  # 08:00 in Rome: today at 09:00
    assert due == datetime(2026, 12, 1, 8, 0, tzinfo=UTC).timestamp()
    assert covered.label == "2026-11"


# -- CSAT -------------------------------------------------------------------------------

def test_one_rating_per_person_a_second_click_changes_it() -> None:
    ticket = Ticket(1001, ACME, "U1", "t", "d", Severity.LOW, T0)
    rated = csat.rate(csat.rate(ticket, "U1", 3, T0), "U2", 5, T0)
    assert score_line(EN, csat.score_of(rated)) == "CSAT 4/5 (2 ratings)"
    changed = csat.rate(rated, "U1", 4, T0 + 1)
    assert [(r.user, r.score) for r in changed.ratings] == [("U1", 4), ("U2", 5)]
    assert score_line(EN, csat.score_of(changed)) == "CSAT 4.5/5 (2 ratings)"
    assert score_line(words_for("it"), csat.score_of(changed)) == "CSAT 4,5/5 (2 valutazioni)"
    assert csat.rate(changed, "U1", 4, T0 + 2) is changed
    assert score_line(EN, csat.score_of(csat.rate(ticket, "U9", 5, T0))) == "CSAT 5/5 (1 rating)"
    with pytest.raises(TicketError):
        csat.rate(ticket, "U1", 6, T0)


def test_a_comment_belongs_to_a_rating_and_is_never_cut() -> None:
    ticket = Ticket(1001, ACME, "U1", "t", "d", Severity.LOW, T0)
    with pytest.raises(TicketError, match="rate T-1001 first"):
        csat.comment(ticket, "U1", "Great", T0)
    rated = csat.comment(csat.rate(ticket, "U1", 5, T0), "U1", "  Great, thanks  ", T0)
    assert rated.ratings[0].comment == "Great, thanks"
    with pytest.raises(TicketError, match="at most 3000"):
        csat.comment(rated, "U1", "x" * 3001, T0)


def test_a_long_summary_says_how_many_rows_are_only_in_the_csv() -> None:
    outcomes = [done(n, f"C{n:09d}", Severity.HIGH, 60, HOUR) for n in range(30)]
    rows = figures(outcomes, {})
    text, blocks = report_message(EN, "SLA report 2026-11 — all clients", rows, 30)
    assert text.startswith("SLA report 2026-11 — all clients: 30 tickets opened")
    shown = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert f"…and {len(rows) - SUMMARY_LINES} more rows in the CSV." in shown
    assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in blocks
                                     if b["type"] == "section")
    _, empty = report_message(EN, "SLA report 2026-11 — Acme", [], 0)
    assert "No tickets were opened in this period." in empty[0]["text"]["text"]


def summary_lines(rows: list[Row]) -> list[str]:
    _, blocks = report_message(EN, "SLA report 2026-11 — all clients", rows, 0)
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section").split("\n")


def test_all_clients_come_last_in_the_summary_and_survive_the_cut() -> None:
    zeta = "C0ZETA0001"
    few = [done(1, ACME, Severity.HIGH, 60, HOUR), done(2, zeta, Severity.LOW, 60, HOUR)]
    lines = summary_lines(figures(few, {**NAMES, zeta: "Zeta"}))
    assert [line.split(":")[0] for line in lines] == [
        "*Acme*", "    High", "*Zeta*", "    Low", "*All clients*"]
    many = figures([done(n, f"C{n:09d}", Severity.HIGH, 60, HOUR) for n in range(30)], {})
    lines = summary_lines(many)
    assert len(lines) == SUMMARY_LINES + 1
    assert lines[-2] == f"…and {len(many) - SUMMARY_LINES} more rows in the CSV."
    assert lines[-1].startswith("*All clients*: tickets 30 ·")


def test_a_client_called_all_clients_is_a_client_like_any_other() -> None:
    rows = figures([done(1, ACME, Severity.HIGH, 60, HOUR),
                    done(2, GLOBEX, Severity.LOW, 60, HOUR)],
                   {ACME: "All clients", GLOBEX: "Globex"})
    assert [(r.client, r.severity, r.everyone) for r in rows][-1] == ("All clients", ALL, True)
    assert tickets_in(rows) == 2
    assert summary_lines(rows)[-1].startswith("*All clients*: tickets 2 ·")


# -- tickets not resolved: pending, breached, no resolution time ------------------------

def test_a_first_response_still_to_come_is_pending_then_breached_and_not_resolved() -> None:
    waiting = Ticket(1001, ACME, "U1", "t", "d", Severity.HIGH, T0)
    with pytest.raises(ValueError, match="not resolved"):
        outcome(waiting, STANDARD)
    before = outcome(waiting, STANDARD, now=T0 + HOUR)
    assert (before.pending, before.breached, before.resolved_at, before.durations) == (
        frozenset({Clock.INITIAL}), frozenset(), None, {})
    after = outcome(replace(waiting, number=1002), STANDARD, now=T0 + 4 * HOUR)
    assert (after.pending, after.breached) == (frozenset(), frozenset({Clock.INITIAL}))
    answered = replace(waiting, number=1003, status=Status.CLAIMED, assignee="U2",
                       first_response_at=T0 + 600)
    working = outcome(answered, STANDARD, now=T0 + 5 * HOUR)
    assert (working.pending, working.breached, working.durations) == (
        frozenset(), frozenset(), {Clock.INITIAL: 600})
    # A reopened ticket's first-response clock stopped at its first resolution.
    reopened = replace(resolve(waiting, "U2", T0 + HOUR, "ok"), number=1004,
                       status=Status.OPEN, resolved_at=None)
    assert outcome(reopened, STANDARD, now=T0 + 9 * HOUR).pending == frozenset()

    rows = {r.severity: dict(zip((c.name for c in COLUMNS), r.values, strict=True))
            for r in figures([before, after, working], NAMES)}
    high = rows["high"]
    assert (high["tickets"], high["first response pending"], high["breaches"]) == (3, 1, 1)
    assert high["first response met %"] == 50  # met over met and breached
    assert high["first response p50"] == 600
    assert (high["resolution p50"], high["resolution p90"]) == (None, None)
    only_pending = figures([before], NAMES)[0]
    assert value(only_pending, "first response met %") is None
    assert value(only_pending, "first response pending") == 1
