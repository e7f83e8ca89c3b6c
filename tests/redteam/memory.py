# A memory bomb, twice: one huge allocation, then children that share the load (bounded: 4 x 500 MB).
import os, time
try:
    hog = bytearray(3 * 2**30)
except MemoryError:
    print("MemoryError on 3 GB")
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (500 * 2**20)  # written, so really resident
        time.sleep(60)
        os._exit(0)
    children.append(pid)
time.sleep(60)
