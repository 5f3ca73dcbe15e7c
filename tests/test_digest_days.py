"""Personal digests over consecutive days, sent to a real SMTP server (aiosmtpd): never a paper twice.

The corpus is Hugging Face daily-papers JSON (arXiv ids, authors) over two
weeks, about a third of each day's papers seen again the next days, as
trending papers are; the subscribers file uses every preference.
"""

from __future__ import annotations

import collections
import datetime as dt
import email
import email.policy
import functools
import json
import math
import random
import re
import textwrap
import unicodedata
from pathlib import Path

import pytest

from paperwire.cli import main
from paperwire.pipeline import gather

from .helpers import make_content
from .test_send import Recorder, smtp_server

FIRST = dt.date(2025, 3, 1)  # a Saturday
DAYS = 14  # to Friday 2025-03-14
DAY1, DAY2 = dt.date(2025, 3, 13), dt.date(2025, 3, 14)

CLUSTERS = {
    "retrieval": ("Dense Retrieval", "Dense retrieval embeds each query and passage; the retriever returns the "
                  "nearest passages for open-domain question answering. Hard negatives train the dual encoder."),
    "experts": ("Mixture of Experts", "A sparse mixture of experts sends each token through a router to a few "
                "experts. Routing balances the load, and expert parallelism spreads the experts over devices."),
    "diffusion": ("Diffusion Models", "A latent diffusion model denoises image latents step by step for "
                  "text-to-image generation. Classifier-free guidance trades diversity for fidelity."),
    "vision": ("Vision Transformers", "A vision transformer splits the image into patches and attends over patch "
               "tokens. The backbone is pre-trained on image classification and transferred to detection."),
}
AUTHORS = ["José Ñúñez", "Mei Tanaka", "Olu Adeyemi", "Łukasz Nowak", "Priya Raman", "Chen Jie", "Ana Souza",
           "Tom Berg", "Sara Kim", "Ivo Petrov", "Lea Martin", "Omar Haddad"]
SYLLABLES = "ka zo ri ve nu ta lo mi sa pe do xu".split()


def make_paper(rng: random.Random, number: int) -> dict:
    cluster = rng.choice(list(CLUSTERS))
    topic, abstract = CLUSTERS[cluster]
    name = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    extra = rng.choice(["", " A survey of the field closes the paper.", " We release a Modèle for French.",
                        " RAG pipelines benefit too.", " Large language models are used as teachers."])
    return {"id": f"2503.{number:05d}", "title": f"{name}: {rng.choice(['Scaling', 'Revisiting', 'Fast'])} {topic}",
            "summary": abstract + extra + f" {name} is evaluated on {rng.randint(2, 9)} benchmarks.",
            "authors": rng.sample(AUTHORS, rng.randint(1, 3)), "upvotes": rng.randint(0, 60)}


