"""Email in and out, end to end on the real ``python -m bot serve`` (its worker reads the
support mailbox) against a real Dovecot and a real SMTP server: an email opens a ticket,
is acknowledged in its thread, replies travel both ways; automatic mail, bounces and
unknown senders open nothing and get nothing; a worker killed between reading an email and
marking it seen makes one ticket."""

from __future__ import annotations

import asyncio
import signal
import time
from email.message import EmailMessage

import pytest

from bot.bootstrap import open_runtime
from bot.domain.tickets import Severity, Status
from bot.sandbox.records import Message
from bot.sandbox.standin import BOT_USER, SlackStandIn
from bot.services.staff import Actor
from tests.support.cli import bot_env, register_acme, run_bot
from tests.support.desk import settings_for, ticket
from tests.support.dovecot import PASSWORD, USER, Dovecot, email, relay
from tests.support.flows import text_of, triage_post
from tests.support.metrics import scrape, value
from tests.support.once import LEASE
from tests.support.processes import GRACE, bot_process, serve
from tests.support.servers import SmtpSink, free_port
from tests.support.workspace import CLIENT_CHANNEL, STAFF, STAFF_2, TRIAGE

DANA = "Dana Client <dana@acme.example>"


def mail_env(dovecot: Dovecot, smtp_sink: SmtpSink, **more: str) -> dict[str, str]:
    return {"IMAP_URL": dovecot.url(), "SUPPORT_EMAIL": USER,
            "SSL_CERT_FILE": str(dovecot.cert),  # the desk trusts the test's certificate
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "EMAIL_FROM": "alerts@desk.example", **more}


def top_level(slack: SlackStandIn) -> list[Message]:
    return [m for m in slack.posts(CLIENT_CHANNEL) if m.thread_ts is None
            and "wrote to support" in text_of(m)]


async def test_an_email_opens_a_critical_ticket_acknowledged_in_its_thread(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    original = email(DANA, "[Critical] Payments down",
                     "Every checkout fails since 9:00.\n\nOn Mon, Bob <bob@acme.example> "
                     "wrote:\n> an older message\n")
    async with serve(slack, redis_url, **mail_env(dovecot, smtp_sink)) as served:
        await asyncio.to_thread(dovecot.deliver, original)
        triage = await triage_post(served, 1001)
        origin = (await slack.wait_for(lambda: top_level(slack)))[0]
        card = (await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, origin.ts) if "T-1001" in m.text]))[0]
        ack = (await slack.wait_for(lambda: smtp_sink.messages, timeout=15))[0]
        await slack.wait_for(lambda: "\\Seen" in dovecot.flags()[original["Message-ID"]])
    assert "dana@acme.example" in text_of(origin) and "Payments down" in text_of(origin)
    assert "an older message" not in text_of(origin)
    assert "Critical" in card.text and "Critical" in text_of(triage)
    assert "*By email* from dana@acme.example" in text_of(triage)
    assert ack["To"] == "dana@acme.example" and ack["From"] == USER
    assert ack["Subject"] == "[T-1001] Re: [Critical] Payments down"
    assert ack["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"].endswith("@desk.example>")
    assert "Critical" in ack.get_content()
    async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
        opened = await ticket(runtime, 1001)
    assert opened.severity is Severity.CRITICAL and opened.title == "Payments down"
    assert opened.reporter == "dana@acme.example"
    assert "Every checkout fails" in opened.description
    assert "older message" not in opened.description


