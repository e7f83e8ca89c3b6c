"""Grade submitted notebooks: run each one in a sandbox, decide every check in the grader.

Run ``course grade SUBMISSIONS_FOLDER`` (or ``make grade SUBMISSIONS=folder``). Every ``*.ipynb``
under the folder is one submission, named by the documented pattern (``parse_name``):
``STUDENT_NN.ipynb``, ``STUDENT_NN_anything.ipynb`` or ``STUDENT/NN_anything.ipynb``, where
``STUDENT`` is the student's id (letters, digits, ``.``, ``-``, ``@``, ``+``; no ``_``) and ``NN`` the
number of the course notebook it answers (``--notebook`` names one for all).

For each submission, in a process of its own (forked from a grader that has run no student
code, so its grade never depends on what was graded before):

1. the file is read as data: a link or anything but a regular file is refused unread, a file
   over ``MAX_NOTEBOOK_MB`` or not a valid notebook is ``invalid``; stored outputs are dropped
   (a stored ✅ earns nothing); its own cells are scanned for tampering with the checking
   machinery (``tampering``): such a submission is reported as ``tampered`` and earns nothing;
2. its code cells run top to bottom in an IPython shell inside a sandbox
   (``sandbox``: no network, read-only course, private /tmp; time, memory,
   process, file and output limits); a cell that raises does not stop the run;
3. at each check cell of the teacher notebook (found in the submission by its source), the
   grader runs the teacher's check statements itself, here, from the course's code; the names
   they need from the notebook come from the sandbox as plain data or as calls into it
   (``codec``, ``handles``). A check ``pass``es when it raises nothing and prints ✅,
   ``fail``s on ``CheckFailed`` (with its message), is an ``error`` on another exception,
   ``not run`` when the run stopped before it and ``missing`` when the cell was deleted or edited.
   The sandbox's own run of the cell counts for nothing; an answer that is the course's reference
   solution earns no points (``reference``).

One cause, one status: ``ok``; ``tampered`` (the scan, or a message no honest notebook sends);
``time limit`` (the notebook or a call a check made, past the time); ``memory limit``,
``process limit``, ``output limit``, ``file size limit`` (the sandbox's limits); ``answer limit``
(answers too large for the grader's own bounds); ``crashed`` (the sandbox ended early);
``invalid``, ``refused``, ``unknown notebook`` (never run); ``grader error`` (a bug here, reported).

Many at once: ``jobs`` submissions run in parallel (default: the cores) with a progress bar;
``shard=(k, n)`` grades every n-th submission from the k-th (for a batch system's job array),
``merge`` combines the shards' reports; a submission whose file and the course's checks are
unchanged since the last run into the same folder is not graded again. The reports, in
``build/grades/`` (or ``--out``): ``grades.csv`` and ``grades.md`` (one row per submission),
``gradebook.csv`` (one row per student, for a learning platform) and ``results.json``.

One idea per module, from the class down to the pipe:

- ``class_run``: ``grade``, the whole class: a fresh process per submission, ``jobs`` at a time, shards.
- ``merge``: the shards of one run combined (``merge``, ``MergeRefused``).
- ``fingerprint``: what a grade depends on (``deciding_sources``) and is kept by: nothing graded twice.
- ``one_submission``: ``grade_one``: one submission read, scanned, run in its sandbox and judged.
- ``submitted_files``: a submission as a file: whose it is (``parse_name``), its bytes read safely.
- ``tampering``: the scan of a submission's own cells for code aimed at the checking machinery.
- ``references``: the course's reference solutions recognised in an answer (``reference_use``).
- ``check_cells``: the teacher's check cells (``Check``): found in a submission, run in the grader.
- ``result``: ``Result``, one submission's grade.
- ``reports``: ``write_reports``: the class's reports, every string made safe for its format.
- ``sandbox``: the bubblewrap sandbox and its watchdog (``Sandbox``).
- ``limits``: what a submission may use (``Limits``), in words, and the rlimits its side sets.
- ``runner``: the sandbox's side (untrusted): runs the cells, answers the grader's requests.
- ``handles``: the grader's side: ``Session``, ``Remote`` handles, the check's ``Namespace``.
- ``codec``: answers as data: ``encode`` in the sandbox, ``decode`` (checked, nothing unpickled) here.
- ``protocol``: the pipe between the two sides (``Channel``) and the grader's stops (``GradingStop``).
"""

__all__: list[str] = []
