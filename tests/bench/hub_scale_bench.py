#!/usr/bin/env python3
"""Benchmark: the hub tracking 2,000 simulated nodes at 1 s polling, against Prometheus scraping
the same nodes' /metrics at 1 s.

One winebot-fleet-sim process serves N simulated nodes on 127.0.0.1, each on its own port. Two
phases follow, one at a time so that they do not disturb each other:

1. winebot-hub reads the simulator's node list file and polls every node's GET /state once a
   second (event ingest at its default 5 s). After every node is online and a warm-up, the
   script reads the hub's CPU time from /proc/PID/stat over a quiet window, with no request to
   the hub. Then it samples GET /api/nodes several times and takes each node's state age, the
   time at which the reply arrived minus the node's last_ok_ms (the end of its newest successful
   probe).
2. The hub stops, and Debian's prometheus scrapes every node's GET /metrics once a second, with
   a generated configuration, its own temporary storage and a loopback port. After a warm-up the
   script reads its CPU time over a window of the same length.

The simulator counts the requests it serves (GET /sim/stats), so each consumer's CPU time is
divided by the requests it made in the window: CPU per node sample for the hub, CPU per scrape
for Prometheus.

Targets: every state under 2 s old, the hub under 0.5 core and 150 MB RSS, and the hub's CPU per
node sample below Prometheus's CPU per scrape.

Usage: hub_scale_bench.py --build-dir BUILD [--nodes 2000] [--warmup 20] [--seconds 30]
                          [--samples 6] [--events-interval 5] [--prometheus /usr/bin/prometheus]
"""

import argparse
import collections
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, description):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (OSError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout} s waiting for {description} "
                       f"(last error: {last_error})")


