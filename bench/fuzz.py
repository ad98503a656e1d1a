"""Fuzzing at length: the strategies of ``tests/support/strategies/`` sent to a real desk by
the harness of ``tests/support/fuzz/``.

Starts the desk in this process as the tests do (a real ``redis-server``, the Slack
stand-in on loopback, ``open_runtime`` and ``http_app`` serving HTTP, the worker running),
registers two clients and opens their tickets, then sends ``--examples`` generated payloads
(shared out over the payload families; and every value on the other client's buttons,
clicked by outsiders from elsewhere), signed as Slack signs them, one at a time, each once
what the one before set off is done. Prints what it tried (per family), and what it
found: the answers' statuses, the slowest answers, every distinct error logged (with its
first line, the last lines of its traceback and the smallest payload that caused it), and
whether another client's ticket was touched or shown.

    python -m bench.fuzz [--examples 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.common import machine, percentiles, redis_server, show, standin
from bot.adapters.redis_time import RedisTime
from bot.bootstrap import open_runtime
from bot.sandbox.standin import BOT_USER, SlackStandIn
from tests.support.desk import RunningApp, serving, settings_for
from tests.support.fuzz import (
    Answer,
    deliver,
    essence,
    essentials,
    exception_lines,
    first_line,
    from_standin,
    is_problem,
    leaks,
    origin,
    prepare_world,
    settle,
    victim_state,
)
from tests.support.strategies import (
    MESSAGE_SUBTYPES,
    OTHER_TEAM,
    Payload,
    World,
    families,
    replayed_elsewhere,
)
from tests.support.workspace import CLIENT_USER, EXTERNAL, GUEST

ANSWER_WITHIN = 3.0
SUBTYPE_NAMES = {s or "(none)" for s in MESSAGE_SUBTYPES}
LAST_FAMILIES = ("event channel_id_changed",)
"""Sent after the others: a channel that changes its ID takes the registered client (and
its tickets) with it, and the other families would then see less of the desk."""


class Capture(logging.Handler):
    """Keeps every record at WARNING or above, and every record with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.exc_info or record.stack_info:
            self.records.append(record)


def generate(strategy: st.SearchStrategy[Payload], n: int, at: int) -> list[Payload]:
    """``n`` payloads drawn from ``strategy`` by hypothesis (no test, no shrinking)."""
    drawn: list[Payload] = []

    @seed(at)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        drawn.append(data.draw(strategy))

    collect()
    return drawn[:n]


def interleaved(plan: dict[str, list[Payload]]) -> Iterator[tuple[str, Payload]]:
    """Round robin over the families (those of ``LAST_FAMILIES`` after all the others)."""
    first = [(f, plan[f]) for f in plan if f not in LAST_FAMILIES]
    for round_ in range(max((len(p) for _, p in first), default=0)):
        for family, payloads in first:
            if round_ < len(payloads):
                yield family, payloads[round_]
    for family in LAST_FAMILIES:
        for payload in plan.get(family, []):
            yield family, payload


def shape(record: logging.LogRecord) -> str:
    """What makes a record the same finding as another: its logger, its first line with
    numbers and ids blanked, and its exception's type and place."""
    line = re.sub(r"\b[0-9a-f]{8,}\b|\d+", "#", first_line(record))[:160]
    where = ""
    if record.exc_info and record.exc_info[1] is not None:
        place = origin(record).split(": ", 1)[0]
        where = f" | {type(record.exc_info[1]).__name__} at {place}"
    return f"{record.name} {record.levelname}: {line}{where}"


def size(payload: Payload) -> int:
    return len(json.dumps(essentials(payload), default=str))


@dataclass
class Finding:
    count: int = 0
    families: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    smallest: Payload | None = None
    record: logging.LogRecord | None = None

    def add(self, payload: Payload, answer: Answer, record: logging.LogRecord) -> None:
        self.count += 1
        self.families[payload.family] += 1
        self.statuses[answer.status] += 1
        if self.smallest is None or size(payload) < size(self.smallest):
            self.smallest, self.record = payload, record


@dataclass
class Report:
    tried: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, Counter[str]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    standin: Counter[str] = field(default_factory=Counter)
    failed_statuses: dict[int, tuple[Payload, str]] = field(default_factory=dict)
    touched: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)


async def run(app: RunningApp, world: World, payloads: list[tuple[str, Payload]],
              capture: Capture) -> Report:
    report = Report()
    before = await victim_state(app, world)
    for serial, (family, payload) in enumerate(payloads, start=1):
        report.tried[family] += 1
        report.kinds.setdefault(family, Counter())[payload.family] += 1
        records, calls = len(capture.records), len(app.slack.calls)
        answer = await deliver(app.client.session, app.client.url, payload, serial)
        try:
            await settle(app.runtime)
        except AssertionError as exc:
            report.unsettled.append(f"{payload.family}: {exc}")
        report.statuses.setdefault(family, Counter())[answer.status] += 1
        report.seconds.append(answer.seconds)
        report.slowest = sorted([*report.slowest, (answer.seconds, payload.family,
                                                   essence(payload, 200))], reverse=True)[:3]
        if answer.status >= 500 or answer.status == 0:
            report.failed_statuses.setdefault(answer.status, (payload, answer.body[:200]))
        for record in capture.records[records:]:
            if from_standin(record):
                report.standin[shape(record)] += 1
            elif is_problem(record):
                report.findings.setdefault(shape(record), Finding()).add(payload, answer, record)
            else:
                report.warnings[shape(record)] += 1
        now = await victim_state(app, world)
        if now != before:
            report.touched.append(essence(payload, 400))
            before = now
        for shown in leaks(app.slack, world, calls):
            report.shown.append(f"{shown[:200]} <- {essence(payload, 400)}")
    return report


