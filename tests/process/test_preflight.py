"""Before and after going live: ``check`` looks at every client, the head of support and
the scopes; ``clients set`` refuses an account manager who cannot be told anything; and
``dead-letters`` lists, retries and drops the jobs that failed for good."""

from __future__ import annotations

import pytest

from bot.adapters.keys import Layout
from bot.sandbox.standin import BOT_USER, MANIFEST_SCOPES, SlackStandIn
from tests.support.cli import bot_env, run_bot
from tests.support.desk import RunningApp, register_client
from tests.support.flows import find_post, open_ticket
from tests.support.waiting import until
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD

KEYS = Layout()

SET = ("clients", "set", "--channel", CLIENT_CHANNEL, "--name", "Acme Media",
       "--account-manager", AM)


async def registered(slack: SlackStandIn, redis_url: str, *extra: str,
                     **env: str) -> None:
    result = await run_bot(*SET, *extra, env=bot_env(slack, redis_url, **env))
    assert result.code == 0, result.err


def rows(out: str, name: str) -> list[tuple[str, str]]:
    """The level (``ok``, ``ERR``, ``WRN``) and the state of each of check's lines for
    ``name``, as it prints them: ``  ERR name<padded to 22> state``."""
    return [(line[2:5].strip(), line[29:]) for line in out.splitlines()
            if line[2:5] in ("ok ", "ERR", "WRN") and line[6:28].strip() == name]


# -- check ------------------------------------------------------------------------------

async def test_check_passes_when_everything_is_fine(slack: SlackStandIn,
                                                    redis_url: str) -> None:
    await registered(slack, redis_url)
    slack.channels[CLIENT_CHANNEL]["is_ext_shared"] = True
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 0, result.out + result.err
    assert "ERR" not in result.out and "WRN" not in result.out, result.out
    assert f"Client Acme Media ({CLIENT_CHANNEL})" in result.out
    assert rows(result.out, "channel") == [("ok", "#acme-support")]
    assert rows(result.out, "shared") == [("ok", "shared with another organisation "
                                                 "(Slack Connect)")]
    assert rows(result.out, "account manager") == [("ok", f"{AM} is active")]
    assert rows(result.out, "SUPPORT_LEAD")[-1] == ("ok", f"{LEAD} is active")
    assert rows(result.out, "plan") == [("ok", "standard")]
    assert rows(result.out, "welcome message") == [("ok", "pinned")]
    assert rows(result.out, "scopes") == [
        ("ok", f"the {len(MANIFEST_SCOPES)} bot scopes of manifest.yml are granted")]
    assert "xoxb-test-token" not in result.out + result.err
    assert len(slack.calls_to("pins.list", channel=CLIENT_CHANNEL)) == 1


async def test_check_names_a_departed_account_manager(slack: SlackStandIn,
                                                      redis_url: str) -> None:
    await registered(slack, redis_url)
    slack.users[AM]["deleted"] = True
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 1
    [(level, state)] = rows(result.out, "account manager")
    assert level == "ERR" and f"{AM} (u0amgr0001) is deactivated" in state
    assert "clients set" in state


async def test_check_fails_on_a_missing_scope_and_names_it(slack: SlackStandIn,
                                                           redis_url: str) -> None:
    assert slack.scopes is not None
    slack.scopes.remove("pins:write")
    slack.scopes.remove("im:history")
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 1
    [(level, state)] = rows(result.out, "scopes")
    assert level == "ERR" and state.startswith("missing im:history, pins:write:")


async def test_check_cannot_see_the_scopes_without_the_header(slack: SlackStandIn,
                                                              redis_url: str) -> None:
    slack.scopes = None
    result = await run_bot("check", env=bot_env(slack, redis_url))
    assert result.code == 0, result.out
    [(level, state)] = rows(result.out, "scopes")
    assert level == "WRN" and "not checked" in state


async def test_check_names_each_problem_of_a_client(slack: SlackStandIn,
                                                    redis_url: str) -> None:
    plans = '{"premium": {"critical": 600}}'
    await registered(slack, redis_url, "--plan", "premium", PLANS=plans)
    slack.pins[CLIENT_CHANNEL].clear()
    slack.users[LEAD]["deleted"] = True
    result = await run_bot("check", env=bot_env(slack, redis_url))  # PLANS dropped premium
    assert result.code == 1
    [(level, state)] = rows(result.out, "shared")
    assert level == "WRN" and state.startswith("not shared")  # a warning only
    [(level, state)] = rows(result.out, "plan")
    assert level == "ERR" and state.startswith("'premium' is not a plan")
    [(level, state)] = rows(result.out, "welcome message")
    assert level == "ERR" and state.startswith("not pinned")
    assert rows(result.out, "SUPPORT_LEAD")[-1] == ("ERR", f"{LEAD} (u0lead0001) is "
                                                           "deactivated")
    assert rows(result.out, "channel") == [("ok", "#acme-support")]
    slack.channels[CLIENT_CHANNEL]["is_member"] = False
    slack.users[AM]["is_bot"] = True
    again = await run_bot("check", env=bot_env(slack, redis_url, PLANS=plans))
    assert again.code == 1
    [(level, state)] = rows(again.out, "channel")
    assert level == "ERR" and "not a member" in state
    [(level, state)] = rows(again.out, "account manager")
    assert level == "ERR" and "is a bot" in state
    assert rows(again.out, "plan") == [("ok", "premium")]