def get_json(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def cpu_seconds(pid):
    """User plus system CPU seconds of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime and stime


def rss_mb(pid):
    with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE_BYTES / 1e6


def raise_file_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < needed:
        sys.exit(f"the open-file limit is {soft}, but {needed} descriptors are needed; "
                 f"raise the hard limit (ulimit -Hn) or lower --nodes")
    return soft


def start(arguments, log_path):
    log = open(log_path, "ab")
    process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    log.close()
    return process


def stop(process):
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Simulator:
    def __init__(self, build_dir, work_dir, nodes):
        self.ports_file = os.path.join(work_dir, "ports.json")
        self.nodes_file = os.path.join(work_dir, "nodes.txt")
        binary = os.path.join(build_dir, "tests", "sim", "winebot-fleet-sim")
        self.process = start([binary, "--nodes", str(nodes), "--bind", "127.0.0.1",
                              "--ports-file", self.ports_file, "--nodes-file", self.nodes_file,
                              "--log-level", "warn"], os.path.join(work_dir, "sim.log"))
        wait_for(lambda: os.path.exists(self.ports_file), 60, "the simulator's ports file")
        with open(self.ports_file, encoding="utf-8") as handle:
            self.nodes = json.load(handle)["nodes"]
        self.stats_url = f"http://127.0.0.1:{self.nodes[0]['port']}/sim/stats"

    def requests(self):
        return get_json(self.stats_url)["requests"]


def measure_window(pid, simulator, seconds, kind):
    """CPU seconds of `pid`, its CPU cores and the simulator's requests of `kind` in a window."""
    cpu_before, requests_before = cpu_seconds(pid), simulator.requests()[kind]
    sim_before = cpu_seconds(simulator.process.pid)
    started = time.monotonic()
    time.sleep(seconds)
    cpu_after, requests_after = cpu_seconds(pid), simulator.requests()[kind]
    elapsed = time.monotonic() - started
    sim_cpu = cpu_seconds(simulator.process.pid) - sim_before
    cpu = cpu_after - cpu_before
    requests = requests_after - requests_before
    return {"cpu_seconds": cpu, "cores": cpu / elapsed, "requests": requests,
            "requests_per_second": requests / elapsed, "rss_mb": rss_mb(pid),
            "cpu_us_per_request": cpu / requests * 1e6 if requests else float("nan"),
            "simulator_cores": sim_cpu / elapsed, "elapsed": elapsed}


def sample_state_ages(hub_url, nodes, samples, spacing):
    """Max and p99 state age in seconds over `samples` reads of GET /api/nodes."""
    ages, reply_seconds, not_online = [], [], 0
    for _ in range(samples):
        requested_at = time.time()
        with urllib.request.urlopen(f"{hub_url}/api/nodes?limit=5000", timeout=30) as response:
            body = response.read()
        received = time.time()  # before parsing, which is the client's time, not the hub's
        listed = json.loads(body)["nodes"]
        reply_seconds.append(received - requested_at)
        if len(listed) != nodes:
            raise RuntimeError(f"/api/nodes listed {len(listed)} nodes, expected {nodes}")
        for node in listed:
            not_online += node["state"] != "online"
            ages.append(received - node["last_ok_ms"] / 1000 if node["last_ok_ms"] else 1e9)
        time.sleep(spacing)
    ages.sort()
    return {"max": ages[-1], "p99": ages[int(len(ages) * 0.99) - 1],
            "median": statistics.median(ages), "samples": samples,
            "reply_seconds": max(reply_seconds), "not_online": not_online}


def run_hub_phase(build_dir, work_dir, simulator, arguments):
    port = free_port()
    hub_url = f"http://127.0.0.1:{port}"
    hub = start([os.path.join(build_dir, "hub", "winebot-hub"), "--listen", f"127.0.0.1:{port}",
                 "--db", os.path.join(work_dir, "hub.db"), "--discovery", "none",
                 "--nodes-file", simulator.nodes_file, "--advertise", "off",
                 "--poll-interval", "1", "--events-interval", str(arguments.events_interval),
                 "--log-level", "warn"],
                os.path.join(work_dir, "hub.log"))
    try:
        def all_online():
            listed = get_json(f"{hub_url}/api/nodes?limit=5000&state=online")
            return listed["total"] == arguments.nodes
        started = time.monotonic()
        wait_for(all_online, 180, f"{arguments.nodes} nodes online")
        online_after = time.monotonic() - started
        time.sleep(arguments.warmup)
        window = measure_window(hub.pid, simulator, arguments.seconds, "state")
        ages = sample_state_ages(hub_url, arguments.nodes, arguments.samples, 2.0)
        window["online_after"] = online_after
        return window, ages
    finally:
        stop(hub)


def write_prometheus_config(work_dir, simulator):
    targets = ",\n".join(f'        "127.0.0.1:{node["port"]}"' for node in simulator.nodes)
    path = os.path.join(work_dir, "prometheus.yml")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: winebot-sim
    static_configs:
      - targets: [
{targets}
        ]
""")
    return path


def run_prometheus_phase(work_dir, simulator, arguments):
    port = free_port()
    storage = os.path.join(work_dir, "prometheus-data")
    os.makedirs(storage)
    prometheus = start([arguments.prometheus,
                        f"--config.file={write_prometheus_config(work_dir, simulator)}",
                        f"--storage.tsdb.path={storage}",
                        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                       os.path.join(work_dir, "prometheus.log"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=5).status == 200, 60,
                 "prometheus ready")
        time.sleep(arguments.warmup)
        window = measure_window(prometheus.pid, simulator, arguments.seconds, "metrics")
        targets = get_json(f"{url}/api/v1/targets?state=active")["data"]["activeTargets"]
        window["targets_up"] = sum(target["health"] == "up" for target in targets)
        window["targets"] = len(targets)
        errors = collections.Counter(target["lastError"] for target in targets
                                     if target["lastError"])
        window["scrape_error"] = errors.most_common(1)[0] if errors else None
        return window
    finally:
        stop(prometheus)


def verdict(met):
    return "met" if met else "NOT met"


def print_report(arguments, hub, ages, prometheus):
    print(f"{arguments.nodes} simulated nodes, 1 s polling and scraping, hub event reads every "
          f"{arguments.events_interval:g} s, warm-up {arguments.warmup:g} s, CPU window "
          f"{arguments.seconds:g} s each, one phase at a time")
    print(f"hub: every node online {hub['online_after']:.1f} s after the hub started")
    print()
    print(f"{'':28}{'hub /state polls':>20}{'prometheus scrapes':>22}")
    print(f"{'requests per second':28}{hub['requests_per_second']:>20.1f}"
          f"{prometheus['requests_per_second']:>22.1f}")
    print(f"{'CPU cores':28}{hub['cores']:>20.3f}{prometheus['cores']:>22.3f}")
    print(f"{'RSS MB':28}{hub['rss_mb']:>20.1f}{prometheus['rss_mb']:>22.1f}")
    print(f"{'CPU us per request':28}{hub['cpu_us_per_request']:>20.1f}"
          f"{prometheus['cpu_us_per_request']:>22.1f}")
    print(f"{'simulator CPU cores':28}{hub['simulator_cores']:>20.3f}"
          f"{prometheus['simulator_cores']:>22.3f}")
    print(f"prometheus targets up: {prometheus['targets_up']} of {prometheus['targets']}")
    if prometheus["scrape_error"]:
        error, count = prometheus["scrape_error"]
        print(f"prometheus's most common scrape error ({count} targets): {error}")
    print()
    print(f"state age over {ages['samples']} reads of /api/nodes: max {ages['max']:.3f} s, "
          f"p99 {ages['p99']:.3f} s, median {ages['median']:.3f} s "
          f"(slowest reply {ages['reply_seconds']:.3f} s, {ages['not_online']} node samples "
          f"not online)")
    print()
    print("targets:")
    print(f"  every state under 2 s old: max {ages['max']:.3f} s, {verdict(ages['max'] < 2.0)}")
    print(f"  hub under 0.5 core: {hub['cores']:.3f}, {verdict(hub['cores'] < 0.5)}")
    print(f"  hub under 150 MB RSS: {hub['rss_mb']:.1f} MB, {verdict(hub['rss_mb'] < 150)}")
    below = hub["cpu_us_per_request"] < prometheus["cpu_us_per_request"]
    print(f"  hub CPU per node sample below prometheus CPU per scrape: "
          f"{hub['cpu_us_per_request']:.1f} us against {prometheus['cpu_us_per_request']:.1f} us, "
          f"{verdict(below)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--prometheus", default="/usr/bin/prometheus")
    parser.add_argument("--events-interval", type=float, default=5,
                        help="the hub's --events-interval in seconds; 0 turns event ingest off")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and its logs")
    arguments = parser.parse_args()
    if shutil.which(arguments.prometheus) is None:
        sys.exit(f"{arguments.prometheus} not found (Debian package prometheus)")
    # Listening sockets, the hub's connections and Prometheus's connections, all in this
    # process tree, plus room for files.
    raise_file_limit(3 * arguments.nodes + 256)

    build_dir = os.path.abspath(arguments.build_dir)
    work_dir = tempfile.mkdtemp(prefix="winebot-scale-bench-")
    simulator = None
    try:
        simulator = Simulator(build_dir, work_dir, arguments.nodes)
        hub, ages = run_hub_phase(build_dir, work_dir, simulator, arguments)
        prometheus = run_prometheus_phase(work_dir, simulator, arguments)
        print_report(arguments, hub, ages, prometheus)
    finally:
        stop(simulator.process if simulator else None)
        if arguments.keep:
            print(f"logs kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