async def test_a_worker_killed_between_reading_an_email_and_marking_it_seen_makes_one_ticket(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    original = email(DANA, "Uploads fail", "Every upload stops at 99%.")
    async with relay(dovecot.port, hold_on=b"STORE") as held:
        env = bot_env(slack, redis_url, JOB_LEASE_SECONDS=str(LEASE),
                      **mail_env(dovecot, smtp_sink, IMAP_URL=dovecot.url(held.port)))
        async with bot_process("worker", env=env) as first:
            await asyncio.to_thread(dovecot.deliver, original)
            await asyncio.wait_for(held.held.wait(), 20)  # read, taken; "seen" not yet sent
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert "\\Seen" not in (await asyncio.to_thread(dovecot.flags))[original["Message-ID"]]
        held.release.set()
        async with bot_process("worker", env=env):
            await slack.wait_for(lambda: "\\Seen" in dovecot.flags()[original["Message-ID"]],
                                 timeout=20)
            await slack.wait_for(lambda: smtp_sink.messages, timeout=15)
            await slack.wait_for(lambda: [m for m in slack.posts(CLIENT_CHANNEL)
                                          if "T-1001" in m.text])
            await asyncio.sleep(1.0)  # time for a second ticket, were there one
    async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
        assert (await runtime.store.get(1001)) is not None
        assert (await runtime.store.get(1002)) is None
    assert len(smtp_sink.messages) == 1
    assert len(top_level(slack)) == 1


async def test_out_of_office_bounce_and_unknown_sender_open_nothing_and_get_nothing(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    ooo = email(DANA, "Out of office: Payments down", "I am away until Monday.",
                Auto_Submitted="auto-replied")
    bounce = email("Mail Delivery System <MAILER-DAEMON@mx.acme.example>",
                   "Undelivered Mail Returned to Sender", "The mail could not be delivered.",
                   Return_Path="<>")
    strangers = [email("Eve <eve@unknown.example>", f"Buy now {n}", "Offer.") for n in (1, 2)]
    async with serve(slack, redis_url, **mail_env(dovecot, smtp_sink)) as served:
        for message in (ooo, bounce, *strangers):
            await asyncio.to_thread(dovecot.deliver, message)
        await slack.wait_for(lambda: all(
            "\\Seen" in f for f in dovecot.flags().values()) and len(dovecot.flags()) == 4,
            timeout=20)
        note = (await slack.wait_for(lambda: [
            m for m in slack.posts(TRIAGE) if "eve@unknown.example" in m.text]))[0]
        # A real email after them opens its ticket: they were read, not stuck.
        await asyncio.to_thread(dovecot.deliver, email(DANA, "Login fails", "Nobody can."))
        await triage_post(served, 1001)
        await slack.wait_for(lambda: smtp_sink.messages, timeout=15)
        await asyncio.sleep(1.0)
    assert "Buy now 1" in note.text
    assert len([m for m in slack.posts(TRIAGE) if "eve@unknown.example" in m.text]) == 1
    assert [m["To"] for m in smtp_sink.messages] == ["dana@acme.example"]
    async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
        assert (await runtime.store.get(1002)) is None
        assert (await ticket(runtime, 1001)).title == "Login fails"


async def test_replies_travel_both_ways_in_the_same_email_thread(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    original = email(DANA, "Payments down", "Every checkout fails.")
    async with serve(slack, redis_url, **mail_env(dovecot, smtp_sink)) as served:
        await asyncio.to_thread(dovecot.deliver, original)
        origin = (await slack.wait_for(lambda: top_level(slack), timeout=20))[0]
        await slack.wait_for(lambda: smtp_sink.messages, timeout=15)  # the acknowledgement
        response = await served.client.event({
            "type": "message", "channel": CLIENT_CHANNEL, "user": STAFF_2,
            "text": "We rolled back the release; please try again.", "ts": f"{time.time():.6f}",
            "thread_ts": origin.ts, "parent_user_id": BOT_USER}, event_id="EvStaffReply1")
        assert response.status == 200
        answer = (await slack.wait_for(lambda: smtp_sink.messages[1:], timeout=15))[0]
        async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
            assert (await ticket(runtime, 1001)).first_response_at is not None  # clock stopped
        reply = email(DANA, f"Re: {answer['Subject']}",
                      "Still failing for our EU users.\n\nOn Mon, Support <" + USER +
                      "> wrote:\n> We rolled back the release; please try again.\n",
                      In_Reply_To=answer["Message-ID"],
                      References=f"{original['Message-ID']} {answer['Message-ID']}")
        await asyncio.to_thread(dovecot.deliver, reply)
        posted = (await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, origin.ts) if "EU users" in text_of(m)],
            timeout=20))[0]
        # A colleague answers Dana's own email (not the desk's): it is found by its thread.
        await asyncio.to_thread(dovecot.deliver, email(
            "Bob <bob@acme.example>", "Re: Payments down", "Same here in Milan.",
            In_Reply_To=original["Message-ID"], References=original["Message-ID"]))
        colleague = (await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, origin.ts) if "Milan" in text_of(m)],
            timeout=20))[0]
        async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
            waiting = await ticket(runtime, 1001)
    assert answer["To"] == "dana@acme.example" and answer["From"] == USER
    assert answer["Subject"] == "[T-1001] Re: Payments down"
    assert answer["In-Reply-To"] == original["Message-ID"]
    assert "Auto-Submitted" not in answer
    body = answer.get_content()
    assert "We rolled back the release; please try again." in body
    assert f"{slack.users[STAFF_2]['name']}, support" in body  # the author, named
    assert posted.username == "Dana Client (by email)"
    assert colleague.username == "Bob (by email)"
    assert "rolled back" not in text_of(posted)  # the quoted history is not posted again
    assert waiting.awaiting_since is not None  # a client message: support owes the next one
    assert len(top_level(slack)) == 1  # the reply opened nothing new


