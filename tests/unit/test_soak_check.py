"""The soak's checker (``bench.soak.check``) on runs written by hand: what it calls lost,
doubled, early, late, sent although answered, and a triage post disagreeing with its
ticket's history; and that a run delivering everything in time passes.

The notifications' texts are the desk's own (``bot.slack_ui.notices``, ``messages``), so
the checker's reading of them is checked against what the desk really writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.soak.check import check, main
from bench.soak.record import Action, Config, Delivery, Fault, write_config, write_line
from bot.domain.identity import Identity
from bot.domain.sla import SlaClock, Window
from bot.domain.tickets import Client, Severity, Status, Ticket
from bot.slack_ui import messages, notices
from bot.slack_ui.words import words_for
from tests.support.tickets import draft

T0 = 1_800_000_000.0
ACME, TRIAGE, TRIAGE_TS = "C0ACME0001", "C0TRIAGE01", "1800000000.000100"
AM, LEAD, STAFF, LEAD_EMAIL = "U0AM000001", "U0LEAD0001", "U0STAFF001", "lead@vendor.example"
TARGET, AGAIN = 40, 20
"""The initial and next-response targets of High tickets, in seconds."""
W = words_for("en")
CLIENT = Client(channel=ACME, name="Acme Media", plan="standard", account_manager=AM)
IDENTITY = Identity("T0VENDOR01", "U0DESKBOT1", "https://vendor.slack.com/")
CLOCKS = {"initial": SlaClock.INITIAL, "next": SlaClock.NEXT}


def config(ended: float = T0 + 200, warn_at: float = 0.75) -> Config:
    return Config(seed=1, compression=100.0, warn_at=warn_at,
                  plans={"standard": {"targets": {"high": float(TARGET)},
                                      "next_response": {"high": float(AGAIN)}}},
                  lead=LEAD, lead_email=LEAD_EMAIL, triage=TRIAGE,
                  clients={ACME: {"name": "Acme Media", "account_manager": AM,
                                  "plan": "standard", "language": "en",
                                  "email_domain": "acme.example"}},
                  started=T0, ended=ended)


@dataclass
class Run:
    """A soak run written by hand: ticket ``k1`` (T-7), opened by a watched message."""

    opened: float = T0 + 1
    actions: list[Action] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    ticket: Ticket = field(init=False)

    def __post_init__(self) -> None:
        self.ticket = replace(draft(Severity.HIGH, ACME, self.opened), number=7,
                              title="Exports fail [k1]")
        self.act("open", self.opened, self.opened + 0.2, via="message", client=ACME,
                 severity="high", title=self.ticket.title, ts=self.opened)
        self.act("numbered", self.opened + 0.5, self.opened + 0.5, number=7)
        self.post(self.opened + 0.3)
        self.deliveries.append(Delivery("webhook", self.opened + 0.3, "webhook", json.dumps(
            {"id": "T-7:1", "event": "opened", "ticket": "T-7", "seq": 1, "at": self.opened,
             "data": {"severity": "high", "status": "open"}}), "opened"))

    def act(self, kind: Any, sent: float, answered: float | None = None,
            **detail: Any) -> None:
        self.actions.append(Action(kind, "k1", sent, sent + 0.1 if answered is None
                                   else answered, True, detail))

    def window(self, deadline: float, clock: str = "initial") -> Window:
        length = TARGET if clock == "initial" else AGAIN
        return Window(deadline - length, length, deadline)

    def dm(self, user: str, at: float, text: str) -> None:
        self.deliveries.append(Delivery("slack", at, user, text, "chat.postMessage", f"{at:.6f}"))

    def note(self, at: float, text: str) -> None:
        self.deliveries.append(Delivery("slack", at, TRIAGE, text, "chat.postMessage",
                                        f"{at:.6f}", TRIAGE_TS))

    def post(self, at: float, *, breached: bool = False, resolved: bool = False) -> None:
        ticket = (replace(self.ticket, status=Status.RESOLVED, resolved_at=at, resolution="ok")
                  if resolved else self.ticket)
        text, blocks = messages.triage_message(W, ticket, CLIENT, self.window(
            self.opened + TARGET), IDENTITY, breached=breached)
        lines = [text, *(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))]
        method = "chat.update" if self.deliveries else "chat.postMessage"
        self.deliveries.append(Delivery("slack", at, TRIAGE, "\n".join(lines), method, TRIAGE_TS))

    def warning(self, at: float, deadline: float, clock: str = "initial",
                assignee: str | None = None, skip: str = "") -> None:
        """The warning's messages at ``at`` (``skip``: one of them not sent)."""
        window, c = self.window(deadline, clock), CLOCKS[clock]
        ticket = replace(self.ticket, assignee=assignee)
        told = [AM, *([assignee] if assignee else [])]
        for user in told:
            if skip != user:
                self.dm(user, at, notices.warning_dm(W, ticket, CLIENT, window, at, None, c))
        if skip != "note":
            self.note(at, notices.warning_note(W, ticket, CLIENT, window, at, told, c))
        if skip != "hook":
            self.hook(at, "warning", clock, at)

    def breach(self, at: float, deadline: float, clock: str = "initial",
               skip: str = "") -> None:
        window, c = self.window(deadline, clock), CLOCKS[clock]
        if skip != "dm":
            self.dm(LEAD, at, notices.breach_dm(W, self.ticket, CLIENT, window, at, None, None,
                                                c))
        if skip != "note":
            self.note(at, notices.breach_note(W, self.ticket, window, at, clock=c, told=[LEAD],
                                              emailed=LEAD_EMAIL))
        if skip != "email":
            mail = notices.breach_email(W, self.ticket, CLIENT, window, at, to=LEAD_EMAIL,
                                        thread_link=None, triage_link=None,
                                        generation=window.generation, clock=c)
            self.deliveries.append(Delivery("mail", at, LEAD_EMAIL,
                                            f"{mail.subject}\n\n{mail.body}", "smtp"))
        if skip != "hook":
            self.hook(at, "breach", clock, window.deadline)
        if clock == "initial" and skip != "post":
            self.post(at, breached=True)

    def hook(self, at: float, step: str, clock: str, due: float) -> None:
        event, step = step, step if clock == "initial" else f"next_{step}"
        body = {"id": f"T-7:{len(self.deliveries)}", "event": event,
                "ticket": "T-7", "seq": 1, "at": at,
                "data": {"severity": "high", "status": "open", "clock": CLOCKS[clock].value,
                         "step": step, "due": due, "rung": 0, "repeat": 0}}
        self.deliveries.append(Delivery("webhook", at, "webhook", json.dumps(body), event))

    def write(self, folder: Path, ended: float = T0 + 200) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        write_config(folder, config(ended))
        for a in self.actions:
            write_line(folder / "actions.jsonl", a)
        for f in self.faults:
            write_line(folder / "faults.jsonl", f)
        for d in self.deliveries:
            name = {"slack": "slack", "mail": "mail"}.get(d.channel, "hooks")
            write_line(folder / f"{name}.jsonl", d)
        return folder


