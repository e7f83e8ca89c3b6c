"""Every notebook run in JupyterLab in a real (headless) Chromium: `make e2e`.

For each notebook: open it, Run > Run All Cells, wait for the kernel to go idle, then fail if a
cell raised, did not run, or shows a widget as text instead of drawing it (see e2e_checks.py).
Notebooks with a Step button (the spiral playground) must draw it and change when Step is
pressed. A screenshot of each notebook goes to build/e2e/, its time to build/e2e/report.txt.
Negative controls: deliberately broken notebooks (one raises, one shows widgets as text) and a
JupyterLab without the widget manager must fail the same checks.

The notebooks are opened from a temporary copy (running cells in JupyterLab saves outputs),
JupyterLab's settings and workspaces live in a temporary folder, and the server, its kernels
and the browser are stopped in `finally` blocks, also when a test fails.

The browser (`browser`, a headless Chromium shared with the other browser tests) comes from conftest.py.
Environment: COURSE_E2E=1 (set by `make e2e`; without it pytest does not collect this file),
E2E_NOTEBOOKS (a glob, default notebooks/*.ipynb), E2E_CHROMIUM (default /usr/bin/chromium),
E2E_TIMEOUT_S (per notebook, default 600).
"""

from __future__ import annotations

import contextlib
import difflib
import glob
import json
import os
import platform
import re
import shutil
import signal
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from broken_notebooks import WIDGETS_WITHOUT_MANAGER, write_broken_notebooks, write_notebook
from e2e_checks import notebook_problems
from lab_server import LabServer, start_lab

from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted(
    Path(p)
    for p in glob.glob(os.environ.get("E2E_NOTEBOOKS", "notebooks/*.ipynb"), root_dir=REPO_ROOT)
)
TIMEOUT_S = float(os.environ.get("E2E_TIMEOUT_S", "600"))
SCREENSHOTS = REPO_ROOT / "build" / "e2e"
# Notebooks that must hold a playground with a Step button.
PLAYGROUND_NOTEBOOKS = {"04_spiral_classification.ipynb"}

# JavaScript run in the page (JupyterLab is started with expose_app_in_browser).
JS_PANEL = """(name) => window.jupyterapp && [...window.jupyterapp.shell.widgets('main')]
    .find(w => w.context && w.context.path === name)"""
JS_KERNEL_READY = f"""(name) => {{
    const panel = ({JS_PANEL})(name);
    const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return Boolean(kernel && kernel.status === 'idle' && panel.content.widgets.length);
}}"""
JS_WATCH_BUSY = f"""(name) => {{
    const panel = ({JS_PANEL})(name);
    window.__e2eSawBusy = false;
    panel.sessionContext.statusChanged.connect((_, status) => {{
        if (status === 'busy') window.__e2eSawBusy = true;
    }});
}}"""
JS_STATE = f"""(name) => {{
    const panel = ({JS_PANEL})(name);
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const prompts = [...panel.content.node.querySelectorAll('.jp-InputPrompt')].map(p => p.innerText);
    const dialog = document.querySelector('.jp-Dialog');
    return {{status: kernel ? kernel.status : 'no kernel', sawBusy: window.__e2eSawBusy,
             queued: prompts.filter(t => t.includes('*')).length,
             dialog: dialog ? dialog.innerText : null}};
}}"""
JS_CELLS = f"""(name) => ({JS_PANEL})(name).content.widgets.map((cell, index) => {{
    const area = cell.outputArea ? cell.outputArea.node : null;
    return {{
        index, type: cell.model.type, source: cell.model.sharedModel.getSource(),
        execution_count: cell.model.type === 'code' ? cell.model.executionCount : null,
        outputs: cell.model.type === 'code' ? cell.model.outputs.toJSON() : [],
        text: area ? area.innerText : '',
        // Widget outputs the page drew with another renderer: JupyterLab's text/plain fallback
        // when no widget manager is loaded (a closed widget, e.g. a finished tqdm bar, draws nothing).
        widgets_as_text: cell.outputArea ? cell.outputArea.widgets.filter((child, i) => {{
            const output = cell.model.outputs.get(i);
            return output && output.data['application/vnd.jupyter.widget-view+json']
                && child.node.querySelector('.jp-OutputArea-output[data-mime-type="text/plain"]');
        }}).length : 0,
    }};
}})"""
JS_NOTEBOOK_HEIGHT = """() => Math.max(0, ...[...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')].map(n => n.scrollHeight))"""


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# CI cancels a job with SIGTERM, which ends Python without running `finally`: turn it (and SIGINT,
# which a background shell ignores) into KeyboardInterrupt so that the fixtures below stop the
# server, its kernels and the browser.
signal.signal(signal.SIGTERM, _interrupt)
signal.signal(signal.SIGINT, _interrupt)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """A temporary copy of notebooks/ (with its sub-folders): JupyterLab saves what it runs."""
    root = tmp_path_factory.mktemp("e2e") / "notebooks"
    shutil.copytree(
        REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    for notebook in NOTEBOOKS:  # notebooks chosen outside notebooks/ (E2E_NOTEBOOKS)
        if not (root / notebook.name).exists():
            shutil.copy(REPO_ROOT / notebook, root / notebook.name)
    return root


@pytest.fixture(scope="session")
def lab(workspace, tmp_path_factory):
    server = start_lab(workspace, tmp_path_factory.mktemp("lab-state"))
    try:
        yield server
    finally:
        server.stop()


def shut_down_kernels(lab: LabServer) -> None:
    """Delete every session (and its kernel) so that notebooks do not pile up kernels."""
    headers = {"Authorization": f"token {lab.token}"}
    with urllib.request.urlopen(
        urllib.request.Request(f"{lab.url}/api/sessions", headers=headers)
    ) as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(
            f"{lab.url}/api/sessions/{session['id']}", headers=headers, method="DELETE"
        )
        urllib.request.urlopen(request).close()


def wait_until_idle(page, name: str, timeout_s: float) -> None:
    """Wait until the kernel was busy, is idle again, no cell is queued, for two polls in a row."""
    deadline, calm = time.monotonic() + timeout_s, 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{name}: still running after {timeout_s:.0f} s: {page.evaluate(JS_STATE, name)}"
            )
        state = page.evaluate(JS_STATE, name)
        if state["dialog"]:
            raise AssertionError(f"{name}: JupyterLab opened a dialog: {state['dialog']!r}")
        calm = (
            calm + 1
            if state["sawBusy"] and state["status"] == "idle" and not state["queued"]
            else 0
        )
        time.sleep(0.5)


