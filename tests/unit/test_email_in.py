"""Reading client email (pure): the loop rules, severity tags in either language, the
title and description, quoted history and signatures dropped, the desk's own Message-IDs,
the HTML turned into text; and ``IMAP_URL``'s rules (TLS, no password shown)."""

from __future__ import annotations

import pytest

from bot.adapters.mail_read import read_email
from bot.config import ConfigError, load_settings
from bot.domain.email_in import (
    Attachment,
    copied,
    desk_message_id,
    desk_ticket,
    loop_reason,
    new_text,
    severity_tag,
    thread_ticket,
    ticket_in_subject,
    title_and_description,
)
from bot.domain.sla import Window
from bot.domain.tickets import MailThread, Severity, Ticket
from bot.slack_ui.emails import acknowledgement
from bot.slack_ui.words import words_for
from tests.support.dovecot import email

SUPPORT = "support@desk.example"


@pytest.mark.parametrize(("headers", "why"), [
    ({"Auto_Submitted": "auto-replied"}, "automatic"),
    ({"Auto_Submitted": "auto-generated"}, "automatic"),
    ({"Precedence": "bulk"}, "bulk"),
    ({"Precedence": "junk"}, "bulk"),
    ({"Precedence": "list"}, "bulk"),
    ({"X_Autoreply": "yes"}, "automatic"),
    ({"List_Id": "<news.acme.example>"}, "list"),
    ({"Return_Path": "<>"}, "bounce"),
])
def test_automatic_mail_and_bounces_are_never_answered(headers: dict[str, str], why: str
                                                       ) -> None:
    mail = read_email(email("Dana <dana@acme.example>", "Out of office", **headers).as_bytes(),
                      0.0)
    assert why in (loop_reason(mail, SUPPORT) or "")


def test_a_person_writing_is_answered() -> None:
    mail = read_email(email("Dana <dana@acme.example>", "Help", Auto_Submitted="no",
                            Return_Path="<dana@acme.example>").as_bytes(), 0.0)
    assert loop_reason(mail, SUPPORT) is None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.acme.example",
                                    "postmaster@acme.example", SUPPORT])
def test_mailer_daemons_and_the_desk_itself_are_never_answered(sender: str) -> None:
    mail = read_email(email(sender, "Undelivered Mail Returned to Sender").as_bytes(), 0.0)
    assert loop_reason(mail, SUPPORT) is not None


def test_the_desks_own_message_ids_name_their_ticket_and_no_other_domains_do() -> None:
    own = desk_message_id(1042, "ack", "desk.example")
    assert desk_ticket(own, SUPPORT) == 1042
    assert desk_ticket(desk_message_id(1042, "ack", "evil.example"), SUPPORT) is None
    reply = read_email(email("Dana <dana@acme.example>", "Re: [T-1042] Help",
                             In_Reply_To=own, References=f"<x@acme.example> {own}").as_bytes(),
                       0.0)
    assert thread_ticket(reply, SUPPORT) == 1042
    assert ticket_in_subject("Re: [T-1042] Help") == 1042
    assert ticket_in_subject("Re: T-1042 Help") is None


@pytest.mark.parametrize(("subject", "severity", "title"), [
    ("[Critical] Payments down", Severity.CRITICAL, "Payments down"),
    ("Payments down [CRITICO]", Severity.CRITICAL, "Payments down"),
    ("[alto] Uploads fail", Severity.HIGH, "Uploads fail"),
    ("[Medio] Domanda", Severity.MEDIUM, "Domanda"),
    ("[low] Typo", Severity.LOW, "Typo"),
    ("[Basso] Refuso", Severity.LOW, "Refuso"),
    ("[Acme] Question", None, "[Acme] Question"),
])
def test_a_severity_tag_in_either_language_any_case(subject: str, severity: Severity | None,
                                                    title: str) -> None:
    assert severity_tag(subject) == (severity, title)


def test_a_long_subject_is_cut_at_a_word_and_kept_whole_in_the_description() -> None:
    subject = "word " * 40 + "end"
    title, description = title_and_description(subject.strip(), "Body.")
    assert len(title) <= 151 and title.endswith("…") and not title.endswith(" …")
    assert description.startswith(subject.strip()) and description.endswith("Body.")
    assert title_and_description("Short", "Body.") == ("Short", "Body.")


@pytest.mark.parametrize("quote", [
    "On Mon, 7 Dec 2026 at 10:00, Support <support@desk.example> wrote:",
    "Il giorno lun 7 dic 2026 alle ore 10:00 Support <support@desk.example> ha scritto:",
    "-----Original Message-----",
    "From: Support <support@desk.example>",
    "-- ",
])
def test_quoted_history_and_the_signature_are_dropped(quote: str) -> None:
    text = f"Still broken after the fix.\nSee the log.\n\n{quote}\n> earlier\nolder text\n"
    assert new_text(text) == "Still broken after the fix.\nSee the log."


