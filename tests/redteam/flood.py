# Flood the output: the grader must not keep it (or die of it).
while True:
    print("x" * 100_000)
