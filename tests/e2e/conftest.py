"""The browser tests need Playwright, Chromium and minutes, so only `make e2e` (COURSE_E2E=1) collects them.

`make test` and `make unit` still collect the cheap unit tests of their checks (test_e2e_checks.py).
The one headless Chromium is shared by every browser test file (Playwright's synchronous API
cannot be started twice in one process). Under pytest-xdist (`make e2e` runs two workers with
`--dist loadfile`), each test file runs on one worker, with its own Chromium: the decks' file
(which builds both sites) on one, the notebooks in JupyterLab and the slideshow on the other.
"""

import os

import pytest

BROWSER_TESTS = ["test_jupyterlab.py", "test_rise.py", "test_slides_offline.py"]
collect_ignore = [] if os.environ.get("COURSE_E2E") == "1" else BROWSER_TESTS


def pytest_collection_modifyitems(items):
    """The decks' tests first: they build both sites (running every notebook when the cache is cold),
    the longest part, while the other worker runs the notebooks in JupyterLab. This hook sees every
    test of the session (`make test` collects this folder too): it acts only in `make e2e`."""
    if os.environ.get("COURSE_E2E") == "1":
        items.sort(key=lambda item: item.path.name != "test_slides_offline.py")


CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A fresh headless Chromium (its own --user-data-dir): a Playwright BrowserContext."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"No Chromium at {CHROMIUM}: install it (Debian/Ubuntu: `apt-get install -y chromium`) "
            "or point E2E_CHROMIUM at one. The test never downloads a browser."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
