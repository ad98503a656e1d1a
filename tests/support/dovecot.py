"""A real IMAP server for tests: Debian's Dovecot (``dovecot-imapd``), run in the
foreground on a free loopback port with a generated config, its mail and state in a temp
folder and one passwd-file user; mail is put in with IMAP ``APPEND``. And a TCP relay
between the desk and Dovecot that can hold the desk's command at one exact step (to kill
a worker between reading an email and marking it seen)."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from tests.support.servers import free_port

USER = "support@desk.example"
PASSWORD = "imap-secret-pw"


@dataclass
class Dovecot:
    """Dovecot with TLS: STARTTLS on ``port``, TLS from the start on ``tls_port``, with a
    certificate for 127.0.0.1 (``cert``: what a client trusts, e.g. as ``SSL_CERT_FILE``)."""

    port: int
    dir: Path
    tls_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def cert(self) -> Path:
        return self.dir / "cert.pem"

    def url(self, port: int | None = None, scheme: str = "imap") -> str:
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port or self.port}/INBOX"

    def start(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("dovecot is not installed: run ./scripts/test (it installs "
                               "dovecot-imapd)")
        config = self.dir / "dovecot.conf"
        if not self.cert.exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                 "-keyout", str(self.dir / "key.pem"), "-out", str(self.cert)],
                check=True, capture_output=True)
            (self.dir / "key.pem").chmod(0o644)
        config.write_text(_config(self.dir, self.port, self.tls_port))
        self.process = subprocess.Popen([binary, "-F", "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start; see {self.dir / 'dovecot.log'}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def session(self) -> imaplib.IMAP4:
        box = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        box.login(USER, PASSWORD)
        box.select("INBOX")
        return box

    def deliver(self, message: EmailMessage | bytes) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        box = self.session()
        try:
            box.append("INBOX", None, None, raw)
        finally:
            box.logout()

    def flags(self) -> dict[str, str]:
        """Each message's Message-ID -> its flags."""
        box = self.session()
        try:
            _, data = box.uid("fetch", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        finally:
            box.logout()
        found: dict[str, str] = {}
        for item in data:
            if isinstance(item, tuple):
                head, body = item
                flags = head.decode().split("FLAGS (", 1)[1].split(")", 1)[0]
                mid = body.decode().split(":", 1)[1].strip() if b":" in body else ""
                found[mid] = flags
        return found

    def empty(self) -> None:
        box = self.session()
        try:
            box.uid("store", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            box.expunge()
        finally:
            box.logout()


def _config(directory: Path, port: int, tls_port: int) -> str:
    mail = directory / "mail"
    mail.mkdir(exist_ok=True)
    for sub in ("base", "state"):
        (directory / sub).mkdir(exist_ok=True)
    if os.geteuid() == 0:
        # Dovecot gives no mail session root's uid: the mail belongs to nobody.
        uid = gid = 65534
        mail.chmod(0o777)
        users = ""
    else:
        uid, gid = os.getuid(), os.getgid()
        me = pwd.getpwuid(uid).pw_name
        users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
    (directory / "passwd").write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}/{USER}::\n")
    return f"""protocols = imap
listen = 127.0.0.1
base_dir = {directory}/base
state_dir = {directory}/state
log_path = {directory}/dovecot.log
ssl = yes
ssl_cert = <{directory}/cert.pem
ssl_key = <{directory}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
first_valid_uid = 1
{users}service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {directory}/passwd
}}
"""


def start_dovecot() -> Dovecot:
    """Dovecot in a temp folder of its own (pytest's are closed to Dovecot's own users when
    the tests run as root); ``remove`` deletes it."""
    directory = Path(tempfile.mkdtemp(prefix="desk-dovecot-"))
    directory.chmod(0o755)
    server = Dovecot(free_port(), directory)
    server.start()
    return server


def email(sender: str, subject: str, body: str = "Hello", *, to: str = USER,
          html: str | None = None, **headers: str) -> EmailMessage:
    """An email as a client's mail program writes it (``headers``: more, with ``_`` for
    ``-``: ``Auto_Submitted="auto-replied"``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


@dataclass
class Relay:
    """A TCP relay on loopback to ``target`` that reads the client's commands: it offers no
    STARTTLS (on loopback the desk then goes without TLS). ``hold_on`` (bytes): a command
    from the client that contains it is held (never passed on) and ``held`` is set; from
    ``release`` on, that connection is dropped and new ones pass everything."""

    target: int
    port: int = field(default_factory=free_port)
    hold_on: bytes | None = None
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    down: bool = False
    """While True, each connection is closed at once (a server restarting)."""

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    client: bool) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                if client and self.hold_on is not None and self.hold_on in data:
                    self.held.set()
                    await self.release.wait()
                    self.hold_on = None
                    break  # never passed on: the connection is dropped
                writer.write(data if client else data.replace(b" STARTTLS", b""))
                await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                     ) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        await asyncio.gather(self._pipe(reader, up_writer, True),
                             self._pipe(up_reader, writer, False), return_exceptions=True)


@contextlib.asynccontextmanager
async def relay(target: int, hold_on: bytes | None = None) -> AsyncIterator[Relay]:
    running = Relay(target, hold_on=hold_on)
    server = await asyncio.start_server(running._serve, "127.0.0.1", running.port)
    try:
        yield running
    finally:
        server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2)
