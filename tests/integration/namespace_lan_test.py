#!/usr/bin/env python3
"""Hub discovery over a real LAN made of network namespaces.

Four hosts, one hub host and three node hosts, hang off a Linux bridge in a "switch" namespace
through veth pairs. Each host runs its own D-Bus system bus and avahi-daemon, so nodes publish
_winebot._tcp over the LAN and the hub browses it over IPv4 and IPv6 link-local. The test
process itself joins the switch as a fifth host without an avahi-daemon, to call the hub's API.

The script re-executes itself under `unshare -n -m -p`, so nothing it creates is visible outside
that private network, mount and PID namespace, and the machine's own interfaces carry no packet.
Needs root, `unshare`, `ip` with veth and bridge links, dbus-daemon, avahi-daemon and
avahi-utils; exits 77 (skipped) without root or unshare.

Usage: namespace_lan_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from fleet_harness import Checks, CheckFailed, http_get, wait_for

SKIP_EXIT_CODE = 77
SUBNET_PREFIX = "10.77.0."
TESTER_ADDRESS = SUBNET_PREFIX + "2"
HUB_ADDRESS = SUBNET_PREFIX + "10"
HUB_PORT = 18080  # Not the default 8080, so the advertised port shows it comes from --listen.
NODE_PORT = 8000
LAN_INTERFACE = "lan0"  # Each host's end of its veth pair.
SWITCH = "wbl-switch"
HUB_HOST = "wbl-hub"
NODE_HOSTS = ["wbl-node1", "wbl-node2", "wbl-node3"]
# The hub's design targets for discovery delays, printed beside the measured ones.
TARGET_ONLINE_S = 1.5
TARGET_GONE_S = 1.0
TARGET_OFFLINE_S = 3.0
# Generous bound for the asserts, because the machine is shared and its timing noisy.
STATE_TIMEOUT_S = 15.0

# Runs a command with the host's own tmpfs bound on /run, where its D-Bus socket and
# avahi-daemon's pid file live. `exec` keeps the pid, so Popen's pid is the daemon's own.
HOST_WRAPPER = 'mount --bind "$1" /run && shift && exec "$@"'
PR_SET_PDEATHSIG = 1  # From <linux/prctl.h>.


def die_with_parent():
    """Make the kernel SIGKILL this child when the process that started it ends, so no daemon
    outlives a test that was killed before its teardown ran. Runs in the child before exec, and
    a child that changes its user (dbus-daemon --system) loses it."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run(arguments, **options):
    """Run a short command, raising with its output when it fails."""
    result = subprocess.run(arguments, capture_output=True, text=True, timeout=30, **options)
    if result.returncode != 0:
        raise CheckFailed(f"{' '.join(arguments)} exited with {result.returncode}: "
                          f"{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


class Lan:
    """Owns the namespaces, the per-host tmpfs folders and every process started in a host."""

    def __init__(self, build_dir, source_dir):
        self.build_dir = build_dir
        self.source_dir = source_dir
        self.work_dir = tempfile.mkdtemp(prefix="winebot-lan-")
        self.namespaces = []
        self.processes = {}  # Name to Popen, in start order.
        self.mounts = []
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("DISPLAY", "DBUS_SYSTEM_BUS_ADDRESS")}

    # Network ---------------------------------------------------------------------------------

    def add_namespace(self, name):
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def build(self):
        run(["mount", "-t", "tmpfs", "wbl-run", "/run"])
        self.add_namespace(SWITCH)
        # Multicast snooping off: the bridge floods mDNS to every port like a plain switch.
        run(["ip", "-n", SWITCH, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"])
        run(["ip", "-n", SWITCH, "link", "set", "br0", "up"])

        hosts = [(HUB_HOST, HUB_ADDRESS)] + [
            (host, SUBNET_PREFIX + str(11 + index)) for index, host in enumerate(NODE_HOSTS)]
        for host, address in hosts:
            self.add_namespace(host)
            for setting in ("all.disable_ipv6=0", "default.disable_ipv6=0",
                            "default.accept_dad=0"):
                # Without duplicate address detection the link-local address is usable at once.
                run(["ip", "netns", "exec", host, "sysctl", "-qw", f"net.ipv6.conf.{setting}"])
            run(["ip", "link", "add", LAN_INTERFACE, "netns", host, "type", "veth", "peer",
                 "name", self.switch_port(host), "netns", SWITCH])
            run(["ip", "-n", SWITCH, "link", "set", self.switch_port(host), "master", "br0", "up"])
            run(["ip", "-n", host, "addr", "add", f"{address}/24", "dev", LAN_INTERFACE])
            run(["ip", "-n", host, "link", "set", LAN_INTERFACE, "up"])

        # The test's own end: it reaches the hub's API over the bridge like any other host.
        run(["ip", "link", "add", "wbl-tester", "type", "veth", "peer", "name", "p-tester",
             "netns", SWITCH])
        run(["ip", "-n", SWITCH, "link", "set", "p-tester", "master", "br0", "up"])
        run(["ip", "addr", "add", f"{TESTER_ADDRESS}/24", "dev", "wbl-tester"])
        run(["ip", "link", "set", "wbl-tester", "up"])
        run(["ip", "link", "set", "lo", "up"])

    @staticmethod
    def switch_port(host):
        return "p-" + host.removeprefix("wbl-")

    def set_switch_port(self, host, state):
        run(["ip", "-n", SWITCH, "link", "set", self.switch_port(host), state])

    # Processes -------------------------------------------------------------------------------

    def run_dir(self, host):
        return os.path.join(self.work_dir, host, "run")

    def start(self, name, host, arguments):
        """Start `arguments` in `host` with the host's /run, writing its output to NAME.log."""
        log = open(os.path.join(self.work_dir, f"{name}.log"), "ab")
        command = ["ip", "netns", "exec", host, "unshare", "-m", "--propagation", "private",
                   "sh", "-c", HOST_WRAPPER, "sh", self.run_dir(host), *arguments]
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        log.close()
        self.processes[name] = process
        return process

    def run_in(self, host, arguments, timeout=30):
        """Run a short command in `host` and return its standard output."""
        command = ["ip", "netns", "exec", host, "unshare", "-m", "--propagation", "private",
                   "sh", "-c", HOST_WRAPPER, "sh", self.run_dir(host), *arguments]
        return subprocess.run(command, env=self.env, capture_output=True, text=True,
                              timeout=timeout).stdout

    def stop(self, name, signal_number=signal.SIGTERM, timeout=10):
        """Signal the process by its pid and wait for it, with SIGKILL after `timeout` seconds."""
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal_number)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        return process.returncode

    def log(self, name):
        with open(os.path.join(self.work_dir, f"{name}.log"), encoding="utf-8",
                  errors="replace") as handle:
            return handle.read()

    def start_daemons(self, host):
        run_dir = self.run_dir(host)
        os.makedirs(run_dir)
        run(["mount", "-t", "tmpfs", f"wbl-run-{host}", run_dir])
        self.mounts.append(run_dir)
        os.makedirs(os.path.join(run_dir, "dbus"))
        self.start(f"dbus-{host}", host, ["dbus-daemon", "--system", "--nofork", "--nopidfile"])
        socket_path = os.path.join(run_dir, "dbus", "system_bus_socket")
        wait_for(f"the D-Bus socket of {host}", lambda: os.path.exists(socket_path), 10)

        # Every namespace shares the machine's host name. Each avahi-daemon gets its own, or they
        # would spend seconds resolving the name conflict.
        config_path = os.path.join(self.work_dir, host, "avahi.conf")
        with open(config_path, "w", encoding="ascii") as config:
            config.write(f"[server]\nhost-name={host}\nallow-interfaces={LAN_INTERFACE}\n"
                         "use-ipv4=yes\nuse-ipv6=yes\nenable-dbus=yes\n"
                         "[wide-area]\nenable-wide-area=no\n"
                         "[publish]\npublish-hinfo=no\npublish-workstation=no\n"
                         "[reflector]\nenable-reflector=no\n[rlimits]\n")
        self.start_avahi(host)

    def start_avahi(self, host):
        config_path = os.path.join(self.work_dir, host, "avahi.conf")
        self.start(f"avahi-{host}", host,
                   ["avahi-daemon", "-f", config_path, "--no-drop-root", "--no-chroot"])
        self.wait_avahi_running(host)

    def wait_avahi_running(self, host):
        """Wait until the host's avahi-daemon reports AVAHI_SERVER_RUNNING (2) over D-Bus."""
        bus = "unix:path=" + os.path.join(self.run_dir(host), "dbus", "system_bus_socket")

        def running():
            result = subprocess.run(
                ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.Avahi", "/",
                 "org.freedesktop.Avahi.Server.GetState"],
                env={**self.env, "DBUS_SYSTEM_BUS_ADDRESS": bus}, capture_output=True,
                text=True, timeout=5)
            return "int32 2" in result.stdout
        wait_for(f"avahi-daemon of {host} running", running, 15, 0.1)

    def avahi_browse(self, host, service_type):
        """Resolved entries of service_type seen from `host`, one list of fields per line."""
        output = self.run_in(host, ["avahi-browse", "-r", "-t", "-p", service_type])
        return [line.split(";") for line in output.splitlines() if line.startswith("=")]

    def teardown(self):
        for name in reversed(list(self.processes)):
            try:
                self.stop(name, timeout=5)
            except (OSError, subprocess.SubprocessError) as error:
                print(f"stopping {name} failed: {error}")
        for run_dir in self.mounts:
            subprocess.run(["umount", run_dir], check=False)
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], check=False)


