"""What a soak run writes down, and what its checker reads: one folder per run.

The runner (``bench.soak.run``) writes, as the run goes:

- ``config.json``: the run's seed, its compression, the plans' targets in real seconds,
  ``warn_at``, the people (head of support, their email, each client's account manager)
  and when the run started and ended (``Config``);
- ``actions.jsonl``: what people did (``Action``), each with when it was sent and when the
  desk's answer came back: the desk's own time of it lies between the two;
- ``faults.jsonl``: each fault injected, with when it began and ended (``Fault``);
- ``slack.jsonl``: every message the desk posted or updated, as the Slack stand-in
  received it (``Delivery`` with ``channel = "slack"``);
- ``mail.jsonl``: every email the SMTP server accepted (``channel = "mail"``);
- ``hooks.jsonl``: every event the webhook and pager receivers accepted (``"webhook"``,
  ``"pager"``).

The checker (``bench.soak.check``) reads only these files: nothing of the desk's code.
All times are epoch seconds of this machine's clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

ActionKind = Literal[
    "open",          # a ticket is opened; detail: via, client (channel), severity, title,
                     # and "ts" (a watched message: the clock starts at that Slack ts) or
                     # "arrived" (an email: the mailbox's arrival time, to the second)
    "numbered",      # the desk's number for the ticket is known; detail: number
    "claim",         # staff claims; detail: user (becomes the assignee)
    "assign",        # staff assigns; detail: user (the new assignee)
    "staff_reply",   # staff writes in the client thread; detail: user, ts
    "client_reply",  # the client writes in the client thread; detail: user, ts, via
    "wait_client",   # staff sets "waiting on client"
    "engineering",   # staff sends it to engineering
    "resolve",       # staff resolves
    "reopen",        # the client reopens a resolved ticket
    "rate",          # the client rates it; detail: score
]

FaultKind = Literal[
    "kill_serve", "kill_worker", "redis_restart", "redis_failover", "slack_429",
    "slack_5xx", "slow_users_info", "smtp_refusing", "imap_restart",
]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    ticket: str
    """The generator's name of the ticket (``k17``); its title carries it, in brackets."""
    sent: float
    answered: float
    """When the desk's HTTP answer came back (for a modal, the submission's)."""
    ok: bool = True
    """False: the desk never took it (every try failed): it had no effect."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    start: float
    end: float
    target: str = ""


@dataclass(frozen=True)
class Delivery:
    channel: Literal["slack", "mail", "webhook", "pager"]
    at: float
    """When it reached the receiver."""
    to: str
    """Slack: the channel (a user's ID for a direct message); mail: the recipients,
    comma-separated; a hook: the receiver's name."""
    text: str
    """Slack: the message's text and its blocks' texts, one per line; mail: the subject,
    a blank line and the body; a hook: the JSON body."""
    method: str = ""
    """Slack: ``chat.postMessage``, ``chat.update``, ...; a hook: its event."""
    ts: str = ""
    thread_ts: str = ""


@dataclass(frozen=True)
class Config:
    seed: int
    compression: float
    """How many times faster than a real month the run goes (100: 1 h is 36 s)."""
    warn_at: float
    plans: dict[str, dict[str, dict[str, float | None]]]
    """Plan -> table (``targets``, ``next_response``) -> severity -> real seconds."""
    lead: str
    lead_email: str
    triage: str
    clients: dict[str, dict[str, str]]
    """Channel -> ``name``, ``account_manager``, ``plan``, ``language``, ``email_domain``."""
    started: float
    ended: float = 0.0


def write_line(path: Path, record: Action | Fault | Delivery) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def actions(folder: Path) -> list[Action]:
    return [Action(**line) for line in _lines(folder / "actions.jsonl")]


def faults(folder: Path) -> list[Fault]:
    return [Fault(**line) for line in _lines(folder / "faults.jsonl")]


def deliveries(folder: Path) -> list[Delivery]:
    return [Delivery(**line) for name in ("slack", "mail", "hooks")
            for line in _lines(folder / f"{name}.jsonl")]


def config(folder: Path) -> Config:
    return Config(**json.loads((folder / "config.json").read_text(encoding="utf-8")))


def write_config(folder: Path, value: Config) -> None:
    (folder / "config.json").write_text(json.dumps(asdict(value), indent=1), encoding="utf-8")
