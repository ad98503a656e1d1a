"""``python -m bot sandbox [--port 8080] [--dir sandbox] [--plans JSON] [--force]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.adapters.embedded_redis import EmbeddedRedisError
from bot.cli import Failure
from bot.config import ConfigError
from bot.sandbox.run import SandboxError, sandbox
from bot.sandbox.settings import real_tokens
from bot.sandbox.workspace import DEMO_PLANS

DEFAULT_PORT = 8080


def add_sandbox_parser(sub: Any) -> None:
    s = sub.add_parser("sandbox", help="try the desk without Slack: the real bot, a pretend "
                       "Slack on a local web page, no network")
    s.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"the page's port on 127.0.0.1 (default {DEFAULT_PORT})")
    s.add_argument("--dir", type=Path, default=Path("sandbox"),
                   help="the sandbox folder; its Redis keeps its files in DIR/data "
                        "(default ./sandbox)")
    s.add_argument("--plans", type=plans_json, default=DEMO_PLANS,
                   help="the demo plans, as PLANS takes them (default: targets of minutes)")
    s.add_argument("--force", action="store_true",
                   help="start even though real-looking Slack tokens are set (they are not used)")


def plans_json(raw: str) -> dict[str, Any]:
    try:
        found = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    if not isinstance(found, dict):
        raise argparse.ArgumentTypeError('give an object: {"standard": {"critical": 240}}')
    return found


def sandbox_command(args: argparse.Namespace) -> int:
    tokens = real_tokens()
    if tokens and not args.force:
        print("The sandbox plays Slack itself and never uses real Slack credentials, but these "
              f"look like real ones: {', '.join(tokens)}.\nUnset them to be sure nobody mixes up "
              "the sandbox with the real desk, or start it anyway with --force (they are "
              "ignored).", file=sys.stderr)
        return 2
    try:
        sandbox(args.port, args.dir, args.plans)
    except ConfigError as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        return 2
    except (SandboxError, EmbeddedRedisError, Failure) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0
