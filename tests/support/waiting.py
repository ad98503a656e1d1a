"""Waiting for something a test set off: a process up, a message posted, a cache warm."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any


async def until(check: Callable[[], object], timeout: float = 10.0) -> Any:
    """What ``check()`` returns (awaited when it is awaitable) once it is truthy, asked
    every 20 ms; an AssertionError after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.02)
