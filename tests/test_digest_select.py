"""Choosing each subscriber's papers: every preference, the cadence, never twice, and why each paper is there."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest

from paperwire.digest.library import read_library
from paperwire.digest.outbox import Delivery, History
from paperwire.digest.plan import plan_messages
from paperwire.digest.select import NoMessage, Selection, select_digests
from paperwire.digest.subscribers import Roster, Subscriber
from paperwire.records import evolve
from paperwire.render.environment import make_environment

from .helpers import make_paper, make_site_data

DAY = dt.date(2025, 3, 14)  # a Friday
YESTERDAY = DAY - dt.timedelta(days=1)

RETRIEVAL = ("Dense passage retrieval with dual encoders indexes millions of passages. Queries and passages "
             "are embedded by a dual encoder and the nearest passages are retrieved for question answering.")
EXPERTS = ("A sparse mixture of experts routes each token to a few experts. The router balances the load of "
           "experts, and expert parallelism spreads the experts over devices for training at scale.")
VISION = ("Vision transformers split an image into patches and attend over the patch tokens. Convolutional "
          "backbones and patch embeddings are compared on image classification and detection.")


def paper(slug, title, abstract=RETRIEVAL, days=(DAY,), topics=("retrieval",), authors=(), arxiv=None, upvotes=None):
    return evolve(make_paper(slug, title, abstract, days=days, topics=topics),
                  authors=tuple(authors), arxiv_id=arxiv, upvotes=upvotes)


def corpus():
    """A day of twelve papers in three clusters, in trending order."""
    return [
        paper("r1", "Dense Retrieval at Scale", arxiv="2503.00001"),
        paper("e1", "Routing Experts Efficiently", EXPERTS, topics=("moe",), authors=("José Ñúñez", "Li Wei")),
        paper("v1", "Patches Are All You Need", VISION, topics=("other",)),
        paper("r2", "A Survey of Passage Retrieval", arxiv="2503.00002"),
        paper("e2", "Experts Everywhere", EXPERTS, topics=("moe",)),
        paper("v2", "Vision Backbones Revisited", VISION, topics=("other",), authors=("Jose  NUNEZ",)),
        paper("r3", "Fragments of Retrieval", "We study text fragments. " + RETRIEVAL),
        paper("e3", "Large-Language Model Experts", EXPERTS, topics=("moe",)),
        paper("r4", "RAG for Question Answering", RETRIEVAL),
        paper("v3", "Modèles de vision", VISION, topics=("other",)),
        paper("e4", "Load Balancing the Router", EXPERTS, topics=("moe",), arxiv="2503.00004"),
        paper("r5", "Retrieval Heads", "A large language. Model " + RETRIEVAL),
    ]


def choose(*subscribers: Subscriber, papers=None, day=DAY, history=None, content_dir=Path("."), **config):
    data = make_site_data(papers or corpus(), **config)
    roster = Roster("subscribers.yaml", tuple(subscribers))
    return select_digests(data.papers, data.config, day, roster, history or History(), content_dir)


def one(subscriber: Subscriber, **options) -> Selection | NoMessage:
    return choose(subscriber, **options).outcomes[0]


def slugs(outcome) -> list[str]:
    assert isinstance(outcome, Selection), outcome
    return [pick.paper.slug for pick in outcome.picks]


def why(outcome) -> dict[str, list[tuple[str, str]]]:
    return {pick.paper.slug: [tuple(r) for r in pick.reasons] for pick in outcome.picks}


ADA = "ada@example.org"


# -- each preference ----------------------------------------------------------

def test_no_preferences_is_the_days_top_papers_by_topic():
    chosen = one(Subscriber(ADA), digest={"size": 4})
    assert slugs(chosen) == ["r1", "e1", "v1", "r2"]
    assert why(chosen)["e1"] == [("topic", "moe")]


def test_topics_keep_papers_in_them_only():
    chosen = one(Subscriber(ADA, topics=("moe",)))
    assert slugs(chosen) == ["e1", "e2", "e3", "e4"]
    assert all(reasons == [("topic", "moe")] for reasons in why(chosen).values())


def test_keywords_are_whole_words_case_and_accent_insensitive():
    assert slugs(one(Subscriber(ADA, keywords=("rag",)))) == ["r4"]  # not "fragments"
    assert slugs(one(Subscriber(ADA, keywords=("MODELES",)))) == ["v3"]  # "Modèles"
    assert slugs(one(Subscriber(ADA, keywords=("modèles",)))) == ["v3"]
    assert slugs(one(Subscriber(ADA, keywords=("routes", "patches")))) == ["e1", "v1", "e2", "v2", "e3", "v3", "e4"]
    chosen = one(Subscriber(ADA, keywords=("fragments", "rag")))
    assert why(chosen) == {"r3": [("keyword", "fragments")], "r4": [("keyword", "rag")]}


def test_a_phrase_matches_its_words_in_a_row_within_title_or_abstract():
    # "Large-Language Model" is the phrase; r5 has "large language." then "Model": a sentence
    # apart is still in a row as words. The title-abstract boundary is never crossed.
    found = slugs(one(Subscriber(ADA, keywords=("large language model",))))
    assert found == ["e3", "r5"]
    assert isinstance(one(Subscriber(ADA, keywords=("everywhere a sparse",))), NoMessage)  # title | abstract
    assert slugs(one(Subscriber(ADA, keywords=("mixture of experts",)))) == ["e1", "e2", "e3", "e4"]


def test_keywords_and_topics_must_both_hold():
    outcome = one(Subscriber(ADA, topics=("moe",), keywords=("retrieval",)))
    assert isinstance(outcome, NoMessage) and outcome.detail == "none of the day's 12 papers matches their preferences"
    assert slugs(one(Subscriber(ADA, topics=("retrieval",), keywords=("heads", "routing")))) == ["r5"]


def test_exclude_drops_papers_whatever_case_or_accents():
    assert slugs(one(Subscriber(ADA, topics=("retrieval",), exclude=("SURVEY", "rag")))) == ["r1", "r3", "r5"]
    assert slugs(one(Subscriber(ADA, topics=("other",), exclude=("modeles",)))) == ["v1", "v2"]


def test_followed_authors_are_folded_and_always_there():
    chosen = one(Subscriber(ADA, authors=("jose nunez",), topics=("retrieval",), keywords=("rag",),
                            exclude=("experts", "vision"), size=1))
    # Both of their papers, though off-topic, unmatched, excluded and over the size; nothing else fits.
    assert slugs(chosen) == ["e1", "v2"]
    assert why(chosen) == {"e1": [("author", "José Ñúñez")], "v2": [("author", "Jose  NUNEZ")]}
    roomy = one(Subscriber(ADA, authors=("  JOSÉ   ñúñez ",), keywords=("rag",), size=3))
    assert slugs(roomy) == ["e1", "v2", "r4"]  # they count toward the size; the others fill the rest


def test_size_caps_the_message_and_defaults_to_digest_size():
    assert len(slugs(one(Subscriber(ADA, size=3)))) == 3
    assert len(slugs(one(Subscriber(ADA), digest={"size": 5}))) == 5
    assert len(slugs(one(Subscriber(ADA)))) == 10


# -- like ---------------------------------------------------------------------

def similarity_check(chosen, library_texts):
    """Return the mean cosine of the chosen papers and of all the day's papers with the library."""
    from paperwire.related import PaperTexts
    from paperwire.tfidf import project, tfidf_model

    papers = make_site_data(corpus()).papers
    rows, vocabulary = tfidf_model(PaperTexts(papers))
    scores = (project(library_texts, vocabulary).matrix() @ rows.matrix().T).toarray().max(axis=0)
    by_slug = dict(zip((p.slug for p in papers), scores))
    return sum(by_slug[s] for s in slugs(chosen)) / len(slugs(chosen)), float(scores.mean())


