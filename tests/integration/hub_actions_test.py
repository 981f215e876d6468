#!/usr/bin/env python3
"""End-to-end test of the hub's recording actions: admin auth, forwarding to real nodes with
their API tokens, and fleet actions. Nodes are found through the static list, so no mDNS is
needed. Everything binds 127.0.0.1.

Nodes, all with API_TOKEN set:
  node-a  token A, WINEBOT_RECORD=1 (stop on an idle recorder succeeds)
  node-b  token B, which the hub lacks, so the hub cannot identify it
  node-c  token A, WINEBOT_RECORD=0 (start returns the node's 400)
The hub has token A as its fleet token.

Usage: hub_actions_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import shutil
import sys
import time
import traceback
import urllib.error
import urllib.request

from fleet_harness import Checks, CheckFailed, Fleet, free_port, http_get, wait_for

ADMIN_TOKEN = "admin-token-for-the-actions-test"
TOKEN_A = "node-token-a-0123"
TOKEN_B = "node-token-b-4567"

checks = Checks()
check = checks.run
results = checks.results


def http_post(url, body=None, headers=None, timeout=15.0):
    """POST body (bytes, str or a JSON value) and return (status, parsed JSON or None, headers)."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, str):
        body = body.encode()
    request = urllib.request.Request(url, data=body if body is not None else b"",
                                     headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text), error.headers
        except ValueError:
            return error.code, None, error.headers


def expect(status, body, expected_status, context):
    if status != expected_status:
        raise CheckFailed(f"{context}: HTTP {status}, expected {expected_status}: {body}")
    if status >= 400 and not (isinstance(body, dict) and isinstance(body.get("detail"), str)):
        raise CheckFailed(f"{context}: error body without a JSON detail: {body}")