def read_node_id(state_dir):
    with open(os.path.join(state_dir, "node_id"), encoding="ascii") as handle:
        return handle.read().strip()


def timing(label, seconds, target):
    return f"{label} {seconds:.2f} s (design target <= {target} s)"


def run_checks(lan, checks):
    check = checks.run
    hub_url = f"http://{HUB_ADDRESS}:{HUB_PORT}"
    hub_binary = os.path.join(lan.build_dir, "hub", "winebot-hub")
    node_binary = os.path.join(lan.build_dir, "node", "winebot-node")
    nodes = {}
    for index, host in enumerate(NODE_HOSTS):
        nodes[host] = {"name": f"lan-node-{index + 1}", "address": SUBNET_PREFIX + str(11 + index),
                       "state_dir": os.path.join(lan.work_dir, host, "state")}
    timings = []

    lan.build()
    for host in [HUB_HOST, *NODE_HOSTS]:
        lan.start_daemons(host)
    lan.start("hub", HUB_HOST, [hub_binary, "--listen", f"0.0.0.0:{HUB_PORT}", "--db",
                                os.path.join(lan.work_dir, "hub.db"), "--web-root",
                                os.path.join(lan.source_dir, "web"), "--log-level", "debug"])
    wait_for("the hub's /healthz", lambda: http_get(f"{hub_url}/healthz")[0] == 200, 15)

    def hub_node(node_id):
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}")
        return body if status == 200 else None

    def node_state(node_id):
        node = hub_node(node_id)
        return node["state"] if node else None

    def listed_ids():
        _, body = http_get(f"{hub_url}/api/nodes")
        return [node["id"] for node in body["nodes"]]

    def require_one_entry_each():
        listed = listed_ids()
        for host, node in nodes.items():
            if listed.count(node["id"]) != 1:
                raise CheckFailed(f"{host}'s node is listed {listed.count(node['id'])} times in "
                                  f"/api/nodes: {listed}")
        if len(listed) != len(nodes):
            raise CheckFailed(f"/api/nodes lists {len(listed)} entries for {len(nodes)} nodes")

    def avahi_sightings(node_id):
        node = hub_node(node_id)
        return [a for a in node["addresses"] if a["source"] == "avahi"] if node else []

    def sighted_over_both(node_id):
        protocols = {sighting["protocol"] for sighting in avahi_sightings(node_id)}
        return protocols == {"ipv4", "ipv6"}

    def start_nodes():
        started = {}
        for host, node in nodes.items():
            started[host] = time.monotonic()
            # An empty --display keeps the node's idle pauser off every X server.
            lan.start(host, host, [node_binary, "--listen", f"[::]:{NODE_PORT}", "--state-dir",
                                   node["state_dir"], "--name", node["name"], "--display", "",
                                   "--session-root", os.path.join(lan.work_dir, host, "sessions")])
        wait_for("node id files", lambda: all(
            os.path.exists(os.path.join(n["state_dir"], "node_id")) for n in nodes.values()), 10)
        delays = {}
        deadline = time.monotonic() + STATE_TIMEOUT_S
        while len(delays) < len(nodes) and time.monotonic() < deadline:
            for host, node in nodes.items():
                node.setdefault("id", read_node_id(node["state_dir"]))
                if host not in delays and node_state(node["id"]) == "online":
                    delays[host] = time.monotonic() - started[host]
            time.sleep(0.02)
        missing = [host for host in nodes if host not in delays]
        if missing:
            raise CheckFailed(f"not online within {STATE_TIMEOUT_S} s: {missing}")
        require_one_entry_each()
        slowest = max(delays.values())
        timings.append(timing("online after node start (slowest of 3)", slowest, TARGET_ONLINE_S))
        return ", ".join(f"{host} {delay:.2f} s" for host, delay in delays.items()) + \
            f"; target <= {TARGET_ONLINE_S} s"
    check("hub lists each LAN node once, online", start_nodes)

    def both_protocols_with_scope():
        for host, node in nodes.items():
            wait_for(f"{host} sighted over IPv4 and IPv6", lambda: sighted_over_both(node["id"]),
                     STATE_TIMEOUT_S, 0.2)
            for sighting in avahi_sightings(node["id"]):
                address = sighting["address"]
                if sighting["interface"] != LAN_INTERFACE:
                    raise CheckFailed(f"{host} sighted on {sighting['interface']!r}")
                if sighting["protocol"] == "ipv4" and address != node["address"]:
                    raise CheckFailed(f"{host}'s IPv4 sighting is {address}")
                if address.lower().startswith("fe80:") and \
                        not address.endswith("%" + LAN_INTERFACE):
                    raise CheckFailed(f"{host}'s link-local sighting {address} lacks its scope")
            if not any(s["address"].lower().startswith("fe80:") for s in
                       avahi_sightings(node["id"])):
                raise CheckFailed(f"{host} has no IPv6 link-local sighting")
        require_one_entry_each()
        return None
    check("each node sighted over IPv4 and IPv6 with scope", both_protocols_with_scope)

    def link_local_reaches_node():
        host = NODE_HOSTS[0]
        node_id = nodes[host]["id"]
        addresses = [s["address"] for s in avahi_sightings(node_id) if s["protocol"] == "ipv6"]
        if not addresses:
            raise CheckFailed(f"{host} has no IPv6 sighting in the hub")
        address = addresses[0]
        # From the hub host, the address as the hub reports it must reach the node's API.
        script = ("import json, sys, urllib.request; "
                  "print(json.load(urllib.request.urlopen(sys.argv[1], timeout=5))['node_id'])")
        url = f"http://[{address.replace('%', '%25')}]:{NODE_PORT}/state"
        output = lan.run_in(HUB_HOST, [sys.executable, "-c", script, url]).strip()
        if output != node_id:
            raise CheckFailed(f"GET {url} from the hub host returned node_id {output!r}")
        return url
    check("hub's link-local address reaches the node", link_local_reaches_node)

    def hub_advertisement_seen_from(host):
        entries = lan.avahi_browse(host, "_winebot-hub._tcp")
        ports = {entry[8] for entry in entries if len(entry) > 8}
        addresses = {entry[7] for entry in entries if len(entry) > 7}
        if ports != {str(HUB_PORT)}:
            raise CheckFailed(f"_winebot-hub._tcp ports seen from {host}: {ports or 'none'}")
        if HUB_ADDRESS not in addresses:
            raise CheckFailed(f"_winebot-hub._tcp addresses seen from {host}: {addresses}")
        return f"port {HUB_PORT} at {', '.join(sorted(addresses))}"

    check("hub advertises _winebot-hub._tcp with its API port",
          lambda: hub_advertisement_seen_from(NODE_HOSTS[1]))

    def avahi_restart_keeps_one_entry():
        lan.stop(f"avahi-{HUB_HOST}")
        # Every sighting disappears with the daemon, but the nodes still respond to probes.
        wait_for("the hub to drop the sightings", lambda: all(
            not avahi_sightings(node["id"]) for node in nodes.values()), STATE_TIMEOUT_S, 0.1)
        restarted = time.monotonic()
        lan.start_avahi(HUB_HOST)
        for host, node in nodes.items():
            wait_for(f"{host} sighted again over both protocols",
                     lambda: sighted_over_both(node["id"]), STATE_TIMEOUT_S, 0.1)
        back = time.monotonic() - restarted
        for host, node in nodes.items():
            wait_for(f"{host} online", lambda: node_state(node["id"]) == "online",
                     STATE_TIMEOUT_S)
            keys = [s["key"] for s in avahi_sightings(node["id"])]
            if len(keys) != len(set(keys)):
                raise CheckFailed(f"{host} has repeated sightings: {keys}")
        require_one_entry_each()
        timings.append(f"sightings back after the hub's avahi-daemon restart {back:.2f} s")
        return timings[-1]
    check("hub avahi-daemon restart keeps one entry per node", avahi_restart_keeps_one_entry)

    check("hub advertises itself again after the restart",
          lambda: wait_for("the hub's advertisement",
                           lambda: hub_advertisement_seen_from(NODE_HOSTS[2]), STATE_TIMEOUT_S,
                           0.5)[0])

    def node_avahi_restart_republishes():
        host = NODE_HOSTS[0]
        node_id = nodes[host]["id"]
        lan.stop(f"avahi-{host}")
        # The stopping daemon sends goodbyes for the node's records, and the hub drops them.
        wait_for(f"the hub to drop {host}'s sightings", lambda: not avahi_sightings(node_id),
                 STATE_TIMEOUT_S, 0.1)
        restarted = time.monotonic()
        lan.start_avahi(host)
        wait_for(f"{host} sighted again over both protocols", lambda: sighted_over_both(node_id),
                 STATE_TIMEOUT_S, 0.1)
        back = time.monotonic() - restarted
        wait_for(f"{host} online", lambda: node_state(node_id) == "online", STATE_TIMEOUT_S)
        require_one_entry_each()
        timings.append(f"node republished after its avahi-daemon restart {back:.2f} s")
        return timings[-1]
    check("node avahi-daemon restart republishes the node", node_avahi_restart_republishes)

    def sigterm_turns_gone():
        host = NODE_HOSTS[2]
        node_id = nodes[host]["id"]
        lan.processes[host].send_signal(signal.SIGTERM)
        _, waited = wait_for(f"{host} gone", lambda: node_state(node_id) == "gone",
                             STATE_TIMEOUT_S, 0.02)
        code = lan.processes[host].wait(timeout=10)
        if code != 0:
            raise CheckFailed(f"{host}'s node exited with {code}")
        timings.append(timing("gone after SIGTERM", waited, TARGET_GONE_S))
        return timings[-1]
    check("SIGTERM turns a LAN node gone", sigterm_turns_gone)

    def sigkill_turns_offline():
        host = NODE_HOSTS[1]
        node_id = nodes[host]["id"]
        lan.processes[host].send_signal(signal.SIGKILL)
        _, waited = wait_for(f"{host} offline", lambda: node_state(node_id) == "offline",
                             STATE_TIMEOUT_S, 0.02)
        timings.append(timing("offline after SIGKILL", waited, TARGET_OFFLINE_S))
        return f"{timings[-1]}: {hub_node(node_id)['state_reason']}"
    check("SIGKILL turns a LAN node offline", sigkill_turns_offline)

    def link_cut_turns_offline():
        host = NODE_HOSTS[0]
        node_id = nodes[host]["id"]
        # The switch's end goes down, like a pulled cable: the node host sends nothing more,
        # not even goodbyes, and the hub must notice from its probes alone.
        lan.set_switch_port(host, "down")
        _, waited = wait_for(f"{host} offline", lambda: node_state(node_id) == "offline",
                             STATE_TIMEOUT_S, 0.02)
        if lan.processes[host].poll() is not None:
            raise CheckFailed(f"{host}'s node exited during the link cut")
        require_one_entry_each()
        timings.append(timing("offline after link cut", waited, TARGET_OFFLINE_S))
        return f"{timings[-1]}: {hub_node(node_id)['state_reason']}"
    check("cut link turns a LAN node offline", link_cut_turns_offline)

    def restored_link_turns_online():
        host = NODE_HOSTS[0]
        node_id = nodes[host]["id"]
        lan.set_switch_port(host, "up")
        # Offline nodes are probed with a back-off of up to 5 s, so this may take that long.
        _, waited = wait_for(f"{host} online", lambda: node_state(node_id) == "online",
                             STATE_TIMEOUT_S, 0.05)
        require_one_entry_each()
        timings.append(f"online after the link came back {waited:.2f} s")
        return timings[-1]
    check("restored link turns a LAN node online", restored_link_turns_online)

    print("timings:")
    for line in timings:
        print(f"  {line}")


