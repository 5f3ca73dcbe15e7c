"""Command line: ``paperwire [build|digest|send|serve|fetch] [options]``."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from .errors import ContentError, ContentErrors

COMMANDS = ("build", "digest", "send", "serve", "fetch")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                        help="content folder holding site.yaml, topics.yaml, corpus/ and pages/ (default: content)")
    parser.add_argument("--out", type=Path, default=Path("site"), metavar="DIR",
                        help="output folder, replaced as a whole when the build succeeds (default: site)")
    parser.add_argument("--keep-going", action="store_true",
                        help="skip corpus files that cannot be read, with a warning, instead of stopping")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    noise.add_argument("-v", "--verbose", action="store_true", help="time each stage and list every warning")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperwire", description="Build a trending-papers site, its feeds and digest.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", help="build content/ into site/ (the default command)")
    _common(build)
    build.add_argument("-j", "--jobs", type=_positive, default=None, metavar="N",
                       help="worker processes (default: one per core); output is the same for any N")
    build.add_argument("--force", action="store_true",
                       help="rebuild everything, even when no input changed since the last build")
    digest = commands.add_parser("digest", help="write one day's digest (.html, .txt, .eml) into OUT/digest/")
    _common(digest)
    digest.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD",
                        help="the day (default: the newest in the corpus)")
    digest.add_argument("--subscriber", metavar="ADDRESS",
                        help="write this subscriber's message of the day instead, as send would deliver it: "
                             "OUT/digest/DATE_ADDRESS.html, .txt and .eml")
    digest.add_argument("--outbox", type=Path, metavar="FILE",
                        help="record of delivered messages, whose papers --subscriber leaves out "
                             "(default: CONTENT/.outbox/sent.jsonl)")
    send = commands.add_parser("send", help="email each subscriber of content/subscribers.yaml their digest of "
                                            "the day, each message and each paper once")
    _common(send)
    send.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD",
                        help="the day (default: the newest in the corpus)")
    send.add_argument("--dry-run", action="store_true", help="write the messages as .eml files instead of sending them")
    send.add_argument("--dry-run-dir", type=Path, metavar="DIR",
                      help="folder for --dry-run messages (default: OUT/digest/outbox-dry-run)")
    send.add_argument("--outbox", type=Path, metavar="FILE",
                      help="record of delivered messages (default: CONTENT/.outbox/sent.jsonl)")
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild on change and reload open pages")
    _common(serve)
    serve.add_argument("--port", type=_port, default=8000, metavar="N", help="port to serve on (default: 8000)")
    _add_fetch(commands)
    return parser


def _fetch_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                        help="content folder: settings from its site.yaml, files into its corpus/ (default: content)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print nothing but failures")
    noise.add_argument("-v", "--verbose", action="store_true", help="also list every file fetched or unchanged")


def _add_fetch(commands: Any) -> None:
    fetch = commands.add_parser("fetch", help="download a source's raw responses into CONTENT/corpus/",
                                description="Download a source's raw responses into CONTENT/corpus/, each "
                                            "checked by its corpus reader and saved whole or not at all.")
    sources = fetch.add_subparsers(dest="source", metavar="SOURCE", required=True)
    hf = sources.add_parser("hf-daily", help="Hugging Face daily papers: corpus/hf-daily/YYYY-MM-DD.json")
    _fetch_common(hf)
    days = hf.add_mutually_exclusive_group()
    days.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD", help="the day (default: today, UTC)")
    days.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="every day from this one to --until")
    hf.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD",
                    help="the last day fetched with --since (default: today, UTC)")
    listing = sources.add_parser("arxiv-listing",
                                 help="arXiv's daily listing feed: corpus/arxiv-listing/CATEGORY/YYYY-MM-DD.xml")
    _fetch_common(listing)
    listing.add_argument("--category", type=_category, action="append", required=True, metavar="CATEGORY",
                         help="an arXiv category such as cs.LG (repeat for more)")
    query = sources.add_parser("arxiv-query", help="an arXiv API search: corpus/arxiv-query/SLUG/START.xml")
    _fetch_common(query)
    query.add_argument("--query", required=True, metavar="QUERY",
                       help="an arXiv search_query, such as 'cat:cs.CL AND ti:retrieval'")
    query.add_argument("--max", type=_positive, default=100, metavar="N",
                       help="most results fetched, in pages of fetch.arxiv_page_size (default: 100)")


def _category(text: str) -> str:
    from .fetch.arxiv_listing import CATEGORY

    if not CATEGORY.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an arXiv category such as cs.LG or cs.LG+stat.ML")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-03-14") from None


def _err(message: str) -> None:
    print(f"paperwire: {message}" if not message.startswith(("content", "/", ".")) else message, file=sys.stderr)


class DelayedBar:
    """A tqdm bar that appears only once a build has run for two seconds."""

    DELAY = 2.0

    def __init__(self, total: int):
        self.total: float | None = total
        self.count = 0
        self.description = ""
        self.started = time.monotonic()
        self.bar: Any = None

    def update(self, n: float = 1) -> None:
        self.count += n
        if self.bar is None and time.monotonic() - self.started >= self.DELAY:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=self.count, desc=self.description, file=sys.stderr,
                            leave=False, dynamic_ncols=True,
                            bar_format="{desc:<12} {bar} {percentage:3.0f}% {elapsed}")
        elif self.bar is not None:
            self.bar.update(n)

    def set_description_str(self, desc: str) -> None:
        self.description = desc
        if self.bar is not None:
            self.bar.set_description_str(desc, refresh=False)

    def refresh(self) -> None:
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[DelayedBar | None]:
    """Yield a progress bar when stderr is a terminal and not quiet, else None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from .pipeline import STAGES

    bar = DelayedBar(STAGES)
    try:
        yield bar
    finally:
        bar.close()


