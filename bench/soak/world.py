"""The soak's world: a real Redis (with its append-only file), the Slack stand-in, a real
SMTP server, a webhook receiver, Dovecot (when installed) and the desk as an operator runs
it: ``python -m bot serve`` twice, each with its worker. Each part can be broken and
mended again on purpose (``bench.soak.chaos``); what reached Slack, SMTP and the webhook is
written down for the checker (``bench.soak.record``)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.soak.receivers import Hooks, RecordingSlack, Sink
from bench.soak.record import Config
from bot.sandbox.records import BOT_USER
from tests.support.cli import ROOT, bot_env, run_bot
from tests.support.cluster import Cluster, Node, settled, start_cluster, wait_for_failover
from tests.support.dovecot import Dovecot, start_dovecot
from tests.support.hooks_standin import WEBHOOK_SECRET
from tests.support.processes import healthy, stop
from tests.support.servers import RedisServer, free_port, start_redis

TRIAGE = "C0SOAKTRI1"
LEAD = "U0SOAKLEAD"
LEAD_EMAIL = "head.of.support@vendor.example"
STAFF = ("U0SOAKST01", "U0SOAKST02", "U0SOAKST03", "U0SOAKST04")
ACCOUNT_MANAGERS = ("U0SOAKAM01", "U0SOAKAM02")


@dataclass(frozen=True)
class SoakClient:
    channel: str
    name: str
    team: str
    people: tuple[str, ...]
    account_manager: str
    plan: str
    language: str
    watch: str
    domain: str


def _people(prefix: str) -> tuple[str, ...]:
    return tuple(f"U0SOAK{prefix}{n:02d}" for n in range(1, 81))


CLIENTS = (
    SoakClient("C0SOAKACM1", "Acme Media", "T0SOAKACME", _people("AC"),
               ACCOUNT_MANAGERS[0], "standard", "en", "messages", "acme.example"),
    SoakClient("C0SOAKROS1", "Rossi Media", "T0SOAKROSS", _people("RO"),
               ACCOUNT_MANAGERS[1], "premium", "it", "messages", "rossi.example"),
    SoakClient("C0SOAKZET1", "Zeta Films", "T0SOAKZETA", _people("ZE"),
               ACCOUNT_MANAGERS[0], "standard", "en", "tickets", "zeta.example"),
)
"""Eighty people each, so that one person's messages seldom follow each other closely
enough to be taken as one request (``GROUP_MINUTES``)."""

CHANNELS = {c.channel for c in CLIENTS}

HOURS = {"critical": 3600, "high": 4 * 3600, "medium": 8 * 3600, "low": 86_400}
NEXT = {"critical": 1800, "high": 2 * 3600, "medium": 4 * 3600, "low": 8 * 3600}
PREMIUM = {"critical": 1800, "high": 2 * 3600, "medium": 4 * 3600, "low": 8 * 3600}


def plan_targets(compression: float) -> dict[str, dict[str, dict[str, float | None]]]:
    """The plans' targets in real seconds: a vendor's month played ``compression`` times
    faster (1 h is 36 s at 100)."""
    def scaled(table: dict[str, int]) -> dict[str, float | None]:
        return {sev: float(max(1, round(seconds / compression))) for sev, seconds in table.items()}
    return {"standard": {"targets": scaled(HOURS), "next_response": scaled(NEXT)},
            "premium": {"targets": scaled(PREMIUM), "next_response": scaled(
                {k: v // 2 for k, v in NEXT.items()})}}


def plans_setting(table: dict[str, dict[str, dict[str, float | None]]]) -> str:
    """``PLANS`` for the desk: the same targets, no update cadence (its own tests cover
    it); a watched message is High under standard and Critical under premium."""
    severity = {"standard": "high", "premium": "critical"}
    def whole(table: dict[str, float | None]) -> dict[str, int | None]:
        return {sev: None if s is None else int(s) for sev, s in table.items()}
    return json.dumps({name: {**whole(t["targets"]),
                              "next_response": whole(t["next_response"]),
                              "update_every": {s: None for s in HOURS},
                              "message_severity": severity[name]}
                       for name, t in table.items()})


@dataclass
class Serve:
    """One ``python -m bot serve`` (with its worker child) on a port of its own."""

    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def up(self) -> bool:
        return self.process is not None and self.process.returncode is None


@dataclass
class World:
    folder: Path
    compression: float
    redis: RedisServer | None
    """One Redis server (None on a cluster)."""
    slack: RecordingSlack
    sink: Sink
    hooks: Hooks
    dovecot: Dovecot | None
    env: dict[str, str]
    serves: list[Serve] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None
    cluster: Cluster | None = None

    @property
    def plans(self) -> dict[str, dict[str, dict[str, float | None]]]:
        return plan_targets(self.compression)

    @property
    def alive(self) -> list[Serve]:
        return [s for s in self.serves if s.up]

    async def start_serve(self, serve: Serve) -> None:
        with serve.log.open("ab") as log:
            serve.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
                stderr=log, env={**self.env, "PORT": str(serve.port)})
        await healthy(serve.url, serve.process)

    def workers_of(self, serve: Serve) -> list[int]:
        """The pids of ``serve``'s worker children."""
        if serve.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with suppress(OSError):
                status = (entry / "status").read_text()
                parent = next(int(line.split()[1]) for line in status.splitlines()
                              if line.startswith("PPid:"))
                if parent == serve.process.pid and b"worker" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
        return found

    def kill_worker(self, serve: Serve) -> bool:
        for pid in self.workers_of(serve):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                return True
        return False

    def restart_redis(self, down: float) -> None:
        """SIGKILL Redis (what its append-only file has, it keeps), and start it again on its
        port after ``down`` seconds."""
        assert self.redis is not None
        self.redis.kill()
        time.sleep(down)
        self.redis = start_redis(self.redis.dir, appendonly=True, port=self.redis.port)

    def fail_over(self, rng: random.Random) -> str:
        """SIGKILL one master of the cluster; once its replica serves its slots, start it
        again (it comes back as that replica's replica). The port killed."""
        assert self.cluster is not None
        victim = rng.choice(self.cluster.masters())
        victim.process.kill()
        victim.process.wait()
        wait_for_failover(self.cluster, victim)
        victim.process = restarted(victim)
        settled(self.cluster)
        return str(victim.port)


