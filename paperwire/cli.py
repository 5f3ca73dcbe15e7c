"""Command line: ``paperwire [build|digest|send] [options]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from .errors import ContentError, ContentErrors

COMMANDS = ("build",)


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
    return parser


def _err(message: str) -> None:
    print(f"paperwire: {message}" if not message.startswith(("content", "/", ".")) else message, file=sys.stderr)


def run_build(args: argparse.Namespace) -> int:
    from .pipeline import build

    if not args.content.is_dir():
        _err(f"{args.content}: content folder not found")
        return 2
    log = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    result = build(args.content, args.out, keep_going=args.keep_going, log=log)
    if not args.quiet:
        shown = result.warnings if args.verbose else result.warnings[:10]
        for warning in shown:
            print(f"warning: {warning}", file=sys.stderr)
        if len(result.warnings) > len(shown):
            print(f"warning: … and {len(result.warnings) - len(shown)} more (-v lists all)", file=sys.stderr)
        print(f"{result.files_read} files read, {result.papers} papers, {result.sightings} sightings, "
              f"{result.unclassified} in 'other', {result.files_written} files written "
              f"in {result.seconds:.2f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; content errors become one line per problem and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    args = make_parser().parse_args(argv)
    try:
        return {"build": run_build}[args.command](args)
    except ContentErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 2
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
