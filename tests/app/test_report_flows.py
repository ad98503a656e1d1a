"""Reports, CSAT and monthly statements, as people use them: tickets worked through the
running app, rated in the client thread, reported with ``/ticket report`` and sent to
account managers on the 1st; the desk's clock is moved, never waited for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.redis_time import RedisTime as Clock
from bot.bootstrap import Runtime, open_runtime
from bot.domain.jobs import Armed, ReportDM
from bot.domain.periods import month_of, next_statement
from bot.domain.tickets import Client
from bot.sandbox.standin import Message, SlackStandIn
from bot.services.reports import STATEMENT_TTL
from tests.support.desk import RunningApp, advance, drained, register_client, settings_for
from tests.support.flows import buttons, open_ticket, text_of, triage_post
from tests.support.reporting import (
    OTHER_ORG,
    answered,
    csv_in_thread,
    dm_of,
    modal_text,
    resolved_now,
    row,
    work,
)
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    STAFF,
    STAFF_2,
    TRIAGE,
)

GLOBEX = "C0GLOBEX01"
HOUR = 3600
PLANS = '{"quiet": {"csat": false}}'
SLACK = 5.0
"""Seconds of real time a step may take in these tests, on top of the clock's moves."""


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"archive_after_days": 90, "plans": PLANS}


@pytest.fixture(autouse=True)
def globex(slack: SlackStandIn) -> None:
    slack.add_channel(GLOBEX, "globex-support")


async def rate(app: RunningApp, resolution: Message, score: int, user: str) -> None:
    element = buttons(resolution)[str(score)]
    status, _ = await app.client.click(element["action_id"], element["value"], user=user,
                                       channel=resolution.channel, team=OTHER_ORG)
    assert status == 200


@contextlib.asynccontextmanager
async def another_worker(app: RunningApp, redis_url: str, clock: Clock
                         ) -> AsyncIterator[Runtime]:
    """A second worker process on the same Redis (its first sweep runs at its start)."""
    settings = settings_for(app.slack, redis_url, archive_after_days=90, plans=PLANS)
    async with open_runtime(settings, redis_url, clock) as runtime:
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.worker.run(stop))
        try:
            yield runtime
        finally:
            stop.set()
            await task


