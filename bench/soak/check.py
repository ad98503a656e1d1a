"""The soak's checker: what reached Slack, SMTP and the hooks against what the SLA rules
(``bench.soak.rules``) say the run's history called for.

Each warning or breach delivered (a DM, a triage note, the breach email, a hook's event,
the triage post's first version saying BREACHED) is classified by recipient and text and
matched with the notification it is; the rest (cards, acknowledgements...) is ignored.
Then per kind: expected, delivered, lost, doubled, early, late, sent although answered,
unexpected; and each ticket whose triage post ends disagreeing with its history.

``python -m bench.soak.check RUN_FOLDER`` prints the report and exits 1 on any problem.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak import record
from bench.soak.history import Span, histories
from bench.soak.reading import FLAG, KEY, NUMBER, RESOLVED, Seen, classify, flagged_posts
from bench.soak.record import Config, Delivery
from bench.soak.rules import (
    GRACE,
    SETTLE,
    TOLERANCE,
    Due,
    Final,
    dues,
    finals,
    kind_name,
)


@dataclass
class Row:
    """Per kind: the notifications required, those allowed but not required (``either``),
    those delivered, and each sort of problem."""

    expected: int = 0
    either: int = 0
    delivered: int = 0
    lost: int = 0
    doubled: int = 0
    early: int = 0
    late: int = 0
    answered: int = 0
    unexpected: int = 0


@dataclass(frozen=True)
class Problem:
    ticket: str
    number: int | None
    kind: str
    what: str
    due: Span | None = None
    latest: float | None = None
    delivered: float | None = None


@dataclass
class Report:
    config: Config
    rows: dict[str, Row] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    states: list[Problem] = field(default_factory=list)
    late_outside: list[float] = field(default_factory=list)
    """Seconds after the due time's end, of deliveries due outside any fault window."""
    late_inside: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.states

    def row(self, kind: str) -> Row:
        return self.rows.setdefault(kind, Row())


@dataclass
class Slot:
    due: Due
    got: list[Seen] = field(default_factory=list)


def distance(at: float, due: Due) -> float:
    return max(0.0, due.due.lo - at, at - due.latest)


def match(found: Sequence[Due], seen: Iterable[Seen]) -> tuple[list[Slot], list[Seen]]:
    """Each delivery to the notification it is (the deadline it names, when it names one,
    tells generations apart; else the nearest due time); those that are none."""
    slots = [Slot(d) for d in found]
    index: dict[tuple[str, str, str, str, str], list[Slot]] = {}
    for slot in slots:
        index.setdefault(slot.due.key, []).append(slot)
    stray = []
    for s in sorted(seen, key=lambda s: s.at):
        candidates = index.get(s.key, [])
        if s.deadline is not None:
            named = s.deadline
            candidates = [c for c in candidates if c.due.deadline.lo - GRACE <= named
                          <= c.due.deadline.hi + GRACE] or candidates
        if not candidates:
            stray.append(s)
            continue
        free = [c for c in candidates if not c.got]
        min(free or candidates, key=lambda c: distance(s.at, c.due)).got.append(s)
    return slots, stray


def judge(report: Report, slot: Slot, numbers: dict[str, int | None]) -> None:
    due, row = slot.due, report.row(slot.due.kind)

    def problem(what: str, at: float | None = None) -> None:
        report.problems.append(Problem(due.ticket, numbers.get(due.ticket), due.kind, what,
                                       due.due, due.latest, at))
    if due.running == "no":
        for s in slot.got:
            row.answered += 1
            problem("sent although answered", s.at)
        return
    row.expected += due.running == "yes"
    row.either += due.running == "maybe"
    if not slot.got:
        if due.running == "yes":
            row.lost += 1
            stopped = due.stopped is not None and due.stopped.lo <= due.latest
            problem("lost (answered while a fault held it back)" if stopped else "lost")
        return
    first = slot.got[0].at
    row.delivered += 1
    if first < due.due.lo - TOLERANCE:
        row.early += 1
        problem("early", first)
    elif first > due.latest:
        row.late += 1
        problem("late", first)
    inside = due.latest > due.due.hi + GRACE + 1e-9
    (report.late_inside if inside else report.late_outside).append(first - due.due.hi)
    for s in slot.got[1:]:
        row.doubled += 1
        problem("doubled", s.at)


