"""Deliver the planned messages over SMTP, each message once.

The outbox (outbox.py) records each (date, recipient) delivered, with the
papers it carried, so a rerun after a crash, a refused connection or a
temporary failure sends what is missing and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from ..config import SmtpConfig
from ..errors import ContentError
from .outbox import open_outbox, record_delivery


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient."""

    date: dt.date
    recipient: str  # bare address, the envelope recipient
    message_id: str
    data: bytes  # the whole message, CRLF line ends
    cadence: str = "daily"
    papers: tuple[str, ...] = ()  # the keys of the papers it carries (outbox.paper_key)


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


def deliver(messages: Iterable[Outgoing], smtp: SmtpConfig, outbox: Path, *,
            credentials: Credentials | None = None, ssl_context: ssl.SSLContext | None = None,
            retry_delays: Sequence[float] = (1, 2, 4), sleep: Callable[[float], None] = time.sleep,
            log: Callable[[str], None] | None = None) -> Report:
    """Send every message the outbox does not hold yet, recording each one accepted.

    Temporary failures are retried with backoff; a permanent (5xx) one fails
    that message only; a server that cannot be reached ends the run, and the
    messages not tried are reported as failed so a rerun sends them.
    ``messages`` may be made as they are asked for: each is taken once.
    """
    sent, already, failed = 0, 0, []
    unreachable: str | None = None
    with open_outbox(outbox) as (done, handle):
        session = Session(smtp, credentials, ssl_context)
        try:
            for message in messages:
                if (message.date.isoformat(), message.recipient.lower()) in done:
                    already += 1
                    continue
                if unreachable is not None:
                    failed.append((message.recipient, f"not tried: {unreachable}"))
                    continue
                failure = send_with_retries(session, message, retry_delays, sleep)
                if failure is None:
                    record_delivery(handle, message.date, message.recipient, message.message_id, message.cadence,
                                    message.papers)
                    done.add((message.date.isoformat(), message.recipient.lower()))
                    sent += 1
                    if log:
                        log(f"sent {message.recipient}")
                    continue
                failed.append((message.recipient, failure.reason))
                if failure.connection:
                    unreachable = failure.reason
        finally:
            session.close()
    return Report(sent=sent, already_sent=already, failed=tuple(failed))


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
