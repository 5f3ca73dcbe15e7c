"""Digest delivery against a real SMTP server (aiosmtpd on 127.0.0.1): once per recipient, always."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email
import email.policy
import functools
import json
import ssl
import subprocess
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from paperwire.cli import main
from paperwire.config import SmtpConfig
from paperwire.errors import ContentErrors
from paperwire.render.digest import message_id
from paperwire.render.environment import make_environment
from paperwire.digest.plan import plan_messages
from paperwire.digest.send import Credentials, deliver
from paperwire.digest.subscribers import Roster, Subscriber, load_subscribers

from .helpers import free_port, make_content, make_paper, make_site_data

DAY = dt.date(2025, 3, 14)
FAST = (0, 0, 0)


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and can misbehave on cue."""

    def __init__(self, fail_rcpt: int = 0, reject: frozenset[str] = frozenset(), drop_after: int | None = None):
        self.fail_rcpt = fail_rcpt  # answer 451 to this many RCPT commands first
        self.reject = reject  # answer 550 for these addresses
        self.drop_after = drop_after  # close the connection after this many accepted messages
        self.messages: list[tuple[str, bytes]] = []
        self.rcpt_attempts: collections.Counter[str] = collections.Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts[address] += 1
        if self.fail_rcpt > 0:
            self.fail_rcpt -= 1
            return "451 4.3.0 Try again later"
        if address in self.reject:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, envelope.original_content or envelope.content))
        if self.drop_after is not None and len(self.messages) == self.drop_after:
            # After the 250 below is written, hang up without a word.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 2.0.0 Accepted"

    def count(self) -> collections.Counter[str]:
        return collections.Counter(rcpt for rcpt, _ in self.messages)


@contextmanager
def smtp_server(handler: Recorder, port: int | None = None, **kwargs):
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **kwargs)
    controller.start()
    try:
        yield SmtpConfig(host="127.0.0.1", port=controller.port, security="none",
                         sender="paperwire <digest@papers.example>", timeout=5)
    finally:
        controller.stop()


def subscribers(*addresses: str, topics: dict[str, tuple[str, ...]] | None = None) -> Roster:
    return Roster(subscribers=tuple(Subscriber(address=a, name=None, topics=(topics or {}).get(a, ()))
                                    for a in addresses))


def day_data(**config):
    papers = [make_paper("moe-one", "Sparse Experts at Scale", days=(DAY,), topics=("moe",)),
              make_paper("ret-one", "Dense Retrieval Again", days=(DAY,), topics=("retrieval",))]
    return make_site_data(papers, **config)


def plan(*addresses: str, topics=None, data=None):
    return plan_messages(data or day_data(), make_environment(), DAY, subscribers(*addresses, topics=topics))


def planned(*addresses: str, **options) -> list:
    """Every message the plan for ``addresses`` holds, rendered."""
    return list(plan(*addresses, **options).messages)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


EVERYONE = ("ada@example.org", "bob@example.org", "cy@example.org", "dee@example.org")


def test_every_subscriber_gets_exactly_one_correct_message(tmp_path):
    handler = Recorder()
    messages = planned(*EVERYONE)
    with smtp_server(handler) as smtp:
        report = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    assert (report.sent, report.already_sent, report.failed) == (4, 0, ())
    assert handler.count() == collections.Counter(EVERYONE)
    for rcpt, raw in handler.messages:
        msg = parse(raw)
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert msg["To"] == rcpt
        assert msg["Message-ID"] == message_id(DAY, rcpt, smtp.sender)
        assert msg["Date"] == "Fri, 14 Mar 2025 07:00:00 +0000"
        assert msg["List-Unsubscribe"] == "<https://papers.example/unsubscribe>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        for part in ("plain", "html"):
            body = msg.get_body((part,)).get_content()
            assert "https://papers.example/papers/moe-one/" in body
            assert "https://papers.example/papers/ret-one/" in body
    lines = [json.loads(line) for line in (tmp_path / "sent.jsonl").read_text().splitlines()]
    assert [(e["date"], e["recipient"]) for e in lines] == [("2025-03-14", a) for a in EVERYONE]


