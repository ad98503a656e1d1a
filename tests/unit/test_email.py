"""Breach emails over SMTP: plain (STARTTLS when offered) and implicit TLS with a login."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.adapters.mail import Mailer
from bot.adapters.slack import Retryable, Undeliverable
from bot.config import load_settings
from bot.domain.mail import Email
from tests.support.servers import SmtpSink, free_port

MAIL = Email(to="lead@vendor.example", subject="[SLA breach] T-1001", body="late\n",
             message_id="<T-1001.breach.1@support-desk>")


class Keep:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login, auth_data.password) == (b"desk@vendor.example", b"s3cret/+")
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made once for the module."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def smtps_server(tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[tuple[int, Keep]]:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this test CA
    keep, port = Keep(), free_port()
    controller = Controller(keep, hostname="127.0.0.1", port=port, ssl_context=context,
                            authenticator=authenticate, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    yield port, keep
    controller.stop()


async def test_plain_smtp_delivers(smtp_sink: SmtpSink) -> None:
    await Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "desk@vendor.example").send(MAIL)
    [mail] = smtp_sink.messages
    assert mail["Message-ID"] == MAIL.message_id and mail["To"] == MAIL.to
    assert mail.get_content().strip() == "late"


async def test_an_untidy_goodbye_after_the_relay_took_the_email_is_a_delivery(
        smtp_sink: SmtpSink) -> None:
    # Reported as a failure, the email would be sent again (or dead-lettered) though sent.
    smtp_sink.quit_reply = "421 closing without the usual courtesy"
    await Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "desk@vendor.example").send(MAIL)
    assert len(smtp_sink.messages) == 1


async def test_smtps_with_login_delivers(smtps_server: tuple[int, Keep]) -> None:
    port, keep = smtps_server
    url = f"smtps://desk%40vendor.example:s3cret%2F%2B@127.0.0.1:{port}"
    settings = load_settings(_env_file=None, smtp_url=url)
    assert settings.smtp_url is not None
    await Mailer(settings.smtp_url.get_secret_value(), "desk@vendor.example").send(MAIL)
    assert [m["Subject"] for m in keep.messages] == ["[SLA breach] T-1001"]


async def test_smtps_with_a_wrong_password_is_undeliverable(
        smtps_server: tuple[int, Keep]) -> None:
    # 535: the server refuses the credentials for good; retrying cannot help.
    port, keep = smtps_server
    mailer = Mailer(f"smtps://desk%40vendor.example:nope@127.0.0.1:{port}", "d@v.example")
    with pytest.raises(Undeliverable, match=rf"SMTP 127\.0\.0\.1:{port} answered 535"):
        await mailer.send(MAIL)
    assert keep.messages == []


async def test_a_refused_recipient_is_undeliverable(smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse.append("550 5.1.1 <lead@vendor.example>: recipient unknown")
    mailer = Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "desk@vendor.example")
    with pytest.raises(Undeliverable, match="550") as refused:
        await mailer.send(MAIL)
    assert "550" in refused.value.error
    assert smtp_sink.refuse == [] and smtp_sink.messages == []


async def test_a_temporary_refusal_is_retryable_and_the_retry_delivers(
        smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse.append("451 4.3.0 try again later")
    mailer = Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "desk@vendor.example")
    with pytest.raises(Retryable, match="451"):
        await mailer.send(MAIL)
    assert smtp_sink.messages == []
    await mailer.send(MAIL)
    assert [m["Message-ID"] for m in smtp_sink.messages] == [MAIL.message_id]


async def test_an_unreachable_smtp_server_is_retryable() -> None:
    with pytest.raises(Retryable):
        await Mailer(f"smtp://127.0.0.1:{free_port()}", "d@v.example").send(MAIL)


async def test_a_password_is_never_sent_without_tls(smtp_sink: SmtpSink) -> None:
    # The sink offers no STARTTLS: with credentials in SMTP_URL, the desk refuses to log in
    # in clear text (for good, and says why) instead of leaking the password.
    mailer = Mailer(f"smtp://desk:s3cret@127.0.0.1:{smtp_sink.port}", "desk@vendor.example")
    with pytest.raises(Undeliverable, match="offers no STARTTLS") as refused:
        await mailer.send(MAIL)
    assert "s3cret" not in refused.value.error
    assert smtp_sink.messages == [] and smtp_sink.sessions == 0


async def test_a_title_with_line_breaks_makes_a_one_line_subject(smtp_sink: SmtpSink) -> None:
    from bot.slack_ui.notices import one_line

    subject = one_line("[SLA breach] T-1001 Login\u2028fails\r\nBcc: x@evil.example")
    await Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "desk@vendor.example").send(
        Email(to=MAIL.to, subject=subject, body="late\n", message_id=MAIL.message_id))
    [mail] = smtp_sink.messages
    assert mail["Bcc"] is None
    assert mail["Subject"] == "[SLA breach] T-1001 Login fails Bcc: x@evil.example"