def test_quoted_lines_are_dropped_wherever_they_are() -> None:
    assert new_text("> you said\nNo, it fails.\n>> before") == "No, it fails."


def test_html_only_email_is_turned_into_text() -> None:
    message = email("Dana <dana@acme.example>", "Help", "x")
    message.set_content("<html><body><p>Checkout <b>fails</b></p><ul><li>step one</li>"
                        "</ul><script>evil()</script></body></html>", subtype="html")
    mail = read_email(message.as_bytes(), 0.0)
    assert "Checkout fails" in mail.text and "step one" in mail.text
    assert "<b>" not in mail.text and "evil" not in mail.text


def test_attachments_are_read_with_their_names() -> None:
    message = email("Dana <dana@acme.example>", "Help", "See the log.")
    message.add_attachment(b"line 1\n", maintype="text", subtype="plain", filename="app.log")
    mail = read_email(message.as_bytes(), 0.0)
    assert [(a.name, a.data) for a in mail.attachments] == [("app.log", b"line 1\n")]
    assert mail.text.strip() == "See the log."


@pytest.mark.parametrize(("url", "wrong"), [
    ("pop3://support:pw@imap.example.com/", "scheme"),
    ("imaps://imap.example.com/INBOX", "user and password"),
    ("imaps://support:pw@imap.example.com:x/INBOX", "port"),
])
def test_imap_url_refused_with_the_reason_and_never_the_password(url: str, wrong: str
                                                                  ) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(imap_url=url, support_email=SUPPORT, _env_file=None)
    assert "IMAP_URL" in str(refused.value) and wrong in str(refused.value)
    assert "pw" not in str(refused.value).replace("pwd", "")


def test_imap_url_needs_the_support_address() -> None:
    with pytest.raises(ConfigError, match="SUPPORT_EMAIL"):
        load_settings(imap_url="imaps://support:pw@imap.example.com/INBOX", _env_file=None)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("[::1]", True), ("localhost", True),
    ("imap.example.com", False), ("10.0.0.5", False)])
def test_only_a_loopback_mailbox_may_go_without_starttls(host: str, loopback: bool) -> None:
    settings = load_settings(imap_url=f"imap://support:pw@{host}/INBOX", support_email=SUPPORT,
                             _env_file=None)
    assert settings.mailbox is not None and settings.mailbox.loopback is loopback


def test_imap_url_read() -> None:
    settings = load_settings(imap_url="imap://support:p%40ss@127.0.0.1:1143/Support",
                             support_email=SUPPORT, _env_file=None)
    assert settings.mailbox is not None
    assert (settings.mailbox.tls, settings.mailbox.password, settings.mailbox.folder) == (
        False, "p@ss", "Support")
    assert "p@ss" not in settings.mailbox.where and "p%40ss" not in repr(settings)


def test_an_attachment_over_the_limit_is_named_with_its_size_not_copied() -> None:
    small, big = Attachment("log.txt", "text/plain", b"x" * 10), Attachment(
        "video.mov", "video/quicktime", b"x" * (3 * 2**20))
    kept, named = copied((small, big, small), most=2**20)
    assert [(k, a.name) for k, a in kept] == [(0, "log.txt"), (2, "log.txt")]
    assert named == ["video.mov (3.0 MB)"]
    assert copied((big,))[1] == []  # 3 MB is within the desk's limit


def test_the_acknowledgement_is_in_the_clients_language_and_timezone() -> None:
    ticket = Ticket(number=1042, channel="C0ACME0001", reporter="dana@acme.example",
                    title="Pagamenti bloccati", description="", severity=Severity.CRITICAL,
                    created_at=0.0)
    mail = MailThread("dana@acme.example", ("<a@acme.example>",), "[Critico] Pagamenti",
                      name="Dana")
    window = Window(start=0.0, length=3600, deadline=1_796_558_400.0)  # 12:00 UTC
    italian = acknowledgement(words_for("it"), ticket, mail, window, SUPPORT, "Europe/Rome")
    english = acknowledgement(words_for("en"), ticket, mail, window, SUPPORT)
    assert "Gravità: Critico" in italian.body and "13:00 +0100" in italian.body
    assert "Buongiorno Dana," in italian.body and "[T-1042]" in italian.body
    assert "Severity: Critical" in english.body and "2026-12-06 12:00 UTC" in english.body
    assert italian.subject == "[T-1042] Re: [Critico] Pagamenti"
    assert ("Auto-Submitted", "auto-replied") in italian.headers
