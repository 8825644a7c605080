"""Headless Chromium (Debian's package) driven by Playwright for Python.

Screenshots go to tests/_artifacts/screenshots/ (or $NELLM_SCREENSHOTS); the ones in
docs/screenshots/ are refreshed by running the browser tests with NELLM_SCREENSHOTS=docs/screenshots.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls there
# unless told it is fine (each test is synchronous end to end).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """A cache namespace of the test's own, as BaseTestCase gives the others: throttles (sign-ups
    per address, logins) start at zero, whatever earlier runs left in the shared Redis."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


SHOTS = Path(os.environ.get("NELLM_SCREENSHOTS", ROOT / "tests" / "_artifacts" / "screenshots"))


@pytest.fixture
def chromium() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Debian chromium at /usr/bin/chromium (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def phone_page(browser, *, width: int = 390, height: int = 844):
    """A Korean-locale page at a phone's size (resize it for the desktop shots)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(15000)
    return page
