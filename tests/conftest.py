"""Fixtures: the sample site built once per session, and a headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from paperwire.pipeline import build

from .helpers import SAMPLE_CONTENT, StaticServer

CHROMIUM = os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The sample content built into a temporary folder (read-only for tests)."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(SAMPLE_CONTENT, out)
    return out


@pytest.fixture(scope="session")
def sample_server(sample_site):
    """The sample site served on 127.0.0.1; yields its base URL."""
    with StaticServer(sample_site) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright.

    Skips only when no browser is installed, and fails instead when
    PAPERWIRE_REQUIRE_BROWSER=1 (as CI sets it).
    """
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("PAPERWIRE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} and PAPERWIRE_REQUIRE_BROWSER=1")
        pytest.skip("no Chromium installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page in its own browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
