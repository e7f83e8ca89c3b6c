"""The live slideshow and the student's JupyterLab, in headless Chromium: `make e2e`.

- The student's JupyterLab (started as `make lab` starts it, with student_lab/ on
  JUPYTER_CONFIG_PATH) shows no teacher tool: no "Nbgrader" menu, no "Validate" button, no
  "Create Assignment" panel, no formgrader page. Negative control: the same environment without
  student_lab/ shows them, and the same check says so.
- A notebook presented with jupyterlab-rise (the RISE slideshow, /rise/<notebook>): notebook 04 is
  run in JupyterLab first, as a teacher runs the setup cells before presenting, then opened as a
  slideshow, which shares its kernel. It must show slides, move to the next on the right-arrow key,
  run the first code cell shown on a slide (Shift+Enter: a new execution count, no error), and on
  the playground's slide, its cell run there, the Step button must change the playground's picture.
  That last check is a strict expected failure today: jupyterlab-rise 0.43.1 draws ipywidgets 8
  widgets as text (upstream bug), so the playground is presented in the notebook view (README).
  Screenshots go to build/e2e/rise/.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from lab_server import LabServer, start_lab
from test_jupyterlab import JS_KERNEL_READY, JS_PANEL, run_all, shut_down_kernels

from course_utils.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "build" / "e2e" / "rise"
PLAYGROUND = "04_spiral_classification.ipynb"
TEACHER_UI = {
    "an 'Nbgrader' menu": ".lm-MenuBar-itemLabel:text-is('Nbgrader')",
    "a 'Validate' button": ".jp-NotebookPanel-toolbar .jp-Toolbar-item:has-text('Validate')",
    "a 'Create Assignment' panel": ".jp-SideBar .lm-TabBar-tab[title*='Create Assignment']",
}
# The slide on screen in the RISE page (the innermost present section), and how many there are.
JS_PRESENT = """() => {
    const all = [...document.querySelectorAll('.reveal .slides section.present')];
    const slide = all[all.length - 1];
    return {id: slide ? slide.id : null, count: document.querySelectorAll('.reveal .slides section').length};
}"""


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("rise") / "notebooks"
    shutil.copytree(
        REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    server = start_lab(root, tmp_path_factory.mktemp("student-lab-state"))
    try:
        yield server
    finally:
        server.stop()


def teacher_ui(lab: LabServer, browser, shot: Path) -> list[str]:
    """The teacher tools a notebook page of `lab` shows (an empty list for the student's lab)."""
    page = browser.new_page()
    try:
        page.goto(f"{lab.url}/lab/tree/00_start_here.ipynb?reset&token={lab.token}")
        page.wait_for_function(
            JS_KERNEL_READY, arg="00_start_here.ipynb", timeout=180_000, polling=500
        )
        page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Help')")
        page.wait_for_timeout(6000)  # the last extensions add their buttons and panels
        found = [what for what, selector in TEACHER_UI.items() if page.locator(selector).count()]
        try:
            urllib.request.urlopen(f"{lab.url}/formgrader?token={lab.token}").close()
            found.append("the formgrader page")
        except urllib.error.HTTPError as error:
            assert error.code == 404, f"/formgrader answered {error.code}"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        return found
    finally:
        page.close()
        shut_down_kernels(lab)


def test_student_lab_shows_no_teacher_tools(student_lab, browser):
    found = teacher_ui(student_lab, browser, SCREENSHOTS / "student_lab.png")
    assert not found, f"the student's JupyterLab (make lab) shows teacher tools: {found}"


def test_teacher_tools_would_be_caught(browser, tmp_path):
    """Negative control: without student_lab/ the installed nbgrader shows, and the check above sees it."""
    root = tmp_path / "notebooks"
    shutil.copytree(
        REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    server = start_lab(root, tmp_path / "state", config_path=None)
    try:
        found = teacher_ui(server, browser, SCREENSHOTS / "broken" / "teacher_lab.png")
    finally:
        server.stop()
    assert found == list(TEACHER_UI) + ["the formgrader page"], found


def run_and_save(lab: LabServer, browser, name: str, timeout_s: float = 600) -> None:
    """Run every cell of `name` in JupyterLab and save it; its kernel stays up for the slideshow."""
    page = browser.new_page()
    try:
        run_all(page, lab, name, timeout_s)
        page.evaluate(f"(name) => ({JS_PANEL})(name).context.save()", name)
    finally:
        page.close()  # closing the tab leaves the kernel running


def go_to(page, slide_id: str) -> None:
    """Show slide `slide_id`: by the address's #/id, else by pressing Space (next) as a presenter does."""
    page.evaluate("(id) => { location.hash = '#/' + id; }", slide_id)
    arrived = f"(id) => ({JS_PRESENT})().id === id"
    for _ in range(400):
        if page.evaluate(arrived, slide_id):
            page.wait_for_timeout(800)  # the slide transition
            return
        page.keyboard.press("Space")
        page.wait_for_timeout(150)
    raise AssertionError(f"could not reach slide {slide_id}; on {page.evaluate(JS_PRESENT)}")


@pytest.fixture(scope="module")
def slideshow(student_lab, browser):
    """Notebook 04 run in JupyterLab (as a teacher runs the setup before presenting), then opened with RISE."""
    run_and_save(student_lab, browser, PLAYGROUND)
    page = browser.new_page()
    try:
        page.goto(f"{student_lab.url}/rise/{PLAYGROUND}?token={student_lab.token}")
        page.wait_for_function(f"() => ({JS_PRESENT})().id", timeout=180_000, polling=500)
        yield page
    finally:
        page.close()
        shut_down_kernels(student_lab)


def test_notebook_04_as_a_live_slideshow(slideshow):
    page = slideshow
    first = page.evaluate(JS_PRESENT)
    assert first["count"] >= 10, f"{PLAYGROUND} as a slideshow: only {first['count']} slides"
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"(id) => ({JS_PRESENT})().id !== id", arg=first["id"], timeout=10_000)
    # Forward (Space, as a presenter) to the first slide that shows a code cell, and run it there.
    on_screen = page.locator(".reveal .slides section.present:not(.stack) .jp-CodeCell:visible")
    for _ in range(100):
        if on_screen.count():
            break
        page.keyboard.press("Space")
        page.wait_for_timeout(300)
    assert on_screen.count(), f"{PLAYGROUND} as a slideshow: no code cell on the first 100 slides"
    run_on_screen(page, on_screen.first.element_handle())
    page.screenshot(path=str(_shot("04_cell_run.png")))


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "jupyterlab-rise 0.43.1 draws ipywidgets 8 widgets as text (https://github.com/jupyterlab-contrib/rise/"
        "issues/126): present the playground in the notebook view. Strict: an upgrade that fixes it fails here."
    ),
)
def test_playground_step_in_the_slideshow(slideshow):
    """On the playground's slide, its cell run there: the Step button must change the picture."""
    page = slideshow
    cell = (
        page.locator(".reveal .jp-CodeCell")
        .filter(has=page.locator(".jp-InputArea-editor", has_text="playground.widget"))
        .first.element_handle()
    )
    go_to(page, cell.evaluate("cell => cell.closest('section').id"))
    run_on_screen(page, cell)
    page.wait_for_timeout(5000)  # the widget's views
    page.screenshot(path=str(_shot("04_playground.png")))
    as_text = [
        out.inner_text()[:60]
        for out in cell.query_selector_all(".jp-OutputArea-output pre")
        if out.inner_text().startswith(("VBox(", "HBox(", "Box("))
    ]
    assert not as_text, f"{PLAYGROUND} as a slideshow: the playground shows as text: {as_text}"
    step = (
        page.locator(".reveal section.present:not(.stack) .jupyter-widgets button")
        .filter(has_text=re.compile(r"^\s*Step\s*$"))
        .first
    )
    step.wait_for(timeout=60_000)
    area = cell.query_selector(".jp-OutputArea")
    picture = (
        "els => els.filter(e => e.getBoundingClientRect().width > 50)"
        ".map(e => e.src || (e.toDataURL ? e.toDataURL() : e.outerHTML))"
    )
    drawn = "img, canvas, svg:not(button svg)"
    before = area.eval_on_selector_all(drawn, picture)
    assert before, f"{PLAYGROUND} as a slideshow: the playground drew no picture"
    step.click()
    deadline = time.monotonic() + 120
    while area.eval_on_selector_all(drawn, picture) == before:
        assert time.monotonic() < deadline, (
            f"{PLAYGROUND} as a slideshow: Step changed nothing in 120 s"
        )
        time.sleep(0.5)
    page.screenshot(path=str(_shot("04_playground_step.png")))


def run_on_screen(page, cell, timeout_s: float = 120) -> None:
    """Run `cell` (on the slide on screen) as a presenter does, with Shift+Enter; fail if it did not run or raised."""
    prompt = cell.query_selector(".jp-InputPrompt")
    before = prompt.inner_text().strip()
    cell.query_selector(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    deadline = time.monotonic() + timeout_s
    while (after := prompt.inner_text().strip()) == before or "*" in after:
        assert time.monotonic() < deadline, (
            f"{PLAYGROUND}: the cell on screen did not run: {after!r}"
        )
        time.sleep(0.5)
    assert re.fullmatch(r"\[\d+\]:", after), after
    errors = [
        out.inner_text()
        for out in cell.query_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        if re.search(r"Traceback|Error\b", out.inner_text())
    ]
    assert not errors, f"{PLAYGROUND}: the cell raised in the slideshow: {errors[0][:300]}"


def _shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
