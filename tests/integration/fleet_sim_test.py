#!/usr/bin/env python3
"""End-to-end test of winebot-fleet-sim against a real hub: 20 simulated nodes on 127.0.0.1,
found through the node list file the simulator writes, probed and ingested by winebot-hub.

Usage: fleet_sim_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import traceback
import urllib.request

from fleet_harness import Checks, CheckFailed, Fleet, free_port, http_get, wait_for

NODE_COUNT = 20

checks = Checks()
check = checks.run


def stored_positions(db_path, stream):
    """Positions the hub stored per node for one stream, in ingest order."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as database:
        rows = database.execute(
            "SELECT node_id, position FROM events WHERE stream = ? ORDER BY id",
            (stream,)).fetchall()
    positions = {}
    for node_id, position in rows:
        positions.setdefault(node_id, []).append(position)
    return positions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    db_path = os.path.join(fleet.work_dir, "hub.db")
    ports_file = os.path.join(fleet.work_dir, "ports.json")
    nodes_file = os.path.join(fleet.work_dir, "nodes.txt")
    simulator = os.path.join(fleet.build_dir, "tests", "sim", "winebot-fleet-sim")

    def hub_nodes():
        status, body = http_get(f"{hub_url}/api/nodes?limit=100")
        return body["nodes"] if status == 200 else []

    try:
        fleet.start("sim", [simulator, "--nodes", str(NODE_COUNT), "--bind", "127.0.0.1",
                            "--ports-file", ports_file, "--nodes-file", nodes_file,
                            "--lifecycle-per-minute", "30", "--telemetry-per-minute", "120"])
        wait_for("the ports file", lambda: os.path.exists(ports_file), 15)
        with open(ports_file, encoding="utf-8") as handle:
            simulated = json.load(handle)["nodes"]
        by_id = {node["node_id"]: node for node in simulated}
        fleet.start_hub(hub_port, db_path, ("--discovery", "none", "--nodes-file", nodes_file,
                                            "--advertise", "off", "--events-interval", "1"))

        def every_node_online():
            def online_ids():
                return {node["id"] for node in hub_nodes() if node["state"] == "online"}
            _, waited = wait_for(f"{NODE_COUNT} nodes online",
                                 lambda: online_ids() == set(by_id), 30)
            listed = hub_nodes()
            if len(listed) != NODE_COUNT:
                raise CheckFailed(f"{len(listed)} nodes listed, expected {NODE_COUNT}")
            for node in listed:
                expected = by_id[node["id"]]
                if node["name"] != expected["name"] or node["port"] != expected["port"]:
                    raise CheckFailed(f"node {node['id']} listed as {node['name']} port "
                                      f"{node['port']}, expected {expected}")
            return f"online {waited:.2f} s after the hub started"
        check("every simulated node comes online", every_node_online)

        def state_has_recorder_and_idle():
            for node in hub_nodes():
                if node["recorder_state"] not in ("recording", "paused", "idle"):
                    raise CheckFailed(f"node {node['id']} recorder {node['recorder_state']}")
                idle = node["node_state"].get("idle", {})
                for key in ("idle_seconds", "auto_pauses", "paused_by_inactivity_seconds"):
                    if not isinstance(idle.get(key), (int, float)):
                        raise CheckFailed(f"node {node['id']} idle.{key} is {idle.get(key)!r}")
            states = sorted({node["recorder_state"] for node in hub_nodes()})
            return f"recorder states {states}"
        check("hub sees recorder and idle state", state_has_recorder_and_idle)

        def recorder_changes_reach_hub():
            first = {node["id"]: node["recorder_state"] for node in hub_nodes()}

            def changed():
                return [node["id"] for node in hub_nodes()
                        if node["recorder_state"] != first[node["id"]]]
            ids, waited = wait_for("a recorder state change in /api/nodes", changed, 30, 0.5)
            return f"{len(ids)} nodes changed within {waited:.1f} s"
        check("recorder changes reach the hub", recorder_changes_reach_hub)

        def events_ingested_in_order():
            def every_node_ingested():
                telemetry = stored_positions(db_path, "telemetry")
                lifecycle = stored_positions(db_path, "lifecycle")
                return (len(telemetry) == NODE_COUNT and len(lifecycle) == NODE_COUNT and
                        (telemetry, lifecycle))
            (telemetry, lifecycle), waited = wait_for(
                "telemetry and lifecycle rows for every node", every_node_ingested, 45, 0.5)
            for stream, stored in (("telemetry", telemetry), ("lifecycle", lifecycle)):
                for node_id, positions in stored.items():
                    port = by_id[node_id]["port"]
                    status, page = http_get(f"http://127.0.0.1:{port}/{stream}/events"
                                            f"?after=&limit=1000")
                    if status != 200:
                        raise CheckFailed(f"simulator returned {status} for {stream}")
                    served = page["positions"][:len(positions)]
                    if positions != served:
                        raise CheckFailed(f"{stream} of {node_id}: stored {positions[:5]}..., "
                                          f"served {served[:5]}...")
            rows = sum(len(positions) for positions in telemetry.values())
            return (f"{rows} telemetry and {sum(map(len, lifecycle.values()))} lifecycle rows "
                    f"after {waited:.1f} s, each a prefix of the node's stream")
        check("hub ingests every stream in order", events_ingested_in_order)

        def simulator_rejects_bad_input():
            port = simulated[0]["port"]
            for query in ("limit=0", "limit=abc", "after=nonsense"):
                status, body = http_get(f"http://127.0.0.1:{port}/lifecycle/events?{query}")
                if status != 400 or not isinstance((body or {}).get("detail"), str):
                    raise CheckFailed(f"?{query} returned {status} {body}")
        check("simulator rejects bad event queries", simulator_rejects_bad_input)

        def simulator_metrics_pass_promtool():
            port = simulated[0]["port"]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
            lint = subprocess.run(["promtool", "check", "metrics"], input=text,
                                  capture_output=True, text=True, timeout=30, check=False)
            if lint.returncode != 0:
                raise CheckFailed(f"promtool: {lint.stdout}{lint.stderr}")
            families = sum(1 for line in text.splitlines() if line.startswith("# TYPE"))
            return f"{families} metric families"
        check("simulator /metrics passes promtool", simulator_metrics_pass_promtool)
    except Exception:  # noqa: BLE001 - report, then clean up
        traceback.print_exc()
        checks.results.append(("setup", False))
    finally:
        fleet.stop_all()
    return fleet.finish(checks)


if __name__ == "__main__":
    sys.exit(main())