def screenshot(page, path: Path) -> None:
    """The whole notebook: the window is made as tall as the notebook (Chromium caps at 16000 px)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = min(16000, int(page.evaluate(JS_NOTEBOOK_HEIGHT)) + 200)
    page.set_viewport_size({"width": 1400, "height": max(1000, height)})
    page.screenshot(path=str(path))


def check_playground(page, name: str, timeout_s: float = 120) -> str:
    """The cell holding a Step button draws a picture and changes when Step is pressed."""
    step = page.locator(".jp-OutputArea-output .jupyter-widgets button").filter(
        has_text=re.compile(r"^\s*Step\s*$")
    )
    assert step.count() >= 1, f"{name}: no playground: no widget button labelled 'Step' was drawn"
    area = (
        page.locator(".jp-Cell", has=step.first).locator(".jp-OutputArea").first
    )  # the cell's own
    drawing = "img, canvas, svg:not(button svg)"

    def snapshot():
        images = area.locator(drawing).evaluate_all(
            "els => els.filter(e => e.getBoundingClientRect().width > 50)"
            ".map(e => e.src || (e.toDataURL ? e.toDataURL() : e.outerHTML))"
        )
        return area.inner_text(), images

    text_before, images_before = snapshot()
    assert images_before, (
        f"{name}: the playground drew no picture (no img, canvas or svg in its output)"
    )
    step.first.click()
    deadline = time.monotonic() + timeout_s
    while snapshot() == (text_before, images_before):
        assert time.monotonic() < deadline, (
            f"{name}: nothing changed {timeout_s:.0f} s after pressing Step"
        )
        time.sleep(0.5)
    wait_until_idle(page, name, timeout_s)
    text_after, images_after = snapshot()
    changed = [
        what
        for what, before, after in (
            ("text", text_before, text_after),
            ("picture", images_before, images_after),
        )
        if before != after
    ]
    # ▶ Play trains and redraws in the background: the picture must change while it plays; then Pause.
    buttons = area.locator(".jupyter-widgets button")
    play = buttons.filter(has_text=re.compile(r"Play"))
    assert play.count() >= 1, f"{name}: the playground has no Play button"
    play.first.click()
    deadline = time.monotonic() + timeout_s
    while snapshot()[1] == images_after:
        assert time.monotonic() < deadline, (
            f"{name}: the picture did not change {timeout_s:.0f} s after pressing Play"
        )
        time.sleep(0.5)
    buttons.filter(has_text=re.compile(r"Pause")).first.click()
    buttons.filter(has_text=re.compile(r"Play")).first.wait_for(timeout=timeout_s * 1000)
    return f"Step changed the playground's {' and '.join(changed)}; Play changed its picture and Pause stopped it"


def run_all(page, lab: LabServer, name: str, timeout_s: float) -> None:
    """Open `name` in `page`, Run > Run All Cells, and wait until its kernel is idle again."""
    # ?reset: a fresh workspace, so the tabs (and kernels) of earlier notebooks are not reopened.
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_function(JS_KERNEL_READY, arg=name, timeout=180_000, polling=500)
    page.evaluate(JS_WATCH_BUSY, name)
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    wait_until_idle(page, name, timeout_s)


@contextlib.contextmanager
def run_in_lab(lab: LabServer, browser, name: str, shot: Path):
    """Open `name`, run all its cells, wait for the kernel; yield (problems, page).

    Afterwards, also when a check failed: a screenshot to `shot`, the page closed, the kernels shut down.
    """
    page = browser.new_page()
    try:
        run_all(page, lab, name, TIMEOUT_S)
        yield notebook_problems(page.evaluate(JS_CELLS, name)), page
    finally:
        try:
            screenshot(page, shot)
        finally:
            page.close()
            shut_down_kernels(lab)


def assert_caught(problems: list[str], name: str, expected: list[str]) -> None:
    report = "\n".join(problems)
    for words in expected:
        assert words in report, f"{name}: expected {words!r} among the problems, got:\n{report}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab, browser, notebook):
    start, playground = time.monotonic(), ""
    try:
        with run_in_lab(lab, browser, notebook.name, SCREENSHOTS / f"{notebook.stem}.png") as (
            problems,
            page,
        ):
            has_step = page.locator(".jupyter-widgets button:text-is('Step')").count()
            if not problems and (notebook.name in PLAYGROUND_NOTEBOOKS or has_step):
                playground = check_playground(page, notebook.name)
        assert not problems, f"{notebook.name} in JupyterLab:\n  " + "\n  ".join(problems)
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with open(SCREENSHOTS / "report.txt", "a") as report:
            print(
                f"{time.strftime('%Y-%m-%d %H:%M:%S')} {notebook.name}: {time.monotonic() - start:.1f} s "
                f"open + run all + checks in JupyterLab; {playground or 'no playground'}",
                file=report,
            )


def test_opening_and_saving_a_notebook_changes_nothing(lab, browser, workspace):
    """JupyterLab stores the kernel's kernelspec and language_info when the kernel starts: stored as it
    writes them, an opened notebook is not modified and saving it rewrites the same bytes (no git
    conflicts for students). On a Python other than the stored one's, its version is the one field
    JupyterLab must rewrite, so the copy opened here carries this Python's."""
    folder = workspace / "pristine"
    folder.mkdir(exist_ok=True)
    problems, page = [], browser.new_page()
    try:
        for notebook in NOTEBOOKS:
            stored = nbformat.read(REPO_ROOT / notebook, as_version=4)
            stored.metadata.language_info.version = platform.python_version()
            before = nbformat.writes(stored) + "\n"
            (folder / notebook.name).write_text(before, encoding="utf-8")
            name = f"pristine/{notebook.name}"
            page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
            page.wait_for_function(JS_KERNEL_READY, arg=name, timeout=180_000, polling=500)
            page.wait_for_timeout(1500)  # the kernel's info reply, which sets language_info
            if page.evaluate(f"(name) => ({JS_PANEL})(name).model.dirty", name):
                problems.append(f"{notebook.name} shows as modified right after opening")
            page.evaluate(f"(name) => ({JS_PANEL})(name).context.save()", name)
            after = (folder / notebook.name).read_text(encoding="utf-8")
            if after != before:
                changed = [
                    line
                    for line in difflib.unified_diff(
                        before.splitlines(), after.splitlines(), lineterm="", n=0
                    )
                    if line[:1] in "+-" and line[:3] not in ("---", "+++")
                ][:8]
                problems.append(f"{notebook.name} changed when saved: {changed}")
            shut_down_kernels(lab)
    finally:
        page.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def broken(workspace) -> dict[Path, list[str]]:
    return write_broken_notebooks(workspace / "broken")


