"""The browser test needs Playwright, Chromium and minutes, so only `make e2e` (COURSE_E2E=1) collects it.

`make test` and `make unit` still collect the cheap unit tests of its checks (test_e2e_checks.py).
"""

import os

collect_ignore = [] if os.environ.get("COURSE_E2E") == "1" else ["test_jupyterlab.py"]