def unanswered(at_warning: float = 0.2, at_breach: float = 0.2) -> Run:
    """Nobody answers T-7: its warning and breach, each ``at_…`` seconds after due."""
    run = Run()
    run.warning(run.opened + 30 + at_warning, run.opened + 40)
    run.breach(run.opened + 40 + at_breach, run.opened + 40)
    return run


def problems(folder: Path) -> list[tuple[str, str]]:
    report = check(folder)
    return [(p.what, p.kind) for p in [*report.problems, *report.states]]


def test_a_run_with_every_notification_in_time_passes(tmp_path: Path) -> None:
    folder = unanswered().write(tmp_path)
    assert problems(folder) == []
    assert main([str(folder)]) == 0
    rows = check(folder).rows
    assert rows["initial warning DM to account manager"].delivered == 1
    assert rows["initial breach triage post BREACHED"].delivered == 1


def test_a_dropped_notification_is_lost_and_fails_the_run(tmp_path: Path) -> None:
    run = Run()
    run.warning(run.opened + 30.2, run.opened + 40)
    run.breach(run.opened + 40.2, run.opened + 40, skip="email")
    folder = run.write(tmp_path)
    assert problems(folder) == [("lost", "initial breach email")]
    assert main([str(folder)]) == 1


def test_a_notification_sent_twice_is_doubled(tmp_path: Path) -> None:
    run = unanswered()
    warned = next(d for d in run.deliveries if d.to == AM)
    run.deliveries.append(replace(warned, at=warned.at + 3))
    assert problems(run.write(tmp_path)) == [("doubled", "initial warning DM to account manager")]


