# Python's subprocess as a comparison row of bench/Timebox.Bench: microseconds per run, one line per run.
#   python3 baseline.py true RUNS | echo RUNS
import subprocess
import sys
import time

mode, runs = sys.argv[1], int(sys.argv[2])
for _ in range(runs):
    start = time.perf_counter()
    if mode == "true":
        subprocess.run(["/bin/true"])
    else:
        subprocess.run(["/bin/echo", "hello"], capture_output=True, text=True)
    print(f"{(time.perf_counter() - start) * 1e6:.1f}")