def run_inside(arguments):
    lan = Lan(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    checks = Checks()
    try:
        run_checks(lan, checks)
    except Exception as error:  # noqa: BLE001 - set-up failure
        checks.results.append(("set-up", False))
        print(f"FAIL set-up: {error}", flush=True)
        traceback.print_exc()
    finally:
        lan.teardown()
        if any(not ok for _, ok in checks.results):
            for name in lan.processes:
                print(f"--- log of {name} ---\n{lan.log(name)[-3000:]}")
        elif arguments.keep_work_dir:
            print(f"work folder kept: {lan.work_dir}")
        else:
            shutil.rmtree(lan.work_dir, ignore_errors=True)
    return checks.summary()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--keep-work-dir", action="store_true",
                        help="keep the logs and databases even when every check passed")
    parser.add_argument("--inside", action="store_true",
                        help="already inside the private namespaces (set by the script itself)")
    arguments = parser.parse_args()
    if arguments.inside:
        return run_inside(arguments)

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("skipped: needs root and unshare to build network namespaces")
        return SKIP_EXIT_CODE
    # The test runs as PID 1 of its own PID namespace: when it ends, the kernel kills every
    # process left in it, dbus-daemon included, which drops to the messagebus user and so loses
    # its parent-death signal. --kill-child ends the test when unshare itself is killed.
    command = ["unshare", "-n", "-m", "--propagation", "private", "--pid", "--fork",
               "--kill-child", "--mount-proc", sys.executable,
               os.path.abspath(__file__), "--inside", "--build-dir", arguments.build_dir,
               "--source-dir", arguments.source_dir]
    if arguments.keep_work_dir:
        command.append("--keep-work-dir")
    return subprocess.run(command, check=False, preexec_fn=die_with_parent).returncode


if __name__ == "__main__":
    sys.exit(main())