def restarted(node: Node) -> subprocess.Popen[bytes]:
    """A cluster node started again as it was first started (its ``nodes.conf`` makes it
    rejoin)."""
    args = node.process.args
    assert isinstance(args, list)
    return subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def config_for(seed: int, compression: float, warn_at: float = 0.75) -> Config:
    return Config(seed=seed, compression=compression, warn_at=warn_at,
                  plans=plan_targets(compression), lead=LEAD, lead_email=LEAD_EMAIL, triage=TRIAGE,
                  clients={c.channel: {"name": c.name, "account_manager": c.account_manager,
                                       "plan": c.plan, "language": c.language,
                                       "email_domain": c.domain} for c in CLIENTS},
                  started=time.time())


def seeded_slack(folder: Path, drop: str | None) -> RecordingSlack:
    slack = RecordingSlack(folder=folder, triage_channel=TRIAGE,
                           client_channels=frozenset(CHANNELS), drop=drop)
    for user in (LEAD, *STAFF, *ACCOUNT_MANAGERS):
        slack.add_user(user, tz="Europe/Rome")
    for client in CLIENTS:
        for person in client.people:
            slack.add_user(person, team_id=client.team)
        slack.add_channel(client.channel, client.name.lower().replace(" ", "-"), shared=True)
    slack.add_user(BOT_USER, is_bot=True)
    slack.add_channel(TRIAGE, "support-triage")
    return slack


async def register(env: dict[str, str]) -> None:
    """Each client set up as an operator does it."""
    for c in CLIENTS:
        result = await run_bot("clients", "set", "--channel", c.channel, "--name", c.name,
                               "--account-manager", c.account_manager, "--plan", c.plan,
                               "--language", c.language, "--watch", c.watch,
                               "--email-domain", c.domain, env=env)
        if result.code != 0:
            raise RuntimeError(f"clients set {c.name}: {result.err}")


@asynccontextmanager
async def world(folder: Path, compression: float, serves: int = 2,
                email: bool = True, drop: str | None = None, lease: float = 5.0,
                cluster: bool = False) -> AsyncIterator[World]:
    nodes = start_cluster(folder / "cluster") if cluster else None
    redis = None if nodes else start_redis(folder / "redis", appendonly=True)
    redis_url = nodes.url if nodes else redis.url if redis else ""
    slack = seeded_slack(folder, drop)
    await slack.start()
    sink = Sink(folder)
    sink.start()
    hooks = Hooks()
    hooks.folder = folder
    await hooks.start()
    dovecot = start_dovecot() if email and shutil.which("dovecot") else None
    env = bot_env(slack, redis_url, REDIS_CLUSTER="true" if nodes else "false",
                  PLANS=plans_setting(plan_targets(compression)),
                  SUPPORT_LEAD_EMAIL=LEAD_EMAIL, SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
                  EMAIL_FROM="alerts@vendor.example", WEBHOOK_URL=hooks.url,
                  WEBHOOK_SECRET=WEBHOOK_SECRET, TRIAGE_CHANNEL=TRIAGE, SUPPORT_LEAD=LEAD,
                  JOB_LEASE_SECONDS=str(lease), LOG_LEVEL="WARNING",
                  # The desk's other windows of time, compressed as the plans are.
                  GROUP_MINUTES=str(round(10 / compression, 4)), INTAKE_LIMIT="100000")
    if dovecot is not None:
        env.update({"IMAP_URL": dovecot.url(), "SUPPORT_EMAIL": "support@desk.example",
                    "SSL_CERT_FILE": str(dovecot.cert)})
    the_world = World(folder, compression, redis, slack, sink, hooks, dovecot, env,
                      cluster=nodes)
    try:
        await register(env)
        for n in range(serves):
            serve = Serve(free_port(), folder / f"serve-{n + 1}.log")
            the_world.serves.append(serve)
            await the_world.start_serve(serve)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            the_world.session = session
            yield the_world
    finally:
        await stop(*[s.process for s in the_world.serves if s.process is not None])
        if dovecot is not None:
            dovecot.remove()
        await hooks.stop()
        sink.stop()
        await slack.stop()
        if the_world.redis is not None:
            the_world.redis.stop()
        if nodes is not None:
            nodes.stop()