def test_a_notification_before_its_due_time_is_early(tmp_path: Path) -> None:
    folder = unanswered(at_warning=-1.0).write(tmp_path)
    assert {p for p in problems(folder)} == {
        ("early", "initial warning DM to account manager"),
        ("early", "initial warning triage note"), ("early", "initial warning webhook event")}


def test_a_warning_after_the_staff_reply_is_sent_although_answered(tmp_path: Path) -> None:
    run = Run()
    run.act("staff_reply", run.opened + 20, user=STAFF, ts=run.opened + 20)
    run.warning(run.opened + 30.2, run.opened + 40, skip="note")
    assert set(problems(run.write(tmp_path))) == {
        ("sent although answered", "initial warning DM to account manager"),
        ("sent although answered", "initial warning webhook event")}


def test_a_warning_skipped_because_the_breach_was_due_at_once_passes(tmp_path: Path) -> None:
    run = Run()
    run.faults.append(Fault("kill_worker", run.opened + 25, run.opened + 48))
    run.breach(run.opened + 49, run.opened + 40)
    assert problems(run.write(tmp_path)) == []


def test_lateness_in_a_fault_window_is_allowed_up_to_its_end_and_two_seconds(
        tmp_path: Path) -> None:
    for late, found in ((1.9, []), (2.5, [("late", "initial breach DM to head of support")])):
        run = Run()
        run.faults.append(Fault("slack_5xx", run.opened + 35, run.opened + 60))
        run.warning(run.opened + 30.2, run.opened + 40)
        run.breach(run.opened + 40.2, run.opened + 40, skip="dm")
        run.dm(LEAD, run.opened + 60 + late, notices.breach_dm(
            W, run.ticket, CLIENT, run.window(run.opened + 40), run.opened + 60, None, None))
        assert problems(run.write(tmp_path / str(late))) == found
    report = check(tmp_path / "1.9")
    assert len(report.late_inside) == 5 and max(report.late_inside) > 20


def test_a_reply_the_desk_took_only_after_the_deadline_may_or_may_not_stop_the_breach(
        tmp_path: Path) -> None:
    """Slack stamped the reply before the deadline, the desk took it after: the breach may
    have fired in between."""
    for sent in (True, False):
        run = Run()
        run.act("staff_reply", run.opened + 39.5, run.opened + 41, user=STAFF,
                ts=run.opened + 39)
        run.warning(run.opened + 30.2, run.opened + 40)
        if sent:
            run.breach(run.opened + 40.1, run.opened + 40, skip="post")
        assert problems(run.write(tmp_path / str(sent))) == []


def test_a_breach_never_told_because_the_reply_came_while_the_worker_was_down(
        tmp_path: Path) -> None:
    """A warning answered while a fault held it back is stale, and may be dropped; a
    breach is a fact: not telling it is lost, and said so."""
    run = Run()
    run.faults.append(Fault("kill_worker", run.opened + 29, run.opened + 50))
    run.act("staff_reply", run.opened + 45, user=STAFF, ts=run.opened + 45)
    assert set(problems(run.write(tmp_path))) == {
        ("lost (answered while a fault held it back)", kind) for kind in (
            "initial breach DM to head of support", "initial breach email",
            "initial breach triage note", "initial breach webhook event")}


