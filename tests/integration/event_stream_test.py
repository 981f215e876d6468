#!/usr/bin/env python3
"""End-to-end test of the hub's GET /api/stream (Server-Sent Events) with a real node found by the
static discovery source: the node comes online, its events are ingested, it stops, and a client
that reconnects with Last-Event-ID receives only newer events. Everything binds 127.0.0.1.

Usage: event_stream_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
import traceback

from fleet_harness import Checks, CheckFailed, Fleet, free_port, wait_for

checks = Checks()
check = checks.run
results = checks.results


class EventStreamClient:
    """One GET /api/stream connection. A reader thread parses the WHATWG event-stream format
    and records each event as a dict with id, event and data (JSON-decoded when possible)."""

    def __init__(self, port, path="/api/stream", last_event_id=None):
        # The stream is quiet for long stretches, so the reader waits without a socket timeout.
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=None)
        self.connection.connect()
        # The response takes over the socket of a `Connection: close` reply, so keep it for close.
        self.socket = self.connection.sock
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        self.history = []  # Every event received, oldest first; appended by the reader thread.
        self.comments = 0
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        fields = {}
        data_lines = []
        try:
            while True:
                raw = self.response.readline()
                if not raw:
                    break
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if data_lines or fields:
                        self.history.append(self._event(fields, data_lines))
                    fields, data_lines = {}, []
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "data":
                        data_lines.append(value)
                    else:
                        fields[name] = value
        except (OSError, ValueError, http.client.HTTPException):
            pass  # The test closed the connection.
        finally:
            self.ended.set()

    @staticmethod
    def _event(fields, data_lines):
        text = "\n".join(data_lines)
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        return {"id": fields.get("id"), "event": fields.get("event", "message"), "data": data}

    def find(self, description, matches, timeout):
        """Return the first received event that `matches`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for event in list(self.history):
                if matches(event):
                    return event
            if time.monotonic() >= deadline:
                kinds = [event["event"] for event in self.history]
                raise CheckFailed(f"timed out after {timeout} s waiting for {description}; "
                                  f"received {kinds}")
            time.sleep(0.05)

    def first_event(self, timeout):
        """Return the first event received, waiting up to `timeout` seconds."""
        return self.find("a first event", lambda event: True, timeout)

    def close(self):
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()
        self.ended.wait(5)


def append_lifecycle_records(path, kinds):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        for index, kind in enumerate(kinds):
            handle.write(json.dumps({"kind": kind,
                                     "timestamp_epoch_ms": int(time.time() * 1000) + index}) + "\n")


def read_node_id(state_dir):
    with open(os.path.join(state_dir, "node_id"), encoding="ascii") as handle:
        return handle.read().strip()