def write_corpus(content: Path, seed: int = 7, per_day: int = 14) -> None:
    """Write one hf-daily file a day; about a third of a day's papers were already seen on the two days before."""
    rng = random.Random(seed)
    number, recent = 0, []
    for offset in range(DAYS):
        day = FIRST + dt.timedelta(days=offset)
        repeats = rng.sample(recent, min(len(recent), per_day // 3))
        fresh = []
        for _ in range(per_day - len(repeats)):
            number += 1
            fresh.append(make_paper(rng, number))
        items = [{"paper": {"id": p["id"], "title": p["title"], "summary": p["summary"],
                            "authors": [{"name": a, "hidden": False} for a in p["authors"]],
                            "upvotes": p["upvotes"], "submittedOnDailyAt": f"{day}T08:00:00.000Z"},
                  "publishedAt": f"{day}T00:00:00.000Z", "title": p["title"]} for p in repeats + fresh]
        path = content / "corpus" / "hf-daily" / f"{day}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
        recent = (recent + fresh)[-2 * per_day:]


LIBRARY_BIB = r"""@article{mine1,
  title = {Sparse Mixture of Experts with a Learned Router},
  abstract = {Routing tokens to experts; load balancing of the router; expert parallelism.}
}
@article{broken, title = {never closed
@article{mine2,
  title = {Expert Parallelism for Routing at Scale}
}
"""
LIBRARY_JSON = [{"title": "Latent Diffusion for Text-to-Image Generation",
                 "abstract": "Denoising image latents with a diffusion model; classifier-free guidance."}]


def subscribers_yaml(weekday: str = "friday", weekly_size: int = 8) -> str:
    return textwrap.dedent(f"""\
        subscribers:
          - address: ada@example.org
            name: Ada Lovelace
            size: 6
          - address: grace@example.org
            topics: [retrieval, mixture-of-experts]
            keywords: [dense retrieval, "mixture of experts", rag]
            exclude: [survey]
            size: 4
          - address: katherine@example.org
            authors: [Jose Nunez, "  MEI   tanaka "]
            keywords: [modele]
            size: 2
          - address: alan@example.org
            like: [libraries/alan.bib]
            size: 4
          - address: barbara@example.org
            like: [libraries/barbara.json, 2503.00002]
            size: 3
          - address: edsger@example.org
            cadence: weekly
            weekday: {weekday}
            size: {weekly_size}
          - address: frances@example.org
            cadence: weekly
            weekday: tuesday
        """)


@pytest.fixture
def content(tmp_path) -> Path:
    folder = make_content(tmp_path, site_yaml="base_url: https://papers.example/\nsmtp:\n  host: 127.0.0.1\n"
                                              "  port: 1\n  sender: paperwire <digest@papers.example>\n")
    write_corpus(folder)
    (folder / "libraries").mkdir()
    (folder / "libraries" / "alan.bib").write_text(LIBRARY_BIB, encoding="utf-8")
    (folder / "libraries" / "barbara.json").write_text(json.dumps(LIBRARY_JSON), encoding="utf-8")
    (folder / "subscribers.yaml").write_text(subscribers_yaml(), encoding="utf-8")
    return folder


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def slugs_in(data: bytes) -> list[str]:
    text = parse(data).get_body(("plain",)).get_content()
    return re.findall(r"https://papers\.example/papers/([a-z0-9-]+)/", " ".join(text.split()))


def send(content: Path, day: dt.date, port: int, *extra: str) -> int:
    site = content.parent / "site"
    text = (content / "site.yaml").read_text()
    (content / "site.yaml").write_text(re.sub(r"(?m)^  port: \d+$", f"  port: {port}", text))
    return main(["send", "--date", day.isoformat(), "--content", str(content), "--out", str(site), *extra])


@pytest.fixture
def quick_retries(monkeypatch):
    import paperwire.digest.send

    monkeypatch.setattr(paperwire.digest.send, "deliver",
                        functools.partial(paperwire.digest.send.deliver, retry_delays=(0,)))


# -- independent checks of what was delivered ---------------------------------

def fold(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return re.findall(r"[^\W_]+", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold())


def has(text: str, words: str) -> bool:
    return f" {' '.join(fold(words))} " in f" {' '.join(fold(text))} "


def bag_cosine(a: str, b: str) -> float:
    """A plain bag-of-words cosine, independent of paperwire's TF-IDF."""
    stop = {"the", "a", "of", "and", "to", "for", "each", "is", "on", "with", "by", "over", "we", "are"}
    ca = collections.Counter(w for w in fold(a) if w not in stop)
    cb = collections.Counter(w for w in fold(b) if w not in stop)
    dot = sum(ca[w] * cb[w] for w in ca)
    return dot / (math.sqrt(sum(v * v for v in ca.values())) * math.sqrt(sum(v * v for v in cb.values())) or 1)


def check_preferences(content: Path, day: dt.date, received: dict[str, list[str]]) -> None:
    """Assert every delivered paper satisfies its subscriber's preferences, as the README states them."""
    papers = {p.slug: p for p in gather(content).papers}
    seen = [p for p in papers.values() if day in p.dates]

    def text(p):
        return f"{p.title} | {p.abstract}"

    for slug in received.get("grace@example.org", []):
        p = papers[slug]
        assert {"retrieval", "mixture-of-experts"} & set(p.topics), slug
        assert any(has(p.title, k) or has(p.abstract, k) for k in ("dense retrieval", "mixture of experts", "rag"))
        assert not has(text(p), "survey")
    followed = [p.slug for p in seen if {"José Ñúñez", "Mei Tanaka"} & set(p.authors)]
    katherine = received.get("katherine@example.org", [])
    for slug in katherine:
        p = papers[slug]
        assert {"José Ñúñez", "Mei Tanaka"} & set(p.authors) or has(text(p), "modele"), slug
    assert set(followed) - set(katherine) <= set(received.get("_katherine_before", [])), "a followed paper is missing"
    by_id = {p.arxiv_id: p for p in papers.values()}
    libraries = {"alan@example.org": [LIBRARY_BIB],
                 "barbara@example.org": [json.dumps(LIBRARY_JSON), text(by_id["2503.00002"])]}
    for address, library in libraries.items():
        def closeness(p):  # to the nearest entry of the library, as "like" means
            return max(bag_cosine(text(p), entry) for entry in library)

        mine = [closeness(papers[s]) for s in received.get(address, [])]
        everyone = [closeness(p) for p in seen]
        assert mine and sum(mine) / len(mine) > sum(everyone) / len(everyone), address


# -- the tests ------------------------------------------------------------------

def test_two_consecutive_days_every_paper_once_and_as_preferred(content, capsys):
    handler = Recorder()
    with smtp_server(handler) as smtp:
        assert send(content, DAY1, smtp.port) == 0
        day1 = {rcpt: slugs_in(raw) for rcpt, raw in handler.messages}
        handler.messages.clear()
        assert send(content, DAY2, smtp.port) == 0
        day2 = {rcpt: slugs_in(raw) for rcpt, raw in handler.messages}
    out = capsys.readouterr().out
    assert "not their day: edsger@example.org (weekly, on fridays)" in out  # on DAY1, a Thursday
    assert "not their day: frances@example.org (weekly, on tuesdays)" in out
    assert set(day1) == {"ada@example.org", "grace@example.org", "katherine@example.org", "alan@example.org",
                         "barbara@example.org"}
    assert "edsger@example.org" in day2  # Friday: the week's papers
    for rcpt in day2:
        assert not set(day1.get(rcpt, ())) & set(day2[rcpt]), f"{rcpt} got a paper twice"
        assert len(day2[rcpt]) == len(set(day2[rcpt]))
    # Papers of DAY2 that were also seen on DAY1 exist, so never-twice was put to the test.
    papers = gather(content).papers
    assert any(DAY1 in p.dates and DAY2 in p.dates and p.slug in day1.get("ada@example.org", ()) for p in papers)
    check_preferences(content, DAY1, day1)
    check_preferences(content, DAY2, {**day2, "_katherine_before": day1.get("katherine@example.org", [])})
    assert len(day1["ada@example.org"]) == 6 and len(day1["grace@example.org"]) <= 4


def test_a_dry_run_and_a_preview_are_byte_for_byte_what_the_server_receives(content, capsys):
    out = content.parent / "site"
    assert main(["send", "--dry-run", "--date", DAY2.isoformat(), "--content", str(content), "--out", str(out)]) == 0
    dry = {p.name: p.read_bytes() for p in (out / "digest" / "outbox-dry-run").glob("*.eml")}
    assert main(["digest", "--subscriber", "Barbara@Example.org", "--date", DAY2.isoformat(),
                 "--content", str(content), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    stem = out / "digest" / "2025-03-14_barbara@example.org"
    assert printed[-4:-1] == [f"{stem}.html", f"{stem}.txt", f"{stem}.eml"]
    preview = Path(f"{stem}.eml").read_bytes()
    assert preview == dry["2025-03-14_barbara@example.org.eml"]
    message = parse(preview)
    for suffix, part in (("html", "html"), ("txt", "plain")):
        body = message.get_body((part,)).get_content().replace("\r\n", "\n")
        assert Path(f"{stem}.{suffix}").read_text().rstrip("\n") == body.rstrip("\n")
    handler = Recorder()
    with smtp_server(handler) as smtp:
        assert send(content, DAY2, smtp.port) == 0
    assert len(handler.messages) == len(dry) == 6
    for rcpt, raw in handler.messages:
        assert raw == dry[f"2025-03-14_{rcpt}.eml"], rcpt
    # After sending, the preview is still that message, and the dry run has nothing left to send.
    assert main(["digest", "--subscriber", "barbara@example.org", "--date", DAY2.isoformat(),
                 "--content", str(content), "--out", str(out)]) == 0
    assert Path(f"{stem}.eml").read_bytes() == preview
    assert "already sent: this is that message" in capsys.readouterr().out


def test_faults_mid_batch_lose_and_duplicate_nothing(content, quick_retries, capsys):
    """451s and dropped connections mid-batch, then a rerun: each subscriber gets each paper once."""
    handler = Recorder(fail_rcpt=3, drop_after=2)
    with smtp_server(handler) as smtp:
        first = send(content, DAY1, smtp.port)
        assert first == 1  # something failed, so the run says so
        handler.drop_after = 4  # drops again in the rerun
        assert send(content, DAY1, smtp.port) in (0, 1)
        handler.drop_after = None
        assert send(content, DAY1, smtp.port) == 0
        day1 = handler.count()
        received_day1 = collections.defaultdict(list)
        for rcpt, raw in handler.messages:
            received_day1[rcpt] += slugs_in(raw)
        handler.fail_rcpt, handler.drop_after = 2, 3
        send(content, DAY2, smtp.port)
        handler.drop_after = None
        assert send(content, DAY2, smtp.port) == 0
    assert set(day1.values()) == {1}, day1  # one message each for DAY1, whatever happened
    per_day = collections.Counter((parse(raw)["Message-ID"], rcpt) for rcpt, raw in handler.messages)
    assert set(per_day.values()) == {1}
    papers = collections.defaultdict(list)
    for rcpt, raw in handler.messages:
        papers[rcpt] += slugs_in(raw)
    for rcpt, slugs in papers.items():
        assert len(slugs) == len(set(slugs)), f"{rcpt} got a paper twice"
    lines = [json.loads(line) for line in (content / ".outbox" / "sent.jsonl").read_text().splitlines()]
    assert len(lines) == len(handler.messages)  # one record per delivered message, with its papers
    for entry in lines:
        assert entry["papers"] and all(re.fullmatch(r"2503\.\d{5}", key) for key in entry["papers"])


def test_a_rerun_after_a_crash_gives_recorded_recipients_nothing_and_the_others_the_same_message(content, capsys):
    out = content.parent / "site"
    assert main(["send", "--dry-run", "--date", DAY2.isoformat(), "--content", str(content), "--out", str(out)]) == 0
    planned = {p.name.split("_", 1)[1][:-4]: p.read_bytes() for p in (out / "digest" / "outbox-dry-run").glob("*.eml")}
    handler = Recorder(drop_after=2)
    import paperwire.digest.send as sending

    with smtp_server(handler) as smtp:
        real = sending.deliver
        try:  # no retries: the run ends at the drop, as a crash would
            sending.deliver = functools.partial(real, retry_delays=())
            assert send(content, DAY2, smtp.port) == 1
        finally:
            sending.deliver = real
        before = {rcpt for rcpt, _ in handler.messages}
        assert 0 < len(before) < len(planned)
        assert send(content, DAY2, smtp.port) == 0
    assert handler.count() == collections.Counter({rcpt: 1 for rcpt in planned})
    for rcpt, raw in handler.messages:
        assert raw == planned[rcpt]  # same papers, same Message-ID, same bytes
    assert f"already sent {len(before)}" in capsys.readouterr().out


def test_old_outbox_lines_without_papers_are_still_read(content, capsys):
    outbox = content / ".outbox" / "sent.jsonl"
    outbox.parent.mkdir()
    outbox.write_text(json.dumps({"date": DAY1.isoformat(), "recipient": "ada@example.org",
                                  "message_id": "<old@papers.example>"}) + "\n")
    handler = Recorder()
    with smtp_server(handler) as smtp:
        assert send(content, DAY1, smtp.port) == 0
        assert "ada@example.org" not in handler.count()
        assert capsys.readouterr().out.splitlines()[-1] == "sent 4, already sent 1, skipped 2, failed 0"
        assert send(content, DAY2, smtp.port) == 0
    assert handler.count()["ada@example.org"] == 1
    assert "ada@example.org" in {json.loads(line)["recipient"] for line in outbox.read_text().splitlines()[1:]}


def test_weekly_across_a_week_boundary_holds_no_paper_of_the_week_before(content, capsys):
    # Big enough a message to hold papers that are seen again the next week.
    (content / "subscribers.yaml").write_text(subscribers_yaml(weekday="friday", weekly_size=50), encoding="utf-8")
    handler = Recorder()
    week1, week2 = dt.date(2025, 3, 7), dt.date(2025, 3, 14)
    with smtp_server(handler) as smtp:
        assert send(content, week1, smtp.port) == 0
        first = {rcpt: slugs_in(raw) for rcpt, raw in handler.messages}["edsger@example.org"]
        for day in (dt.date(2025, 3, 8), dt.date(2025, 3, 10), dt.date(2025, 3, 13)):
            assert send(content, day, smtp.port) == 0
        assert [rcpt for rcpt, _ in handler.messages].count("edsger@example.org") == 1
        assert send(content, week2, smtp.port) == 0
    second = [slugs_in(raw) for rcpt, raw in handler.messages if rcpt == "edsger@example.org"][-1]
    assert len(first) == 50 and second
    assert not set(first) & set(second)
    papers = {p.slug: p for p in gather(content).papers}
    # Papers seen in both weeks exist, so the second week had some to leave out.
    assert any(week1 - dt.timedelta(days=6) <= min(papers[s].dates) and max(papers[s].dates) > week1
               for s in first)
    for slug in second:
        assert any(week2 - dt.timedelta(days=6) <= d <= week2 for d in papers[slug].dates)
    message = parse([raw for rcpt, raw in handler.messages if rcpt == "edsger@example.org"][-1])
    assert message["Subject"].startswith("Your week in papers, 8–14 March 2025: ")
    assert "weekly digest" in message.get_body(("html",)).get_content()

