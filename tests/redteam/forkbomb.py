# A process bomb (bounded: at most 400 sleeping children); a refused fork ends the loop.
import os, time
for _ in range(400):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