async def test_check_logs_in_to_the_mailbox_and_never_shows_the_password(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await asyncio.to_thread(dovecot.deliver, email(DANA, "Help", "Please."))
    good = await run_bot("check", env=bot_env(slack, redis_url, **mail_env(dovecot, smtp_sink)))
    wrong = dovecot.url().replace(PASSWORD, "not-the-password")
    refused = await run_bot("check", env=bot_env(slack, redis_url, **mail_env(
        dovecot, smtp_sink, IMAP_URL=wrong)))
    tls = await run_bot("check", env=bot_env(slack, redis_url, **mail_env(
        dovecot, smtp_sink, IMAP_URL=dovecot.url(dovecot.tls_port, "imaps"))))
    untrusted = await run_bot("check", env=bot_env(slack, redis_url, **mail_env(
        dovecot, smtp_sink, SSL_CERT_FILE="/nonexistent.pem")))
    assert good.code == 0, good.out
    assert f"{USER}@127.0.0.1:{dovecot.port}/INBOX: 1 messages, 1 unseen (STARTTLS" in good.out
    assert tls.code == 0 and f"{dovecot.tls_port}/INBOX: 1 messages, 1 unseen (TLS" in tls.out
    assert refused.code == 1 and "login refused" in refused.out
    # A certificate the desk does not trust stops it before the password is sent.
    assert untrusted.code == 1 and "STARTTLS failed" in untrusted.out
    for result in (good, refused, tls, untrusted):
        assert PASSWORD not in result.out + result.err
        assert "not-the-password" not in result.out + result.err


async def test_a_mailbox_down_or_refusing_the_login_is_retried_and_loses_nothing(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    await asyncio.to_thread(dovecot.deliver, email(DANA, "Login fails", "Nobody can log in."))
    port = free_port()
    async with relay(dovecot.port) as server:
        server.down = True  # restarting: every connection closed at once
        env = bot_env(slack, redis_url, JOB_LEASE_SECONDS=str(LEASE), METRICS_PORT=str(port),
                      METRICS_HOST="127.0.0.1",
                      **mail_env(dovecot, smtp_sink, IMAP_URL=dovecot.url(server.port)))
        async with bot_process("worker", env=env, stderr=asyncio.subprocess.PIPE) as worker:
            assert worker.stderr is not None
            lines: list[str] = []
            while "trying again in" not in (lines or [""])[-1]:  # the mailbox found down
                lines.append((await asyncio.wait_for(worker.stderr.readline(), 30)).decode())
            down = await scrape(f"http://127.0.0.1:{port}/metrics")
            server.down = False
            await slack.wait_for(lambda: [m for m in slack.posts(CLIENT_CHANNEL)
                                          if "T-1001" in m.text], timeout=30)
            up = await scrape(f"http://127.0.0.1:{port}/metrics")
            worker.terminate()
            _, err = await asyncio.wait_for(worker.communicate(), GRACE)
            log = "".join(lines) + err.decode()
    assert "cannot connect" in log and "reading the support mailbox" in log
    assert PASSWORD not in log
    assert value(down, "desk_mailbox_up") == 0
    assert value(down, "desk_mailbox_errors_total") >= 1
    assert value(up, "desk_mailbox_up") == 1
    assert value(up, "desk_emails_total", outcome="opened") == 1


async def test_an_email_beyond_the_intake_limit_joins_the_senders_latest_ticket(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    async with serve(slack, redis_url, INTAKE_LIMIT="1",
                     **mail_env(dovecot, smtp_sink)) as served:
        await asyncio.to_thread(dovecot.deliver, email(DANA, "Login fails", "Nobody can."))
        triage = await triage_post(served, 1001)
        origin = (await slack.wait_for(lambda: top_level(slack), timeout=20))[0]
        await asyncio.to_thread(dovecot.deliver, email(DANA, "Exports fail", "CSV is empty."))
        joined = (await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, origin.ts) if "CSV is empty" in text_of(m)],
            timeout=20))[0]
        note = (await slack.wait_for(lambda: [
            m for m in slack.posts(TRIAGE, triage.ts) if "Exports fail" in m.text]))[0]
        await slack.wait_for(lambda: all("\\Seen" in f for f in dovecot.flags().values()))
    assert joined.username == "Dana Client (by email)"
    assert "dana@acme.example" in note.text and "added to this ticket" in note.text
    assert len(top_level(slack)) == 1


