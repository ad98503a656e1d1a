"""A local ``redis-server`` for when ``REDIS_URL`` is unset, kept under ``DATA_DIR``.

It listens on a unix socket in ``DATA_DIR`` only (no TCP port), with append-only
persistence and no eviction. Processes of the desk on the same ``DATA_DIR`` share
one server: the first starts it, the others reuse it, and the last to leave stops it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CLIENT_NAME_PREFIX = "support-desk-"
START_TIMEOUT = 10.0


class EmbeddedRedisError(Exception):
    """The embedded Redis cannot run; the message says how to fix it."""


def socket_path(data_dir: Path) -> Path:
    return data_dir.resolve() / "redis.sock"


def url_for(data_dir: Path) -> str:
    return f"unix://{socket_path(data_dir)}"


def running_in(data_dir: Path) -> bool:
    """Whether an embedded Redis already answers in ``data_dir``."""
    return _answers(socket_path(data_dir))


def _answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with redis.Redis(unix_socket_path=str(path), socket_timeout=1) as r:
            return bool(r.ping())
    except (RedisError, OSError):
        return False


def _start(data_dir: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise EmbeddedRedisError(
            "redis-server is not installed and REDIS_URL is not set. Install it "
            "(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) "
            "or set REDIS_URL=redis://host:6379/0 to use a Redis you run."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(data_dir)
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    args = [
        binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
        "--dir", str(data_dir.resolve()), "--appendonly", "yes", "--appendfsync", "everysec",
        "--maxmemory-policy", "noeviction", "--save", "", "--daemonize", "no",
        "--logfile", str(data_dir.resolve() / "redis.log"),
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedRedisError(
                f"redis-server exited with code {process.returncode}; see "
                f"{data_dir / 'redis.log'}")
        if _answers(sock):
            return process
        time.sleep(0.05)
    process.kill()
    raise EmbeddedRedisError(f"redis-server did not answer within {START_TIMEOUT:.0f} s; see "
                             f"{data_dir / 'redis.log'}")


def _others_connected(path: Path) -> bool:
    """Whether another desk process still uses the server (they name their connections)."""
    mine = f"{CLIENT_NAME_PREFIX}{os.getpid()}"
    try:
        with redis.Redis(unix_socket_path=str(path), socket_timeout=2,
                         decode_responses=True) as r:
            return any(c.get("name", "").startswith(CLIENT_NAME_PREFIX) and c["name"] != mine
                       for c in r.client_list())
    except (RedisError, OSError):
        return False


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Yield the URL of the embedded server, starting it if none answers for ``data_dir``."""
    sock = socket_path(data_dir)
    if _answers(sock):
        log.info("reusing the embedded Redis at %s", sock)
    else:
        process = _start(data_dir)
        log.info("started the embedded Redis (pid %d) at %s, data in %s", process.pid, sock,
                 data_dir)
    try:
        yield url_for(data_dir)
    finally:
        if _answers(sock) and not _others_connected(sock):
            log.info("stopping the embedded Redis (no other desk process uses it)")
            try:
                with redis.Redis(unix_socket_path=str(sock), socket_timeout=5) as r:
                    r.shutdown(nosave=False)
            except (RedisError, OSError) as exc:
                # SHUTDOWN closes the connection under us: the normal way it ends.
                log.debug("embedded Redis shutdown: %s", exc)


def connection_name() -> str:
    return f"{CLIENT_NAME_PREFIX}{os.getpid()}"
