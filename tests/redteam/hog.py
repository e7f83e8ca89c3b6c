# Busy processes, each in a session of its own (the scheduler gives each session its own share of the
# CPU): bounded to __COUNT__ processes and __SECONDS__ s so that the machine stays usable if a limit failed.
import os
import time

for _ in range(__COUNT__):
    if os.fork() == 0:
        if __OWN_SESSION__:
            os.setsid()
        end = time.time() + __SECONDS__
        while time.time() < end:
            pass
        os._exit(0)
