#!/usr/bin/env python3
"""Log API test against a running winebot-node serving a session folder the test writes:
WineBot's checklist items for events, the perf summary, version headers and X-API-Key auth, and
the cursor reads the hub uses for exactly-once ingest, including rotation and a node restart.

Usage: log_api_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import re
import shutil
import sys
import traceback
import urllib.error
import urllib.request

from fleet_harness import Checks, CheckFailed, Fleet, free_port, wait_for

checks = Checks()
check = checks.run
results = checks.results


def request(url, headers=None):
    """GET url; return (status, headers, parsed JSON body)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def write_lines(path, lines, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    session = os.path.join(fleet.work_dir, "session-2026-12-04-1796400000-abcdef")
    logs = os.path.join(session, "logs")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    state_dir = os.path.join(fleet.work_dir, "state")

    write_lines(os.path.join(logs, "lifecycle.jsonl"),
                ['{"kind": "k0"}', '{"kind": "k1"}', '{"kind": "k2"}', "{broken",
                 '{"kind": "k3"}', '{"kind": "k4"}'])
    write_lines(os.path.join(logs, "input_events.jsonl"),
                ['{"event": "a0", "origin": "agent"}', '{"event": "u1", "origin": "user"}',
                 '{"event": "a2", "origin": "agent"}', '{"event": "u3", "origin": "user"}',
                 "not json at all", '{"event": "a3", "origin": "agent"}',
                 '{"event": "a4", "origin": "agent"}'])
    write_lines(os.path.join(logs, "perf_metrics.jsonl"),
                ['{"event": "performance_metric", "metric": "recording.api_start.latency", '
                 '"value_ms": 10}',
                 '{"event": "performance_metric", "metric": "recording.api_start.latency", '
                 '"value_ms": 20}'])

    def start_node(token=None):
        if token:
            fleet.env["API_TOKEN"] = token
        else:
            fleet.env.pop("API_TOKEN", None)
        fleet.start_node("log-node", port, state_dir,
                         ["--advertise", "off", "--session-dir", session])
        wait_for("node answering", lambda: request(base + "/version",
                                                   {"X-API-Key": token or ""})[0] == 200, 10)

    try:
        start_node()

        def lifecycle_window_skips_invalid_line():
            status, _, body = request(base + "/lifecycle/events?limit=3")
            expect(status == 200, f"status {status}")
            expect([e["kind"] for e in body["events"]] == ["k3", "k4"], f"events {body}")
        check("lifecycle window skips an invalid line", lifecycle_window_skips_invalid_line)

        def limits_are_enforced():
            for path in ("/lifecycle/events", "/input/events"):
                status, _, body = request(base + path + "?limit=2001")
                expect(status == 400 and "limit must be <=" in body["detail"], f"{path}: {body}")
                status, _, body = request(base + path + "?limit=0")
                expect(status == 400 and body["detail"] == "limit must be >= 1", f"{path}: {body}")
                status, _, body = request(base + path + "?limit=abc")
                expect(status == 422 and isinstance(body["detail"], list), f"{path}: {body}")
        check("limits above and below the range are rejected", limits_are_enforced)

        def origin_filter_after_window():
            status, _, body = request(base + "/input/events?limit=3&origin=agent")
            expect(status == 200, f"status {status}")
            expect([e["event"] for e in body["events"]] == ["a3", "a4"], f"events {body}")
            expect(body["log_path"].endswith("input_events.jsonl"), body["log_path"])
        check("input origin filter applies after the window", origin_filter_after_window)

        def perf_summary():
            status, _, body = request(base + "/recording/perf/summary")
            metric = body["metrics"]["recording.api_start.latency"]
            expect(status == 200, f"status {status}")
            expect(metric["count"] == 2 and metric["p50_ms"] == 10.0 and metric["max_ms"] == 20.0,
                   f"metric {metric}")
            expect(body["session_dir"] == session, f"session_dir {body['session_dir']}")
        check("perf summary over 10 and 20", perf_summary)

        def bad_session_dir_is_400():
            status, _, body = request(base + "/input/events?session_dir=/etc")
            expect(status == 400 and "detail" in body, f"{status} {body}")
            status, _, body = request(base + "/input/events?session_id=../x")
            expect(status == 400 and "detail" in body, f"{status} {body}")
            status, _, body = request(base + "/recording/perf/summary?session_dir=/tmp/nope-404")
            expect(status == 404 and body["detail"] == "Session directory not found", f"{body}")
        check("bad session targets get 400 and 404", bad_session_dir_is_400)

        def version_headers_match_body():
            status, headers, body = request(base + "/version")
            expect(status == 200, f"status {status}")
            expect(re.fullmatch(r"\d+\.\d+\.\d+", body["api_version"]), body["api_version"])
            expect(body["api_version"] == "1.0.0", body["api_version"])
            pairs = {"X-WineBot-API-Version": "api_version",
                     "X-WineBot-Build-Version": "version",
                     "X-WineBot-Artifact-Schema-Version": "artifact_schema_version",
                     "X-WineBot-Event-Schema-Version": "event_schema_version"}
            for header, key in pairs.items():
                expect(headers.get(header) == body[key], f"{header}={headers.get(header)}")
            expect(body["os"] == "Linux", body["os"])
        check("version headers equal the body", version_headers_match_body)

        def request_id_on_every_response():
            for path in ("/version", "/no/such/path", "/lifecycle/events?limit=0"):
                _, headers, _ = request(base + path)
                request_id = headers.get("X-Request-ID", "")
                expect(len(request_id) == 36 and request_id.count("-") == 4,
                       f"{path}: X-Request-ID {request_id!r}")
        check("every response carries an X-Request-ID", request_id_on_every_response)

        def cursor_reads_each_record_once():
            seen = []
            _, _, body = request(base + "/lifecycle/events?after=&limit=2")
            seen += body["events"]
            cursor = body["next"]
            for _ in range(10):
                _, _, body = request(base + f"/lifecycle/events?after={cursor}&limit=2")
                seen += body["events"]
                cursor = body["next"]
                if not body["events"]:
                    break
            expect([e["kind"] for e in seen] == ["k0", "k1", "k2", "k3", "k4"], f"read {seen}")

            write_lines(os.path.join(logs, "lifecycle.jsonl"), ['{"kind": "k5"}'], "a")
            fleet.signal("log-node", 15)
            fleet.wait_exit("log-node")
            start_node()
            _, _, body = request(base + f"/lifecycle/events?after={cursor}&limit=10")
            expect([e["kind"] for e in body["events"]] == ["k5"], f"after restart {body}")
            cursor = body["next"]

            os.rename(os.path.join(logs, "lifecycle.jsonl"), os.path.join(logs, "lifecycle.1"))
            write_lines(os.path.join(logs, "lifecycle.jsonl"), ['{"kind": "r0"}'])
            _, _, body = request(base + f"/lifecycle/events?after={cursor}&limit=10")
            expect([e["kind"] for e in body["events"]] == ["r0"], f"after rotation {body}")
            expect(body["restart"] == "file_replaced", f"restart {body}")

            status, _, body = request(base + "/lifecycle/events?after=not-a-cursor")
            expect(status == 400 and "cursor" in body["detail"], f"bad cursor {status} {body}")
        check("cursor reads survive restart and rotation", cursor_reads_each_record_once)

        def state_counts_streams():
            _, _, body = request(base + "/state")
            streams = body["streams"]
            expect(streams["input"]["count"] == 7, f"input {streams['input']}")
            expect(streams["perf"]["count"] == 2, f"perf {streams['perf']}")
            expect(body["session_id"] == os.path.basename(session), body["session_id"])
        check("state reports stream counts", state_counts_streams)

        def cursor_read_without_session():
            empty_port = free_port()
            fleet.env["WINEBOT_SESSION_POINTER_FILE"] = os.path.join(fleet.work_dir, "no-pointer")
            fleet.start_node("empty-node", empty_port, os.path.join(fleet.work_dir, "empty"),
                             ["--advertise", "off"])
            fleet.env.pop("WINEBOT_SESSION_POINTER_FILE")
            empty = f"http://127.0.0.1:{empty_port}"
            wait_for("empty node answering", lambda: request(empty + "/version")[0] == 200, 10)
            status, _, body = request(empty + "/lifecycle/events?after=&limit=5")
            fleet.signal("empty-node", 2)
            fleet.signal("empty-node", 2)
            fleet.wait_exit("empty-node")
            expect(status == 200, f"status {status}")
            expect(body == {"events": [], "positions": [], "next": "", "restart": None},
                   f"body {body}")
        check("cursor read without a session keeps its shape", cursor_read_without_session)

        def api_key_required_when_set():
            fleet.signal("log-node", 15)
            fleet.wait_exit("log-node")
            start_node("s3cret-token")
            status, headers, body = request(base + "/health")
            expect(status == 401 and body["detail"] == "Invalid or missing API Token", f"{body}")
            expect("X-Request-ID" in headers, "401 lacks X-Request-ID")
            status, _, _ = request(base + "/health", {"X-API-Key": "wrong"})
            expect(status == 401, f"wrong key gave {status}")
            status, _, _ = request(base + "/health", {"X-API-Key": "s3cret-token"})
            expect(status == 200, f"right key gave {status}")
            status, _, body = request(base + "/no/such/path")
            expect(status == 404 and body["detail"] == "Not Found", f"unknown path {status}")
        check("X-API-Key is required when API_TOKEN is set", api_key_required_when_set)
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