def test_like_arxiv_ids_ranks_by_likeness_and_leaves_the_paper_itself_out():
    chosen = one(Subscriber(ADA, like=("2503.00004",)))  # "Load Balancing the Router", an experts paper
    assert slugs(chosen) == ["e1", "e2", "e3"]  # not e4 itself; nothing unlike it
    assert why(chosen)["e1"] == [("like", "Load Balancing the Router")]
    mine, everyone = similarity_check(chosen, [f"Load Balancing the Router. {EXPERTS}"])
    assert mine > everyone


def test_like_bibtex_and_csl_json_libraries(tmp_path):
    (tmp_path / "mine.bib").write_text(
        "@article{a,\n title = {Patch Embeddings for Vision Transformers},\n"
        " abstract = {Image patches as tokens for vision transformers and convolutional backbones.}\n}\n"
        "@article{broken, title = {never closed\n")
    (tmp_path / "mine.json").write_text(json.dumps([{"title": "Dense passage retrieval with dual encoders"}]))
    bib = choose(Subscriber(ADA, like=("mine.bib",)), content_dir=tmp_path)
    assert sorted(slugs(bib.outcomes[0])) == ["v1", "v2", "v3"]  # the vision papers, and only them
    assert why(bib.outcomes[0])["v1"] == [("like", "Patch Embeddings for Vision Transformers")]
    assert bib.warnings == (f"{tmp_path / 'mine.bib'}:5: not a valid BibTeX entry, skipped",)
    mine, everyone = similarity_check(bib.outcomes[0], ["Patch Embeddings for Vision Transformers. Image patches "
                                                        "as tokens for vision transformers and convolutional backbones."])
    assert mine > everyone
    csl = one(Subscriber(ADA, like=("mine.json",), size=3), content_dir=tmp_path)
    assert set(slugs(csl)) <= {"r1", "r2", "r3", "r4", "r5"} and len(slugs(csl)) == 3


