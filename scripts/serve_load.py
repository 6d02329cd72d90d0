#!/usr/bin/env python3
"""Load for `charrnn serve`: N concurrent streaming clients for S seconds.

    scripts/serve_load.py [--host 127.0.0.1] [--port 8080] [--clients 32] [--seconds 30] [--length 2000]
                          [--baseline CHARRNN --checkpoint PATH]

Each client posts streamed generations ({"stream": true}, a new seed each time)
one after another until S seconds have passed, and counts a request as failed
unless it answers 200 and ends with a `done` event. Reports the requests,
failures, the aggregate characters per second (the characters every `done`
event reports, over the time from the first request to the last answer's end)
and the p50 / p99 time to the first streamed character.

With --baseline, measures `charrnn sample` on every core before and after the
load (on a shared machine the two differ; their mean is the reference):
one `sample --length 200000 --threads 1` process per core at once (seeds 1, 2, ...;
one BLAS thread each, as the server's workers run), their
characters over the wall time; and prints the server's share of it.
The client runs on the same machine and takes some CPU from the server.

On a shared machine, the rates depend on what else runs; the CPU each side
used does not, much: with --server-pid, the server's CPU seconds over the run
are read from /proc and its characters per CPU second are printed, beside
`charrnn sample`'s (from the baseline runs' own CPU time).
"""
import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time


async def stream_once(host, port, body):
    """One streamed generation: (ok, seconds to the first text event or None, characters)."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    payload = json.dumps(body).encode()
    writer.write(b"POST /v1/generate HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (host.encode(), len(payload), payload))
    await writer.drain()
    received = b""
    first = None
    while True:
        data = await reader.read(65536)
        if not data:
            break
        received += data
        if first is None and b"event: text" in received:
            first = time.perf_counter() - start
    writer.close()
    ok = received.startswith(b"HTTP/1.1 200")
    at = received.find(b"event: done\ndata: ")
    if not ok or at < 0 or b"event: error" in received:
        return False, first, 0
    done = json.loads(received[at + 18:received.index(b"\n", at + 18)])
    return True, first, done["characters"]


async def client(n, args, deadline, results):
    seed = 1000 * n
    while time.perf_counter() < deadline:
        body = {"prime": args.prime, "length": args.length, "seed": seed, "stream": True}
        if args.model:
            body["model"] = args.model
        seed += 1
        try:
            results.append(await stream_once(args.host, args.port, body))
        except OSError as e:
            print("request failed: %s" % e, file=sys.stderr)
            results.append((False, None, 0))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def baseline(binary, checkpoint):
    cores = os.cpu_count()
    length = 200000
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs = [subprocess.Popen([binary, "sample", "--checkpoint", checkpoint, "--length", str(length), "--seed", str(i + 1),
                              "--threads", "1"],
                             stdout=subprocess.DEVNULL) for i in range(cores)]
    if any(r.wait() != 0 for r in runs):
        raise SystemExit("charrnn sample failed")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rate = cores * length / seconds
    print("charrnn sample on %d cores: %d × %d characters in %.2f s = %.0f chars/s; %.0f chars per CPU second"
          % (cores, cores, length, seconds, rate, cores * length / cpu))
    return rate


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--length", type=int, default=2000)
    p.add_argument("--prime", default="")
    p.add_argument("--model")
    p.add_argument("--baseline", metavar="CHARRNN", help="the charrnn binary, to measure `charrnn sample` first")
    p.add_argument("--checkpoint", help="the served checkpoint, for --baseline")
    p.add_argument("--server-pid", type=int, help="the server's process id, to report its CPU time")
    args = p.parse_args()
    if not (1 <= args.clients <= 1000 and 0 < args.seconds <= 600):
        raise SystemExit("--clients must be 1-1000 and --seconds in (0, 600]")

    reference = baseline(args.baseline, args.checkpoint) if args.baseline else None
    results = []
    server_cpu = cpu_seconds(args.server_pid) if args.server_pid else None
    start = time.perf_counter()
    await asyncio.gather(*(client(n, args, start + args.seconds, results) for n in range(args.clients)))
    elapsed = time.perf_counter() - start
    failed = sum(1 for ok, _, _ in results if not ok)
    characters = sum(c for _, _, c in results)
    firsts = [f * 1000 for ok, f, _ in results if f is not None]
    rate = characters / elapsed
    print("%d clients, %.1f s: %d requests, %d failed, %d characters, %.0f chars/s, first character p50 %.1f ms, p99 %.1f ms"
          % (args.clients, elapsed, len(results), failed, characters, rate, percentile(firsts, 50), percentile(firsts, 99)))
    if server_cpu is not None:
        used = cpu_seconds(args.server_pid) - server_cpu
        print("server CPU: %.1f s over %.1f s (%.2f cores), %.0f chars per CPU second" % (used, elapsed, used / elapsed, characters / used))
    if reference:
        reference = (reference + baseline(args.baseline, args.checkpoint)) / 2
        print("server / charrnn sample on all cores (mean of before and after, %.0f chars/s): %.0f%%" % (reference, 100 * rate / reference))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
