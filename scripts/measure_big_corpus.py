#!/usr/bin/env python3
"""Times `charrnn train` to its first iteration and samples its anonymous memory.

Runs the command given after `--`, reads its stdout line by line, and every
20 ms reads RssAnon and RssFile from /proc/PID/status. Prints the seconds from
start to the "tokens:" line and to the first "iter 1 " progress line, and the
largest RssAnon before and after the first iteration (issue 13's targets:
first iteration within 15 s on a first run and 2 s on a second; RssAnon at
most 250 MB through the first 1,000 iterations).

    python3 scripts/measure_big_corpus.py -- .build/release/charrnn train /tmp/big.txt \
        --max-iters 1000 --val-frac 0.0005 --test-frac 0 --checkpoint-dir /tmp/bigrun --overwrite
"""
import subprocess
import sys
import threading
import time

def kilobytes(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None

def main():
    if "--" not in sys.argv:
        sys.exit(__doc__)
    command = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    marks = {}
    peaks = {"before": 0, "after": 0, "file": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            anon = kilobytes(proc.pid, "RssAnon")
            file = kilobytes(proc.pid, "RssFile")
            if anon is not None:
                phase = "after" if "first_iteration" in marks else "before"
                peaks[phase] = max(peaks[phase], anon)
                peaks["file"] = max(peaks["file"], file or 0)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stdout:
        now = time.monotonic() - start
        sys.stdout.write(f"[{now:7.2f}s] {line}")
        if line.startswith("tokens:"):
            marks.setdefault("tokens", now)
        if line.startswith("iter 1 ") or line.startswith("iter 1/"):
            marks.setdefault("first_iteration", now)
    proc.wait()
    done.set()
    sampler.join()
    total = time.monotonic() - start
    print(f"exit {proc.returncode} after {total:.1f} s")
    for k, v in marks.items():
        print(f"{k}: {v:.2f} s")
    print(f"peak RssAnon before the first iteration: {peaks['before'] / 1024:.0f} MB")
    print(f"peak RssAnon from the first iteration on: {peaks['after'] / 1024:.0f} MB")
    print(f"peak RssFile: {peaks['file'] / 1024:.0f} MB")

if __name__ == "__main__":
    main()
