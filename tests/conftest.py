"""pytest settings for the whole test tree."""

# tests/redteam/ holds hostile cell code (fork bombs, kill(-1), output floods) that only the
# grading tests run, inside the sandbox. Never import it: `make test` collects with
# --doctest-modules, which would otherwise import and so run every file here.
collect_ignore = ["redteam"]
