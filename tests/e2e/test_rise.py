"""The live slideshow and the student's JupyterLab, in headless Chromium: `make e2e`.

- The student's JupyterLab (started as `make lab` starts it, with student_lab/ on
  JUPYTER_CONFIG_PATH) shows no teacher tool: no "Nbgrader" menu, no "Validate" button, no
  "Create Assignment" panel, no formgrader page. Negative control: the same environment without
  student_lab/ shows them, and the same check says so.
- A notebook presented with jupyterlab-rise (the RISE slideshow, /rise/<notebook>): notebook 04 is
  run in JupyterLab first, as a teacher runs the setup cells before presenting, then opened as a
  slideshow, which shares its kernel. It must show slides, move to the next on the right-arrow key,
  run a code cell on its slide (Shift+Enter: a new execution count, no error), and its
  playground's Step button must change the playground's picture. Screenshots go to build/e2e/rise/.
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
from test_jupyterlab import JS_KERNEL_READY, JS_PANEL, JS_WATCH_BUSY, shut_down_kernels, wait_until_idle

from course_utils.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "build" / "e2e" / "rise"
PLAYGROUND = "04_spiral_classification.ipynb"
TEACHER_UI = {
    "an 'Nbgrader' menu": ".lm-MenuBar-itemLabel:text-is('Nbgrader')",
    "a 'Validate' button": ".jp-NotebookPanel-toolbar .jp-Toolbar-item:has-text('Validate')",
    "a 'Create Assignment' panel": ".jp-SideBar .lm-TabBar-tab[title*='Create Assignment']",
}
# The slide on screen in the RISE page, and what it holds.
JS_PRESENT = """() => {
    const all = [...document.querySelectorAll('.reveal .slides section.present')];
    const slide = all[all.length - 1];
    return {id: slide ? slide.id : null, count: document.querySelectorAll('.reveal .slides section').length,
            codeCells: slide ? slide.querySelectorAll('.jp-CodeCell').length : 0};
}"""


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("rise") / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
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
        page.wait_for_function(JS_KERNEL_READY, arg="00_start_here.ipynb", timeout=180_000, polling=500)
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
    shutil.copytree(REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
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
        page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
        page.wait_for_function(JS_KERNEL_READY, arg=name, timeout=180_000, polling=500)
        page.evaluate(JS_WATCH_BUSY, name)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        wait_until_idle(page, name, timeout_s)
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


def test_notebook_04_as_a_live_slideshow(student_lab, browser):
    run_and_save(student_lab, browser, PLAYGROUND)
    page = browser.new_page()
    try:
        page.goto(f"{student_lab.url}/rise/{PLAYGROUND}?token={student_lab.token}")
        page.wait_for_function(f"() => ({JS_PRESENT})().id", timeout=180_000, polling=500)
        first = page.evaluate(JS_PRESENT)
        assert first["count"] >= 10, f"{PLAYGROUND} as a slideshow: only {first['count']} slides"
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"(id) => ({JS_PRESENT})().id !== id", arg=first["id"], timeout=10_000)

        # The first code cell on a slide of its own: run it there, as a teacher does while presenting.
        code_slide = page.evaluate("""() => [...document.querySelectorAll('.reveal .slides section')]
            .find(s => !s.querySelector('section') && s.querySelector('.jp-CodeCell .jp-InputPrompt')
                  && /\\[\\d+\\]/.test(s.querySelector('.jp-CodeCell .jp-InputPrompt').innerText)).id""")
        go_to(page, code_slide)
        cell = page.locator(f"section#{code_slide} .jp-CodeCell").first
        before = cell.locator(".jp-InputPrompt").inner_text()
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + 120
        while (after := cell.locator(".jp-InputPrompt").inner_text()) in (before, "[*]:") or "*" in after:
            assert time.monotonic() < deadline, f"{PLAYGROUND}: the cell on slide {code_slide} did not run: {after!r}"
            time.sleep(0.5)
        assert re.fullmatch(r"\[\d+\]:", after.strip()), after
        assert not cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").filter(
            has_text="Error").count(), f"{PLAYGROUND}: the cell raised in the slideshow"
        page.screenshot(path=str(_shot("04_cell_run.png")))

        # The playground: its slide, its picture, and Step changes the picture.
        step = page.locator(".reveal .jupyter-widgets button").filter(has_text=re.compile(r"^\s*Step\s*$")).first
        assert step.count(), f"{PLAYGROUND} as a slideshow: no playground (no widget button 'Step')"
        go_to(page, step.evaluate("button => button.closest('section').id"))
        area = page.locator(".reveal section.present .jp-OutputArea", has=step).first
        picture = ("els => els.filter(e => e.getBoundingClientRect().width > 50)"
                   ".map(e => e.src || (e.toDataURL ? e.toDataURL() : e.outerHTML))")
        before = area.locator("img, canvas, svg:not(button svg)").evaluate_all(picture)
        assert before, f"{PLAYGROUND} as a slideshow: the playground drew no picture"
        step.click()
        deadline = time.monotonic() + 120
        while area.locator("img, canvas, svg:not(button svg)").evaluate_all(picture) == before:
            assert time.monotonic() < deadline, f"{PLAYGROUND} as a slideshow: Step changed nothing in 120 s"
            time.sleep(0.5)
        page.screenshot(path=str(_shot("04_playground_step.png")))
    finally:
        page.close()
        shut_down_kernels(student_lab)


def _shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
