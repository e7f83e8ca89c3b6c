"""``course``: the teachers' and maintainers' command (``course --help``; ``make`` calls it).

Every subcommand works on the course checkout around the current folder: its notebooks by
default, or the notebooks named on the command line; output goes to ``build/<name>/`` unless
``--out`` says otherwise. Each subcommand imports what it needs when it runs, so ``course --help``
is quick and nothing here imports PyTorch (the notebooks it runs do, in their own kernels).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from course_tools.execution import NOTEBOOK_TIMEOUT, SUBMISSION_TIMEOUT

__all__ = ["main", "parser"]

DESCRIPTION = """The course's teacher and maintainer tools, one subcommand each.

Each works on the course checkout around the current folder: on every notebook of the course, or
on the notebooks named; output goes to build/NAME/ in the checkout unless --out says otherwise.
`course COMMAND --help` gives a subcommand's options."""


def _student(args: argparse.Namespace) -> int:
    import nbformat

    from course_tools.notebook_tools import build_dir, course_notebooks
    from course_tools.student import find_exercises, write_student_version

    for path in course_notebooks(args.notebooks):
        names = (
            ", ".join(e.name for e in find_exercises(nbformat.read(path, as_version=4)))
            or "no exercises"
        )
        print(f"{write_student_version(path, args.out or build_dir('student'))}  ({names})")
    return 0


def _homework(args: argparse.Namespace) -> int:
    import nbformat

    from course_tools.homework import build_pack, homework_section
    from course_tools.notebook_tools import build_dir, course_notebooks

    built = 0
    for path in course_notebooks(args.notebooks):
        if homework_section(nbformat.read(path, as_version=4)) is None:
            if args.notebooks:
                print(f"{path.name} has no heading containing 'Homework': no pack", file=sys.stderr)
            continue
        print(build_pack(path, args.out or build_dir("homework"), args.timeout))
        built += 1
    if not built:
        print("No notebook has a 'Homework' section yet: no packs built.")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from course_tools.grading.class_run import grade
    from course_tools.grading.merge import MergeRefused, merge
    from course_tools.grading.sandbox import SandboxUnavailable
    from course_tools.notebook_tools import build_dir

    if args.merge is not None:
        folders = args.merge or sorted(
            str(p) for p in build_dir("grades").glob("shard-*-of-*") if p.is_dir()
        )
        if not folders:
            raise FileNotFoundError(
                "no shard reports to merge: pass their folders, or grade with --shard K/N first"
            )
        out = Path(args.out or build_dir("grades"))
        try:
            results = merge(folders, out, replace=args.replace, gradebook=args.gradebook)
        except MergeRefused as err:
            print(f"course grade --merge: {err}", file=sys.stderr)
            return 2
        print(f"merged {len(results)} submissions from {len(folders)} report folders")
    else:
        if not args.submissions:
            print("course grade: pass the folder of submissions (or --merge)", file=sys.stderr)
            return 2
        shard = None
        if args.shard:
            k, _, n = args.shard.partition("/")
            if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
                print(
                    f"course grade: --shard takes K/N with 1 <= K <= N, e.g. 2/8 (got {args.shard})",
                    file=sys.stderr,
                )
                return 2
            shard = (int(k), int(n))
        default = build_dir("grades") / (f"shard-{shard[0]}-of-{shard[1]}" if shard else "")
        out = Path(args.out or default)
        try:
            grade(
                args.submissions,
                out,
                args.timeout,
                args.notebook,
                isolate=not args.unsafe_no_sandbox,
                jobs=args.jobs or None,
                shard=shard,
                reuse=not args.regrade,
                gradebook=args.gradebook,
            )
        except SandboxUnavailable as err:
            print(f"course grade: {err}", file=sys.stderr)
            return 2
    print(
        f"reports: {out / 'grades.csv'}, {out / 'grades.md'}, {out / 'gradebook.csv'} and a feedback file per "
        f"student in {out / 'feedback'}"
    )
    return 0


