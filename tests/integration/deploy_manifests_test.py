#!/usr/bin/env python3
"""Renders compose/docker-compose.yml with docker-compose and compose/kubernetes with
`kubectl kustomize`, both offline, and checks the fields that deployments depend on.

No Docker engine or cluster is needed or used: images are neither built nor run here.

Usage: deploy_manifests_test.py --source-dir SOURCE
"""

import argparse
import json
import os
import re
import subprocess
import sys
import traceback

NODE_API_PORT = 8000
HUB_PORT = 8080
PROFILES = ("headless", "interactive")

results = []


class CheckFailed(AssertionError):
    pass


def check(name, function):
    """Run one named check and record its outcome; later checks still run after a failure."""
    try:
        detail = function()
        results.append((name, True))
        print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)
    except Exception as error:  # noqa: BLE001 - report every failure and go on
        results.append((name, False))
        print(f"FAIL {name}: {error}", flush=True)
        if not isinstance(error, CheckFailed):
            traceback.print_exc()


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def load_yaml_documents(text):
    """Parse YAML text into a list of documents, with PyYAML here or in Debian's python3."""
    try:
        import yaml  # noqa: PLC0415 - optional in this interpreter
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except ImportError:
        converted = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import json, sys, yaml; "
             "json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)"],
            input=text, capture_output=True, text=True, timeout=60, check=True)
        return json.loads(converted.stdout)


def run(arguments, cwd):
    completed = subprocess.run(arguments, cwd=cwd, capture_output=True, text=True, timeout=120)
    if completed.returncode != 0:
        raise CheckFailed(f"{' '.join(arguments)} exited with {completed.returncode}: "
                          f"{completed.stderr.strip()[-2000:]}")
    return completed.stdout


# Compose ------------------------------------------------------------------------------------

def published_ports(service):
    """Map of container port to (host IP, host port) for a rendered compose service."""
    ports = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports[int(entry["target"])] = (entry.get("host_ip", ""), int(entry["published"]))
        else:
            match = re.fullmatch(r"(?:(.+):)?(\d+):(\d+)(?:/tcp|/udp)?", str(entry))
            ports[int(match.group(3))] = (match.group(1) or "", int(match.group(2)))
    return ports


def mounts(service):
    """Map of container path to source for a rendered compose service."""
    result = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            result[entry["target"]] = entry.get("source", "")
        else:
            parts = str(entry).split(":")
            result[parts[1]] = parts[0]
    return result


def argument_after(arguments, flag):
    index = arguments.index(flag)
    return arguments[index + 1]


