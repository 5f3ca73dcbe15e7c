"""What one fetch run shares: the client, the store, the settings; and what it reports."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import httpx

from ..config import SiteConfig, load_site_config
from .client import Client
from .store import Store

STATUSES = ("fetched", "unchanged", "empty", "failed")


@dataclass(frozen=True)
class Outcome:
    """What became of one corpus file: fetched, unchanged, empty (nothing to save) or failed."""

    status: str
    url: str
    path: str | None = None  # relative to corpus/
    reason: str = ""


@dataclass(frozen=True)
class FetchReport:
    source: str
    outcomes: tuple[Outcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status == "failed")

    def summary(self) -> str:
        """Return the run's one line, such as ``fetch hf-daily: 3 fetched, 1 unchanged, 1 failed``."""
        counts = [f"{self.count('fetched')} fetched", f"{self.count('unchanged')} unchanged"]
        if self.count("empty"):
            counts.append(f"{self.count('empty')} empty")
        counts.append(f"{self.count('failed')} failed")
        return f"fetch {self.source}: {', '.join(counts)}"


class Progress(Protocol):
    """The part of a progress bar (cli.DelayedBar) a fetch uses."""

    def update(self, n: float = 1) -> object: ...

    def set_description_str(self, desc: str) -> object: ...


@dataclass(frozen=True)
class Session:
    client: Client
    store: Store
    config: SiteConfig
    progress: Progress | None = None

    def done(self, what: str) -> None:
        """Advance the progress bar past one file."""
        if self.progress is not None:
            self.progress.set_description_str(what)
            self.progress.update(1)


@contextlib.contextmanager
def open_session(content_dir: Path, *, progress: Progress | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None) -> Iterator[Session]:
    """Yield a session on ``content_dir`` (its site.yaml's ``fetch`` settings); save the fetch state after."""
    config = load_site_config(content_dir)
    store = Store(content_dir, config)
    with Client(config.fetch, sleep=sleep, clock=clock, wall_clock=wall_clock, transport=transport) as client:
        try:
            yield Session(client, store, config, progress)
        finally:
            store.save_state()
