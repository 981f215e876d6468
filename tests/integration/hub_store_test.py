#!/usr/bin/env python3
"""Hub time series test: two real nodes whose perf_metrics.jsonl contains known values, a hub that
ingests them into rollups and stores state samples, and the API that reads them back: telemetry
percentiles fleet-wide and per node, state samples, the fleet summary, bad input, rollups that
stay exact across a hub SIGKILL, and a size budget that deletes the oldest events.

Usage: hub_store_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import signal
import sqlite3
import sys
import threading
import time
import urllib.request

from fleet_harness import Checks, CheckFailed, Fleet, free_port, http_get, wait_for

METRIC = "test.probe.latency"
VALUES_PER_NODE = 200
LIFECYCLE_RECORDS = 6000


def write_metrics(path, values, start_ms):
    with open(path, "a", encoding="utf-8") as handle:
        for index, value in enumerate(values):
            handle.write(json.dumps({
                "schema_version": "1", "event": "performance_metric", "metric": METRIC,
                "value_ms": value, "timestamp_epoch_ms": start_ms + index, "source": "test"}) + "\n")
        handle.write("{broken line\n")


def write_lifecycle(path, count):
    with open(path, "a", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(json.dumps({"kind": f"k{index}", "timestamp_epoch_ms": 1796400000000 +
                                     index, "message": "y" * 400}) + "\n")


def expect_status(url, status, fragment=""):
    got, body = http_get(url)
    if got != status or "detail" not in body or fragment not in body["detail"]:
        raise CheckFailed(f"{url} returned {got} {body}, expected {status} with '{fragment}'")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    checks = Checks()
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    db_path = os.path.join(fleet.work_dir, "hub.db")
    now_ms = int(time.time() * 1000)
    # Node a has 1..200 ms, node b 1001..1200 ms: the fleet's median lies between them.
    values = {"a": [float(v) for v in range(1, VALUES_PER_NODE + 1)],
              "b": [float(v) for v in range(1001, 1001 + VALUES_PER_NODE)]}
    nodes = {}
    for name in ("a", "b"):
        session = os.path.join(fleet.work_dir, f"session-2026-12-04-1796400000-00000{name}")
        os.makedirs(os.path.join(session, "logs"))
        write_metrics(os.path.join(session, "logs", "perf_metrics.jsonl"), values[name], now_ms)
        nodes[name] = {"port": free_port(), "state_dir": os.path.join(fleet.work_dir, name),
                       "session": session}
    write_lifecycle(os.path.join(nodes["a"]["session"], "logs", "lifecycle.jsonl"),
                    LIFECYCLE_RECORDS)
    hub_flags = ["--discovery", "none", "--advertise", "off", "--poll-interval", "0.2",
                 "--events-interval", "0.2", "--sample-interval", "1", "--db-max-mb", "1.5",
                 *[arg for node in nodes.values() for arg in ("--node", f"127.0.0.1:{node['port']}")]]

    def metric_value(name):
        with urllib.request.urlopen(f"{hub_url}/metrics", timeout=5) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise CheckFailed(f"/metrics has no {name}")

    def telemetry(query=""):
        status, body = http_get(f"{hub_url}/api/telemetry?metric={METRIC}{query}")
        if status != 200:
            raise CheckFailed(f"telemetry{query} returned {status} {body}")
        return body

    def fleet_count():
        points = telemetry()["points"]
        return sum(point["count"] for point in points)

    try:
        for name, node in nodes.items():
            fleet.start_node(f"store-node-{name}", node["port"], node["state_dir"],
                             ["--advertise", "off", "--session-dir", node["session"]])
        for node in nodes.values():
            wait_for("node id", lambda n=node: os.path.exists(os.path.join(n["state_dir"],
                                                                            "node_id")), 10)
            with open(os.path.join(node["state_dir"], "node_id"), encoding="ascii") as handle:
                node["id"] = handle.read().strip()
        fleet.start_hub(hub_port, db_path, hub_flags)
        wait_for("both nodes online", lambda: http_get(f"{hub_url}/api/fleet/summary")[1]
                 .get("nodes", {}).get("by_state", {}).get("online") == 2, 20)
        wait_for("every metric value in the rollups", lambda: fleet_count() >= 2 * VALUES_PER_NODE,
                 30, 0.2)

        def metric_listed():
            status, body = http_get(f"{hub_url}/api/telemetry")
            listed = {entry["name"]: entry["count"] for entry in body.get("metrics", [])}
            if status != 200 or listed.get(METRIC) != 2 * VALUES_PER_NODE:
                raise CheckFailed(f"metric list returned {status} {body}")
            return f"{METRIC}: {listed[METRIC]} values"
        checks.run("telemetry lists the metric with its count", metric_listed)

        def fleet_percentiles():
            points = telemetry()["points"]
            count = sum(point["count"] for point in points)
            if count != 2 * VALUES_PER_NODE:
                raise CheckFailed(f"fleet count {count}, expected {2 * VALUES_PER_NODE}")
            if len(points) != 1:
                return f"values span {len(points)} minutes; percentiles checked per node"
            point = points[0]
            if point["min"] != 1 or point["max"] != 1200:
                raise CheckFailed(f"min/max {point['min']}/{point['max']}, expected 1/1200")
            if not 195 <= point["p50"] <= 1010:
                raise CheckFailed(f"p50 {point['p50']} outside the two nodes' values")
            if abs(point["p99"] - 1196) > 1196 * 0.02:
                raise CheckFailed(f"p99 {point['p99']}, expected about 1196")
            return f"p50 {point['p50']:.1f}, p90 {point['p90']:.1f}, p99 {point['p99']:.1f}"
        checks.run("fleet-wide percentiles from the rollups", fleet_percentiles)

        def per_node():
            body = telemetry("&by=node")
            by_id = {entry["node_id"]: entry for entry in body["nodes"]}
            a, b = by_id.get(nodes["a"]["id"]), by_id.get(nodes["b"]["id"])
            if not a or not b or a["count"] != VALUES_PER_NODE or b["count"] != VALUES_PER_NODE:
                raise CheckFailed(f"by=node returned {body}")
            if abs(a["p50"] - 100) > 2 or abs(b["p50"] - 1100) > 22:
                raise CheckFailed(f"node medians {a['p50']} and {b['p50']}, expected 100, 1100")
            if a["name"] != "store-node-a":
                raise CheckFailed(f"node name {a['name']}")
            series = telemetry(f"&node={nodes['b']['id']}&resolution=hour")
            if sum(p["count"] for p in series["points"]) != VALUES_PER_NODE or \
                    series["resolution"] != "hour" or series["node_id"] != nodes["b"]["id"]:
                raise CheckFailed(f"node b's hour series {series}")
            return f"medians {a['p50']:.1f} and {b['p50']:.1f} ms"
        checks.run("per-node comparison and series", per_node)

        def samples():
            node_id = nodes["a"]["id"]
            _, waited = wait_for("three samples", lambda: len(http_get(
                f"{hub_url}/api/nodes/{node_id}/samples")[1].get("samples", [])) >= 3, 15)
            status, body = http_get(f"{hub_url}/api/nodes/{node_id}/samples?limit=2")
            if status != 200 or len(body["samples"]) != 2 or body["sample_interval_ms"] != 1000:
                raise CheckFailed(f"samples returned {status} {body}")
            first, second = body["samples"]
            if not first["at_ms"] < second["at_ms"] or second["state"] != "online":
                raise CheckFailed(f"samples out of order or not online: {body['samples']}")
            if second["latency_ms"] is None or "recorder_state" not in second:
                raise CheckFailed(f"sample lacks the probe's figures: {second}")
            status, body = http_get(f"{hub_url}/api/nodes/{node_id}/samples?since="
                                    f"{second['at_ms']}&until={second['at_ms']}")
            if status != 200 or [s["at_ms"] for s in body["samples"]] != [second["at_ms"]]:
                raise CheckFailed(f"since/until returned {status} {body}")
            return f"newest {second['recorder_state']} at {second['at_ms']}"
        checks.run("state samples of a node", samples)

        def summary():
            status, body = http_get(f"{hub_url}/api/fleet/summary?window=60")
            if status != 200 or body["nodes"]["total"] != 2 or body["window_seconds"] != 60:
                raise CheckFailed(f"summary returned {status} {body}")
            seconds = body["time_seconds"]
            counted = sum(value for key, value in seconds.items()
                          if key not in ("paused", "paused_manual", "paused_inactivity"))
            if counted <= 0:
                raise CheckFailed(f"no node-seconds counted: {seconds}")
            if body["estimated_cpu_seconds_saved"] != seconds["paused_inactivity"] * \
                    body["recording_cpu_cores"]:
                raise CheckFailed(f"CPU saved does not follow the inactivity time: {body}")
            return f"{counted:.1f} node-seconds, by recorder state {body['nodes']['by_recorder_state']}"
        checks.run("fleet summary counts nodes and time", summary)

        def bad_input():
            node_id = nodes["a"]["id"]
            expect_status(f"{hub_url}/api/telemetry?window=5", 400, "window")
            expect_status(f"{hub_url}/api/telemetry?metric=m&resolution=day", 400, "resolution")
            expect_status(f"{hub_url}/api/telemetry?metric=m&by=host", 400, "by")
            expect_status(f"{hub_url}/api/telemetry?metric=m&by=node&node={node_id}", 400, "node")
            expect_status(f"{hub_url}/api/telemetry?by=node", 400, "metric")
            expect_status(f"{hub_url}/api/telemetry?metric=m&node=nope", 404, "nope")
            expect_status(f"{hub_url}/api/nodes/nope/samples", 404, "nope")
            expect_status(f"{hub_url}/api/nodes/{node_id}/samples?limit=0", 400, "limit")
            expect_status(f"{hub_url}/api/nodes/{node_id}/samples?since=9&until=3", 400, "since")
            expect_status(f"{hub_url}/api/fleet/summary?window=abc", 400, "window")
            return "10 requests"
        checks.run("bad parameters get 4xx with detail", bad_input)

        def oversized_pages():
            # 300 records of 20 KB make a 500-record page of 6 MB, over the hub's 4 MiB body
            # limit: the hub must read smaller pages rather than stop this stream.
            path = os.path.join(nodes["b"]["session"], "logs", "lifecycle.jsonl")
            with open(path, "a", encoding="utf-8") as handle:
                for index in range(300):
                    handle.write(json.dumps({"kind": f"big{index}", "timestamp_epoch_ms":
                                             1796400000000 + index, "message": "z" * 20000}) + "\n")

            def newest_kind():
                status, body = http_get(f"{hub_url}/api/nodes/{nodes['b']['id']}/events"
                                        "?stream=lifecycle&limit=1")
                events = body.get("events", []) if status == 200 else []
                return events[0]["event"]["kind"] if events else None
            _, waited = wait_for("the newest large record", lambda: newest_kind() == "big299", 60)
            return f"ingested {waited:.1f} s after the append"
        checks.run("pages over the body limit are split", oversized_pages)

        def size_budget():
            def event_count():
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as database:
                    return database.execute("SELECT count(*) FROM events WHERE stream = "
                                            "'lifecycle'").fetchone()[0]
            wait_for("lifecycle ingest to begin", lambda: event_count() > 0, 30)
            # The budget of 1.5 MiB fits about a third of the 6000 records of 400 bytes, so
            # the hub keeps deleting the oldest ones as it ingests.
            _, waited = wait_for("the oldest records deleted", lambda: http_get(
                f"{hub_url}/api/nodes/{nodes['a']['id']}/events?stream=lifecycle&after=0&limit=1")
                [1].get("events", [{}])[0].get("event", {}).get("kind") not in (None, "k0"), 60)
            status, body = http_get(f"{hub_url}/api/nodes/{nodes['a']['id']}/events"
                                    "?stream=lifecycle&limit=1")
            newest = body["events"][0]["event"]["kind"] if body.get("events") else None
            wait_for("the newest record kept", lambda: http_get(
                f"{hub_url}/api/nodes/{nodes['a']['id']}/events?stream=lifecycle&limit=1")[1]
                ["events"][0]["event"]["kind"] == f"k{LIFECYCLE_RECORDS - 1}", 60)
            kept = event_count()
            if not 0 < kept < LIFECYCLE_RECORDS:
                raise CheckFailed(f"{kept} of {LIFECYCLE_RECORDS} records kept")
            deleted = metric_value("winebot_hub_retention_deleted_rows_total")
            if deleted < LIFECYCLE_RECORDS - kept:
                raise CheckFailed(f"/metrics counts {deleted} deleted rows, fewer than "
                                  f"{LIFECYCLE_RECORDS - kept}")
            if metric_value("winebot_hub_state_samples_total") <= 0:
                raise CheckFailed("/metrics counts no stored state samples")
            return f"{kept} of {LIFECYCLE_RECORDS} records kept, newest {newest}, " \
                   f"{deleted:.0f} rows deleted"
        checks.run("size budget deletes the oldest events", size_budget)

        def exact_after_kill():
            fleet.signal("hub", signal.SIGKILL)
            fleet.wait_exit("hub")
            more = [float(v) for v in range(201, 301)]
            write_metrics(os.path.join(nodes["a"]["session"], "logs", "perf_metrics.jsonl"),
                          more, int(time.time() * 1000))
            fleet.start_hub(hub_port, db_path, hub_flags)
            total = 2 * VALUES_PER_NODE + len(more)
            wait_for("the new values in the rollups", lambda: fleet_count() >= total, 30, 0.2)
            time.sleep(1.0)  # A repeated ingest would show up within a few reads.
            count = fleet_count()
            if count != total:
                raise CheckFailed(f"fleet count {count} after the restart, expected {total}")
            return f"{count} values, none twice"
        checks.run("rollups stay exact across a hub SIGKILL", exact_after_kill)

        def summary_off_the_request_thread():
            # A month of samples for 30 made-up nodes: a summary over it reads them all, and the
            # hub must go on serving other requests meanwhile.
            rows = ((f"made-up-{node}", now_ms - 2_500_000_000 + step * 2_500, "online",
                     "recording" if step % 3 else "paused")
                    for node in range(30) for step in range(40_000))
            with sqlite3.connect(db_path, timeout=30) as database:
                database.executemany("INSERT INTO state_samples (node_id, at_ms, state, "
                                     "recorder_state) VALUES (?, ?, ?, ?)", rows)
            result = {}

            def long_summary():
                result["reply"] = http_get(f"{hub_url}/api/fleet/summary?window=2592000",
                                           timeout=120)
                result["done"] = time.monotonic()
            worker = threading.Thread(target=long_summary)
            worker.start()
            time.sleep(0.05)
            answered = []
            while worker.is_alive() and len(answered) < 20:
                status, _ = http_get(f"{hub_url}/healthz")
                answered.append((status, time.monotonic()))
            worker.join(120)
            status, body = result["reply"]
            if status != 200 or body["time_seconds"]["recording"] <= 0:
                raise CheckFailed(f"long summary returned {status} {body}")
            before_done = [s for s, at in answered if at < result["done"]]
            if not before_done or any(s != 200 for s, _ in answered):
                raise CheckFailed(f"/healthz got {len(before_done)} answers while the summary ran")
            return f"{len(before_done)} /healthz answers while the summary read 1.2 M samples"
        checks.run("summary runs off the request thread", summary_off_the_request_thread)
    except Exception as error:  # noqa: BLE001 - a failed set-up fails the run
        checks.run("set-up", lambda: (_ for _ in ()).throw(error))
    finally:
        fleet.stop_all()
    return fleet.finish(checks)


if __name__ == "__main__":
    sys.exit(main())