def test_rerun_sends_nothing_twice(tmp_path):
    handler = Recorder()
    messages = planned(*EVERYONE)
    with smtp_server(handler) as smtp:
        deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
        again = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    assert (again.sent, again.already_sent) == (0, 4)
    assert again.summary(0) == "sent 0, already sent 4, skipped 0, failed 0"
    assert handler.count() == collections.Counter(EVERYONE)


def test_topic_filter_changes_what_a_subscriber_receives(tmp_path):
    handler = Recorder()
    result = plan("ada@example.org", "bob@example.org", "cy@example.org",
                  topics={"bob@example.org": ("retrieval",), "cy@example.org": ("other",)})
    assert result.skipped == ("cy@example.org",)  # nothing in 'other' that day: no message
    with smtp_server(handler) as smtp:
        deliver(list(result.messages), smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    received = {rcpt: parse(raw).get_body(("plain",)).get_content() for rcpt, raw in handler.messages}
    assert set(received) == {"ada@example.org", "bob@example.org"}
    assert "papers/moe-one/" in received["ada@example.org"]
    assert "papers/moe-one/" not in received["bob@example.org"]
    assert "papers/ret-one/" in received["bob@example.org"]


def test_nobody_gets_a_message_on_a_day_without_papers():
    data = make_site_data([make_paper("x", days=(dt.date(2025, 3, 10), DAY))])
    empty = plan_messages(data, make_environment(), dt.date(2025, 3, 12), subscribers("ada@example.org"))
    assert (list(empty.messages), empty.skipped) == ([], ("ada@example.org",))
    assert empty.nothing_lines() == ["nothing new: ada@example.org (no papers seen on 2025-03-12)"]


def test_temporary_451_is_retried_with_backoff(tmp_path):
    handler = Recorder(fail_rcpt=2)
    waits: list[float] = []
    with smtp_server(handler) as smtp:
        report = deliver(planned(*EVERYONE), smtp, tmp_path / "sent.jsonl",
                         retry_delays=(1, 2, 4), sleep=waits.append)
    assert waits == [1, 2]
    assert (report.sent, report.failed) == (4, ())
    assert handler.count() == collections.Counter(EVERYONE)


def test_451_beyond_retries_is_finished_by_a_rerun(tmp_path):
    handler = Recorder(fail_rcpt=3)
    messages = planned(*EVERYONE)
    with smtp_server(handler) as smtp:
        first = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=(0,))
        assert [r for r, _ in first.failed] == ["ada@example.org"] and "451" in first.failed[0][1]
        second = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=(0,))
    assert (second.sent, second.already_sent, second.failed) == (1, 3, ())
    assert handler.count() == collections.Counter(EVERYONE)


def test_permanent_550_is_not_retried(tmp_path):
    handler = Recorder(reject=frozenset({"bob@example.org"}))
    with smtp_server(handler) as smtp:
        report = deliver(planned(*EVERYONE), smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    assert report.failed == (("bob@example.org", "550 5.1.1 No such user"),)
    assert handler.rcpt_attempts["bob@example.org"] == 1
    assert handler.count() == collections.Counter(a for a in EVERYONE if a != "bob@example.org")


def test_dropped_connection_reconnects_and_sends_each_once(tmp_path):
    handler = Recorder(drop_after=2)
    with smtp_server(handler) as smtp:
        report = deliver(planned(*EVERYONE), smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    assert (report.sent, report.failed) == (4, ())
    assert handler.count() == collections.Counter(EVERYONE)


def test_dropped_connection_without_retries_is_finished_by_a_rerun(tmp_path):
    handler = Recorder(drop_after=2)
    messages = planned(*EVERYONE)
    with smtp_server(handler) as smtp:
        first = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=())
        assert first.sent == 3 and [r for r, _ in first.failed] == ["cy@example.org"]
        second = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=())
    assert (second.sent, second.already_sent) == (1, 3)
    assert handler.count() == collections.Counter(EVERYONE)


