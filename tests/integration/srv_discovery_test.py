#!/usr/bin/env python3
"""End-to-end test of the hub's DNS SRV discovery against dnsmasq.

dnsmasq on a loopback port serves the records a Kubernetes headless Service would have: one SRV
record per node under _winebot._tcp.winebot-nodes.test, each pointing at a host name with an A
record for 127.0.0.1 and the node's own port. The nodes run on loopback with mDNS off, and the hub
runs with only the SRV source. No packet leaves the machine: dnsmasq, the hub and the nodes bind
127.0.0.1, and the hub asks only this dnsmasq.

Usage: srv_discovery_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import os
import shutil
import signal
import socket
import sys
import time
import traceback

from fleet_harness import Checks, CheckFailed, Fleet, free_port, http_get, wait_for

SERVICE = "_winebot._tcp.winebot-nodes.test"
SRV_INTERVAL = "0.5"
# Extra SRV targets that make the answer larger than the hub's 1232-byte EDNS buffer, so that
# dnsmasq truncates it and the hub must ask again over TCP.
EXTRA_TARGETS = 50

checks = Checks()
check = checks.run
results = checks.results


def free_udp_and_tcp_port():
    """Return a loopback port that was free for both UDP and TCP a moment ago."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise CheckFailed("found no port free for both UDP and TCP")


def read_node_id(state_dir):
    with open(os.path.join(state_dir, "node_id"), encoding="ascii") as handle:
        return handle.read().strip()


