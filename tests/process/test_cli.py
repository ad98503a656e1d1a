"""The command line: settings errors, check, and clients set/list/remove."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from bot.bootstrap import open_runtime
from bot.domain.sla import response_window
from bot.domain.tickets import Severity
from bot.sandbox.standin import SlackStandIn
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.cli import bot_env, run_bot
from tests.support.desk import advance, settings_for
from tests.support.flows import text_of
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, TRIAGE


async def test_serve_without_credentials_says_exactly_what_is_missing(tmp_path: Path) -> None:
    result = await run_bot("serve", env=bot_env(None, None), cwd=tmp_path)
    assert result.code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.err
    assert "TRIAGE_CHANNEL is not set" in result.err
    assert "SLACK_SIGNING_SECRET is not set" in result.err
    assert "manifest.yml" in result.err


async def test_a_wrong_setting_is_named_with_its_fix(tmp_path: Path) -> None:
    cases = {
        "SLACK_BOT_TOKEN": ("xoxp-123", "user token (xoxp-)"),
        "TRIAGE_CHANNEL": ("#support", "not a channel ID"),
        "PLANS": ('{"premium": {"urgent": 60}}', "unknown severity 'urgent'"),
        "SMTP_URL": ("imap://mail.example", "unknown scheme imap://"),
        "WARN_AT": ("1.5", "between 0 and 1"),
    }
    for name, (value, expected) in cases.items():
        env = bot_env(None, None, SLACK_BOT_TOKEN="xoxb-1", TRIAGE_CHANNEL=TRIAGE,
                      SLACK_SIGNING_SECRET="s")
        env[name] = value
        result = await run_bot("serve", env=env, cwd=tmp_path)
        assert result.code == 2, name
        assert f"{name}: " in result.err and expected in result.err, result.err


async def test_plans_that_do_not_parse_stop_the_start(tmp_path: Path) -> None:
    env = bot_env(None, None, PLANS="{premium: 1}")
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 2 and "PLANS: not valid JSON" in result.err


async def test_check_passes_with_a_good_configuration(slack: SlackStandIn,
                                                      redis_url: str) -> None:
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 0, result.out + result.err
    assert "auth.test" in result.out and "#support-triage" in result.out
    assert "ERR" not in result.out


OFFICE = json.dumps({"office": {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}}})


async def test_check_reports_the_people_given_shifts(slack: SlackStandIn, redis_url: str,
                                                     tmp_path: Path) -> None:
    nobody = "U0NOBODY99"
    shifts = json.dumps({STAFF: "office", nobody: "office"})
    result = await run_bot("check", env=bot_env(slack, redis_url, CALENDARS=OFFICE,
                                                SHIFTS=shifts))
    assert result.code == 0, result.out + result.err
    assert f"{STAFF} is active, on shift by office" in result.out
    [reported] = [line for line in result.out.splitlines()
                  if line.split()[:2] == ["WRN", "SHIFTS"]]
    assert f"{nobody} does not exist in Slack" in reported, result.out
    # A calendar not in CALENDARS is an error of the settings, named.
    wrong = await run_bot("check", env=bot_env(slack, redis_url, CALENDARS=OFFICE,
                                               SHIFTS=json.dumps({STAFF: "nights"})),
                          cwd=tmp_path)
    assert wrong.code == 2 and "SHIFTS: " in wrong.err and "no calendar 'nights'" in wrong.err


async def test_check_fails_when_the_app_is_not_in_the_triage_channel(
        slack: SlackStandIn, redis_url: str) -> None:
    slack.channels[TRIAGE]["is_member"] = False
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 1
    assert "not a member" in result.out


async def test_check_fails_when_redis_is_unreachable(slack: SlackStandIn) -> None:
    result = await run_bot("check", env=bot_env(slack, "redis://127.0.0.1:1/0"))
    assert result.code == 1
    assert "ERR reach" in result.out


async def test_check_fails_when_slack_refuses_the_token(slack: SlackStandIn,
                                                        redis_url: str) -> None:
    slack.fail("auth.test", error="invalid_auth")
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 1 and "invalid_auth" in result.out


async def test_clients_set_posts_and_pins_the_welcome_once(slack: SlackStandIn,
                                                           redis_url: str) -> None:
    args = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme Media",
            "--account-manager", AM, "--phone", "+44 20 7946 0000")
    first = await run_bot(*args, env=bot_env(slack, redis_url))
    assert first.code == 0, first.err
    welcome = slack.posts(CLIENT_CHANNEL)
    assert len(welcome) == 1
    assert "Open a ticket" in str(welcome[0].blocks) and "Acme Media" in text_of(welcome[0])
    assert len(slack.calls_to("pins.add", channel=CLIENT_CHANNEL)) == 1
    again = await run_bot(*args[:5], "Acme Media Ltd", *args[6:], env=bot_env(slack, redis_url))
    assert again.code == 0, again.err
    assert len(slack.posts(CLIENT_CHANNEL)) == 1
    assert "Acme Media Ltd" in text_of(welcome[0]) and welcome[0].updates == 1
    assert slack.pins[CLIENT_CHANNEL] == {welcome[0].ts}
    listed = await run_bot("clients", "list", env=bot_env(slack, redis_url))
    assert CLIENT_CHANNEL in listed.out and "Acme Media Ltd" in listed.out and AM in listed.out
    removed = await run_bot("clients", "remove", "--channel", CLIENT_CHANNEL,
                            env=bot_env(slack, redis_url))
    assert removed.code == 0
    listed = await run_bot("clients", "list", env=bot_env(slack, redis_url))
    assert CLIENT_CHANNEL not in listed.out


async def test_clients_set_reposts_when_the_welcome_was_deleted(slack: SlackStandIn,
                                                                redis_url: str) -> None:
    args = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme",
            "--account-manager", AM)
    assert (await run_bot(*args, env=bot_env(slack, redis_url))).code == 0
    slack.messages.clear()
    assert (await run_bot(*args, env=bot_env(slack, redis_url))).code == 0
    assert len(slack.posts(CLIENT_CHANNEL)) == 1
    assert len(slack.calls_to("pins.add")) == 2


async def test_clients_set_is_idempotent_when_pinning_fails(slack: SlackStandIn,
                                                            redis_url: str) -> None:
    args = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme",
            "--account-manager", AM)
    slack.fail("pins.add", error="no_permission")
    first = await run_bot(*args, env=bot_env(slack, redis_url))
    assert first.code == 0 and "Could not pin the welcome message" in first.err
    again = await run_bot(*args, env=bot_env(slack, redis_url))
    assert again.code == 0, again.err
    [welcome] = slack.posts(CLIENT_CHANNEL)  # one welcome, never a second
    assert slack.pins[CLIENT_CHANNEL] == {welcome.ts}  # pinned by the rerun


async def test_clients_set_refuses_bad_input_and_saves_nothing(slack: SlackStandIn,
                                                               redis_url: str) -> None:
    bad = await run_bot("clients", "set", "--channel", "acme", "--name", "Acme",
                        "--account-manager", "bob", "--plan", "gold",
                        env=bot_env(slack, redis_url))
    assert bad.code == 1
    assert "not a channel ID" in bad.err and "not a user ID" in bad.err
    assert "'gold' is not a plan" in bad.err
    slack.channels[CLIENT_CHANNEL]["is_member"] = False
    refused = await run_bot("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme",
                            "--account-manager", AM, env=bot_env(slack, redis_url))
    assert refused.code == 1 and "not_in_channel" in refused.err and "Invite" in refused.err
    listed = await run_bot("clients", "list", env=bot_env(slack, redis_url))
    assert CLIENT_CHANNEL not in listed.out


async def test_check_reaches_socket_mode_with_the_app_token(slack: SlackStandIn,
                                                           redis_url: str) -> None:
    good = await run_bot("check", env=bot_env(slack, redis_url, SLACK_APP_TOKEN="xapp-1-test"))
    assert good.code == 0 and "Socket Mode connection allowed" in good.out
    bad = await run_bot("check", env=bot_env(slack, redis_url, SLACK_APP_TOKEN="xapp-1-wrong"))
    assert bad.code == 1 and "invalid_auth" in bad.out


async def test_moving_a_client_to_another_plan_moves_its_open_tickets(
        slack: SlackStandIn, redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    plans = '{"premium": {"critical": 600}}'
    env = bot_env(slack, redis_url, PLANS=plans)
    base = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme",
            "--account-manager", AM)
    assert (await run_bot(*base, env=env)).code == 0
    caplog.set_level(logging.INFO, logger="bot.delivery.worker")
    async with open_runtime(settings_for(slack, redis_url, plans=plans), redis_url) as runtime:
        stop = asyncio.Event()
        worker = asyncio.create_task(runtime.worker.run(stop))
        try:
            opened = await runtime.desk.tickets.open(NewTicket(
                channel=CLIENT_CHANNEL, reporter=STAFF, title="Checkout down",
                severity=Severity.CRITICAL, description="d", once="cli-plan"), Actor(STAFF))
            standard_deadline = opened.window.deadline
            assert standard_deadline == opened.ticket.created_at + 3600
            await slack.wait_for(lambda: slack.posts(TRIAGE))
            # The worker's start-up sweep is over: from here only the move can re-time it.
            await slack.wait_for(lambda: any(r.getMessage().startswith("sweep:")
                                             for r in caplog.records))

            moved = await run_bot(*base, "--plan", "premium", env=env)
            assert moved.code == 0, moved.err
            assert "1 open ticket(s) of Acme now follow plan premium" in moved.out
            plan = runtime.plans.of(await runtime.store.client(CLIENT_CHANNEL))
            assert plan.name == "premium"
            current = await runtime.store.get(opened.ticket.number)
            assert current is not None
            deadline = response_window(current.ticket, plan).deadline
            assert deadline == opened.ticket.created_at + 600
            # The breach comes at the premium deadline, 50 minutes before the standard one.
            await advance(runtime, deadline - runtime.clock() + 1)
            breach = await slack.wait_for(lambda: slack.calls_to("chat.postMessage",
                                                                 channel=LEAD))
            assert "SLA breached" in breach[0].args["text"]
            assert opened.ticket.key in breach[0].args["text"]
            assert runtime.clock() < standard_deadline
        finally:
            stop.set()
            await worker


async def test_clients_set_language_speaks_it_and_check_lists_the_languages(
        slack: SlackStandIn, redis_url: str) -> None:
    args = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Rossi Media",
            "--account-manager", AM)
    refused = await run_bot(*args, "--language", "fr", env=bot_env(slack, redis_url))
    assert refused.code != 0 and slack.posts(CLIENT_CHANNEL) == []
    assert "--language 'fr' is not a language the desk speaks; known: en, it" in refused.err
    first = await run_bot(*args, "--language", "it", env=bot_env(slack, redis_url))
    assert first.code == 0, first.err
    [welcome] = slack.posts(CLIENT_CHANNEL)
    assert "Benvenuti, Rossi Media!" in text_of(welcome)
    assert "Apri un ticket" in str(welcome.blocks)
    listed = await run_bot("clients", "list", env=bot_env(slack, redis_url))
    assert "language=it" in listed.out
    checked = await run_bot("check", env=bot_env(slack, redis_url))
    assert "languages" in checked.out and "en, it" in checked.out
    assert any(line.split()[1:] == ["language", "it"] for line in checked.out.splitlines())
    # Back to the default: the welcome message is redrawn in place, in English.
    again = await run_bot(*args, "--language", "en", env=bot_env(slack, redis_url))
    assert again.code == 0, again.err
    assert "Welcome, Rossi Media!" in text_of(welcome) and welcome.updates == 1
    checked = await run_bot("check", env=bot_env(slack, redis_url))
    assert any(line.split()[1:] == ["language", "en"] for line in checked.out.splitlines())


async def test_clients_set_watch_is_kept_listed_and_checked(slack: SlackStandIn,
                                                            redis_url: str) -> None:
    args = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme",
            "--account-manager", AM)
    env = bot_env(slack, redis_url)
    assert (await run_bot(*args, env=env)).code == 0
    assert "watch=messages" in (await run_bot("clients", "list", env=env)).out
    assert "just write here" in text_of(slack.posts(CLIENT_CHANNEL)[0])
    assert (await run_bot(*args, "--watch", "tickets", env=env)).code == 0
    assert (await run_bot(*args, "--name", "Acme Media", env=env)).code == 0  # kept
    assert "watch=tickets" in (await run_bot("clients", "list", env=env)).out
    assert "just write here" not in text_of(slack.posts(CLIENT_CHANNEL)[0])
    checked = await run_bot("check", env=env)
    assert "tickets only" in checked.out and "--watch messages" in checked.out
    bad = await run_bot(*args, "--watch", "everything", env=env)
    assert bad.code != 0 and "--watch" in bad.err