@pytest.mark.parametrize("name", ["zz_raises.ipynb", "zz_widgets_as_text.ipynb"])
def test_broken_notebook_is_caught(lab, browser, broken, name):
    """Negative control: the checks above must fail a notebook that raises or shows widgets as text."""
    expected = next(words for path, words in broken.items() if path.name == name)
    shot = SCREENSHOTS / "broken" / name.replace(".ipynb", ".png")
    with run_in_lab(lab, browser, f"broken/{name}", shot) as (problems, _):
        assert_caught(problems, f"broken/{name}", expected)


def test_widgets_without_widget_manager_are_caught(workspace, browser, tmp_path):
    """Negative control: a JupyterLab without ipywidgets' front end shows widgets as text, and the checks say so."""
    name, sources, expected = WIDGETS_WITHOUT_MANAGER
    (workspace / "broken").mkdir(exist_ok=True)
    write_notebook(workspace / "broken" / name, sources)
    server = start_lab(
        workspace, tmp_path, disabled_extensions=("@jupyter-widgets/jupyterlab-manager",)
    )
    try:
        shot = SCREENSHOTS / "broken" / name.replace(".ipynb", ".png")
        with run_in_lab(server, browser, f"broken/{name}", shot) as (problems, _):
            assert_caught(problems, f"broken/{name}", expected)
    finally:
        server.stop()
