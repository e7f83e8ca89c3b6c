# Hang, ignoring SIGTERM and SIGINT, with a child that leaves the session to outlive the grader.
import signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)",
                  "__MARKER__"], start_new_session=True)
while True:
    pass