async def armed_for(runtime: Runtime, jobs: list[str], timeout: float = 10.0) -> None:
    """Wait until ``jobs`` (their ids) are armed for later."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = {j for part in runtime.store.layout.all
                 for j in await runtime.redis.zrange(part.due, 0, -1)}
        if set(jobs) <= found:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{jobs} not armed: {found}"
        await asyncio.sleep(0.02)


def near(value: str, expected: float) -> bool:
    return expected <= float(value) <= expected + SLACK


async def test_ratings_reports_and_monthly_statements(app: RunningApp, redis_url: str,
                                                      clock: Clock) -> None:
    await register_client(app.runtime, name="Acme")
    await register_client(app.runtime, channel=GLOBEX, name="Globex", manager=STAFF_2)
    # Acme: a High ticket answered in 10 min and solved in 1 h; one answered after its
    # 4 h target (a breach) and solved in 6 h. Globex: a Low one, 20 min and 2 h.
    first, resolution = await work(app, CLIENT_CHANNEL, "High", respond_after=600,
                                   resolve_after=HOUR)
    await work(app, CLIENT_CHANNEL, "High", respond_after=5 * HOUR, resolve_after=6 * HOUR)
    await work(app, GLOBEX, "Low", respond_after=1200, resolve_after=2 * HOUR)

    # Anyone in the client channel rates, members of the client's organisation too; a
    # second click changes one's rating.
    post = await triage_post(app, first)
    assert {"1", "2", "3", "4", "5", "Add a comment"} <= set(buttons(resolution))
    await rate(app, resolution, 4, EXTERNAL)
    await app.slack.wait_for(lambda: "CSAT 4/5 (1 rating)" in text_of(post))
    await rate(app, resolution, 5, EXTERNAL)
    await app.slack.wait_for(lambda: "CSAT 5/5 (1 rating)" in text_of(post))
    await rate(app, resolution, 2, CLIENT_USER)
    await app.slack.wait_for(lambda: "CSAT 3.5/5 (2 ratings)" in text_of(post))
    await modal_text(app, resolution, "Add a comment", "Your comment",
                     "Quick <@U0LEAD0001> fix, thanks", user=CLIENT_USER)
    note = await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE, post.ts)
                                             if "commented" in m.text])
    assert "rated T-" in note[0].text and "2/5" in note[0].text
    assert "Quick &lt;@U0LEAD0001&gt; fix, thanks" in note[0].text
    # Rated from elsewhere (a forged click in triage): refused, nothing changes.
    element = buttons(resolution)["1"]
    await app.client.click(element["action_id"], element["value"], user=STAFF, channel=TRIAGE)
    refusal = await app.slack.wait_for(lambda: [c for c in app.slack.calls_to(
        "chat.postEphemeral") if "only in its client's channel" in c.args["text"]])
    assert refusal
    await drained(app.runtime)
    assert "CSAT 3.5/5 (2 ratings)" in text_of(post)

    # A second worker starts: its first sweep arms each client's statement, as the first
    # worker's next sweep would; each is armed once all the same.
    due, month = next_statement(clock.now())
    async with another_worker(app, redis_url, clock):
        # Its sweep runs in the background: the clock moves once the statements are armed.
        await armed_for(app.runtime, [f"report:statement:{c}:{month.label}"
                                      for c in (CLIENT_CHANNEL, GLOBEX)])
        await advance(app.runtime, due - clock.now() + HOUR)  # the 1st, 10:00 UTC
        statements = await app.slack.wait_for(
            lambda: (a := dm_of(app.slack, AM, "statement:")) and
            (g := dm_of(app.slack, STAFF_2, "statement:")) and a + g, timeout=15)
        await drained(app.runtime)
    async with another_worker(app, redis_url, clock):  # a restart: nothing again
        await asyncio.sleep(1)
        await drained(app.runtime)
    assert len(dm_of(app.slack, AM, "statement:")) == 1
    assert len(dm_of(app.slack, STAFF_2, "statement:")) == 1
    acme = next(m for m in statements if m.channel == "D" + AM[1:])
    assert f"Monthly statement {month.label} — Acme" in text_of(acme)
    assert "Globex" not in text_of(acme)
    statement = await csv_in_thread(app.slack, acme)
    assert [(r["client"], r["severity"]) for r in statement] == [("Acme", "high"),
                                                                ("Acme", "all")]

    # Staff ask for last month (the statements' month): figures as computed by hand.
    await app.client.command("/ticket", "report last month", user=STAFF, channel=TRIAGE)
    on_its_way = await app.slack.wait_for(lambda: [
        c for c in app.slack.calls_to("chat.postEphemeral", user=STAFF)
        if "on its way" in c.args["text"]])
    assert month.label in on_its_way[0].args["text"]
    report = (await app.slack.wait_for(lambda: dm_of(app.slack, STAFF, "asked:")))[0]
    table = await csv_in_thread(app.slack, report)
    high = row(table, "Acme", "high")
    assert high["tickets"] == "2" and high["first response met %"] == "50"
    # Nearest rank of two: p50 is the first, p90 and p99 the second.
    assert near(high["first response p50 (s)"], 600)
    assert near(high["first response p90 (s)"], 5 * HOUR)
    assert near(high["first response p99 (s)"], 5 * HOUR)
    assert high["breaches"] == "1"
    assert near(high["resolution p50 (s)"], HOUR) and near(high["resolution p90 (s)"], 6 * HOUR)
    assert (high["CSAT average"], high["CSAT ratings"]) == ("3.5", "2")
    low = row(table, "Globex", "low")
    assert low["tickets"] == "1" and near(low["first response p50 (s)"], 1200)
    assert low["CSAT ratings"] == "0" and low["CSAT average"] == ""
    assert row(table, "All clients", "all")["tickets"] == "3"
    summary = text_of(report)
    assert "*Acme*: tickets 2 · first response met % 50 %" in summary
    assert "CSAT average 3.5 · CSAT ratings 2" in summary

    # One client by name; and nobody but staff.
    await app.client.command("/ticket", "report last month globex", user=STAFF,
                             channel=TRIAGE)
    await app.slack.wait_for(lambda: len(dm_of(app.slack, STAFF, "asked:")) == 2)
    only = [m for m in dm_of(app.slack, STAFF, "asked:") if "Globex" in m.text]
    assert only
    assert [r["client"] for r in await csv_in_thread(app.slack, only[0])] == ["Globex"] * 2
    await app.client.command("/ticket", "report", user=GUEST, channel=CLIENT_CHANNEL)
    refused = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral",
                                                                  user=GUEST))
    assert refused[0].args["text"] == "Only the support team can see reports."
    await app.client.command("/ticket", "report 2026-13", user=STAFF, channel=TRIAGE)
    bad = await app.slack.wait_for(lambda: [c for c in app.slack.calls_to(
        "chat.postEphemeral", user=STAFF) if "not a month" in c.args["text"]])
    assert "YYYY-MM" in bad[0].args["text"]


async def test_a_plan_without_csat_asks_nothing(app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme", plan="quiet")
    _, resolution = await work(app, CLIENT_CHANNEL, "Low", respond_after=60,
                               resolve_after=120)
    assert set(buttons(resolution)) == {"Reopen"}
    assert "How did we do?" not in text_of(resolution)


async def test_a_statement_nobody_can_receive_is_told_in_triage(app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    app.slack.users[AM]["deleted"] = True  # the account manager left
    month = month_of(app.runtime.clock.now(), back=1)
    ref = f"statement:{CLIENT_CHANNEL}:{month.label}"
    await app.runtime.store.enqueue_once(ref, STATEMENT_TTL, Armed(ReportDM(
        ref=ref, user=None, start=month.start, end=month.end, label=month.label,
        channel=CLIENT_CHANNEL)))
    note = await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE)
                                             if "Could not send" in m.text])
    assert f"monthly statement {month.label} to <@{AM}>" in note[0].text
    assert "user_disabled" in note[0].text and "clients set --account-manager" in note[0].text
    await drained(app.runtime)
    assert [d.id for d in await app.runtime.queue.dead_letter_list()] == [f"report:{ref}"]


async def test_a_pasted_comment_is_cleaned_at_intake_and_quoted_line_by_line(
        app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    number, resolution = await work(app, CLIENT_CHANNEL, "Low", respond_after=60,
                                    resolve_after=120)
    post = await triage_post(app, number)
    await rate(app, resolution, 2, CLIENT_USER)
    await modal_text(app, resolution, "Add a comment", "Your comment",
                     "Slow.\u2028*Resolved by the head of support*\rsee\x07 log\x1b[0m",
                     user=CLIENT_USER)
    note = (await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE, post.ts)
                                              if "commented" in m.text]))[0]
    lines = note.text.split("\n")[1:]
    assert lines == ["> Slow.", "> *Resolved by the head of support*", "> see log[0m"]


def answers(app: RunningApp) -> list[str]:
    """What the desk said to STAFF only (ephemeral messages)."""
    return [e.text for e in app.slack.ephemerals if e.user == STAFF]


async def answer_to(app: RunningApp, typed: str) -> str:
    """What ``/ticket <typed>``, run by staff in triage, answers them."""
    seen = len(answers(app))
    await app.client.command("/ticket", typed, user=STAFF, channel=TRIAGE)
    return str((await app.slack.wait_for(lambda: answers(app)[seen:]))[0])


async def test_a_report_covers_the_tickets_opened_in_its_period_resolved_or_not(
        app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    await app.runtime.desk.reports.arm_statements()  # as each sweep does, once a month
    clock = app.runtime.clock
    coming = month_of(clock.now(), back=-1)
    # Opened two hours before the month starts, answered, resolved in the month: it is
    # the month before's, in its statement, and not in this month's report.
    await advance(app.runtime, coming.start - 2 * HOUR - clock.now())
    before = await answered(app, CLIENT_CHANNEL, "Low", after=600)
    await advance(app.runtime, 3 * HOUR)
    assert month_of(clock.now()) == coming
    await resolved_now(app, before)
    # This month: three High tickets answered in 10 minutes, none resolved; a Critical
    # left unanswered past its hour; a Medium not answered yet, its 8 hours still running.
    for _ in range(3):
        await answered(app, CLIENT_CHANNEL, "High", after=600)
    await open_ticket(app, "Checkout down", "Critical", "Nobody can pay.")
    await advance(app.runtime, 2 * HOUR)
    await drained(app.runtime)
    await open_ticket(app, "Typo on the login page", "Medium", "Says Pasword.")
    await drained(app.runtime)

    await app.client.command("/ticket", "report", user=STAFF, channel=TRIAGE)
    report = (await app.slack.wait_for(lambda: dm_of(app.slack, STAFF, "asked:")))[0]
    await drained(app.runtime)
    summary = text_of(report)
    assert "No tickets" not in summary and ": 5 tickets opened" in summary
    table = await csv_in_thread(app.slack, report)
    high = row(table, "Acme", "high")
    assert (high["tickets"], high["first response met %"], high["first response pending"],
            high["breaches"]) == ("3", "100", "0", "0")
    assert near(high["first response p50 (s)"], 600)
    assert high["resolution p50 (s)"] == "" and high["resolution p90 (s)"] == ""
    critical = row(table, "Acme", "critical")
    assert (critical["tickets"], critical["first response met %"],
            critical["first response pending"], critical["breaches"]) == ("1", "0", "0", "1")
    medium = row(table, "Acme", "medium")
    assert (medium["tickets"], medium["first response met %"],
            medium["first response pending"], medium["breaches"]) == ("1", "", "1", "0")
    everything = row(table, "Acme", "all")
    # Met over met and breached: 3 of 4; the pending one counts in neither.
    assert (everything["tickets"], everything["first response met %"],
            everything["first response pending"], everything["breaches"]) == \
        ("5", "75", "1", "1")
    assert "low" not in {r["severity"] for r in table}

    # The month before's statement, on the 1st at 09:00: the ticket opened then, though
    # it was resolved after the month ended.
    await advance(app.runtime, coming.start + 10 * HOUR - clock.now())
    statement = (await app.slack.wait_for(lambda: dm_of(app.slack, AM, "statement:"),
                                          timeout=15))[0]
    await drained(app.runtime)
    assert "Monthly statement" in text_of(statement)
    low = row(await csv_in_thread(app.slack, statement), "Acme", "low")
    assert low["tickets"] == "1" and near(low["resolution p50 (s)"], 3 * HOUR + 600)


async def test_a_client_is_named_by_its_channel_as_typed_or_by_its_name(
        app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    await register_client(app.runtime, channel=GLOBEX, name="Globex Media", manager=STAFF_2)
    # Slack sends what was typed (the command does not escape): ``#globex-support``.
    for typed, named in [("report #globex-support", "Globex Media"),
                         ("report last month #acme-support", "Acme"),
                         ("report <#C0GLOBEX01|globex-support>", "Globex Media"),
                         ("report this month globex media", "Globex Media")]:
        said = await answer_to(app, typed)
        assert f"for {named} is on its way" in said, (typed, said)
    reports = await app.slack.wait_for(lambda: len(dm_of(app.slack, STAFF, "asked:")) == 4
                                       and dm_of(app.slack, STAFF, "asked:"))
    assert sum("Globex Media" in m.text for m in reports) == 3


async def test_every_period_a_person_types_gets_an_answer(app: RunningApp) -> None:
    for typed, said in [("report 9999-12", "9999-12"), ("report 1969-12", "1969-12"),
                        ("report 0000-00", "0000-00"), ("report 99999d", "99999d")]:
        answer = await answer_to(app, typed)
        assert said in answer and "on its way" not in answer, answer


async def test_a_name_that_matches_no_client_names_ten_of_them_escaped(
        app: RunningApp) -> None:
    for i in range(400):  # long names: all of them would pass Slack's 40,000 characters
        await app.runtime.store.put_client(Client(
            f"C0LONG{i:04d}", f"Client {i:03d} <Holdings> & {'Subsidiaries ' * 6}".strip(),
            "standard", AM))
    refusal = await answer_to(app, "report <!channel> Initech")
    assert "&lt;!channel&gt; Initech" in refusal and "<!channel>" not in refusal
    assert "Client 000 &lt;Holdings&gt; &amp; Subsidiaries" in refusal
    assert refusal.count("Holdings") == 10 and "and 390 more" in refusal
    assert len(refusal) < 3000