# -- settings that disagree -------------------------------------------------------------

DISAGREE = {
    # Archive records dropped before the tickets are archived: their full text would stay.
    "retain": ({"RETAIN_DAYS": "10", "ARCHIVE_AFTER_DAYS": "30"},
               "RETAIN_DAYS: 10 is not longer than ARCHIVE_AFTER_DAYS (30)"),
    # Tickets archived while their clients may still reopen them.
    "reopen": ({"REOPEN_DAYS": "40", "ARCHIVE_AFTER_DAYS": "30"},
               "ARCHIVE_AFTER_DAYS: 30 is shorter than REOPEN_DAYS (40)"),
}


@pytest.mark.parametrize("command", ["serve", "worker", "check"])
@pytest.mark.parametrize("case", sorted(DISAGREE))
async def test_retention_settings_that_disagree_stop_the_start(
        slack: SlackStandIn, redis_url: str, command: str, case: str) -> None:
    values, expected = DISAGREE[case]
    result = await run_bot(command, env=bot_env(slack, redis_url, **values), timeout=20)
    assert result.code == 2, result.out + result.err
    assert expected in result.err, result.err
    assert "must be" in result.err  # the rule, said with the fix
    assert slack.calls_to("auth.test") == []  # refused before anything starts


# -- clients set --------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    (AM, "is deactivated"), ("U0NOBODY01", "does not exist"), (BOT_USER, "is a bot")])
async def test_clients_set_refuses_an_account_manager_who_cannot_be_told(
        slack: SlackStandIn, redis_url: str, who: str, expected: str) -> None:
    slack.users[AM]["deleted"] = True
    result = await run_bot(*SET[:-1], who, env=bot_env(slack, redis_url))
    assert result.code == 1
    assert f"--account-manager {who}" in result.err and expected in result.err
    assert "Nothing was saved" in result.err
    assert slack.posts(CLIENT_CHANNEL) == [] and slack.calls_to("pins.add") == []
    listed = await run_bot("clients", "list", env=bot_env(slack, redis_url))
    assert CLIENT_CHANNEL not in listed.out


# -- dead letters -----------------------------------------------------------------------

async def test_dead_letters_are_listed_retried_and_dropped(app: RunningApp,
                                                           redis_url: str) -> None:
    slack = app.slack
    env = bot_env(slack, redis_url)
    assert (await run_bot("dead-letters", env=env)).out.strip() == "No dead letters."
    await register_client(app.runtime)
    slack.channels[CLIENT_CHANNEL]["is_member"] = False  # Slack refuses the ticket's post
    number = await open_ticket(app, "Login fails", "High")
    job_id = f"client_thread:{number}"
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL))
    redis = app.runtime.redis

    async def failed_mark() -> bool:
        return bool(await redis.sismember(KEYS.done_set(number), f"failed:{job_id}"))

    await until(failed_mark)

    listed = await run_bot("dead-letters", "list", env=env)
    assert listed.code == 0, listed.err
    [row] = [line for line in listed.out.splitlines() if line.startswith(job_id)]
    assert f"{job_id}  T-{number}  post_client_thread  attempts=1" in row
    assert "not_in_channel" in row and "dead since 20" in row

    unknown = await run_bot("dead-letters", "retry", "client_thread:999", env=env)
    assert unknown.code == 1 and "No dead letter has the id 'client_thread:999'" in unknown.err

    slack.channels[CLIENT_CHANNEL]["is_member"] = True  # invited at last
    retried = await run_bot("dead-letters", "retry", job_id, env=env)
    assert retried.code == 0, retried.err
    assert "back in the queue" in retried.out
    await slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    assert not await failed_mark()  # the sweep may repair it again
    assert (await run_bot("dead-letters", env=env)).out.strip() == "No dead letters."

    slack.channels[CLIENT_CHANNEL]["is_member"] = False
    second = await open_ticket(app, "Uploads fail", "High")
    second_id = f"client_thread:{second}"

    async def dead() -> bool:
        return second_id in await app.runtime.queue.dead_letters()

    await until(dead)
    dropped = await run_bot("dead-letters", "drop", second_id, env=env)
    assert dropped.code == 0 and f"Dropped the dead letter {second_id}" in dropped.out
    assert (await run_bot("dead-letters", env=env)).out.strip() == "No dead letters."
    again = await run_bot("dead-letters", "drop", second_id, env=env)
    assert again.code == 1 and "No dead letter" in again.err