def _stop_on_sigterm() -> None:
    """End on SIGTERM (a cancelled CI job, ``timeout``) as on Ctrl-C: the build cleans up first.

    Python's default is to die at once, leaving the staged output beside the
    site and the search sources in /dev/shm until the next build.
    """
    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run_build(args: argparse.Namespace) -> int:
    from .manifest import last_build

    _stop_on_sigterm()
    if not args.content.is_dir():
        _err(f"{args.content}: content folder not found")
        return 2
    started = time.perf_counter()
    # Asked before the pipeline is imported, which alone takes a fifth of a second.
    last = last_build(args.content, args.out, args.force)
    if last.up_to_date:
        if not args.quiet:
            print(f"{args.out} is up to date: no input changed since the last build "
                  f"({time.perf_counter() - started:.2f} s; --force rebuilds)")
        return 0
    from .pipeline import build

    log = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    with _progress_bar(quiet=args.quiet or args.verbose) as progress:
        result = build(args.content, args.out, keep_going=args.keep_going, log=log, jobs=args.jobs,
                       force=args.force, progress=progress, last=last)
    if not args.quiet:
        shown = result.warnings if args.verbose else result.warnings[:10]
        for warning in shown:
            print(f"warning: {warning}", file=sys.stderr)
        if len(result.warnings) > len(shown):
            print(f"warning: … and {len(result.warnings) - len(shown)} more (-v lists all)", file=sys.stderr)
        reused = f" ({result.pages_reused} unchanged paper pages kept)" if result.pages_reused else ""
        print(f"{result.files_read} files read, {result.papers} papers, {result.sightings} sightings, "
              f"{result.unclassified} in 'other', {result.files_written} files written{reused} "
              f"in {result.seconds:.2f} s")
    return 0


def _gather_day(args: argparse.Namespace) -> tuple[Any, dt.date]:
    """Read the content and pick the digest's day; ContentError when either fails."""
    from .pipeline import gather
    from .render.digest import choose_day

    if not args.content.is_dir():
        raise ContentError(str(args.content), None, "content folder not found")
    data = gather(args.content, args.keep_going)
    try:
        return data, choose_day(data.papers, args.date)
    except ValueError as exc:
        raise ContentError(str(args.content), None, str(exc)) from None