def test_like_with_keywords_must_match_both(tmp_path):
    (tmp_path / "mine.json").write_text(json.dumps([{"title": "Dense passage retrieval with dual encoders"}]))
    assert slugs(one(Subscriber(ADA, like=("mine.json",), keywords=("rag",)), content_dir=tmp_path)) == ["r4"]


def test_unknown_arxiv_ids_are_warned_and_like_is_then_left_out():
    roster = Roster("subscribers.yaml", (Subscriber(ADA, like=("2501.99999",)),), like_lines=((7,),))
    data = make_site_data(corpus())
    choices = select_digests(data.papers, data.config, DAY, roster, History(), Path("."))
    assert choices.warnings == ("subscribers.yaml:7: arXiv id 2501.99999 is not in the corpus, left out of "
                                "ada@example.org's 'like'",
                                "subscribers.yaml: ada@example.org: nothing in 'like' could be used, so it is left out")
    assert len(slugs(choices.outcomes[0])) == 10


def test_the_papers_vectors_are_made_once_for_all_subscribers(tmp_path, monkeypatch):
    import paperwire.tfidf

    calls = []
    real = paperwire.tfidf.tfidf_model
    monkeypatch.setattr(paperwire.tfidf, "tfidf_model", lambda *a, **k: calls.append(1) or real(*a, **k))
    (tmp_path / "a.json").write_text(json.dumps([{"title": "Vision transformers and patches"}]))
    read = []
    subscribers = [Subscriber(f"s{i}@example.org", like=("a.json", "2503.00001")) for i in range(50)]
    choices = select_digests(make_site_data(corpus()).papers, make_site_data([]).config, DAY,
                             Roster("s.yaml", tuple(subscribers)), History(), tmp_path,
                             read=lambda path, shown: read.append(path) or read_library(path, shown))
    assert calls == [1] and len(read) == 1  # one model, one reading of the shared library
    assert all(isinstance(o, Selection) for o in choices.outcomes)


# -- cadence ------------------------------------------------------------------