def test_refused_connection_then_rerun_delivers_everything_once(tmp_path):
    port = free_port()
    messages = planned(*EVERYONE)
    smtp = SmtpConfig(host="127.0.0.1", port=port, sender="paperwire <digest@papers.example>", timeout=5)
    waits: list[float] = []
    down = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=(1, 2), sleep=waits.append)
    assert down.sent == 0 and len(down.failed) == 4 and waits == [1, 2]  # one backoff, then the run stops
    assert "not tried" in down.failed[-1][1]
    handler = Recorder()
    with smtp_server(handler, port=port) as smtp:
        up = deliver(messages, smtp, tmp_path / "sent.jsonl", retry_delays=FAST)
    assert (up.sent, up.failed) == (4, ())
    assert handler.count() == collections.Counter(EVERYONE)


def test_outbox_survives_a_line_cut_short_by_a_crash(tmp_path):
    outbox = tmp_path / "sent.jsonl"
    outbox.write_text('{"date": "2025-03-14", "recipient": "ada@example.org", "message_id": "x"}\n{"date": "2025-03-1')
    handler = Recorder()
    with smtp_server(handler) as smtp:
        report = deliver(planned(*EVERYONE), smtp, outbox, retry_delays=FAST)
    assert (report.sent, report.already_sent) == (3, 1)
    assert all(json.loads(line) for line in outbox.read_text().splitlines()[2:])


# -- TLS and AUTH -----------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def test_starttls_with_auth(tmp_path, certificate):
    handler = Recorder()
    client = ssl.create_default_context(cafile=str(certificate[0]))
    with smtp_server(handler, tls_context=server_context(certificate), require_starttls=True,
                     authenticator=authenticator, auth_require_tls=True, auth_required=True) as smtp:
        smtp = SmtpConfig(**{**smtp.__dict__, "security": "starttls"})
        report = deliver(planned(*EVERYONE), smtp, tmp_path / "sent.jsonl", retry_delays=FAST,
                         credentials=Credentials("digest", "s3cret"), ssl_context=client)
        assert (report.sent, report.failed) == (4, ())
        wrong = deliver(planned("new@example.org"), smtp, tmp_path / "sent.jsonl", retry_delays=FAST,
                        credentials=Credentials("digest", "wrong"), ssl_context=client)
        assert wrong.sent == 0 and wrong.failed[0][1].startswith("535")
        untrusted = deliver(planned("new@example.org"), smtp, tmp_path / "sent.jsonl", retry_delays=FAST,
                            credentials=Credentials("digest", "s3cret"))
        assert "certificate" in untrusted.failed[0][1]
    assert handler.count() == collections.Counter(EVERYONE)


def test_implicit_tls(tmp_path, certificate):
    handler = Recorder()
    with smtp_server(handler, ssl_context=server_context(certificate)) as smtp:
        smtp = SmtpConfig(**{**smtp.__dict__, "security": "tls"})
        report = deliver(planned("ada@example.org"), smtp, tmp_path / "sent.jsonl", retry_delays=FAST,
                         ssl_context=ssl.create_default_context(cafile=str(certificate[0])))
    assert report.sent == 1 and handler.count() == {"ada@example.org": 1}


# -- subscribers.yaml -------------------------------------------------------

def test_subscribers_load(tmp_path):
    (tmp_path / "subscribers.yaml").write_text(textwrap.dedent("""\
        subscribers:
          - address: ada@example.org
            name: Ada
          - address: bob@example.org
            topics: [retrieval]
        """))
    loaded = load_subscribers(tmp_path, frozenset({"retrieval", "moe", "other"})).subscribers
    assert loaded == (Subscriber("ada@example.org", "Ada", ()), Subscriber("bob@example.org", None, ("retrieval",)))


