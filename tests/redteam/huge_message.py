# A message of 100 MB with no end of line on the grader's pipe: the grader must not buffer it without bound.
import os, sys
write, fd, chunk = getattr(os, "wri" + "te"), int(sys.argv[-1]), b"x" * 2**20
for _ in range(100):
    write(fd, chunk)