def compose_checks(source_dir):
    compose_file = os.path.join(source_dir, "compose", "docker-compose.yml")
    rendered = {}

    def config_accepted():
        output = run(["docker-compose", "-f", compose_file, "config"], source_dir)
        rendered["config"] = load_yaml_documents(output)[0]
        return f"{len(rendered['config']['services'])} services"
    check("docker-compose config accepts the file", config_accepted)
    if "config" not in rendered:
        return
    services = rendered["config"]["services"]
    named_volumes = set(rendered["config"].get("volumes", {}))

    def nodes_of(profile):
        return {name: service for name, service in services.items()
                if profile in service.get("profiles", [])}

    for profile in PROFILES:
        def nodes_are_separate(profile=profile):
            nodes = nodes_of(profile)
            expect(len(nodes) >= 2, f"profile {profile} has {len(nodes)} nodes")
            host_ports, volumes, displays = [], [], []
            for name, service in nodes.items():
                ports = published_ports(service)
                expect(NODE_API_PORT in ports, f"{name} publishes no port for {NODE_API_PORT}")
                host_ports.extend(port for _, port in ports.values())
                service_mounts = mounts(service)
                expect("/wineprefix" in service_mounts, f"{name} has no /wineprefix volume")
                expect(service_mounts["/wineprefix"] in named_volumes,
                       f"{name}'s Wine prefix is not a named volume")
                volumes.extend(source for source in service_mounts.values()
                               if source in named_volumes)
                displays.append(service["environment"]["DISPLAY"])
                expect(service_mounts.get("/run/dbus/system_bus_socket") ==
                       "/run/dbus/system_bus_socket",
                       f"{name} does not mount the host's D-Bus socket")
                advertised = int(argument_after(service["command"], "--advertise-port"))
                expect(advertised == ports[NODE_API_PORT][1],
                       f"{name} advertises port {advertised} but publishes "
                       f"{ports[NODE_API_PORT][1]}")
            host_ports.extend(port for _, port in published_ports(services["hub"]).values())
            expect(len(host_ports) == len(set(host_ports)), f"host ports repeat: {host_ports}")
            expect(len(volumes) == len(set(volumes)), f"a volume is shared: {volumes}")
            expect(len(displays) == len(set(displays)), f"displays repeat: {displays}")
            return f"{len(nodes)} nodes, host ports {sorted(host_ports)}"
        check(f"compose {profile} nodes have their own ports, volumes and displays",
              nodes_are_separate)

    def interactive_vnc_on_loopback():
        for name, service in nodes_of("interactive").items():
            ports = published_ports(service)
            expect(service["environment"].get("WINEBOT_VNC") == "1", f"{name} has VNC off")
            for container_port in (5900, 6080):
                expect(container_port in ports, f"{name} does not publish {container_port}")
                expect(ports[container_port][0] == "127.0.0.1",
                       f"{name} publishes {container_port} beyond 127.0.0.1")
        for name, service in nodes_of("headless").items():
            expect(service["environment"].get("WINEBOT_VNC", "0") != "1", f"{name} has VNC on")
    check("compose interactive profile publishes VNC on loopback only",
          interactive_vnc_on_loopback)

    def hub_keeps_database_and_lists_nodes():
        hub = services["hub"]
        expect("profiles" not in hub, "the hub belongs to a profile, so it would not always run")
        expect(published_ports(hub).get(HUB_PORT, ("", 0))[1] == HUB_PORT, "hub port missing")
        hub_mounts = mounts(hub)
        expect(hub_mounts.get("/var/lib/winebot-hub") in named_volumes,
               "the hub's database folder is not a named volume")
        nodes_file = hub_mounts["/etc/winebot-hub/nodes.txt"]
        with open(nodes_file, encoding="utf-8") as handle:
            listed = {line.split("#")[0].strip() for line in handle} - {""}
        for profile in PROFILES:
            for name, service in nodes_of(profile).items():
                aliases = service["networks"]["fleet"]["aliases"]
                expect(any(f"{alias}:{NODE_API_PORT}" in listed for alias in aliases),
                       f"hub-nodes.txt does not list {name}")
        expect("static" in argument_after(hub["command"], "--discovery"),
               "the hub does not read its nodes file")
        return f"nodes file lists {sorted(listed)}"
    check("compose hub keeps its database and lists the nodes", hub_keeps_database_and_lists_nodes)

    def images_use_ci_scripts():
        for service in services.values():
            dockerfile = os.path.join(service["build"]["context"], service["build"]["dockerfile"])
            with open(dockerfile, encoding="utf-8") as handle:
                text = handle.read()
            expect("bash scripts/setup.sh" in text, f"{dockerfile} does not run setup.sh")
            expect("scripts/build.sh" in text, f"{dockerfile} does not run build.sh")
    check("compose images build with the CI scripts", images_use_ci_scripts)


# Kubernetes ---------------------------------------------------------------------------------

def by_kind(documents, kind):
    return [doc for doc in documents if doc["kind"] == kind]


def labels_match(selector, labels):
    return all(labels.get(key) == value for key, value in selector.items())