def print_report(report: Report, elapsed: float) -> None:
    total = sum(report.tried.values())
    print(f"\nTried {total} payloads in {elapsed:.1f} s:")
    for family, count in report.tried.items():
        statuses = ", ".join(f"{s}x{n}" for s, n in sorted(report.statuses[family].items()))
        print(f"  {family:<38} {count:>6}   answers: {statuses}")
        kinds = report.kinds[family]
        if family == "event message":
            known = Counter({k: n for k, n in kinds.items()
                             if k.removeprefix("event message ") in SUBTYPE_NAMES})
            other = sum(kinds.values()) - sum(known.values())
            parts = [f"{k.removeprefix('event message ')} {n}" for k, n in known.most_common()]
            print("      subtypes: " + "; ".join([*parts, f"other text {other}"])[:700])
    everything: Counter[int] = Counter()
    for counts in report.statuses.values():
        everything.update(counts)
    print("\nAnswers: " + ", ".join(f"HTTP {s}: {n}" for s, n in sorted(everything.items())))
    for status, (payload, _) in sorted(report.failed_statuses.items()):
        print(f"  first HTTP {status}: {essence(payload, 300)}")
    if report.seconds:
        show("answer time", percentiles(report.seconds))
    late = sum(1 for s in report.seconds if s > ANSWER_WITHIN)
    print(f"  answers later than {ANSWER_WITHIN:.0f} s: {late}")
    for seconds, _, text in report.slowest:
        print(f"  slow: {seconds * 1000:8.1f} ms  {text}")
    print(f"\nThe other client's ticket: changed {len(report.touched)} times; shown outside "
          f"its channel {len(report.shown)} times")
    for line in (report.touched + report.shown)[:5]:
        print(f"  {line[:600]}")
    for line in report.unsettled[:5]:
        print(f"  not settled: {line[:300]}")
    count = sum(f.count for f in report.findings.values())
    print(f"\nErrors logged (ERROR or above, or with a traceback): {count} records, "
          f"{len(report.findings)} distinct")
    for n, (key, finding) in enumerate(sorted(report.findings.items(),
                                              key=lambda kv: -kv[1].count), start=1):
        assert finding.record is not None and finding.smallest is not None
        statuses = ", ".join(f"HTTP {s}x{c}" for s, c in sorted(finding.statuses.items()))
        print(f"\n  [{n}] {finding.count}x  {first_line(finding.record)[:200]}")
        print(f"      {key}")
        print(f"      answers: {statuses}; from: "
              + ", ".join(f"{f} {c}" for f, c in finding.families.most_common(4)))
        if finding.record.exc_info:
            print(f"      at {origin(finding.record)}")
            for line in exception_lines(finding.record):
                print(f"      | {line}")
        print(f"      smallest payload: {essence(finding.smallest, 700)}")
    if report.standin:
        print("\nThe Slack stand-in could not read some of the desk's calls (not the desk's "
              "log; Slack would have refused them):")
        for key, n in report.standin.most_common(5):
            print(f"  {n}x {key}")
    if report.warnings:
        print("\nWarnings (no traceback), most frequent:")
        for key, n in report.warnings.most_common(8):
            print(f"  {n}x {key[:200]}")


def prepared_slack(slack: SlackStandIn) -> SlackStandIn:
    """The bench's stand-in, with the people the strategies act as (like the tests')."""
    slack.add_user(GUEST, is_restricted=True)
    slack.add_user(EXTERNAL, team_id=OTHER_TEAM)
    slack.add_user(CLIENT_USER, team_id=OTHER_TEAM)
    slack.add_user(BOT_USER, is_bot=True)
    return slack


async def main(examples: int, at: int) -> int:
    print(f"Fuzz: {examples} generated payloads, seed {at}; {machine()}")
    capture = Capture()
    logging.getLogger().addHandler(capture)
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin(0.0) as slack:
            prepared_slack(slack)
            async with open_runtime(settings_for(slack, redis_url), redis_url,
                                    RedisTime()) as runtime, serving(runtime, slack) as app:
                world = await prepare_world(app)
                setup_records = len(capture.records)
                strategies = families(world)
                share, extra = divmod(examples, len(strategies))
                started = time.perf_counter()
                plan = {name: generate(strategy, share + (i < extra), at + i)
                        for i, (name, strategy) in enumerate(strategies.items())}
                plan["the other client's buttons, clicked elsewhere"] = \
                    replayed_elsewhere(world)
                payloads = list(interleaved(plan))
                print(f"Generated {len(payloads)} payloads over {len(plan)} families "
                      f"in {time.perf_counter() - started:.1f} s "
                      f"({setup_records} records while setting up)")
                del capture.records[:]
                started = time.perf_counter()
                report = await run(app, world, payloads, capture)
                print_report(report, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000,
                        help="how many payloads to send, shared out over the families")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis's seed")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.examples, args.seed)))
