#!/usr/bin/env python3
"""Benchmark: GET /api/nodes for 1,000 nodes, against nginx serving the same JSON as a file.

It creates a hub database with N remembered nodes (addresses on 127.0.0.1 port 9, which refuse
connections, so the nodes settle offline), starts winebot-hub on it with polling slowed down,
saves the hub's reply to GET /api/nodes?limit=N as a file, and serves that file from nginx
(one worker, access log off) on another loopback port. Then `wrk` loads each in turn with the
same threads, connections and duration, and the script prints requests per second, errors and
the hub/nginx ratio. Target: the hub at 50% or more of nginx's rate, with no errors.

Usage: hub_nodes_bench.py --build-dir BUILD [--nodes 1000] [--seconds 10] [--connections 16]
Needs wrk and nginx (Debian packages wrk and nginx-light).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def start_hub(build_dir, work_dir, port, db_path):
    log = open(os.path.join(work_dir, "hub.log"), "ab")
    process = subprocess.Popen(
        [os.path.join(build_dir, "hub", "winebot-hub"), "--listen", f"127.0.0.1:{port}",
         "--db", db_path, "--discovery", "none", "--advertise", "off",
         "--poll-interval", "3600", "--log-level", "warn"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for(lambda: get_json(f"http://127.0.0.1:{port}/healthz"), 15, "the hub")
    return process


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def seed_nodes(db_path, count):
    """Insert `count` remembered nodes into a database whose schema the hub created."""
    now_ms = int(time.time() * 1000)
    rows = []
    for index in range(count):
        node_id = str(uuid.uuid4())
        addresses = json.dumps([{"address": "127.0.0.1", "port": 9, "source": "stored",
                                 "interface": "lo", "protocol": "ipv4",
                                 "instance": f"bench node {index:04d}",
                                 "host": f"bench-{index:04d}.local", "type": "_winebot._tcp",
                                 "key": f"bench-{index}"}])
        txt = json.dumps({"txtvers": "1", "node_id": node_id, "version": "0.1.0",
                          "api_port": "9", "state": "idle", "labels": "bench"})
        rows.append((node_id, 0, f"bench node {index:04d}", addresses, 9, txt, now_ms, now_ms,
                     "offline", "seeded by the benchmark", now_ms))
    with sqlite3.connect(db_path) as database:
        database.executemany(
            "INSERT INTO nodes (id, legacy, name, addresses, port, txt, first_seen_ms, "
            "last_seen_ms, state, state_reason, state_since_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def start_nginx(work_dir, port):
    root = os.path.join(work_dir, "www")
    config = os.path.join(work_dir, "nginx.conf")
    with open(config, "w", encoding="ascii") as handle:
        handle.write(f"""worker_processes 1;
pid {work_dir}/nginx.pid;
error_log {work_dir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  default_type application/json;
  client_body_temp_path {work_dir}/tmp;
  proxy_temp_path {work_dir}/tmp;
  fastcgi_temp_path {work_dir}/tmp;
  uwsgi_temp_path {work_dir}/tmp;
  scgi_temp_path {work_dir}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
""")
    os.makedirs(os.path.join(work_dir, "tmp"), exist_ok=True)
    process = subprocess.Popen(["nginx", "-c", config, "-p", work_dir, "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/nodes.json", timeout=5),
             10, "nginx")
    return process


def run_wrk(url, seconds, connections):
    """Requests per second and error count that wrk reports for `url`."""
    output = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
                            capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = sum(int(value) for value in re.findall(
        r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, errors + (int(non_2xx.group(1)) if non_2xx else 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    arguments = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian packages wrk and nginx-light)")
    build_dir = os.path.abspath(arguments.build_dir)
    work_dir = tempfile.mkdtemp(prefix="winebot-nodes-bench-")
    os.chmod(work_dir, 0o755)  # nginx's workers run as another user and read the file
    db_path = os.path.join(work_dir, "hub.db")
    hub_port, nginx_port = free_port(), free_port()
    hub, nginx = None, None
    try:
        stop(start_hub(build_dir, work_dir, hub_port, db_path))  # creates the schema
        seed_nodes(db_path, arguments.nodes)
        hub = start_hub(build_dir, work_dir, hub_port, db_path)
        url = f"http://127.0.0.1:{hub_port}/api/nodes?limit={arguments.nodes}"
        wait_for(lambda: get_json(url)["total"] == arguments.nodes, 30, "every node listed")
        time.sleep(3)  # the refused probes settle every node offline
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
        os.makedirs(os.path.join(work_dir, "www"), exist_ok=True)
        with open(os.path.join(work_dir, "www", "nodes.json"), "wb") as handle:
            handle.write(body)
        nginx = start_nginx(work_dir, nginx_port)

        hub_rate, hub_errors = run_wrk(url, arguments.seconds, arguments.connections)
        nginx_rate, nginx_errors = run_wrk(f"http://127.0.0.1:{nginx_port}/nodes.json",
                                           arguments.seconds, arguments.connections)
        print(f"{arguments.nodes} nodes, {len(body)} bytes per reply, wrk -t2 "
              f"-c{arguments.connections} -d{arguments.seconds}s")
        print(f"hub   GET /api/nodes: {hub_rate:10.1f} requests/s, {hub_errors} errors")
        print(f"nginx static file:   {nginx_rate:10.1f} requests/s, {nginx_errors} errors")
        print(f"hub / nginx: {hub_rate / nginx_rate:.2f} (target 0.50 or more)")
    finally:
        if nginx is not None:
            stop(nginx)
        if hub is not None:
            stop(hub)
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