def test_a_ticket_whose_opening_seemed_to_fail_may_have_its_notifications_or_none(
        tmp_path: Path) -> None:
    for told in (True, False):
        run = unanswered() if told else Run()
        run.actions[0] = replace(run.actions[0], ok=False)
        del run.actions[1]  # never numbered: the number comes from the triage post
        assert problems(run.write(tmp_path / str(told))) == []


def test_a_ticket_opened_without_a_triage_post_disagrees(tmp_path: Path) -> None:
    run = Run()
    del run.actions[1], run.deliveries[0]
    assert problems(run.write(tmp_path)) == [("no triage post", "triage post")]


def test_a_warning_for_a_ticket_nobody_opened_is_unexpected(tmp_path: Path) -> None:
    run = unanswered()
    run.actions = run.actions[2:]
    assert set(problems(run.write(tmp_path))) >= {
        ("unexpected", "initial warning DM to account manager"),
        ("unexpected", "initial breach DM to head of support")}


def test_the_assignee_is_warned_too_and_the_breach_stays_on_the_triage_post(
        tmp_path: Path) -> None:
    run = Run()
    run.act("claim", run.opened + 5, user=STAFF)
    run.warning(run.opened + 30.2, run.opened + 40, assignee=STAFF, skip=STAFF)
    run.breach(run.opened + 40.2, run.opened + 40)
    run.post(run.opened + 41, breached=False)
    assert set(problems(run.write(tmp_path))) == {
        ("lost", "initial warning DM to assignee"), ("does not show BREACHED", "triage post")}


def test_a_resolved_ticket_whose_post_does_not_say_so_disagrees(tmp_path: Path) -> None:
    run = Run()
    run.act("staff_reply", run.opened + 10, user=STAFF, ts=run.opened + 10)
    run.act("resolve", run.opened + 15)
    run.post(run.opened + 15.2)
    assert problems(run.write(tmp_path)) == [("does not read resolved", "triage post")]
    run.post(run.opened + 15.5, resolved=True)
    assert problems(run.write(tmp_path / "again")) == []


def test_the_next_response_clock_warns_again_after_a_pause_moved_its_deadline(
        tmp_path: Path) -> None:
    """Client writes at 15 (due 35, warned at 30); waiting on them from 32 to 40 moves the
    deadline to 43: the new deadline's warning goes at once, its breach at 43."""
    run = Run()
    o = run.opened
    run.act("claim", o + 2, user=STAFF)
    run.act("staff_reply", o + 10, user=STAFF, ts=o + 10)
    run.act("client_reply", o + 15, user="U0CLIENT01", ts=o + 15)
    run.act("wait_client", o + 32)
    run.act("client_reply", o + 40, user="U0CLIENT01", ts=o + 40)
    run.warning(o + 30.2, o + 35, "next", assignee=STAFF)
    run.warning(o + 40.3, o + 43, "next", assignee=STAFF, skip="note")
    run.breach(o + 43.2, o + 43, "next")
    assert problems(run.write(tmp_path)) == [("lost", "next warning triage note")]


@settings(max_examples=min(40, settings().max_examples), deadline=None, database=None)
@given(opened=st.floats(0, 50), delays=st.lists(st.floats(0, 2), min_size=2, max_size=2),
       warn_at=st.sampled_from([0.5, 0.75, 0.9]))
def test_deliveries_within_two_seconds_of_their_due_time_always_pass(
        tmp_path_factory: Any, opened: float, delays: list[float], warn_at: float) -> None:
    run = Run(opened=T0 + opened)
    run.warning(run.opened + warn_at * TARGET + delays[0], run.opened + TARGET)
    run.breach(run.opened + TARGET + delays[1], run.opened + TARGET)
    folder = run.write(tmp_path_factory.mktemp("run"))
    write_config(folder, config(warn_at=warn_at))
    assert problems(folder) == []