def week_corpus():
    """Papers over two weeks; 'late' is hot this week, 'early' was hot last week."""
    days = [DAY - dt.timedelta(days=n) for n in range(14)]
    return [
        paper("early", "Early Hit", days=tuple(days[8:14])),  # seen 8-13 days before DAY: last week only
        paper("steady", "Steady Paper", days=(days[0], days[10])),
        paper("late", "Late Hit", days=tuple(days[0:5])),  # five sightings in this week
        paper("today", "Only Today", days=(DAY,)),
        paper("edge", "Seven Days Ago", days=(days[7],)),  # just outside the 7 days
        paper("first", "Six Days Ago", days=(days[6],)),  # the window's first day
    ]


def test_weekly_is_sent_only_on_its_weekday_and_says_why_not():
    friday = Subscriber(ADA, cadence="weekly", weekday="friday")
    monday = Subscriber("bob@example.org", cadence="weekly")
    outcomes = choose(friday, monday, papers=week_corpus()).outcomes
    assert isinstance(outcomes[0], Selection) and outcomes[0].first_day == dt.date(2025, 3, 8)
    assert outcomes[1] == NoMessage(monday, "not their day", "weekly, on mondays")


def test_weekly_holds_the_weeks_best_by_the_score_inside_the_week():
    chosen = one(Subscriber(ADA, cadence="weekly", weekday="friday"), papers=week_corpus())
    # Ranked by the sightings inside the 7 days ending on the send day: 'late' (five) first;
    # 'early' and 'edge' were seen before them and are not in it.
    assert slugs(chosen) == ["late", "steady", "today", "first"]
    daily = one(Subscriber(ADA), papers=week_corpus())
    assert slugs(daily) == ["steady", "late", "today"]  # the day's, in trending order


# -- never twice ----------------------------------------------------------------

def test_papers_sent_on_other_days_are_never_sent_again():
    history = History([Delivery("2025-03-13", ADA, ("2503.00001", "e1")), Delivery("2025-03-12", ADA, None)])
    chosen = one(Subscriber(ADA, size=3), history=history)
    assert slugs(chosen) == ["v1", "r2", "e2"]
    # Known by arXiv id or by slug, whichever the record has.
    again = one(Subscriber(ADA, topics=("retrieval",)), history=History([Delivery("2025-03-13", ADA, ("r1",))]))
    assert "r1" not in slugs(again)


def test_nothing_new_says_how_many_matching_papers_were_sent():
    history = History([Delivery("2025-03-13", ADA, ("e1", "e2", "e3", "2503.00004"))])
    outcome = one(Subscriber(ADA, topics=("moe",)), history=history)
    assert outcome == NoMessage(Subscriber(ADA, topics=("moe",)), "nothing new", "all 4 matching papers already sent")
    single = one(Subscriber(ADA, keywords=("rag",)), history=History([Delivery("2025-03-13", ADA, ("r4",))]))
    assert single.detail == "the 1 matching paper already sent"


def test_a_recipient_already_recorded_for_the_day_gets_nothing_and_a_preview_gets_the_same_message():
    before = History([Delivery("2025-03-13", ADA, ("r1",))])
    first = one(Subscriber(ADA, size=3), history=before)
    recorded = History([Delivery("2025-03-13", ADA, ("r1",)),
                        Delivery(DAY.isoformat(), ADA, tuple(p.paper.slug for p in first.picks))])
    outcome = one(Subscriber(ADA, size=3), history=recorded)
    assert isinstance(outcome, NoMessage) and outcome.kind == "already sent"
    data = make_site_data(corpus())
    again = select_digests(data.papers, data.config, DAY, Roster(subscribers=(Subscriber(ADA, size=3),)), recorded,
                           Path("."), again=True).outcomes[0]
    assert again == first  # the day's own record is never what its plan leaves out


# -- why, in both bodies, escaped -------------------------------------------------