def state_problems(report: Report, wanted: Sequence[Final], last: dict[str, Delivery]
                   ) -> None:
    for final in wanted:
        post = last.get(final.ticket)

        def problem(what: str, at: float | None = None, final: Final = final) -> None:
            report.states.append(Problem(final.ticket, final.number, "triage post", what,
                                         delivered=at))
        if post is None:
            if final.opened is not None and final.opened < report.config.ended - SETTLE:
                problem("no triage post")
            continue
        flag, resolved = bool(FLAG.match(post.text)), bool(RESOLVED.search(post.text))
        if final.breached is not None and flag != final.breached:
            problem("shows BREACHED" if flag else "does not show BREACHED", post.at)
        if final.resolved is not None and resolved != final.resolved:
            problem("reads resolved" if resolved else "does not read resolved", post.at)


def run_check(config: Config, actions: Sequence[record.Action], faults: Sequence[record.Fault],
              deliveries: Sequence[Delivery]) -> Report:
    if not config.ended:
        config = Config(**{**config.__dict__, "ended": max(
            [config.started, *(a.answered for a in actions), *(d.at for d in deliveries)])})
    found = histories(actions)
    keys = {h.number: h.ticket for h in found.values() if h.number is not None}
    for d in deliveries:  # a triage post names both (a ticket the runner lost track of)
        if d.to == config.triage and d.method == "chat.postMessage" and not d.thread_ts and (
                (n := NUMBER.search(d.text)) and (k := KEY.search(d.text))):
            keys.setdefault(int(n.group(1)), k.group(1))
    numbers = {h.ticket: h.number for h in found.values()}
    receivers = sorted({(d.channel, d.to) for d in deliveries if d.channel in ("webhook", "pager")})
    wanted = dues(config, actions, faults, receivers)
    flags, last = flagged_posts(deliveries, config, keys)
    seen = [s for d in deliveries if (s := classify(d, config, keys)) is not None]
    slots, stray = match(wanted, [*seen, *flags])
    report = Report(config)
    for slot in slots:
        judge(report, slot, numbers)
    for s in stray:
        kind = kind_name(s.clock, s.step, s.medium, role_of(s, config))
        report.row(kind).unexpected += 1
        report.problems.append(Problem(s.ticket, numbers.get(s.ticket), kind, "unexpected",
                                       delivered=s.at))
    state_problems(report, finals(config, actions, wanted), last)
    return report


def role_of(s: Seen, config: Config) -> str:
    if s.to == config.lead:
        return "head of support"
    ams = {c.get("account_manager") for c in config.clients.values()}
    return "account manager" if s.to in ams else "assignee"


def check(folder: Path) -> Report:
    return run_check(record.config(folder), record.actions(folder), record.faults(folder),
                     record.deliveries(folder))


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def render(report: Report) -> str:
    config, t0 = report.config, report.config.started
    heads = ("expected", "either", "delivered", "lost", "doubled", "early", "late",
             "answered", "unexpected")
    lines = ["kind".ljust(42) + "".join(f"{h:>{len(h) + 2}}" for h in heads)]
    for kind, r in sorted(report.rows.items()):
        lines.append(kind.ljust(42) + "".join(f"{getattr(r, h):>{len(h) + 2}}" for h in heads))
    lines.append("(either: allowed once, not required; answered: sent although answered)")
    for name, values in (("outside fault windows", report.late_outside),
                         ("inside fault windows", report.late_inside)):
        if values:
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            lines.append(f"lateness {name} ({len(values)}): p50 {p50:.2f} s, p99 {p99:.2f} s"
                         f" (compressed: p50 {p50 * config.compression / 60:.1f} min, "
                         f"p99 {p99 * config.compression / 60:.1f} min)")
    for p in [*report.problems, *report.states]:
        number = f"T-{p.number}" if p.number is not None else "T-?"
        due = f" due [{p.due.lo - t0:.2f}, {p.due.hi - t0:.2f}] s" if p.due else ""
        latest = f" latest {p.latest - t0:.2f} s" if p.latest is not None else ""
        at = f" delivered {p.delivered - t0:.2f} s" if p.delivered is not None else ""
        if p.delivered is not None and p.due is not None:
            late = p.delivered - p.due.hi
            at += f" ({late:+.2f} s, {late * config.compression / 60:+.1f} min compressed)"
        lines.append(f"{p.what.upper()}: {p.ticket} {number} {p.kind}:{due}{latest}{at}")
    lines.append("OK" if report.ok else
                 f"FAILED: {len(report.problems)} notification problems, "
                 f"{len(report.states)} triage posts disagreeing with their history")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bench.soak.check RUN_FOLDER", file=sys.stderr)
        return 2
    report = check(Path(args[0]))
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