def read_node_id(state_dir):
    with open(os.path.join(state_dir, "node_id"), encoding="ascii") as handle:
        return handle.read().strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    base_env = dict(fleet.env)
    for variable in ("API_TOKEN", "WINEBOT_RECORD", "WINEBOT_HUB_ADMIN_TOKEN",
                     "WINEBOT_HUB_NODE_TOKEN", "DISPLAY"):
        base_env.pop(variable, None)
    nodes = {
        "node-a": {"API_TOKEN": TOKEN_A, "WINEBOT_RECORD": "1"},
        "node-b": {"API_TOKEN": TOKEN_B, "WINEBOT_RECORD": "0"},
        "node-c": {"API_TOKEN": TOKEN_A, "WINEBOT_RECORD": "0"},
    }
    for name, node in nodes.items():
        node["port"] = free_port()
        node["state_dir"] = os.path.join(fleet.work_dir, name)
    hub_port = free_port()
    hub = f"http://127.0.0.1:{hub_port}"
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def start_with_env(variables, starter):
        fleet.env = {**base_env, **variables}
        try:
            starter()
        finally:
            fleet.env = dict(base_env)

    try:
        for name, node in nodes.items():
            variables = {key: node[key] for key in ("API_TOKEN", "WINEBOT_RECORD")}
            start_with_env(variables, lambda name=name, node=node: fleet.start_node(
                name, node["port"], node["state_dir"], ("--advertise", "off")))
        for name, node in nodes.items():
            wait_for(f"{name} id file",
                     lambda node=node: os.path.exists(os.path.join(node["state_dir"], "node_id")),
                     10)
            node["id"] = read_node_id(node["state_dir"])

        static = []
        for node in nodes.values():
            static += ["--node", f"127.0.0.1:{node['port']}"]
        hub_arguments = ("--discovery", "none", "--advertise", "off", "--srv-interval", "0.5",
                         *static)
        start_with_env({"WINEBOT_HUB_ADMIN_TOKEN": ADMIN_TOKEN, "WINEBOT_HUB_NODE_TOKEN": TOKEN_A},
                       lambda: fleet.start_hub(hub_port, os.path.join(fleet.work_dir, "hub.db"),
                                               hub_arguments))
        id_a, id_c = nodes["node-a"]["id"], nodes["node-c"]["id"]
        address_b = f"address:127.0.0.1:{nodes['node-b']['port']}"

        def node_json(node_id):
            status, body = http_get(f"{hub}/api/nodes/{node_id}")
            return body if status == 200 else None

        def nodes_identified():
            _, waited = wait_for("nodes A and C online under their ids", lambda: all(
                (node_json(node_id) or {}).get("state") == "online" for node_id in (id_a, id_c)),
                20)
            b = node_json(address_b)
            if b is None or "token" not in b["state_reason"]:
                raise CheckFailed(f"node B should stay an address entry over its token: {b}")
            return f"after {waited:.2f} s; B: {b['state_reason']}"
        check("fleet token identifies nodes A and C", nodes_identified)

        def token_field_listed():
            listed = {node["id"]: node for node in http_get(f"{hub}/api/nodes")[1]["nodes"]}
            # Static entries carry no TXT, so the hub cannot compare token_sig: "unknown".
            for node_id in (id_a, id_c, address_b):
                if listed[node_id].get("token") != "unknown":
                    raise CheckFailed(f"{node_id} token is {listed[node_id].get('token')}")
        check("node JSON lists the token status", token_field_listed)

        action_a = f"{hub}/api/nodes/{id_a}/recording/stop"

        def missing_or_wrong_admin_token():
            status, body, headers = http_post(action_a)
            expect(status, body, 401, "without a token")
            if not headers.get("WWW-Authenticate", "").startswith("Bearer"):
                raise CheckFailed(f"401 without WWW-Authenticate: {dict(headers)}")
            status, body, _ = http_post(action_a, headers={"Authorization": "Bearer wrong-token"})
            expect(status, body, 401, "with a wrong token")
            return body["detail"]
        check("action without or with a wrong admin token is 401", missing_or_wrong_admin_token)

        def stop_reaches_node_a():
            status, body, _ = http_post(action_a, headers=bearer)
            expect(status, body, 200, "stop on node A")
            if body["node_id"] != id_a or body["action"] != "stop" or body["status_code"] != 200:
                raise CheckFailed(f"unexpected reply {body}")
            envelope = body["response"]
            if envelope.get("action") != "stop" or "status" not in envelope:
                raise CheckFailed(f"not the node's envelope: {envelope}")
            return f"node status {envelope['status']}"
        check("stop with the admin token returns the node's envelope", stop_reaches_node_a)

        def start_reaches_node_c():
            status, body, _ = http_post(f"{hub}/api/nodes/{id_c}/recording/start",
                                        {"session_label": "hub-actions"}, bearer)
            expect(status, body, 200, "start on node C")
            if body["status_code"] != 400:
                raise CheckFailed(f"expected the node's 400, got {body}")
            if body["response"].get("detail") != "Recording is disabled by configuration.":
                raise CheckFailed(f"unexpected node reply {body['response']}")
        check("start on a node with WINEBOT_RECORD=0 returns its 400", start_reaches_node_c)

        def request_errors():
            cases = [
                (f"{hub}/api/nodes/00000000-0000-4000-8000-000000000000/recording/stop", None,
                 404),
                (f"{hub}/api/nodes/{id_a}/recording/record", None, 400),
                (f"{hub}/api/nodes/{address_b}/recording/stop", None, 409),
                (f"{hub}/api/nodes/{id_a}/recording/start", b"{" + b" " * 20000 + b"}", 413),
                (f"{hub}/api/nodes/{id_a}/recording/start", b"not json", 400),
                (f"{hub}/api/fleet/recording/stop", {}, 400),
                (f"{hub}/api/fleet/recording/stop", {"all": True, "node_ids": [id_a]}, 400),
                (f"{hub}/api/fleet/recording/stop", b"[1, 2]", 400),
            ]
            for url, body, expected in cases:
                status, reply, _ = http_post(url, body, bearer)
                expect(status, reply, expected, f"POST {url} with {str(body)[:40]}")
        check("unknown node, bad action, big body and bad selector", request_errors)

        def fleet_one_ok_one_without_token():
            status, body, _ = http_post(f"{hub}/api/fleet/recording/stop",
                                        {"node_ids": [id_a, address_b]}, bearer)
            expect(status, body, 200, "fleet stop")
            if body["succeeded"] != 1 or body["failed"] != 1:
                raise CheckFailed(f"expected one success and one failure: {body}")
            first, second = body["results"]
            if first["node_id"] != id_a or not first["ok"] or first["status_code"] != 200:
                raise CheckFailed(f"node A result {first}")
            if second["ok"] or "token" not in second["detail"]:
                raise CheckFailed(f"node B result {second}")
            return second["detail"]
        check("fleet stop succeeds on A and fails on B for its token",
              fleet_one_ok_one_without_token)

        def fleet_all():
            status, body, _ = http_post(f"{hub}/api/fleet/recording/stop", {"all": True}, bearer)
            expect(status, body, 200, "fleet stop all")
            by_id = {result["node_id"]: result for result in body["results"]}
            if set(by_id) != {id_a, id_c, address_b}:
                raise CheckFailed(f"selected {sorted(by_id)}")
            if not by_id[id_a]["ok"] or by_id[id_c]["status_code"] != 400:
                raise CheckFailed(f"unexpected results {body['results']}")
            if by_id[id_c]["detail"] != "Recording is disabled by configuration.":
                raise CheckFailed(f"node C detail {by_id[id_c]}")
        check("fleet all reports every listed node", fleet_all)

        def login_cookie():
            status, body, headers = http_post(f"{hub}/api/login", {"token": "wrong"})
            expect(status, body, 401, "login with a wrong token")
            status, body, headers = http_post(f"{hub}/api/login", f"token={ADMIN_TOKEN}",
                                              {"Content-Type":
                                               "application/x-www-form-urlencoded"})
            expect(status, body, 200, "login")
            cookie_header = headers.get("Set-Cookie", "")
            for attribute in ("HttpOnly", "SameSite=Strict"):
                if attribute not in cookie_header:
                    raise CheckFailed(f"cookie without {attribute}: {cookie_header}")
            if ADMIN_TOKEN in cookie_header:
                raise CheckFailed("the cookie holds the admin token")
            cookie = {"Cookie": cookie_header.split(";", 1)[0]}
            status, body, _ = http_post(action_a, headers=cookie)
            expect(status, body, 200, "action with the session cookie")
            status, body, _ = http_post(f"{hub}/api/logout", headers=cookie)
            expect(status, body, 200, "logout")
            status, body, _ = http_post(action_a, headers=cookie)
            expect(status, body, 401, "action after logout")
        check("login cookie authorizes actions until logout", login_cookie)

        def reads_stay_open():
            status, _ = http_get(f"{hub}/api/nodes")
            if status != 200:
                raise CheckFailed(f"GET /api/nodes returned {status}")
        check("reads need no admin token", reads_stay_open)

        def no_admin_token_is_403():
            read_only_port = free_port()
            start_with_env({}, lambda: fleet.start(
                "read-only-hub",
                [os.path.join(fleet.build_dir, "hub", "winebot-hub"), "--listen",
                 f"127.0.0.1:{read_only_port}", "--db",
                 os.path.join(fleet.work_dir, "read-only.db"), "--discovery", "none",
                 "--advertise", "off", "--web-root", os.path.join(fleet.source_dir, "web")]))
            url = f"http://127.0.0.1:{read_only_port}"
            wait_for("the read-only hub", lambda: http_get(f"{url}/healthz")[0] == 200, 10)
            status, body, _ = http_post(f"{url}/api/nodes/{id_a}/recording/stop",
                                        headers=bearer)
            expect(status, body, 403, "action on a hub without an admin token")
            if "WINEBOT_HUB_ADMIN_TOKEN" not in body["detail"]:
                raise CheckFailed(f"detail does not say how to enable actions: {body}")
            status, body, _ = http_post(f"{url}/api/login", {"token": ADMIN_TOKEN})
            expect(status, body, 403, "login on a hub without an admin token")
            return body["detail"]
        check("hub without an admin token rejects actions with 403", no_admin_token_is_403)
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
