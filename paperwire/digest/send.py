"""Deliver a day's digest over SMTP, each message once.

An outbox file (JSON lines, appended and fsynced after every accepted message)
records each (date, recipient) delivered, so a rerun after a crash, a refused
connection or a temporary failure sends what is missing and nothing twice.
The one window left is a crash between the server's "250" and the fsync.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import fcntl
import json
import os
import re
import smtplib
import ssl
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Mapping, Sequence

import jinja2

from ..config import SmtpConfig
from ..errors import ContentError
from ..render.digest import Digest, build_message, message_id, render_digest
from ..render.site import SiteData
from ..writer import write_text_file
from .subscribers import Subscriber


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient."""

    date: dt.date
    recipient: str  # bare address, the envelope recipient
    message_id: str
    data: bytes  # the whole message, CRLF line ends


@dataclass(frozen=True)
class Plan:
    messages: tuple[Outgoing, ...]
    skipped: tuple[str, ...]  # subscribers with nothing to receive that day


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


@dataclass(frozen=True)
class Report:
    sent: int
    already_sent: int
    failed: tuple[tuple[str, str], ...]  # (recipient, reason)

    def summary(self, skipped: int) -> str:
        return f"sent {self.sent}, already sent {self.already_sent}, skipped {skipped}, failed {len(self.failed)}"


# -- what to send -----------------------------------------------------------

def plan_messages(data: SiteData, env: jinja2.Environment, day: dt.date,
                  subscribers: Sequence[Subscriber]) -> Plan:
    """Render ``day``'s message for each subscriber; skip those with nothing to receive.

    A subscriber with topics gets no message on a day without papers in them;
    anyone gets none on an empty day when ``digest.skip_empty`` is set.
    """
    rendered: dict[tuple[str, ...], Digest] = {}  # one pair of bodies per distinct topic choice
    messages, skipped = [], []
    for subscriber in subscribers:
        if subscriber.topics not in rendered:
            rendered[subscriber.topics] = render_digest(data, env, day, subscriber.topics)
        digest = rendered[subscriber.topics]
        if digest.view.count == 0 and (subscriber.topics or data.config.digest.skip_empty):
            skipped.append(subscriber.address)
            continue
        to = email.utils.formataddr((subscriber.name or "", subscriber.address), charset="utf-8")
        messages.append(Outgoing(day, subscriber.address, message_id(day, subscriber.address, data.config.smtp.sender),
                                 build_message(digest, data.config, to)))
    return Plan(tuple(messages), tuple(skipped))


def write_dry_run(messages: Sequence[Outgoing], folder: Path) -> list[Path]:
    """Write each message to ``folder`` as ``<date>_<recipient>.eml``; send nothing."""
    paths = []
    for message in messages:
        name = re.sub(r"[^A-Za-z0-9@._+-]", "_", message.recipient)
        path = folder / f"{message.date.isoformat()}_{name}.eml"
        write_text_file(path, message.data)
        paths.append(path)
    return paths


# -- the outbox -------------------------------------------------------------

def _key(day: str, recipient: str) -> tuple[str, str]:
    return day, recipient.lower()


