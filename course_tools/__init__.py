"""Teacher and maintainer tools for the open PyTorch course (students never need them).

- ``student``, ``homework``, ``grading``, ``slides``, ``site``: teacher tools; ``editions``: the
  students' and the teacher's edition of the decks and the site, and the check that the students'
  shows no solution and no guide;
- ``notebook_tools``: maintainer tools (clean, refresh checked outputs, badges);
- ``execution``: the one place notebooks are run (refresh, site, slides, grading).

The tools are the subcommands of ``course`` (``course_tools.cli``); import a module by name for
its functions (each lists its public names in ``__all__``).
"""

__all__: list[str] = []