async def test_attachments_are_uploaded_into_the_tickets_thread(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    original = email(DANA, "Player shows a black screen", "See the screenshot.")
    original.add_attachment(b"\x89PNG fake image", maintype="image", subtype="png",
                            filename="screen.png")
    async with serve(slack, redis_url, **mail_env(dovecot, smtp_sink)):
        await asyncio.to_thread(dovecot.deliver, original)
        origin = (await slack.wait_for(lambda: top_level(slack), timeout=20))[0]
        uploads = await slack.wait_for(lambda: [
            f for m in slack.posts(CLIENT_CHANNEL, origin.ts) for f in m.files], timeout=20)
    assert [f["name"] for f in uploads] == ["screen.png"]
    assert slack.calls_to("files.completeUploadExternal")[0].args["thread_ts"] == origin.ts


async def reporter_writes_back(dovecot: Dovecot, last: EmailMessage, text: str) -> None:
    """Dana answers the desk's latest email from her mail program."""
    await asyncio.to_thread(dovecot.deliver, email(
        DANA, f"Re: {last['Subject']}", f"{text}\n\n-- \nDana\n",
        In_Reply_To=last["Message-ID"], References=last["Message-ID"]))


@pytest.mark.parametrize("reopen_days", ["7", "0"])
async def test_an_update_and_the_resolution_are_emailed_and_a_reply_reopens_or_opens_anew(
        slack: SlackStandIn, redis_url: str, dovecot: Dovecot, smtp_sink: SmtpSink,
        reopen_days: str) -> None:
    await register_acme(slack, redis_url, "--email-domain", "acme.example")
    async with serve(slack, redis_url, REOPEN_DAYS=reopen_days,
                     **mail_env(dovecot, smtp_sink)) as served:
        await asyncio.to_thread(dovecot.deliver, email(DANA, "Login fails", "Nobody can."))
        await triage_post(served, 1001)
        await slack.wait_for(lambda: smtp_sink.messages, timeout=15)
        async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
            tickets = runtime.desk.tickets
            await tickets.post_update(1001, "We found the cause.", Actor(STAFF), once="view:1")
            await slack.wait_for(lambda: smtp_sink.messages[1:], timeout=15)
            await tickets.claim(1001, Actor(STAFF))
            await tickets.resolve(1001, "Fixed in release 4.2.", Actor(STAFF))
            resolution = (await slack.wait_for(lambda: smtp_sink.messages[2:], timeout=15))[0]
            await asyncio.sleep(1.0)  # no email for the claim's or the resolution's status line
            await reporter_writes_back(dovecot, resolution, "Works again, but slowly.")
            if reopen_days == "7":
                await slack.wait_for(lambda: [m for m in slack.posts(CLIENT_CHANNEL)
                                              if "slowly" in text_of(m)], timeout=20)
                again = await ticket(runtime, 1001)
            else:
                await triage_post(served, 1002)
                await slack.wait_for(lambda: smtp_sink.messages[3:], timeout=15)
                again = await ticket(runtime, 1002)
    update = smtp_sink.messages[1]
    assert "We found the cause." in update.get_content()
    assert "Fixed in release 4.2." in resolution.get_content()
    # Nothing for the claim, the resolution's status line or the reopening; T-1002's own
    # acknowledgement when the reply opened it.
    assert len(smtp_sink.messages) == (3 if reopen_days == "7" else 4)
    assert all(m["Subject"] == "[T-1001] Re: Login fails" for m in smtp_sink.messages[:3])
    assert "How did we do" not in resolution.get_content()  # no CSAT by email
    if reopen_days == "7":
        assert again.status is not Status.RESOLVED and again.reopened_at is not None
    else:
        assert again.number == 1002 and "T-1001" in again.description
        assert "Works again, but slowly." in again.description
        assert again.title == "Login fails"