def run_digest(args: argparse.Namespace) -> int:
    from .render.digest import digest_outputs, render_digest
    from .render.environment import make_environment
    from .writer import write_text_file

    data, day = _gather_day(args)
    if args.subscriber is not None:
        return _preview(args, data, day)
    digest = render_digest(data, make_environment(args.content), day)
    # A side output beside the site: the next build replaces OUT/ and drops it.
    for path, body in digest_outputs(digest, data.config, (day.isoformat(),)):
        write_text_file(args.out / path, body)
    if not args.quiet:
        print(f"{args.out / 'digest' / day.isoformat()}.html, .txt, .eml: {digest.view.count} papers")
    return 0


def _load_roster(args: argparse.Namespace, data: Any) -> Any:
    from .digest.subscribers import load_subscribers
    from .render.views import topics_by_slug

    return load_subscribers(args.content, frozenset(topics_by_slug(data.topics)))


def _outbox_path(args: argparse.Namespace) -> Path:
    return args.outbox or args.content / ".outbox" / "sent.jsonl"


def _warn(warnings: Sequence[str], args: argparse.Namespace) -> None:
    if args.quiet:
        return
    shown = warnings if args.verbose else warnings[:10]
    for warning in shown:
        print(f"warning: {warning}", file=sys.stderr)
    if len(warnings) > len(shown):
        print(f"warning: … and {len(warnings) - len(shown)} more (-v lists all)", file=sys.stderr)