def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_every_message_says_why_each_paper_is_there_in_both_parts(tmp_path):
    (tmp_path / "lib.json").write_text(json.dumps([{"title": "Vision transformers <img src=x onerror=alert(1)>",
                                                    "abstract": VISION}]))
    papers = corpus()
    papers[1] = evolve(papers[1], authors=("José <b>Ñúñez</b>",))
    roster = Roster(subscribers=(
        Subscriber(ADA, "Ada Lövelace", authors=("jose b nunez b",), keywords=("<rag>",), size=2),
        Subscriber("bob@example.org", like=("lib.json",), size=1),
        Subscriber("cy@example.org", topics=("moe",), size=1),
    ))
    plan = plan_messages(make_site_data(papers), make_environment(), DAY, roster, History(), tmp_path)
    bodies = {m.recipient: parse(m.data) for m in plan.messages}
    ada, bob, cy = (bodies[a] for a in (ADA, "bob@example.org", "cy@example.org"))
    def body(message, part):
        return " ".join(message.get_body((part,)).get_content().split())  # unwrapped

    for part, html in (("plain", False), ("html", True)):
        text = body(ada, part)
        if html:
            assert "by José &lt;b&gt;Ñúñez&lt;/b&gt;" in text and "matches '&lt;rag&gt;'" in text
            assert "<b>Ñúñez" not in text and "<rag>" not in text
            assert "like “Vision transformers &lt;img src=x onerror=alert(1)&gt;” from your library" in body(bob, part)
        else:
            assert "Why: by José ‹b›Ñúñez‹/b›" in text and "Why: matches '‹rag›'" in text
            assert "like “Vision transformers ‹img src=x onerror=alert(1)›” from your library" in body(bob, part)
        assert "top in Mixture of experts" in body(cy, part)
    assert ada["To"] == "Ada Lövelace <ada@example.org>"
    assert b"=?utf-8?" in plan.messages.__next__().data.split(b"\r\n\r\n", 1)[0]


def test_the_summary_names_who_gets_nothing_and_why():
    roster = Roster(subscribers=(Subscriber(ADA, cadence="weekly"), Subscriber("bob@example.org", keywords=("zebra",)),
                                 Subscriber("cy@example.org")))
    plan = plan_messages(make_site_data(corpus()), make_environment(), DAY, roster,
                         History([Delivery(DAY.isoformat(), "cy@example.org", ())]))
    assert plan.nothing_lines() == ["not their day: ada@example.org (weekly, on mondays)",
                                    "nothing new: bob@example.org (none of the day's 12 papers matches their "
                                    "preferences)"]
    assert (plan.skipped, plan.already_sent, list(plan.messages)) == (("ada@example.org", "bob@example.org"), 1, [])


@pytest.mark.parametrize("count", [11, 25])
def test_long_lists_of_who_gets_nothing_are_cut_unless_verbose(count):
    roster = Roster(subscribers=tuple(Subscriber(f"s{i}@example.org", cadence="weekly") for i in range(count)))
    plan = plan_messages(make_site_data(corpus()), make_environment(), DAY, roster)
    assert plan.nothing_lines()[-1] == f"not their day: … and {count - 10} more (-v lists all)"
    assert len(plan.nothing_lines(everyone=True)) == count


def test_libraries_read_in_two_processes_choose_the_same(tmp_path):
    for n in range(3):
        (tmp_path / f"l{n}.json").write_text(json.dumps([{"title": ["Vision transformers and patches",
                                                                   "Routing experts", "Dense passage retrieval"][n]}]))
    subscribers = tuple(Subscriber(f"s{n}@example.org", like=(f"l{n % 3}.json",), size=2) for n in range(6))
    data = make_site_data(corpus())
    one_job, two_jobs = (select_digests(data.papers, data.config, DAY, Roster(subscribers=subscribers), History(),
                                        tmp_path, jobs=jobs) for jobs in (1, 2))
    assert one_job == two_jobs and all(isinstance(o, Selection) for o in one_job.outcomes)
