"""The benchmarks run, with tiny counts, so that they cannot rot (their figures are
printed by the real runs; see the README)."""

from __future__ import annotations

import ast
import asyncio
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT


async def bench(module: str, *args: str, code: int = 0, timeout: float = 240) -> str:
    """What ``python -m bench.module *args`` printed; it must exit with ``code``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"bench.{module}", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    text = out.decode()
    assert process.returncode == code, text
    return text


async def test_ack_latency_bench_runs() -> None:
    out = await bench("ack_latency", "--n", "5", "--concurrency", "2")
    for kind in ("/ticket command", "modal submission", "Claim click"):
        assert kind in out
    assert out.count("p99 ratio desk/bare") == 3


async def test_ack_latency_bench_runs_paced() -> None:
    out = await bench("ack_latency", "--n", "5", "--concurrency", "2", "--rate", "50")
    assert "50 a second" in out
    assert out.count("p99 ratio desk/bare") == 3


async def test_web_cost_bench_runs() -> None:
    out = await bench("web_cost", "--n", "20")
    for name in ("one Redis command", "opening a ticket", "claiming a ticket",
                 "rendering the ticket modal"):
        assert name in out


async def test_reminders_bench_runs() -> None:
    # arq's side needs a virtualenv of its own, installed on first use: left to real runs.
    out = await bench("reminders", "--rate", "5", "--seconds", "1", "--burst", "10",
                      "--arq-jobs", "0")
    assert "doubled 0, lost 0" in out
    assert "lateness at the stand-in" in out and "Burst: 10 warnings" in out


async def test_reminders_bench_runs_two_workers() -> None:
    out = await bench("reminders", "--workers", "2", "--rate", "20", "--seconds", "1",
                      "--burst", "0")
    assert "20 warnings/s for 1 s (20 warnings), 2 worker(s)" in out
    assert "doubled 0, lost 0" in out and "NOT DRAINED" not in out


def test_arq_side_imports_nothing_of_the_desk() -> None:
    # It runs in arq's virtualenv, which has none of the desk's dependencies: importing
    # bot there killed the arq worker at start, and with it the comparison.
    tree = ast.parse((ROOT / "bench" / "arq_worker.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert {name.split(".")[0] for name in imported} <= {
        "__future__", "argparse", "asyncio", "time", "datetime", "typing", "arq", "slack_sdk"}


@pytest.mark.skipif(not (ROOT / ".venv-arq" / "bin" / "python").exists(),
                    reason="arq's virtualenv is made by the first real run of bench.reminders")
async def test_reminders_bench_compares_with_arq() -> None:
    out = await bench("reminders", "--seconds", "0", "--burst", "10", "--limit", "60")
    assert "arq worker: 10 complete, 0 failed, 0 retried" in out
    assert "desk drained" in out and "x faster than arq" in out


async def test_worker_cost_bench_runs() -> None:
    out = await bench("worker_cost", "--tickets", "5")
    assert "worker CPU per ticket" in out and "as many Redis commands on their own" in out
    trips = float(out.split("Redis round trips per ticket: ")[1].split(",")[0])
    assert trips <= 8  # the post, the card and their bookkeeping, batched


async def test_scale_bench_runs() -> None:
    out = await bench("scale", "--small", "10", "--large", "100", "--rounds", "5",
                      "--tickets", "5", "--opened", "2")
    assert "ratio" in out and "Slack calls per ticket opened: 3.0" in out
    assert "Redis memory per open ticket" in out


async def test_sweep_bench_runs() -> None:
    out = await bench("sweep", "--tickets", "200")
    assert "versions before == after both sweeps: yes" in out
    # The first sweep re-arms every ticket's timers; the second finds them all in place.
    assert [line.split(": ")[1] for line in out.splitlines()
            if "tickets left in place" in line] == ["0", "200"]


async def test_calendar_bench_runs() -> None:
    out = await bench("calendar", "--n", "200")
    for figure in ("add, warm", "add, cold", "desired_timers, busy ticket",
                   "desired_timers, fresh ticket", "cProfile of the warm add loop"):
        assert figure in out
    assert "clocks running next response, resolution, update" in out
    assert out.count("median") >= 4 and "p99" in out


async def test_sweep_bench_runs_on_a_calendar() -> None:
    out = await bench("sweep", "--tickets", "200", "--calendar")
    assert "every plan on business hours: mon-fri 09:00-13:00, 14:00-18:00" in out
    assert "versions before == after both sweeps: yes" in out


async def test_home_bench_runs() -> None:
    out = await bench("home", "--tickets", "200", "--rounds", "5")
    assert "sections: My tickets 40, Unassigned 120" in out
    assert "render + views.publish" in out and "p99 render + publish" in out


async def test_reports_bench_runs() -> None:
    out = await bench("reports", "--tickets", "300", "--unresolved", "30", "--clients", "3",
                      "--archived", "20")
    assert "300 tickets opened in it (30 still open)" in out
    assert "300 tickets, " in out and "peak RSS" in out
    assert "20 tickets archived (0 ticket hashes left)" in out and "bytes each" in out


async def test_watch_bench_runs() -> None:
    out = await bench("watch", "--messages", "40", "--rate", "20")
    assert "40 client messages at 20 a second" in out
    for figure in ("answer time", "CPU per message", "Redis memory per watched ticket",
                   "Redis commands per pleasantry", "doubled 0"):
        assert figure in out


async def test_the_soak_notices_a_warning_slack_lost(tmp_path: Path) -> None:
    # Slack says ok to the first "No response yet" warning and shows it to nobody: the
    # checker, which reads only what reached Slack, must call it lost and fail the run.
    out = await bench("soak", "--minutes", "0.75", "--per-day", "2000", "--faults-each", "0",
                      "--drain", "15", "--folder", str(tmp_path), "--drop", "No response yet",
                      code=1)
    assert "Soak: seed 1, 100x" in out and "tickets " in out
    lost = [line for line in out.splitlines() if line.startswith("LOST:")]
    assert any("initial warning" in line for line in lost), out
    assert "FAILED" in out


@pytest.mark.timeout(480)  # three minutes of traffic, the world's start and the check
async def test_the_short_soak_loses_doubles_and_delays_nothing_through_every_fault(
        tmp_path: Path) -> None:
    # Three minutes of a vendor's traffic at 100x (some 800 tickets, every way in) through
    # each fault once: kills of serve and of a worker, Redis restarted, Slack 429 and 503,
    # a slow users.info, SMTP refusing, the IMAP server restarting.
    out = await bench("soak", "--minutes", "3", "--per-day", "3000", "--faults-each", "1",
                      "--drain", "30", "--seed", "5", "--folder", str(tmp_path), timeout=420)
    injected = out.split("faults injected: ")[1].splitlines()[0]
    for kind in ("kill_serve", "kill_worker", "redis_restart", "slack_429", "slack_5xx",
                 "slow_users_info", "smtp_refusing", "imap_restart"):
        assert f"{kind} 1" in injected, out
    assert out.splitlines()[-2] == "OK", out