def _preview(args: argparse.Namespace, data: Any, day: dt.date) -> int:
    """Write one subscriber's message of ``day`` as send would deliver it (``digest --subscriber``)."""
    import difflib

    from .digest.outbox import read_history
    from .digest.plan import plan_messages, write_preview
    from .render.environment import make_environment

    roster = _load_roster(args, data)
    addresses = [s.address.lower() for s in roster.subscribers]
    wanted = args.subscriber.strip().lower()
    if wanted not in addresses:
        close = difflib.get_close_matches(wanted, addresses, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ContentError(roster.path, None, f"no subscriber {args.subscriber!r}{hint}")
    history = read_history(_outbox_path(args))
    # again=True: a message already sent is planned again, and is the same message.
    plan = plan_messages(data, make_environment(args.content), day, roster, history, args.content,
                         only=frozenset({addresses.index(wanted)}), again=True, keep_going=args.keep_going)
    _warn(plan.warnings, args)
    planned = list(plan.outgoing())
    for address, reason in plan.failed:
        print(f"failed: {address}: {reason}", file=sys.stderr)
    if not planned:
        if plan.failed:
            return 1
        if not args.quiet:
            for line in plan.nothing_lines(everyone=True):
                print(f"{line}; nothing written")
        return 0
    paths = write_preview(planned[0], args.out / "digest")
    if not args.quiet:
        sent = " (already sent: this is that message)" if history.sent_on(day, planned[0].message.recipient) else ""
        for path in paths:
            print(path)
        print(f"{planned[0].message.recipient}: {len(planned[0].selection.picks)} papers{sent}")
    return 0


def run_send(args: argparse.Namespace) -> int:
    from .digest.outbox import read_history
    from .digest.plan import plan_messages, write_dry_run
    from .digest.send import credentials_from_env, deliver, ssl_context_from_env
    from .parallel import default_jobs
    from .render.environment import make_environment

    data, day = _gather_day(args)
    roster = _load_roster(args, data)
    outbox = _outbox_path(args)
    # Read before the outbox is locked: deliver() checks every message against it again, under the lock.
    plan = plan_messages(data, make_environment(args.content), day, roster, read_history(outbox), args.content,
                         keep_going=args.keep_going, jobs=default_jobs())
    _warn(plan.warnings, args)
    if args.dry_run:
        folder = args.dry_run_dir or args.out / "digest" / "outbox-dry-run"
        written = write_dry_run(plan.messages, folder)
        for address, reason in plan.failed:
            print(f"failed: {address}: {reason}", file=sys.stderr)
        if not args.quiet:
            for line in plan.nothing_lines(everyone=args.verbose):
                print(line)
            already = f", already sent {plan.already_sent}" if plan.already_sent else ""
            print(f"dry run: wrote {len(written)} messages to {folder}{already}, skipped {len(plan.skipped)}")
        return 1 if plan.failed else 0
    log = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    report = deliver(plan.messages, data.config.smtp, outbox,
                     credentials=credentials_from_env(), ssl_context=ssl_context_from_env(), log=log)
    failed = [*plan.failed, *report.failed]
    for recipient, reason in failed:
        print(f"failed: {recipient}: {reason}", file=sys.stderr)
    if not args.quiet or failed:
        if not args.quiet:
            for line in plan.nothing_lines(everyone=args.verbose):
                print(line)
        print(f"sent {report.sent}, already sent {report.already_sent + plan.already_sent}, "
              f"skipped {len(plan.skipped)}, failed {len(failed)}")
    return 1 if failed else 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def run_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    if not args.content.is_dir():
        _err(f"{args.content}: content folder not found")
        return 2
    return serve(args.content, args.out, args.port, say=lambda line: print(line, file=sys.stderr, flush=True))


def _fetch_days(args: argparse.Namespace) -> list[dt.date]:
    """Return the days ``hf-daily`` asks for, oldest first; ValueError for a range with none."""
    today = dt.datetime.now(dt.timezone.utc).date()
    if args.until is not None and args.since is None:
        raise ValueError("--until goes with --since")
    if args.since is None:
        return [args.date or today]
    until = args.until or today
    if args.since > until:
        raise ValueError(f"--since {args.since} is after {until}, so there is no day to fetch")
    return [args.since + dt.timedelta(days=n) for n in range((until - args.since).days + 1)]


@contextlib.contextmanager
def _fetch_bar(quiet: bool, total: int | None) -> Iterator[DelayedBar | None]:
    """Yield a progress bar of ``total`` files when stderr is a terminal and not quiet, else None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar = DelayedBar(total)  # type: ignore[arg-type]  # None: a query's page count is not known yet
    try:
        yield bar
    finally:
        bar.close()


def run_fetch(args: argparse.Namespace) -> int:
    from .fetch import FetchReport, open_session
    from .fetch import arxiv_listing, arxiv_query, hf_daily

    _stop_on_sigterm()
    if not args.content.is_dir():
        _err(f"{args.content}: content folder not found")
        return 2
    try:
        if args.source == "hf-daily":
            days = _fetch_days(args)
            total, work = len(days), lambda session: hf_daily.fetch_days(session, days)
        elif args.source == "arxiv-listing":
            categories = list(dict.fromkeys(args.category))
            total, work = len(categories), lambda session: arxiv_listing.fetch_categories(session, categories)
        else:
            arxiv_query.query_slug(args.query)
            total, work = None, lambda session: arxiv_query.fetch_query(session, args.query, args.max)
    except ValueError as exc:
        _err(str(exc))
        return 2
    with _fetch_bar(args.quiet or args.verbose, total) as bar, open_session(args.content, progress=bar) as session:
        if bar is not None and total is None:
            bar.total = -(-args.max // session.config.fetch.arxiv_page_size)
            bar.refresh()
        report = FetchReport(args.source, tuple(work(session)))
    if args.verbose:
        for outcome in report.outcomes:
            if outcome.status != "failed":
                where = f" -> corpus/{outcome.path}" if outcome.path and outcome.status != "empty" else ""
                print(f"{outcome.status}: {outcome.url}{where}", file=sys.stderr)
    for outcome in report.failed:
        print(f"failed: {outcome.url}: {' '.join(outcome.reason.split())}", file=sys.stderr)
    if not args.quiet or report.failed:
        print(report.summary())
    return 1 if report.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; content errors become one line per problem and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    args = make_parser().parse_args(argv)
    try:
        return {"build": run_build, "digest": run_digest, "send": run_send, "serve": run_serve,
                "fetch": run_fetch}[args.command](args)
    except ContentErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 2
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, an output that cannot be made: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        # Not every OSError comes from the system (Jinja's TemplateNotFound is one): name those.
        reason = exc.strerror or f"{type(exc).__name__}: {exc}"
        print(f"{where}{reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
