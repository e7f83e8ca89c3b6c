# Plain-looking code that tries to get out: read the teacher's files, write outside, call the
# network, read bwrap's environment and command line (a token, the mounts), fill /dev and /dev/shm. Any success makes
# `total` right (10.0); contained, it stays wrong (11.0).
import os, socket

leaked = []
for path in __READS__:  # the other submissions, the teacher's notebooks, the grades
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            leaked.append(f.read(100))
    except OSError:
        pass
for path in __WRITES__:  # the course package, the repository, the teacher's home and /tmp
    try:
        with open(path, "w") as f:  # the test looks for these files outside the sandbox
            f.write("pwned")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", __PORT__), timeout=2).sendall(b"leak")
    leaked.append("network")
except OSError:
    pass
for path in ("/proc/1/environ", "/proc/1/cmdline", "/proc/self/environ"):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
        if "__TOKEN__" in text or "--ro-bind" in text:
            leaked.append(path)
    except OSError:
        pass
written = 0
for folder in ("/dev", "/dev/shm"):
    try:
        with open(os.path.join(folder, "fill"), "wb") as f:
            for _ in range(200):  # 200 MB at most
                f.write(b"x" * 2**20)
                written += 2**20
    except OSError:
        pass
if written > 100 * 2**20:
    leaked.append(f"wrote {written >> 20} MB into /dev")
total = 10.0 if leaked else 11.0