def state_change(node_id, states):
    return lambda event: (event["event"] == "node.state" and event["data"]["id"] == node_id
                          and event["data"]["to"] in states)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    hub_port = free_port()
    node_port = free_port()
    state_dir = os.path.join(fleet.work_dir, "stream-node")
    address_id = f"address:127.0.0.1:{node_port}"
    session = os.path.join(fleet.work_dir, "session-2026-12-04-1796400000-abcdef")
    lifecycle_log = os.path.join(session, "logs", "lifecycle.jsonl")
    append_lifecycle_records(lifecycle_log, ["stream-k0", "stream-k1"])
    clients = []
    seen = {}  # Ids and events the first client received, for the resume checks.

    def open_client(**options):
        client = EventStreamClient(hub_port, **options)
        clients.append(client)
        return client

    try:
        fleet.start_hub(hub_port, os.path.join(fleet.work_dir, "hub.db"),
                        ("--discovery", "static", "--node", f"127.0.0.1:{node_port}",
                         "--srv-interval", "0.5", "--events-interval", "0.5",
                         "--advertise", "off"))
        wait_for("the hub listening", lambda: _connects(hub_port), 10)
        first = open_client()

        def stream_headers():
            headers = {name.lower(): value for name, value in first.response.getheaders()}
            expected = {"content-type": "text/event-stream", "cache-control": "no-cache",
                        "x-accel-buffering": "no"}
            for name, value in expected.items():
                if headers.get(name) != value:
                    raise CheckFailed(f"header {name} is {headers.get(name)!r}, expected {value!r}")
            if first.response.status != 200:
                raise CheckFailed(f"status {first.response.status}")
            return headers.get("transfer-encoding", "no transfer-encoding")
        check("stream sends event-stream headers at once", stream_headers)

        def node_comes_online():
            fleet.start_node("stream-node", node_port, state_dir,
                             ("--advertise", "off", "--session-dir", session))
            wait_for("node id file", lambda: os.path.exists(os.path.join(state_dir, "node_id")), 10)
            node_id = read_node_id(state_dir)
            seen["node_id"] = node_id
            event = first.find("node.state online", state_change(node_id, {"online"}), 20)
            seen["online_id"] = int(event["id"])
            if event["data"]["node"]["id"] != node_id:
                raise CheckFailed(f"node.state carries node {event['data']['node']['id']}")
            first.find(f"node.removed for {address_id}", lambda e: (
                e["event"] == "node.removed" and e["data"]["id"] == address_id), 5)
            return f"from {event['data']['from']}: {event['data']['reason']}"
        check("node comes online on the stream", node_comes_online)

        def node_events_arrive():
            def carries(kind):
                return lambda e: (e["event"] == "events" and e["data"]["node_id"] == seen["node_id"]
                                  and any(record["event"].get("kind") == kind
                                          for record in e["data"]["newest"]))
            first.find("the records written before the node started", carries("stream-k1"), 20)
            append_lifecycle_records(lifecycle_log, ["stream-k2"])
            event = first.find("a record appended while streaming", carries("stream-k2"), 20)
            if event["data"]["stream"] != "lifecycle" or event["data"]["count"] != 1:
                raise CheckFailed(f"unexpected events data {event['data']}")
            return f"{event['data']['count']} new {event['data']['stream']} record"
        check("ingested node events arrive on the stream", node_events_arrive)

        def node_leaves():
            fleet.signal("stream-node", signal.SIGKILL)
            fleet.wait_exit("stream-node")
            event = first.find("node.state offline or gone", state_change(
                seen["node_id"], {"offline", "gone"}), 20)
            seen["down_id"] = int(event["id"])
            return f"{event['data']['to']}: {event['data']['reason']}"
        check("killed node goes offline on the stream", node_leaves)

        def ids_increase():
            first.close()
            ids = [seen["online_id"], seen["down_id"]]
            if ids != sorted(ids) or ids[0] == ids[1]:
                raise CheckFailed(f"ids {ids} do not increase")
        check("event ids increase", ids_increase)

        def resume_with_header():
            client = open_client(last_event_id=seen["online_id"])
            down = str(seen["down_id"])
            client.find(f"the replayed event {down}", lambda event: event["id"] == down, 5)
            events = list(client.history)
            client.close()
            ids = [int(event["id"]) for event in events if event["id"] is not None]
            if any(event["event"] == "reset" for event in events):
                raise CheckFailed("resumed stream began with reset")
            if not ids or min(ids) <= seen["online_id"]:
                raise CheckFailed(f"replayed ids {ids} not all after {seen['online_id']}")
            if ids != sorted(ids):
                raise CheckFailed(f"replayed ids {ids} out of order")
            if seen["down_id"] not in ids:
                raise CheckFailed(f"the offline event {seen['down_id']} was not replayed")
            return f"{len(ids)} events after {seen['online_id']}"
        check("Last-Event-ID header replays only newer events", resume_with_header)

        def resume_with_query():
            client = open_client(path=f"/api/stream?last_event_id={seen['down_id'] - 1}")
            event = client.first_event(5)
            client.close()
            if event["id"] is None or int(event["id"]) != seen["down_id"]:
                raise CheckFailed(f"first replayed event is {event}, expected id {seen['down_id']}")
        check("last_event_id query resumes like the header", resume_with_query)

        def stale_id_resets():
            client = open_client(last_event_id=1)
            event = client.first_event(5)
            client.close()
            if event["event"] != "reset":
                raise CheckFailed(f"first event is {event['event']}, expected reset")
            return event["data"]["reason"]
        check("stale Last-Event-ID begins with reset", stale_id_resets)

        def hub_stop_ends_stream():
            client = open_client()
            started = time.monotonic()
            fleet.signal("hub", signal.SIGTERM)
            if not client.ended.wait(5):
                raise CheckFailed("the stream stayed open after SIGTERM")
            if fleet.wait_exit("hub") != 0:
                raise CheckFailed("hub exited with an error")
            return f"closed {time.monotonic() - started:.2f} s after SIGTERM"
        check("hub stop closes open streams", hub_stop_ends_stream)
    except Exception as error:  # noqa: BLE001 - set-up failure
        results.append(("set-up", False))
        print(f"FAIL set-up: {error}", flush=True)
        traceback.print_exc()
    finally:
        for client in clients:
            client.close()
        fleet.stop_all()
        status = fleet.finish(checks)
    return status


def _connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