@contextmanager
def open_outbox(path: Path) -> Iterator[tuple[set[tuple[str, str]], IO[str]]]:
    """Lock the outbox; yield the (date, recipient) pairs it holds and a handle to append to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ContentError(str(path), None, "another send is using this outbox") from None
        handle.seek(0)
        text = handle.read()
        done = set()
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                done.add(_key(entry["date"], entry["recipient"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: that delivery was not recorded
        if text and not text.endswith("\n"):
            handle.write("\n")
        yield done, handle


def record_delivery(handle: IO[str], message: Outgoing) -> None:
    """Append ``message`` to the outbox and force it to disk before going on."""
    entry = {"date": message.date.isoformat(), "recipient": message.recipient, "message_id": message.message_id,
             "sent_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    handle.write(json.dumps(entry) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


# -- SMTP -------------------------------------------------------------------

class ConnectFailed(Exception):
    """No session could be opened; the cause says why."""


@dataclass(frozen=True)
class Failure:
    reason: str
    temporary: bool  # worth retrying: 4xx, a dropped or refused connection, a timeout
    connection: bool  # the server could not be reached or refused the session


def classify(exc: BaseException) -> Failure:
    """Return how to treat ``exc`` raised while sending."""
    connection = isinstance(exc, ConnectFailed)
    cause = exc.__cause__ if connection and exc.__cause__ else exc
    if isinstance(cause, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(cause.recipients.values()))
    elif isinstance(cause, smtplib.SMTPResponseException):
        code, text = cause.smtp_code, cause.smtp_error
    elif isinstance(cause, ssl.SSLCertVerificationError):
        return Failure(f"TLS certificate not trusted: {cause.verify_message}", False, connection)
    elif isinstance(cause, (smtplib.SMTPServerDisconnected, OSError)):
        return Failure(f"connection failed: {cause or type(cause).__name__}", True, connection)
    else:  # e.g. AUTH or STARTTLS not offered
        return Failure(str(cause), False, connection)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return Failure(f"{code} {text}", not 500 <= code < 600, connection)


class Session:
    """One SMTP session, opened on first use and again after the server drops it."""

    def __init__(self, smtp: SmtpConfig, credentials: Credentials | None, context: ssl.SSLContext | None):
        self.smtp = smtp
        self.credentials = credentials
        self.context = context or ssl.create_default_context()
        self.sender = email.utils.parseaddr(smtp.sender)[1]
        self.conn: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        if smtp.security == "tls":
            conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=self.context)
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            conn.ehlo()
            if smtp.security == "starttls":
                conn.starttls(context=self.context)
                conn.ehlo()
            if self.credentials:
                conn.login(self.credentials.user, self.credentials.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: Outgoing) -> None:
        """Send ``message``; raise an smtplib error or OSError when it is not accepted."""
        if self.conn is None or self.conn.sock is None:
            try:
                self.conn = self.connect()
            except (smtplib.SMTPException, OSError) as exc:
                raise ConnectFailed(str(exc)) from exc
        try:
            self.conn.sendmail(self.sender, [message.recipient], message.data)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.drop()
            raise

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        if self.conn is not None and self.conn.sock is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.drop()


def send_with_retries(session: Session, message: Outgoing, retry_delays: Sequence[float],
                      sleep: Callable[[float], None]) -> Failure | None:
    """Send ``message``, retrying temporary failures after each of ``retry_delays``."""
    for attempt in range(len(retry_delays) + 1):
        try:
            session.send(message)
            return None
        except (smtplib.SMTPException, OSError, ConnectFailed) as exc:
            failure = classify(exc)
        if not failure.temporary or attempt == len(retry_delays):
            return failure
        sleep(retry_delays[attempt])
    raise AssertionError("unreachable")


def deliver(messages: Sequence[Outgoing], smtp: SmtpConfig, outbox: Path, *,
            credentials: Credentials | None = None, ssl_context: ssl.SSLContext | None = None,
            retry_delays: Sequence[float] = (1, 2, 4), sleep: Callable[[float], None] = time.sleep,
            log: Callable[[str], None] | None = None) -> Report:
    """Send every message the outbox does not hold yet, recording each one accepted.

    Temporary failures are retried with backoff; a permanent (5xx) one fails
    that message only; a server that cannot be reached ends the run, and the
    messages not tried are reported as failed so a rerun sends them.
    """
    sent, failed = 0, []
    with open_outbox(outbox) as (done, handle):
        pending = [m for m in messages if _key(m.date.isoformat(), m.recipient) not in done]
        session = Session(smtp, credentials, ssl_context)
        try:
            for index, message in enumerate(pending):
                failure = send_with_retries(session, message, retry_delays, sleep)
                if failure is None:
                    record_delivery(handle, message)
                    sent += 1
                    if log:
                        log(f"sent {message.recipient}")
                    continue
                failed.append((message.recipient, failure.reason))
                if failure.connection:
                    failed.extend((m.recipient, f"not tried: {failure.reason}") for m in pending[index + 1:])
                    break
        finally:
            session.close()
    return Report(sent=sent, already_sent=len(messages) - len(pending), failed=tuple(failed))


def credentials_from_env(environ: Mapping[str, str] = os.environ) -> Credentials | None:
    """Return the SMTP login from PAPERWIRE_SMTP_USER and PAPERWIRE_SMTP_PASSWORD, if set."""
    user, password = environ.get("PAPERWIRE_SMTP_USER"), environ.get("PAPERWIRE_SMTP_PASSWORD")
    if not user:
        return None
    if password is None:
        raise ContentError("PAPERWIRE_SMTP_PASSWORD", None, "not set, but PAPERWIRE_SMTP_USER is")
    return Credentials(user, password)


def ssl_context_from_env(environ: Mapping[str, str] = os.environ) -> ssl.SSLContext:
    """Return a verifying TLS context, trusting PAPERWIRE_SMTP_CAFILE's CAs when it is set."""
    return ssl.create_default_context(cafile=environ.get("PAPERWIRE_SMTP_CAFILE") or None)