def _slides(args: argparse.Namespace) -> int:
    from course_tools.editions import output_dir
    from course_tools.notebook_tools import build_dir, course_notebooks
    from course_tools.slides import build_decks

    out = Path(args.out or output_dir("slides", args.teacher))
    for deck in build_decks(
        course_notebooks(args.notebooks), out, args.jobs, build_dir("executed"), args.teacher
    ):
        print(deck)
    return 0


def _slide_tags(args: argparse.Namespace) -> int:
    import nbformat

    from course_tools.notebook_tools import course_notebooks, write_notebook
    from course_tools.slides import apply_slide_metadata, mismatches

    status = 0
    for path in course_notebooks(args.notebooks):
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for line in mismatches(nb):
                print(f"{path.name}: {line}")
                status = 1
        elif apply_slide_metadata(nb):
            write_notebook(nb, path)
            print(f"set the slide metadata of {path.name}")
    return status


def _html(args: argparse.Namespace) -> int:
    import time

    from course_tools.notebook_tools import course_notebooks
    from course_tools.site import build_site

    start = time.perf_counter()
    index = build_site(course_notebooks(args.notebooks), args.out, args.jobs, teacher=args.teacher)
    print(f"site: {index} ({time.perf_counter() - start:.0f} s)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from course_tools import guide, prose
    from course_tools.notebook_tools import course_notebooks, problems, size_problems, size_table

    paths = course_notebooks(args.notebooks)
    print(size_table(paths) + "\n")
    found = [line for path in paths for line in problems(path)]
    found += [line for path in paths for line in size_problems(path)]
    found += [line for path in paths for line in prose.problems(path)]
    found += [line for path in paths for line in guide.problems(path)]
    if not args.notebooks and paths:
        found += guide.stray_guides(paths[0].parent)
    print(
        "\n".join(found)
        if found
        else "every notebook follows the conventions, fits in one lab session, has a "
        "teacher's guide that matches its sections, and its prose quotes checked numbers"
    )
    return 1 if found else 0


def _clean(args: argparse.Namespace) -> int:
    import nbformat

    from course_tools.notebook_tools import clean, course_notebooks, write_notebook

    for path in course_notebooks(args.notebooks):
        write_notebook(clean(nbformat.read(path, as_version=4)), path)
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from course_tools.notebook_tools import course_notebooks, refresh

    for path in course_notebooks(args.notebooks):
        print(f"running {path.name} ...", flush=True)
        refresh(path, args.timeout)
    return 0


def _badges(args: argparse.Namespace) -> int:
    from course_tools.notebook_tools import course_notebooks, set_repository_links

    for path in course_notebooks(args.notebooks):
        if set_repository_links(path):
            print(f"updated the Colab links of {path.name}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``course`` command line: one subcommand per tool.

    Example:
        >>> parser().parse_args(["grade", "submissions/"]).timeout
        300.0
    """
    top = argparse.ArgumentParser(
        prog="course", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        title="commands (make targets: student, homework, grade, slides, slide-tags, html, "
        "check-notebooks, clean-notebooks, refresh, badges)",
    )

    def command(
        name: str,
        run: Callable[[argparse.Namespace], int],
        help: str,
        *,
        notebooks: bool = True,
        out: str | None = None,
        timeout: float | None = None,
        jobs: bool = False,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        if notebooks:
            sub.add_argument(
                "notebooks",
                nargs="*",
                help="notebook files (default: every notebook of the course)",
            )
        if out:
            sub.add_argument("--out", help=f"output folder (default: build/{out} in the checkout)")
        if timeout:
            sub.add_argument(
                "--timeout",
                type=float,
                default=float(timeout),
                help=f"seconds a notebook may run in all (default: {timeout:g})",
            )
        if jobs:
            sub.add_argument(
                "--jobs", type=int, default=2, help="notebooks run at the same time (default: 2)"
            )
        return sub

    command(
        "student", _student, "student versions: solutions stubbed, outputs cleared", out="student"
    )
    command(
        "homework",
        _homework,
        "a zipped homework pack per notebook with a Homework section",
        out="homework",
        timeout=SUBMISSION_TIMEOUT,
    )
    grade = command(
        "grade",
        _grade,
        "run submitted notebooks, report which checks pass",
        notebooks=False,
        out="grades",
        timeout=SUBMISSION_TIMEOUT,
    )
    grade.add_argument(
        "submissions",
        nargs="?",
        help="folder of submitted notebooks (searched recursively), named "
        "STUDENT_NN_name.ipynb or STUDENT/NN_name.ipynb",
    )
    grade.add_argument(
        "--notebook", help="the course notebook every submission answers (default: from its name)"
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="submissions graded at the same time (default: the number of cores, fewer if the "
        "memory would not hold that many sandboxes at their 4 GB limit)",
    )
    grade.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only the K-th of N equal parts of the folder (a batch "
        "system's job array: one part per job); reports go to build/grades/shard-K-of-N",
    )
    grade.add_argument(
        "--merge",
        nargs="*",
        metavar="DIR",
        help="combine the reports of shards (their --out "
        "folders; default: build/grades/shard-*) into one set of reports, grading nothing; the shards "
        "must be all those of one run",
    )
    grade.add_argument(
        "--gradebook",
        choices=("plain", "moodle", "canvas"),
        default="plain",
        help="also write the gradebook in a learning platform's import format: gradebook_moodle.csv "
        "or gradebook_canvas.csv beside gradebook.csv (default: plain only)",
    )
    grade.add_argument(
        "--replace",
        action="store_true",
        help="with --merge: overwrite the reports of another run "
        "in the --out folder (kept by default)",
    )
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, even those whose file "
        "and checks are unchanged since the last run into the same folder",
    )
    grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run submissions WITHOUT the bubblewrap "
        "sandbox, with your own rights (they can read and change your files): only where bubblewrap "
        "cannot run and you trust every submission",
    )
    teacher = (
        "the teacher's edition, with the solutions, the teacher's guide and speaker notes, into "
        "build/teacher/{} (default: the students', from the student versions: no solutions, no guide)"
    )
    slides = command(
        "slides", _slides, "run the notebooks and render reveal.js decks", out="slides", jobs=True
    )
    slides.add_argument("--teacher", action="store_true", help=teacher.format("slides"))
    tags = command(
        "slide-tags", _slide_tags, "store the slide metadata the course's rule gives each cell"
    )
    tags.add_argument(
        "--check", action="store_true", help="only list the cells whose metadata is off the rule"
    )
    site = command(
        "html",
        _html,
        "run the notebooks and render the course site (open index.html)",
        out="html",
        jobs=True,
    )
    site.add_argument("--teacher", action="store_true", help=teacher.format("html"))
    command(
        "check",
        _check,
        "check the notebook conventions (names, clean outputs, badge, summary), each "
        "notebook's size (cells, words of prose: one lab session), its teacher's guide (guide/NN_name.md) "
        "and that the prose quotes only numbers checked cells print",
    )
    command("clean", _clean, "strip outputs from notebooks (checked cells keep theirs)")
    command(
        "refresh",
        _refresh,
        "run notebooks and store the outputs of their checked cells",
        timeout=NOTEBOOK_TIMEOUT,
    )
    command(
        "badges",
        _badges,
        "point every Colab badge and install line at the repository in pyproject.toml",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    """Run ``course`` with ``argv`` (default: the command line); the exit status.

    A missing file or folder, or a missing teacher dependency, is reported in one line (exit
    status 2), not as a traceback.
    """
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (
        ModuleNotFoundError
    ) as err:  # e.g. after `make lab` alone, which installs no teacher tools
        missing = (err.name or str(err)).split(".")[0]
        print(
            f"course {args.command} needs {missing}, which is not installed: run `make setup` "
            "(or `pip install -c constraints.txt -e '.[teach]'`)",
            file=sys.stderr,
        )
        return 2
    except (FileNotFoundError, NotADirectoryError) as err:
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        from course_tools.editions import StudentEditionLeak

        if not isinstance(err, StudentEditionLeak):
            raise
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 1