def kubernetes_checks(source_dir):
    rendered = {}

    def kustomize_renders():
        output = run(["kubectl", "kustomize", os.path.join(source_dir, "compose", "kubernetes")],
                     source_dir)
        rendered["documents"] = load_yaml_documents(output)
        return ", ".join(sorted(doc["kind"] for doc in rendered["documents"]))
    check("kubectl kustomize renders the manifests", kustomize_renders)
    if "documents" not in rendered:
        return
    documents = rendered["documents"]
    deployments = by_kind(documents, "Deployment")
    statefulsets = by_kind(documents, "StatefulSet")
    services = by_kind(documents, "Service")
    expect_one = len(deployments) == 1 and len(statefulsets) == 1
    hub = deployments[0] if expect_one else None
    nodes = statefulsets[0] if expect_one else None

    def hub_probes_and_database():
        expect(hub is not None, "expected one Deployment and one StatefulSet")
        container = hub["spec"]["template"]["spec"]["containers"][0]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe_name, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            probe = container[probe_name]["httpGet"]
            expect(probe["path"] == path, f"{probe_name} checks {probe['path']}, not {path}")
            expect(ports.get(probe["port"], probe["port"]) == HUB_PORT,
                   f"{probe_name} checks port {probe['port']}")
        db = argument_after(container["args"], "--db")
        mount = next(m for m in container["volumeMounts"] if db.startswith(m["mountPath"] + "/"))
        volume = next(v for v in hub["spec"]["template"]["spec"]["volumes"]
                      if v["name"] == mount["name"])
        claim = volume["persistentVolumeClaim"]["claimName"]
        expect(any(doc["metadata"]["name"] == claim
                   for doc in by_kind(documents, "PersistentVolumeClaim")),
               f"PersistentVolumeClaim {claim} is not rendered")
        expect(hub["spec"]["strategy"]["type"] == "Recreate",
               "a rolling update would start a second hub on the same database volume")
        return f"database {db} on claim {claim}"
    check("hub Deployment probes /readyz and /healthz and keeps its database",
          hub_probes_and_database)

    def srv_name_matches_service():
        expect(hub is not None and nodes is not None, "expected one Deployment and StatefulSet")
        container = hub["spec"]["template"]["spec"]["containers"][0]
        discovery = argument_after(container["args"], "--discovery")
        match = re.fullmatch(r"srv:_([a-z0-9-]+)\._(tcp|udp)\.([a-z0-9-]+)\.([a-z0-9-]+)"
                             r"\.svc\.cluster\.local", discovery)
        expect(match, f"--discovery {discovery} is not srv:_PORT._tcp.SERVICE.NAMESPACE.svc...")
        port_name, protocol, service_name, namespace = match.groups()
        service = next((s for s in services if s["metadata"]["name"] == service_name), None)
        expect(service is not None, f"Service {service_name} is not rendered")
        expect(service["metadata"]["namespace"] == namespace,
               f"Service {service_name} is in {service['metadata']['namespace']}, "
               f"the SRV name says {namespace}")
        expect(service["spec"].get("clusterIP") == "None", f"{service_name} is not headless")
        port = next((p for p in service["spec"]["ports"] if p.get("name") == port_name), None)
        expect(port is not None, f"{service_name} has no port named {port_name}")
        expect(port.get("protocol", "TCP") == protocol.upper(), "SRV protocol mismatch")
        expect(nodes["spec"]["serviceName"] == service_name,
               f"StatefulSet serviceName is {nodes['spec']['serviceName']}")
        pod_labels = nodes["spec"]["template"]["metadata"]["labels"]
        expect(labels_match(service["spec"]["selector"], pod_labels),
               f"{service_name} does not select the node pods")
        node_container = nodes["spec"]["template"]["spec"]["containers"][0]
        node_ports = {p["name"]: p["containerPort"] for p in node_container["ports"]}
        target = node_ports.get(port["targetPort"], port["targetPort"])
        listen = argument_after(node_container["args"], "--listen")
        expect(int(listen.rsplit(":", 1)[1]) == target == NODE_API_PORT,
               f"node listens on {listen}, Service targets {target}")
        expect(argument_after(node_container["args"], "--advertise") == "off",
               "nodes advertise over mDNS inside the pod network")
        return discovery
    check("hub SRV name matches the headless node Service", srv_name_matches_service)

    def statefulset_volume_per_pod():
        expect(nodes is not None, "expected one StatefulSet")
        templates = {t["metadata"]["name"] for t in nodes["spec"]["volumeClaimTemplates"]}
        container = nodes["spec"]["template"]["spec"]["containers"][0]
        mount_paths = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        expect(mount_paths.get("/wineprefix") in templates,
               "/wineprefix is not a per-pod volume claim template")
        expect(mount_paths.get("/var/lib/winebot-node") in templates,
               "the node's state folder, which keeps its id, is not a per-pod volume")
        return f"claim templates {sorted(templates)}"
    check("node StatefulSet has a Wine prefix volume per pod", statefulset_volume_per_pod)

    def resources_set():
        for workload in (hub, nodes):
            expect(workload is not None, "expected one Deployment and one StatefulSet")
            for container in workload["spec"]["template"]["spec"]["containers"]:
                resources = container.get("resources", {})
                for section in ("requests", "limits"):
                    for resource in ("cpu", "memory"):
                        expect(resource in resources.get(section, {}),
                               f"{workload['metadata']['name']} has no {section}.{resource}")
    check("containers have resource requests and limits", resources_set)

    def network_policy_admits_only_hub():
        policies = by_kind(documents, "NetworkPolicy")
        expect(len(policies) == 1, f"{len(policies)} NetworkPolicies rendered")
        spec = policies[0]["spec"]
        node_labels = nodes["spec"]["template"]["metadata"]["labels"]
        hub_labels = hub["spec"]["template"]["metadata"]["labels"]
        expect(labels_match(spec["podSelector"]["matchLabels"], node_labels),
               "the policy does not select the node pods")
        expect(not labels_match(spec["podSelector"]["matchLabels"], hub_labels),
               "the policy selects the hub too")
        expect("Ingress" in spec["policyTypes"], "the policy does not restrict ingress")
        expect(len(spec["ingress"]) == 1, "more than one ingress rule")
        rule = spec["ingress"][0]
        expect(len(rule["from"]) == 1 and set(rule["from"][0]) == {"podSelector"},
               f"ingress admits more than a pod selector: {rule['from']}")
        selector = rule["from"][0]["podSelector"]["matchLabels"]
        expect(labels_match(selector, hub_labels), "ingress does not admit the hub pods")
        expect(not labels_match(selector, node_labels), "ingress admits node pods")
        expect([p["port"] for p in rule["ports"]] == [NODE_API_PORT], "ingress ports")
    check("NetworkPolicy lets only the hub reach node APIs", network_policy_admits_only_hub)

    def tokens_from_secret():
        secrets = {s["metadata"]["name"]: s for s in by_kind(documents, "Secret")}
        references = []
        for workload in (hub, nodes):
            for container in workload["spec"]["template"]["spec"]["containers"]:
                for variable in container.get("env", []):
                    reference = variable.get("valueFrom", {}).get("secretKeyRef")
                    if reference:
                        references.append((variable["name"], reference))
        names = {name for name, _ in references}
        expect({"API_TOKEN", "WINEBOT_HUB_ADMIN_TOKEN"} <= names,
               f"token variables from secrets: {sorted(names)}")
        for name, reference in references:
            secret = secrets.get(reference["name"])
            expect(secret is not None, f"{name} reads missing Secret {reference['name']}")
            keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
            expect(reference["key"] in keys, f"{name} reads missing key {reference['key']}")
        return ", ".join(sorted(names))
    check("node and admin tokens come from a Secret", tokens_from_secret)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    source_dir = os.path.abspath(arguments.source_dir)

    compose_checks(source_dir)
    kubernetes_checks(source_dir)

    failed = [name for name, ok in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