def test_subscriber_errors_are_reported_together_with_lines(tmp_path):
    (tmp_path / "subscribers.yaml").write_text(textwrap.dedent("""\
        subscribers:
          - address: not-an-address
          - address: ada@example.org
            topics: [retrieval, retreival]
          - address: ADA@example.org
          - adress: bob@example.org
          - address: cy@example.org
            topics: []
        """))
    with pytest.raises(ContentErrors) as exc:
        load_subscribers(tmp_path, frozenset({"retrieval", "moe", "other"}))
    found = [(e.line, e.message) for e in exc.value.errors]
    messages = "\n".join(f"{line}: {message}" for line, message in found)
    assert "2: 'not-an-address' is not a valid email address" in messages
    assert "4: unknown topic 'retreival' (did you mean 'retrieval'?)" in messages
    assert "5: duplicate address 'ADA@example.org' (first on line 3)" in messages
    assert "6: Unrecognised configuration name 'subscribers[3].adress' (did you mean 'address'?)" in messages
    assert "'subscribers[3].address' is required" in messages
    assert "8: 'topics' is empty" in messages


def test_sample_subscribers_are_valid_and_show_every_preference():
    from paperwire.config import load_topics
    from paperwire.render.views import topics_by_slug

    from .helpers import SAMPLE_CONTENT

    loaded = load_subscribers(SAMPLE_CONTENT, frozenset(topics_by_slug(load_topics(SAMPLE_CONTENT)))).subscribers
    assert all(s.address.endswith("@example.org") for s in loaded)
    for preference in ("topics", "keywords", "exclude", "authors", "like", "size", "weekday"):
        assert any(getattr(s, preference) for s in loaded), preference
    assert {s.cadence for s in loaded} == {"daily", "weekly"}
    likes = [item for s in loaded for item in s.like]
    assert any(item.endswith(".bib") for item in likes) and any(item.endswith(".json") for item in likes)


# -- the command ------------------------------------------------------------

def test_send_command_sends_once_and_dry_run_sends_nothing(tmp_path, capsys):
    handler = Recorder()
    with smtp_server(handler) as smtp:
        content = make_content(tmp_path, copy_sample_corpus=True, site_yaml=f"""\
            base_url: https://papers.example/
            smtp:
              host: 127.0.0.1
              port: {smtp.port}
              sender: paperwire <digest@papers.example>
            """)
        (content / "subscribers.yaml").write_text(
            "subscribers:\n  - address: ada@example.org\n  - address: bob@example.org\n")
        out = tmp_path / "site"
        args = ["send", "--content", str(content), "--out", str(out)]
        assert main(args + ["--dry-run"]) == 0
        assert len(list((out / "digest" / "outbox-dry-run").glob("*.eml"))) == 2
        assert handler.messages == [] and not (content / ".outbox").exists()
        assert main(args) == 0
        assert main(args) == 0
    out_lines = capsys.readouterr().out.splitlines()
    assert out_lines[-2:] == ["sent 2, already sent 0, skipped 0, failed 0",
                              "sent 0, already sent 2, skipped 0, failed 0"]
    assert handler.count() == {"ada@example.org": 1, "bob@example.org": 1}


def test_send_command_exits_1_when_undelivered(tmp_path, capsys, monkeypatch):
    import paperwire.digest.send

    content = make_content(tmp_path, copy_sample_corpus=True, site_yaml=f"""\
        smtp:
          port: {free_port()}
          timeout: 2
        """)
    (content / "subscribers.yaml").write_text("subscribers:\n  - address: ada@example.org\n")
    # The command looks deliver() up when it runs: keep its retries instant.
    monkeypatch.setattr(paperwire.digest.send, "deliver", functools.partial(paperwire.digest.send.deliver, retry_delays=(0,)))
    assert main(["send", "--content", str(content), "--out", str(tmp_path / "site")]) == 1
    captured = capsys.readouterr()
    assert "failed: ada@example.org: connection failed" in captured.err
    assert captured.out.strip().endswith("sent 0, already sent 0, skipped 0, failed 1")


def test_send_command_rejects_bad_subscribers(tmp_path, capsys):
    content = make_content(tmp_path, copy_sample_corpus=True)
    (content / "subscribers.yaml").write_text("subscribers:\n  - address: nope\n  - address: x@y\n")
    assert main(["send", "--content", str(content), "--dry-run"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("subscribers.yaml:" in line for line in err)
