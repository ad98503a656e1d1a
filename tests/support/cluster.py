"""A real Redis Cluster on loopback: three masters, each with a replica, as
``redis-cli --cluster create`` makes it; and the desk on it."""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bot.bootstrap import Runtime, open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support.desk import register_client, settings_for
from tests.support.servers import SmtpSink

NODE_TIMEOUT_MS = 3000
"""How long a master may be silent before its replica takes over: short for the test's
failover, long enough that a busy machine does not cause one."""


@dataclass
class Node:
    port: int
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


@dataclass
class Cluster:
    nodes: list[Node]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def masters(self) -> list[Node]:
        """The nodes serving slots now (a promoted replica included)."""
        found = []
        for node in self.nodes:
            if node.process.poll() is not None:
                continue
            if node.client().info("replication")["role"] == "master":
                found.append(node)
        return found

    def master_of(self, key: str) -> Node:
        slot = self.nodes[0].client().cluster("KEYSLOT", key)
        return next(n for n in self.masters()
                    if any(int(lo) <= slot <= int(hi) for lo, hi in _slots(n)))

    def flush(self) -> None:
        for node in self.masters():
            node.client().flushall()

    def stop(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            node.process.wait(10)


def _slots(node: Node) -> list[tuple[str, str]]:
    """The slot ranges the node serves, from its own line of CLUSTER NODES."""
    nodes: dict[str, dict[str, Any]] = node.client().cluster("NODES")
    mine = next(n for n in nodes.values() if "myself" in n["flags"])
    return [(r[0], r[-1]) for r in mine["slots"]]


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def node_port() -> int:
    """A free port whose cluster bus port (10,000 above) is free too."""
    while True:
        port = random.randrange(20_000, 50_000)
        if _bindable(port) and _bindable(port + 10_000):
            return port


def start_cluster(directory: Path) -> Cluster:
    """Six nodes (three masters, three replicas); returns once every slot is served and
    every replica is in sync."""
    binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if binary is None or cli is None:
        raise RuntimeError("redis-server is not installed: run the README's test command")
    nodes = []
    for _ in range(6):
        port = node_port()
        home = directory / str(port)
        home.mkdir(parents=True)
        nodes.append(Node(port, subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    cluster = Cluster(nodes)
    try:
        _until(lambda: all(_answers(n) for n in nodes), "the nodes did not start")
        subprocess.run([cli, "--cluster", "create",
                        *(f"127.0.0.1:{n.port}" for n in nodes),
                        "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _until(lambda: all(_serving(n) for n in nodes), "the cluster did not form")
        _until(lambda: all(_in_sync(n) for n in nodes) and len(cluster.masters()) == 3,
               "the replicas did not sync")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def wait_for_failover(cluster: Cluster, killed: Node, timeout: float = 15) -> None:
    """Until a replica serves the killed master's slots and every node agrees."""
    alive = [n for n in cluster.nodes if n is not killed]
    _until(lambda: len(cluster.masters()) == 3 and all(_serving(n) for n in alive),
           "no replica took over", timeout)


def settled(cluster: Cluster, timeout: float = 20) -> None:
    """Until every node answers and says the cluster is ok (a node started again, say)."""
    def ok(node: Node) -> bool:
        try:
            return _answers(node) and _serving(node)
        except redis.RedisError:  # still loading its data, say
            return False

    _until(lambda: all(ok(n) for n in cluster.nodes), "the cluster did not settle", timeout)


def replicated(master: Node, timeout: float = 5) -> None:
    """Until the master's replica acknowledged every write the master took so far (Redis
    replicates asynchronously: a master killed before that takes its last writes along)."""
    target = int(master.client().info("replication")["master_repl_offset"])
    _until(lambda: int(master.client().info("replication")["slave0"]["offset"]) >= target,
           "the replica did not catch up", timeout)


def _answers(node: Node) -> bool:
    try:
        return bool(node.client().ping())
    except redis.ConnectionError:
        return False


def _serving(node: Node) -> bool:
    info = node.client().cluster("INFO")
    return bool(info.get("cluster_state") == "ok")


def _in_sync(node: Node) -> bool:
    """A master with its replica online, or a replica done with its first sync."""
    info = node.client().info("replication")
    if info["role"] == "master":
        return bool(info.get("connected_slaves") == 1
                    and info.get("slave0", {}).get("state") == "online")
    return bool(info.get("master_link_status") == "up"
                and not info.get("master_sync_in_progress"))


def _until(ready: Callable[[], bool], failure: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(failure)


@contextlib.asynccontextmanager
async def desk_on(cluster: Cluster, slack: SlackStandIn, smtp: SmtpSink,
                  **extra: Any) -> AsyncIterator[Runtime]:
    """The desk on ``cluster`` (no worker of its own running), with Acme registered."""
    settings = settings_for(slack, cluster.url, redis_cluster=True,
                            smtp_url=f"smtp://127.0.0.1:{smtp.port}", intake_limit=1000,
                            **extra)
    async with open_runtime(settings, cluster.url) as runtime:
        await register_client(runtime, name="Acme")
        yield runtime
