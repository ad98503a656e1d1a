"""``serve``'s timer loop child, started again when it dies: at once after a long run,
after a growing pause when it keeps dying (its process stood in for)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.cli import worker_child
from tests.support.waiting import until


class _Exits:
    """A stand-in for the timer loop's process that exits by itself after ``lives`` s."""

    def __init__(self, lives: float, pid: int) -> None:
        self.pid, self._lives = pid, lives
        self.returncode: int | None = None
        self._stopped = asyncio.Event()

    async def wait(self) -> int:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), self._lives)
        self.returncode = 1
        return 1

    def send_signal(self, _: int) -> None:
        self._stopped.set()


async def test_a_timer_loop_that_ran_well_and_died_is_started_again_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Dying often in a row earns a longer pause; dying once after running well for a
    while does not, however many deaths came before (a Redis outage in the past)."""
    monkeypatch.setattr(worker_child, "RESTART_AFTER", (0.02, 0.04, 0.6))
    monkeypatch.setattr(worker_child, "HEALTHY_AFTER", 0.2, raising=False)
    lives = [0.0, 0.0, 0.0, 0.3, 0.3]  # three quick deaths, then two long runs
    started: list[float] = []

    async def spawn(*_: object, **__: object) -> _Exits:
        started.append(asyncio.get_running_loop().time())
        return _Exits(lives.pop(0) if lives else 60.0, pid=len(started))

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spawn)
    stop = asyncio.Event()
    running = asyncio.create_task(worker_child.WorkerChild("redis://unused").run(stop))
    await until(lambda: len(started) == 4, timeout=10)  # after 0.02 + 0.04 + 0.6 s
    await until(lambda: len(started) == 6, timeout=3)  # each long run: at once again
    # At once: its life and 0.02 s; not its life and the 0.6 s a fourth death in a row earns.
    assert started[4] - started[3] < 0.3 + 0.3
    assert started[5] - started[4] < 0.3 + 0.3
    stop.set()
    await asyncio.wait_for(running, 3)
