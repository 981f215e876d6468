#!/usr/bin/env python3
"""Benchmark: how soon the idle pauser pauses a recording once the idle threshold is crossed,
and what an idle, paused node costs.

Two winebot-node processes record one Xvfb display (640x480x24):
  - node A runs the idle pauser (threshold 2 s, no minimum pause, no cooldown). Each round posts
    activity (POST /activity), which resumes the recording, and measures the time from the
    threshold (activity time + 2 s) to the auto_pause lifecycle event;
  - node B has its idle pauser off and is driven by the baseline: WineBot's inactivity monitor
    design, a loop that wakes every 5 s (its default heartbeat), compares the idle time with the
    threshold and posts /recording/pause. Its delay is measured the same way.
Then both nodes stay paused for a minute with no input, and the script prints the CPU seconds
and context switches of each: A pays for its X idle reading, B does nothing.

Usage: idle_pause_bench.py --build-dir BUILD [--rounds 10] [--idle-seconds 60] [--display 95]
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from fleet_harness import wait_for  # noqa: E402
from recorder_harness import RecordingNode, Xvfb, read_jsonl  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
THRESHOLD_S = 2
HEARTBEAT_S = 5  # WineBot's WINEBOT_MONITOR_HEARTBEAT_SECONDS default
FPS = 15


def cpu_seconds(pid):
    """User plus system CPU seconds of a running process."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def context_switches(pid):
    """Voluntary context switches of every thread of a process: roughly, its wake-ups."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("voluntary_ctxt_switches"):
                    total += int(line.split()[1])
    return total


def auto_pauses(session_dir):
    path = os.path.join(session_dir, "logs", "lifecycle.jsonl")
    if not os.path.exists(path):
        return []
    return [event for event in read_jsonl(path) if event["kind"] == "auto_pause"]


def measure_pauser(node, session_dir, rounds):
    """Delays in ms from the threshold to the auto_pause event, and the node's own figures."""
    delays, reported = [], []
    for _ in range(rounds):
        before = len(auto_pauses(session_dir))
        sent = time.time()
        code, _ = node.post("/activity", {"origin": "agent"})
        activity_at = (sent + time.time()) / 2
        assert code == 200, f"/activity returned {code}"
        wait_for("auto_pause event", lambda: len(auto_pauses(session_dir)) > before,
                 THRESHOLD_S + 5, interval=0.02)
        event = auto_pauses(session_dir)[-1]
        delays.append(event["timestamp_epoch_ms"] - (activity_at + THRESHOLD_S) * 1000)
        reported.append(event["extra"]["delay_ms"])
        time.sleep(0.2)
    return delays, reported


def measure_polling_baseline(node, rounds, started):
    """The same measure for a 5 s polling loop whose phase is fixed by `started`."""
    delays = []
    for _ in range(rounds):
        time.sleep(random.uniform(0, HEARTBEAT_S))
        code, body = node.post("/recording/resume")
        assert code == 200, f"resume returned {code}: {body}"
        activity_at = time.time()
        while True:
            next_tick = started + HEARTBEAT_S * (int((time.time() - started) / HEARTBEAT_S) + 1)
            time.sleep(max(0.0, next_tick - time.time()))
            if time.time() - activity_at >= THRESHOLD_S:
                break
        code, body = node.post("/recording/pause")
        assert code == 200, f"pause returned {code}: {body}"
        assert body["status"] == "paused", f"pause returned status {body['status']}"
        delays.append((time.time() - (activity_at + THRESHOLD_S)) * 1000)
    return delays


def idle_cost(nodes, seconds):
    """CPU seconds and voluntary context switches of each node over `seconds` of quiet."""
    before = [(cpu_seconds(n.process.pid), context_switches(n.process.pid)) for n in nodes]
    time.sleep(seconds)
    after = [(cpu_seconds(n.process.pid), context_switches(n.process.pid)) for n in nodes]
    return [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before)]


def describe(delays):
    return (f"median {statistics.median(delays):7.1f} ms, max {max(delays):7.1f} ms, "
            f"min {min(delays):7.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--idle-seconds", type=int, default=60)
    parser.add_argument("--display", type=int, default=95)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)
    work_dir = tempfile.mkdtemp(prefix="winebot-idle-bench-")
    display = Xvfb(arguments.display, "640x480")
    nodes = []
    try:
        pauser_env = {"WINEBOT_INACTIVITY_PAUSE_SECONDS": str(THRESHOLD_S),
                      "WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS": "0",
                      "WINEBOT_INACTIVITY_RESUME_COOLDOWN_SECONDS": "0",
                      "WINEBOT_INACTIVITY_RESUME_ACTIVITY_SECONDS": "1"}
        pauser = RecordingNode(build_dir, work_dir, "pauser", os.path.join(work_dir, "a"),
                               display.name, FPS, env_extra=pauser_env)
        nodes.append(pauser)
        polled = RecordingNode(build_dir, work_dir, "polled", os.path.join(work_dir, "b"),
                               display.name, FPS,
                               env_extra={"WINEBOT_INACTIVITY_PAUSE_SECONDS": "0"})
        nodes.append(polled)

        session_dir = pauser.post("/recording/start")[1]["session_dir"]
        delays, reported = measure_pauser(pauser, session_dir, arguments.rounds)
        polled.post("/recording/start")
        polled.post("/recording/pause")
        baseline = measure_polling_baseline(polled, arguments.rounds, time.time())

        print(f"threshold {THRESHOLD_S} s, {arguments.rounds} rounds each")
        print(f"idle pauser, threshold to pause (wall clock): {describe(delays)}")
        print(f"idle pauser, as the node reports it:         {describe(reported)}")
        print(f"baseline, {HEARTBEAT_S} s polling loop:            {describe(baseline)}")

        assert pauser.state() == "paused", f"the pauser's node is {pauser.state()}"
        assert polled.state() == "paused", f"the polled node is {polled.state()}"
        costs = idle_cost(nodes, arguments.idle_seconds)
        for name, (cpu, switches) in zip(("idle pauser", "pauser off"), costs):
            print(f"{name:12} paused and idle for {arguments.idle_seconds} s: {cpu:.3f} CPU s, "
                  f"{switches} voluntary context switches")
    finally:
        for node in nodes:
            node.stop()
        display.kill()
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
