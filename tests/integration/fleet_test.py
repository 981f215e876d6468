#!/usr/bin/env python3
"""End-to-end fleet test with real parts: a private D-Bus, an avahi-daemon limited to lo, one
winebot-hub and two winebot-node processes. Checks discovery, TXT, clean stop, crash, restart and
hub restart, printing each measured delay.

Usage: fleet_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import os
import shutil
import signal
import sys
import time
import traceback

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
    nodes = {
        "it-node-a": {"port": free_port(), "state_dir": os.path.join(fleet.work_dir, "node-a")},
        "it-node-b": {"port": free_port(), "state_dir": os.path.join(fleet.work_dir, "node-b")},
    }

    def hub_node(node_id):
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}")
        return body if status == 200 else None

    def node_state(node_id):
        node = hub_node(node_id)
        return node["state"] if node else None

    try:
        fleet.start_sandbox()
        fleet.start_hub(hub_port, db_path)
        for name, node in nodes.items():
            fleet.start_node(name, node["port"], node["state_dir"])
        wait_for("node id files", lambda: all(
            os.path.exists(os.path.join(n["state_dir"], "node_id")) for n in nodes.values()), 10)
        for node in nodes.values():
            node["id"] = read_node_id(node["state_dir"])
        id_a = nodes["it-node-a"]["id"]
        id_b = nodes["it-node-b"]["id"]

        def both_nodes_online():
            _, waited = wait_for("both nodes online in /api/nodes",
                                 lambda: node_state(id_a) == "online" and
                                 node_state(id_b) == "online", 15)
            _, body = http_get(f"{hub_url}/api/nodes")
            listed = [n["id"] for n in body["nodes"]]
            for node_id in (id_a, id_b):
                if listed.count(node_id) != 1:
                    raise CheckFailed(f"node {node_id} listed {listed.count(node_id)} times")
            return f"online {waited:.2f} s after start"
        check("hub lists both nodes online once each", both_nodes_online)

        def node_details():
            node = hub_node(id_a)
            if node["name"] != "it-node-a":
                raise CheckFailed(f"name is {node['name']!r}")
            if node["txt"].get("node_id") != id_a:
                raise CheckFailed(f"TXT node_id is {node['txt'].get('node_id')!r}")
            if node["port"] != nodes["it-node-a"]["port"]:
                raise CheckFailed(f"port is {node['port']}")
            if node["node_state"].get("node_id") != id_a:
                raise CheckFailed("the node's own /state was not recorded")
            status, body = http_get(f"{hub_url}/api/nodes/no-such-node")
            if status != 404 or "detail" not in body:
                raise CheckFailed(f"unknown node gave {status} {body}")
            status, body = http_get(f"{hub_url}/api/nodes?state=sideways")
            if status != 400 or "detail" not in body:
                raise CheckFailed(f"bad state filter gave {status} {body}")
            return None
        check("node details and errors in the hub API", node_details)

        def txt_visible_to_avahi_browse():
            def entries_for_both():
                entries = fleet.avahi_browse("_winebot._tcp")
                found = {}
                for entry in entries:
                    txt = entry[9] if len(entry) > 9 else ""
                    for name, node in nodes.items():
                        if f'"node_id={node["id"]}"' in txt and entry[8] == str(node["port"]):
                            found[name] = txt
                return found if len(found) == 2 else None
            found, _ = wait_for("avahi-browse to resolve both nodes", entries_for_both, 10, 0.5)
            for name, txt in found.items():
                for key in ("txtvers=1", "version=", "api_port="):
                    if key not in txt:
                        raise CheckFailed(f"{name} TXT lacks {key}: {txt}")
            return None
        check("avahi-browse sees both nodes' TXT", txt_visible_to_avahi_browse)

        def collisions_and_long_names():
            clash_dir = os.path.join(fleet.work_dir, "node-clash")
            long_dir = os.path.join(fleet.work_dir, "node-long")
            long_name = "\u00fc" * 40  # 80 bytes of UTF-8, over the 63-byte DNS label limit.
            binary = os.path.join(fleet.build_dir, "node", "winebot-node")
            fleet.start("clash", [binary, "--listen", f"127.0.0.1:{free_port()}", "--state-dir",
                                  clash_dir, "--name", "it-node-b"])
            fleet.start("long-name", [binary, "--listen", f"127.0.0.1:{free_port()}",
                                      "--state-dir", long_dir, "--name", long_name])
            wait_for("id files", lambda: os.path.exists(os.path.join(clash_dir, "node_id")) and
                     os.path.exists(os.path.join(long_dir, "node_id")), 10)
            clash_id = read_node_id(clash_dir)
            long_id = read_node_id(long_dir)
            wait_for("both extra nodes online", lambda: node_state(clash_id) == "online" and
                     node_state(long_id) == "online", 15)
            clash_name = hub_node(clash_id)["name"]
            if clash_name != "it-node-b #2":
                raise CheckFailed(f"colliding node is named {clash_name!r}")
            published = hub_node(long_id)["name"]
            if published != "\u00fc" * 31 or len(published.encode()) != 62:
                raise CheckFailed(f"long name published as {published!r}")
            for name in ("clash", "long-name"):
                fleet.signal(name, signal.SIGINT)
                fleet.signal(name, signal.SIGINT)
                fleet.wait_exit(name)
            return f"renamed to {clash_name!r}; long name cut to {len(published.encode())} bytes"
        check("name collision renames and long names are cut", collisions_and_long_names)

        def refused_port_is_flagged():
            wrong_dir = os.path.join(fleet.work_dir, "node-wrong-port")
            binary = os.path.join(fleet.build_dir, "node", "winebot-node")
            fleet.start("wrong-port", [binary, "--listen", f"127.0.0.1:{free_port()}",
                                       "--state-dir", wrong_dir, "--name", "it-wrong-port",
                                       "--advertise-port", str(free_port())])
            wait_for("id file", lambda: os.path.exists(os.path.join(wrong_dir, "node_id")), 10)
            wrong_id = read_node_id(wrong_dir)
            node, _ = wait_for("refused port flagged", lambda: (
                hub_node(wrong_id) if hub_node(wrong_id) and hub_node(wrong_id)["warnings"]
                else None), 15)
            fleet.signal("wrong-port", signal.SIGINT)
            fleet.signal("wrong-port", signal.SIGINT)
            fleet.wait_exit("wrong-port")
            if "refuses connections" not in node["warnings"][0]:
                raise CheckFailed(f"warnings {node['warnings']}")
            if node["state"] not in ("degraded", "offline"):
                raise CheckFailed(f"state {node['state']}")
            return f"{node['state']}: {node['warnings'][0][:60]}..."
        check("advertised port that refuses is flagged", refused_port_is_flagged)

        def clean_stop_marks_gone():
            fleet.signal("it-node-a", signal.SIGTERM)
            _, waited = wait_for("node A gone", lambda: node_state(id_a) == "gone", 10, 0.05)
            code = fleet.wait_exit("it-node-a")
            if code != 0:
                raise CheckFailed(f"node A exited with {code}")
            if "mdns.withdrawn" not in fleet.log("it-node-a"):
                raise CheckFailed("node A did not log its withdrawal")
            return f"gone {waited:.2f} s after SIGTERM"
        check("SIGTERM turns a node gone", clean_stop_marks_gone)

        def kill_marks_offline():
            fleet.signal("it-node-b", signal.SIGKILL)
            fleet.wait_exit("it-node-b")
            _, waited = wait_for("node B offline", lambda: node_state(id_b) == "offline", 15, 0.05)
            reason = hub_node(id_b)["state_reason"]
            return f"offline {waited:.2f} s after SIGKILL: {reason}"
        check("SIGKILL turns a node offline", kill_marks_offline)

        def restart_keeps_identity():
            node = nodes["it-node-b"]
            fleet.start_node("it-node-b", node["port"], node["state_dir"])
            _, waited = wait_for("node B online again", lambda: node_state(id_b) == "online", 15)
            if read_node_id(node["state_dir"]) != id_b:
                raise CheckFailed("node B's id changed across the restart")
            _, body = http_get(f"{hub_url}/api/nodes")
            ours = [n for n in body["nodes"] if n["name"] == "it-node-b"]
            if len(ours) != 1:
                raise CheckFailed(f"node B listed {len(ours)} times after restart")
            return f"online {waited:.2f} s after restart"
        check("restarted node returns with the same id", restart_keeps_identity)

        def hub_restart_keeps_nodes():
            fleet.signal("hub", signal.SIGTERM)
            code = fleet.wait_exit("hub")
            if code != 0:
                raise CheckFailed(f"hub exited with {code}")
            fleet.start_hub(hub_port, db_path)
            wait_for("hub answering", lambda: http_get(f"{hub_url}/healthz")[0] == 200, 10)
            if node_state(id_a) != "gone":
                raise CheckFailed(f"node A is {node_state(id_a)} after the hub restart")
            _, waited = wait_for("node B online after hub restart",
                                 lambda: node_state(id_b) == "online", 15)
            return f"node B online {waited:.2f} s after the hub restarted"
        check("hub restart keeps the nodes it knew", hub_restart_keeps_nodes)
    except Exception as error:  # noqa: BLE001 - set-up failure
        results.append(("set-up", False))
        print(f"FAIL set-up: {error}", flush=True)
        traceback.print_exc()
    finally:
        fleet.stop_all()
        fleet.stop_sandbox()
        status = fleet.finish(checks)
    return status


if __name__ == "__main__":
    sys.exit(main())
