#!/usr/bin/env python3
"""Benchmark: newest 100 events through the node's HTTP API, by log size.

For each size it writes a generated logs/lifecycle.jsonl (about 200-byte lines), starts a
winebot-node serving that session, and measures GET /lifecycle/events?limit=100 over one
keep-alive connection. The baseline is `tail -n 100` on the same file, timed in the same run.
Both read a file the page cache already holds, since the benchmark has just written it.

Usage: log_tail_bench.py --build-dir BUILD [--sizes 1M,100M,1G] [--requests 200]
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

UNITS = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def parse_size(text):
    return int(float(text[:-1]) * UNITS[text[-1].upper()]) if text[-1].upper() in UNITS else int(text)


def write_log(path, size):
    """Write JSONL records until the file reaches `size` bytes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    records = []
    for index in range(1000):
        record = {"schema_version": "1.0", "timestamp_utc": "2026-12-04T16:00:00.123456+00:00",
                  "timestamp_epoch_ms": 1796400000123 + index, "session_id": "session-bench",
                  "kind": "recorder_heartbeat", "message": f"heartbeat {index:06d}",
                  "source": "api", "extra": {"sequence": index}}
        records.append(json.dumps(record))
    block = ("\n".join(records) + "\n").encode()
    with open(path, "wb") as handle:
        written = 0
        while written + len(block) <= size:
            handle.write(block)
            written += len(block)
        # Fill the rest with whole lines only, so the newest lines are all valid records.
        rest = block[: size - written]
        rest = rest[: rest.rfind(b"\n") + 1]
        handle.write(rest)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def median_ms(samples):
    return statistics.median(samples) * 1000


def time_http(port, requests):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = []
    for index in range(requests + 20):
        started = time.perf_counter()
        connection.request("GET", "/lifecycle/events?limit=100")
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200 or len(json.loads(body)["events"]) != 100:
            raise RuntimeError(f"unexpected response {response.status}: {body[:200]!r}")
        if index >= 20:  # The first requests warm up the connection and the node.
            samples.append(elapsed)
    connection.close()
    return samples


def time_tail(path, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(["tail", "-n", "100", path], stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--sizes", default="1M,100M,1G")
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()

    binary = os.path.join(os.path.abspath(arguments.build_dir), "node", "winebot-node")
    work = tempfile.mkdtemp(prefix="winebot-bench-")
    rows = []
    try:
        for size_text in arguments.sizes.split(","):
            size = parse_size(size_text)
            session = os.path.join(work, f"session-{size_text}")
            log = os.path.join(session, "logs", "lifecycle.jsonl")
            write_log(log, size)
            port = free_port()
            node = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--advertise", "off",
                                     "--state-dir", os.path.join(work, "state"),
                                     "--session-dir", session],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 10
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
                http_ms = median_ms(time_http(port, arguments.requests))
                tail_ms = median_ms(time_tail(log, 50))
            finally:
                node.send_signal(signal.SIGINT)
                node.send_signal(signal.SIGINT)  # The second signal skips the stop grace period.
                node.wait(timeout=10)
            rows.append((size_text, os.path.getsize(log), http_ms, tail_ms))
            os.remove(log)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'log size':>10} {'bytes':>14} {'node HTTP median ms':>20} {'tail -n 100 median ms':>22}")
    for size_text, size, http_ms, tail_ms in rows:
        print(f"{size_text:>10} {size:>14} {http_ms:>20.3f} {tail_ms:>22.3f}")
    smallest, largest = rows[0], rows[-1]
    print(f"ratio {largest[0]} / {smallest[0]} (node HTTP): {largest[2] / smallest[2]:.2f}x "
          f"(target: at most 1.3x)")
    print(f"node HTTP vs tail on {largest[0]}: {largest[2]:.3f} ms vs {largest[3]:.3f} ms "
          f"(target: faster than tail)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