class Dnsmasq:
    """Starts dnsmasq through the fleet, with SRV and A records for the given targets."""

    def __init__(self, fleet, port):
        self.fleet = fleet
        self.port = port

    def start(self, targets):
        """targets: list of (host name, port); every host name resolves to 127.0.0.1."""
        arguments = [
            "dnsmasq", "--keep-in-foreground", f"--port={self.port}",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--conf-file=/dev/null", "--pid-file=", "--log-facility=-", "--log-queries",
        ]
        for host, port in targets:
            arguments.append(f"--srv-host={SERVICE},{host},{port}")
            arguments.append(f"--host-record={host},127.0.0.1")
        self.fleet.start("dnsmasq", arguments)
        wait_for("dnsmasq listening", self.answers, 10)

    def answers(self):
        """True when dnsmasq answers a query for the SRV name on its port."""
        query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                 + b"".join(bytes([len(label)]) + label.encode() for label in SERVICE.split("."))
                 + b"\x00\x00\x21\x00\x01")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(0.5)
            try:
                client.sendto(query, ("127.0.0.1", self.port))
                return client.recv(65535)[:2] == b"\x12\x34"
            except OSError:
                return False

    def stop(self):
        self.fleet.signal("dnsmasq", signal.SIGTERM)
        self.fleet.wait_exit("dnsmasq")

    def restart(self, targets):
        self.stop()
        self.start(targets)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    if shutil.which("dnsmasq") is None:
        print("FAIL set-up: dnsmasq is not installed; scripts/setup.sh installs dnsmasq-base")
        print("0 passed, 1 failed")
        return 1

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    dnsmasq = Dnsmasq(fleet, free_udp_and_tcp_port())
    nodes = {}
    for index in range(3):
        name = f"srv-node-{index}"
        nodes[name] = {"port": free_port(), "host": f"{name}.winebot-nodes.test",
                       "state_dir": os.path.join(fleet.work_dir, name)}

    def targets(names):
        return [(nodes[name]["host"], nodes[name]["port"]) for name in names]

    def listed_nodes():
        status, body = http_get(f"{hub_url}/api/nodes")
        return body["nodes"] if status == 200 else []

    def hub_node(node_id):
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}")
        return body if status == 200 else None

    def node_state(node_id):
        node = hub_node(node_id)
        return node["state"] if node else None

    try:
        for name, node in nodes.items():
            fleet.start_node(name, node["port"], node["state_dir"], ("--advertise", "off"))
        wait_for("node id files", lambda: all(
            os.path.exists(os.path.join(n["state_dir"], "node_id")) for n in nodes.values()), 10)
        for node in nodes.values():
            node["id"] = read_node_id(node["state_dir"])

        dnsmasq.start(targets(nodes))
        fleet.start_hub(hub_port, os.path.join(fleet.work_dir, "hub.db"), (
            "--discovery", f"srv:{SERVICE}", "--dns-server", f"127.0.0.1:{dnsmasq.port}",
            "--srv-interval", SRV_INTERVAL, "--advertise", "off", "--log-level", "debug"))

        def all_online_with_real_ids():
            def ready():
                listed = listed_nodes()
                ids = sorted(n["id"] for n in listed)
                return ids == sorted(n["id"] for n in nodes.values()) and all(
                    n["state"] == "online" for n in listed)
            _, waited = wait_for("every node online under its node_id", ready, 20)
            for name, node in nodes.items():
                listed = hub_node(node["id"])
                sources = {address["source"] for address in listed["addresses"]}
                if sources != {"srv"}:
                    raise CheckFailed(f"{name} has sources {sources}, expected only srv")
                if listed["name"] != name:
                    raise CheckFailed(f"{name} is listed as {listed['name']!r}")
                ports = {address["port"] for address in listed["addresses"]}
                if ports != {node["port"]}:
                    raise CheckFailed(f"{name} has ports {ports}, expected {node['port']}")
            return f"all 3 online {waited:.2f} s after the hub started"
        check("SRV targets appear online with their node ids", all_online_with_real_ids)

        def readyz_answers():
            status, body = http_get(f"{hub_url}/readyz")
            if status != 200 or body != {"status": "ready"}:
                raise CheckFailed(f"GET /readyz returned {status} {body}")
        check("hub answers /readyz", readyz_answers)

        def dns_outage_keeps_nodes():
            dnsmasq.stop()
            time.sleep(4 * float(SRV_INTERVAL) + 3)  # Several failed rounds, each timing out.
            for name, node in nodes.items():
                listed = hub_node(node["id"])
                if not listed["advertised"] or listed["state"] != "online":
                    raise CheckFailed(f"{name} is {listed['state']}, advertised "
                                      f"{listed['advertised']} while DNS was down")
            if "discovery.srv_query_failed" not in fleet.log("hub"):
                raise CheckFailed("the hub did not log the failed SRV query")
            dnsmasq.start(targets(nodes))
            if "discovery.srv_recovered" not in wait_for(
                    "the hub to log its recovery",
                    lambda: "discovery.srv_recovered" in fleet.log("hub") and fleet.log("hub"),
                    10)[0]:
                raise CheckFailed("no recovery logged")
            return "sightings kept while the DNS server was down"
        check("DNS outage keeps the last answer", dns_outage_keeps_nodes)

        def large_answer_over_tcp():
            extra = [(f"extra-{index}.winebot-nodes.test", free_port())
                     for index in range(EXTRA_TARGETS)]
            dnsmasq.restart(targets(nodes) + extra)

            extra_ports = {port for _, port in extra}

            # Ports, not entry counts: a test running alongside may bind one of these free ports,
            # and the hub then rightly identifies that address as another node.
            def srv_ports():
                return {address["port"] for node in listed_nodes()
                        for address in node["addresses"] if address["source"] == "srv"}

            def all_listed():
                return extra_ports <= srv_ports()
            _, waited = wait_for(f"{EXTRA_TARGETS} extra targets listed", all_listed, 30)
            if "over_tcp=yes" not in fleet.log("hub"):
                raise CheckFailed("the hub did not log an SRV answer read over TCP")
            for name, node in nodes.items():
                if node_state(node["id"]) != "online":
                    raise CheckFailed(f"{name} is {node_state(node['id'])}")
            dnsmasq.restart(targets(nodes))
            _, cleared = wait_for("extra targets removed",
                                  lambda: not extra_ports & srv_ports(), 20)
            return (f"{EXTRA_TARGETS} extra targets listed after {waited:.2f} s, "
                    f"removed {cleared:.2f} s after their records")
        check("truncated answer is read over TCP", large_answer_over_tcp)

        removed = "srv-node-2"
        removed_id = nodes[removed]["id"]

        def removed_record_is_probed():
            remaining = [name for name in nodes if name != removed]
            dnsmasq.restart(targets(remaining))
            _, waited = wait_for(f"{removed} no longer listed by SRV",
                                 lambda: not hub_node(removed_id)["advertised"], 20)
            node = hub_node(removed_id)
            if node["state"] != "online":
                raise CheckFailed(f"{removed} is {node['state']} while it still runs")
            wait_for("a probe after the removal", lambda: "not advertised" in
                     hub_node(removed_id)["state_reason"], 10)
            if f"discovery.sighting_removed node={removed_id}" not in fleet.log("hub"):
                raise CheckFailed("the hub did not log the removed sighting")
            for name in remaining:
                if node_state(nodes[name]["id"]) != "online":
                    raise CheckFailed(f"{name} left online when another record was removed")
            return f"removal seen {waited:.2f} s after dnsmasq restarted"
        check("removed record makes the hub probe the node", removed_record_is_probed)

        def stopped_node_leaves_online():
            fleet.signal(removed, signal.SIGTERM)
            fleet.wait_exit(removed)
            state, waited = wait_for(f"{removed} not online",
                                     lambda: node_state(removed_id) in ("gone", "offline")
                                     and node_state(removed_id), 15, 0.05)
            return f"{state} {waited:.2f} s after SIGTERM: {hub_node(removed_id)['state_reason']}"
        check("stopped node leaves online", stopped_node_leaves_online)

        def hub_restart_keeps_identity():
            fleet.signal("hub", signal.SIGTERM)
            if fleet.wait_exit("hub") != 0:
                raise CheckFailed("hub exited with an error")
            fleet.start_hub(hub_port, os.path.join(fleet.work_dir, "hub.db"), (
                "--discovery", f"srv:{SERVICE}", "--dns-server", f"127.0.0.1:{dnsmasq.port}",
                "--srv-interval", SRV_INTERVAL, "--advertise", "off"))
            remaining = [name for name in nodes if name != removed]
            _, waited = wait_for("remaining nodes online after the hub restart", lambda: all(
                node_state(nodes[name]["id"]) == "online" for name in remaining), 20)
            listed = listed_nodes()
            if any(n["id"].startswith("address:") for n in listed):
                raise CheckFailed(f"provisional entries after restart: {[n['id'] for n in listed]}")
            if len(listed) != 3:
                raise CheckFailed(f"{len(listed)} nodes listed after restart, expected 3")
            return f"online {waited:.2f} s after the restart, no duplicates"
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
