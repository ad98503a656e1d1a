"""Email over SMTP: ``smtp://`` (STARTTLS when the server offers it) or ``smtps://``.

A refusal the server means for good (a 5xx reply: unknown recipient, relay denied, bad
credentials) and a message that cannot be built are ``Undeliverable``; a 4xx reply or a
connection that fails is ``Retryable``.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from bot.adapters.metrics import SMTP_RESULTS
from bot.adapters.slack import Retryable, Undeliverable
from bot.domain.mail import Email


class CleartextRefused(Exception):
    """The server offers no TLS, and the desk would have to send a password in clear."""


class Mailer:

    TIMEOUT = 20

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.sender = sender

    async def send(self, email: Email) -> None:
        try:
            await self._sent(email)
        except Undeliverable:
            SMTP_RESULTS.labels("refused").inc()
            raise
        except Retryable:
            SMTP_RESULTS.labels("retry").inc()
            raise
        SMTP_RESULTS.labels("sent").inc()

    async def _sent(self, email: Email) -> None:
        try:
            await asyncio.to_thread(self._send, email)
        except CleartextRefused as exc:
            raise Undeliverable(str(exc)) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"SMTP refused {', '.join(exc.recipients)}: {codes}"
            if all(code >= 500 for code in codes):
                raise Undeliverable(error) from exc
            raise Retryable(error, service="smtp") from exc
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {self.host}:{self.port} answered {exc.smtp_code}"
            if exc.smtp_code >= 500:
                raise Undeliverable(error) from exc
            raise Retryable(error, service="smtp") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise Retryable(f"SMTP {self.host}:{self.port}: {type(exc).__name__}",
                            service="smtp") from exc
        except ValueError as exc:  # the email package refuses a header
            raise Undeliverable(f"the email could not be built: {exc}") from exc

    async def answers(self) -> None:
        """Whether the server would take an email now, short of sending one: it greets, and
        answers the sender and a recipient (then is told to forget them) with anything but
        a 4xx. Retryable while it does not."""
        try:
            await asyncio.to_thread(self._greeted)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code < 500:
                raise Retryable(f"SMTP {self.host}:{self.port} answered {exc.smtp_code}",
                                service="smtp") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise Retryable(f"SMTP {self.host}:{self.port}: {type(exc).__name__}",
                            service="smtp") from exc

    def _greeted(self) -> None:
        smtp = self._connected()
        try:
            for code, _ in (smtp.mail(self.sender), smtp.rcpt(self.sender)):
                if 400 <= code < 500:
                    raise smtplib.SMTPResponseException(code, b"not now")
            smtp.rset()
        finally:
            _goodbye(smtp)

    def _connected(self) -> smtplib.SMTP:
        """A session, greeted, in TLS when the server offers it, logged in when configured."""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.TIMEOUT)
        try:
            smtp.ehlo()
            if not self.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not self.tls and self.username:
                raise CleartextRefused(
                    f"{self.host}:{self.port} offers no STARTTLS: the SMTP password is not "
                    "sent in clear text; use smtps:// or a server that offers STARTTLS")
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            _goodbye(smtp)
            raise
        return smtp

    def _send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = email.sender or self.sender
        message["To"] = email.to
        if email.cc:
            message["Cc"] = ", ".join(email.cc)
        for name, value in email.headers:
            message[name] = value
        message["Subject"] = email.subject
        message["Message-ID"] = email.message_id
        message["Date"] = formatdate(localtime=False)
        message.set_content(email.body)
        smtp = self._connected()
        try:
            smtp.send_message(message)
        finally:
            _goodbye(smtp)


def _goodbye(smtp: smtplib.SMTP) -> None:
    """End the session. Once the relay took the email, how it answers QUIT changes nothing:
    a failure here would have the email sent again."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
