"""Compare two paperwire trees building a site with search: clean build, then a new day's rebuild.

    python bench/search_shards.py OLD_TREE NEW_TREE CONTENT_DIR [--repeat 2] [--work DIR]

OLD_TREE and NEW_TREE are checkouts (``git worktree add``) whose build.py is
run with this interpreter; CONTENT_DIR is a corpus from generate.py with
``search: enabled: true``. Each repetition builds with both trees, taking
turns to go first: a clean build into a fresh folder, then add_day() and a
rebuild into the same folder, then the day is removed again. Every build
is measured by memory.py (wall time, peaks of the whole process tree's PSS
and of /dev/shm). Outputs are renamed into WORK/trash, never deleted
before a measured build (deleting slows file creation on this disk for a
while), and each build waits for the previous output's background removal
and a ``sync`` first. Prints one JSON line per build, then the medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import add_day, remove_day  # noqa: E402
from memory import measure  # noqa: E402


def _wait_for_removals(out: Path, seconds: float = 120) -> None:
    """Wait until the detached ``rm`` of the output a build replaced is done."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(p.name.startswith(f".paperwire-{out.name}.old-")
                                              for p in out.parent.iterdir()):
        time.sleep(0.2)


def _build(tree: Path, content: Path, out: Path) -> dict[str, float]:
    subprocess.run(["sync"], check=False)
    result = measure([sys.executable, str(tree / "build.py"), "build", "--content", str(content),
                      "--out", str(out), "-q"])
    _wait_for_removals(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("content", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/paperwire-search-bench"))
    args = parser.parse_args()
    trash = args.work / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    runs = []
    for repeat in range(args.repeat):
        order = [("old", args.old), ("new", args.new)]
        for label, tree in order if repeat % 2 == 0 else order[::-1]:
            out = args.work / f"{label}-{repeat}"
            clean = _build(tree, args.content, out)
            added = add_day(args.content)
            try:
                rebuild = _build(tree, args.content, out)
            finally:
                remove_day(args.content, added)
            for scenario, result in (("clean", clean), ("new day", rebuild)):
                run = {"tree": label, "repeat": repeat, "scenario": scenario, **result}
                print(json.dumps(run), flush=True)
                runs.append(run)
            out.rename(trash / out.name)
    print("median of", args.repeat, "runs:")
    for scenario in ("clean", "new day"):
        for label in ("old", "new"):
            chosen = [r for r in runs if r["tree"] == label and r["scenario"] == scenario]
            medians = {key: statistics.median(r[key] for r in chosen)
                       for key in ("wall_s", "peak_pss_mb", "peak_rss_one_mb", "peak_shm_mb")}
            print(f"  {scenario:<8} {label}: " + "  ".join(f"{k} {v:.1f}" for k, v in medians.items()))
    shutil.rmtree(trash, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
