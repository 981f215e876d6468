#!/usr/bin/env python3
"""End-to-end test of the hub's static discovery source: nodes given with --node and
--nodes-file, found without mDNS or DNS. Everything binds 127.0.0.1.

Usage: static_discovery_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

from fleet_harness import Checks, CheckFailed, Fleet, free_port, http_get, wait_for

checks = Checks()
check = checks.run
results = checks.results


def read_node_id(state_dir):
    with open(os.path.join(state_dir, "node_id"), encoding="ascii") as handle:
        return handle.read().strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    db_path = os.path.join(fleet.work_dir, "hub.db")
    nodes = {name: {"port": free_port(), "state_dir": os.path.join(fleet.work_dir, name)}
             for name in ("static-node-a", "static-node-b", "static-node-late")}
    late = nodes["static-node-late"]
    nodes_file = os.path.join(fleet.work_dir, "nodes.txt")
    with open(nodes_file, "w", encoding="utf-8") as handle:
        handle.write("# nodes of the static test\n\n")
        handle.write(f"127.0.0.1:{nodes['static-node-b']['port']}   # node B\n")
        handle.write(f"127.0.0.1:{late['port']}\n")
    hub_arguments = ("--discovery", "none", "--node", f"127.0.0.1:{nodes['static-node-a']['port']}",
                     "--nodes-file", nodes_file, "--srv-interval", "0.5", "--advertise", "off")

    def listed_nodes():
        status, body = http_get(f"{hub_url}/api/nodes")
        return body["nodes"] if status == 200 else []

    def hub_node(node_id):
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}")
        return body if status == 200 else None

    def node_state(node_id):
        node = hub_node(node_id)
        return node["state"] if node else None

    labels = {"static-node-a": ("--label", "gpu", "--label", "eu"),
              "static-node-b": ("--label", "eu")}

    def start_node(name):
        node = nodes[name]
        fleet.start_node(name, node["port"], node["state_dir"],
                         ("--advertise", "off", *labels.get(name, ())))
        wait_for(f"{name} id file",
                 lambda: os.path.exists(os.path.join(node["state_dir"], "node_id")), 10)
        node["id"] = read_node_id(node["state_dir"])

    try:
        start_node("static-node-a")
        start_node("static-node-b")
        fleet.start_hub(hub_port, db_path, hub_arguments)
        late_address_id = f"address:127.0.0.1:{late['port']}"

        def listed_nodes_online():
            ids = [nodes["static-node-a"]["id"], nodes["static-node-b"]["id"]]
            _, waited = wait_for("nodes A and B online", lambda: all(
                node_state(node_id) == "online" for node_id in ids), 15)
            for node_id in ids:
                sources = {address["source"] for address in hub_node(node_id)["addresses"]}
                if sources != {"static"}:
                    raise CheckFailed(f"node {node_id} has sources {sources}, expected static")
            return f"online {waited:.2f} s after the hub started"
        check("--node and --nodes-file nodes appear online", listed_nodes_online)

        def silent_entry_stays_provisional():
            state, waited = wait_for("the silent entry offline",
                                     lambda: node_state(late_address_id) == "offline" and
                                     node_state(late_address_id), 15)
            node = hub_node(late_address_id)
            if node["advertised"] is not True:
                raise CheckFailed("the silent entry is not listed as a current sighting")
            return f"{state} after {waited:.2f} s: {node['state_reason']}"
        check("entry without a node stays an address", silent_entry_stays_provisional)

        def late_node_takes_its_id():
            start_node("static-node-late")
            _, waited = wait_for("the late node online under its id",
                                 lambda: node_state(late["id"]) == "online", 20)
            wait_for("the address entry gone", lambda: hub_node(late_address_id) is None, 5)
            if len(listed_nodes()) != 3:
                raise CheckFailed(f"{len(listed_nodes())} nodes listed, expected 3")
            return f"identified {waited:.2f} s after it started"
        check("late node replaces its address entry", late_node_takes_its_id)

        def node_list_filters_sorts_and_pages():
            def names(query):
                status, body = http_get(f"{hub_url}/api/nodes?{query}")
                if status != 200:
                    raise CheckFailed(f"?{query} returned {status}: {body}")
                return [node["name"] for node in body["nodes"]], body

            # The hub takes labels from each node's /state: wait until the probes bring them.
            wait_for("labels probed", lambda: names("label=gpu")[0] == ["static-node-a"], 10)
            expected = {"label=eu&sort=-name": ["static-node-b", "static-node-a"],
                        "q=NODE-B": ["static-node-b"],
                        "recorder=disabled&sort=name": ["static-node-a", "static-node-b",
                                                        "static-node-late"],
                        "recorder=recording": [],
                        "state=online&label=eu,gpu": ["static-node-a"]}
            for query, names_expected in expected.items():
                listed, _ = names(query)
                if listed != names_expected:
                    raise CheckFailed(f"?{query} listed {listed}, expected {names_expected}")
            listed, body = names("sort=name&limit=1&offset=1")
            page = {key: body[key] for key in ("count", "total", "offset", "limit", "next_offset")}
            if listed != ["static-node-b"] or page != {"count": 1, "total": 3, "offset": 1,
                                                       "limit": 1, "next_offset": 2}:
                raise CheckFailed(f"second page {listed} {page}")
            for query in ("limit=0", "limit=99999", "offset=-1", "sort=size", "state=up",
                          "recorder=busy", "label=nope&label=gpu"):
                status, body = http_get(f"{hub_url}/api/nodes?{query}")
                detail = (body or {}).get("detail", "")
                if status != 400 or not ("invalid" in detail or "more than once" in detail):
                    raise CheckFailed(f"?{query} returned {status} {body}")
        check("node list filters, sorts and pages", node_list_filters_sorts_and_pages)

        def hub_metrics_pass_promtool():
            with urllib.request.urlopen(f"{hub_url}/metrics", timeout=5) as response:
                content_type = response.headers.get("Content-Type", "")
                text = response.read().decode()
            if not content_type.startswith("text/plain; version=0.0.4"):
                raise CheckFailed(f"Content-Type {content_type}")
            for line in ('winebot_hub_nodes{state="online"} 3',
                         'winebot_hub_node_recorders{state="disabled"} 3',
                         "winebot_hub_nodes_advertised 3",
                         "winebot_hub_stream_clients 0",
                         "winebot_hub_stream_dropped_events_total 0"):
                if line not in text:
                    raise CheckFailed(f"{line!r} missing from /metrics:\n{text}")
            lint = subprocess.run(["promtool", "check", "metrics"], input=text,
                                  capture_output=True, text=True, timeout=30, check=False)
            if lint.returncode != 0:
                raise CheckFailed(f"promtool: {lint.stdout}{lint.stderr}")
        check("hub /metrics passes promtool", hub_metrics_pass_promtool)

        def openapi_paths_are_routed():
            status, document = http_get(f"{hub_url}/api/openapi.json")
            if status != 200 or document.get("openapi") != "3.0.3":
                raise CheckFailed(f"/api/openapi.json returned {status}")
            node_id = nodes["static-node-b"]["id"]
            checked = 0
            for path, operations in document["paths"].items():
                if path == "/api/stream":
                    continue  # a stream that never ends; its own test covers it
                url = hub_url + path.replace("{id}", node_id).replace("{action}", "pause")
                for method in operations:
                    request = urllib.request.Request(url, method=method.upper(),
                                                     data=b"{}" if method == "post" else None)
                    try:
                        with urllib.request.urlopen(request, timeout=5) as response:
                            code = response.status
                    except urllib.error.HTTPError as error:
                        code = error.code
                    if code in (404, 405):
                        raise CheckFailed(f"{method.upper()} {path} is documented but returned "
                                          f"{code}")
                    checked += 1
            return f"{checked} documented operations routed"
        check("every documented hub path is routed", openapi_paths_are_routed)

        def stopped_node_leaves_online():
            node_id = nodes["static-node-a"]["id"]
            fleet.signal("static-node-a", signal.SIGTERM)
            fleet.wait_exit("static-node-a")
            state, waited = wait_for("node A not online", lambda: node_state(node_id) in (
                "gone", "offline") and node_state(node_id), 15, 0.05)
            return f"{state} {waited:.2f} s after SIGTERM"
        check("stopped static node leaves online", stopped_node_leaves_online)

        def hub_restart_keeps_identity():
            fleet.signal("hub", signal.SIGTERM)
            if fleet.wait_exit("hub") != 0:
                raise CheckFailed("hub exited with an error")
            fleet.start_hub(hub_port, db_path, hub_arguments)
            running = [nodes["static-node-b"]["id"], late["id"]]
            running_addresses = {f"address:127.0.0.1:{nodes[name]['port']}"
                                 for name in ("static-node-b", "static-node-late")}

            def converged():
                ids = [n["id"] for n in listed_nodes()]
                return (all(node_state(node_id) == "online" for node_id in running)
                        and not running_addresses & set(ids)
                        and all(ids.count(node_id) == 1 for node_id in running))
            _, waited = wait_for("running nodes online once each after the hub restart",
                                 converged, 15)
            ids = [n["id"] for n in listed_nodes()]
            stopped_id = nodes["static-node-a"]["id"]
            if stopped_id not in ids:
                raise CheckFailed("the stopped node was forgotten across the restart")
            # The stopped node's listed address cannot be identified while nothing answers there,
            # so it shows as an address entry beside the stored node.
            extra = sorted(set(ids) - set(running) - {stopped_id})
            expected_extra = [f"address:127.0.0.1:{nodes['static-node-a']['port']}"]
            if extra != expected_extra:
                raise CheckFailed(f"listed {ids} after the restart")
            return f"online {waited:.2f} s after the restart, one entry per running node"
        check("hub restart keeps one entry per node", hub_restart_keeps_identity)
    except Exception as error:  # noqa: BLE001 - set-up failure
        results.append(("set-up", False))
        print(f"FAIL set-up: {error}", flush=True)
        traceback.print_exc()
    finally:
        fleet.stop_all()
        status = fleet.finish(checks)
    return status


if __name__ == "__main__":
    sys.exit(main())
