"""Servers a test starts on loopback: a real ``redis-server`` and an SMTP server that
keeps what it receives; and the redis-servers the desk starts itself (``DATA_DIR``)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import redis


def redis_processes(data_dir: Path) -> list[int]:
    """PIDs of redis-server processes serving ``data_dir``'s socket."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # redis-server rewrites its title to "redis-server unixsocket:<path>".
        if b"redis-server" in cmdline and str(data_dir.resolve() / "redis.sock").encode() \
                in cmdline:
            found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    dir: Path

    def stop(self) -> None:
        """SIGTERM, and wait until it has exited."""
        self.process.terminate()
        self.process.wait(10)

    def kill(self) -> None:
        """SIGKILL (a crash: what it had not written to disk is lost), and wait."""
        self.process.kill()
        self.process.wait()


def start_redis(directory: Path, *, appendonly: bool = False,
                port: int | None = None) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run the README's test command")
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "yes" if appendonly else "no",
         "--appendfsync", "always", "--maxmemory-policy", "noeviction"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    else:
        process.kill()
        raise RuntimeError("redis-server did not start")
    return RedisServer(f"redis://127.0.0.1:{port}/0", port, process, directory)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    port: int
    messages: list[EmailMessage]
    refuse: list[str]
    """Replies to give instead of accepting, one per message, e.g. ``451 try later``."""
    refuse_rcpt: list[str] = field(default_factory=list)
    """Replies to RCPT TO instead of accepting the recipient, e.g. ``550 no such user``."""
    slow: float = 0.0
    """Seconds to take before answering DATA (a slow relay)."""
    sessions: int = 0
    """Recipients asked for (each attempt to send an email counts one)."""
    quit_reply: str | None = None
    """The reply to QUIT instead of ``221 Bye`` (a relay that closes untidily)."""


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        self.sink.sessions += 1
        if self.sink.refuse_rcpt:
            return self.sink.refuse_rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any  # noqa: N802
                          ) -> str:
        return self.sink.quit_reply or "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.slow:
            await asyncio.sleep(self.sink.slow)
            transport = getattr(server, "transport", None)
            if transport is None or transport.is_closing():
                return "451 the sender went away"  # never delivered: no one got the 250
        if self.sink.refuse:
            return self.sink.refuse.pop(0)
        self.sink.messages.append(
            BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_sink_running() -> Iterator[SmtpSink]:
    """An ``SmtpSink`` serving on a free port until the block ends."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port(), [], [])
    controller = Controller(_SinkHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
