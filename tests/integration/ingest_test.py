#!/usr/bin/env python3
"""Exactly-once ingest test: a hub ingests a node's lifecycle log into SQLite, is killed with
SIGKILL while ingesting, restarts, and must end with every record exactly once, including the
records appended after the restart.

Usage: ingest_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import sys
import traceback

from fleet_harness import CheckFailed, Fleet, free_port, http_get, wait_for

RECORDS_BEFORE = 20000
RECORDS_AFTER = 1500


def append_records(path, first, count):
    with open(path, "a", encoding="utf-8") as handle:
        for index in range(first, first + count):
            handle.write(json.dumps({"kind": f"k{index}", "timestamp_epoch_ms": 1796400000000 +
                                     index, "message": "x" * 40}) + "\n")


def stored_kinds(db_path, node_id):
    """Kinds and positions of the node's stored lifecycle records; empty before the hub has
    created its tables."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as database:
            rows = database.execute(
                "SELECT body, position FROM events WHERE node_id = ? AND stream = 'lifecycle'",
                (node_id,)).fetchall()
    except sqlite3.OperationalError:
        return [], []
    return [json.loads(body)["kind"] for body, _ in rows], [position for _, position in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    session = os.path.join(fleet.work_dir, "session-2026-12-04-1796400000-abcdef")
    log = os.path.join(session, "logs", "lifecycle.jsonl")
    os.makedirs(os.path.dirname(log))
    append_records(log, 0, RECORDS_BEFORE)
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    db_path = os.path.join(fleet.work_dir, "hub.db")
    hub_flags = ["--poll-interval", "0.2", "--events-interval", "0.1", "--advertise", "off"]
    passed = False
    try:
        fleet.start_sandbox()
        fleet.start_node("ingest-node", free_port(), os.path.join(fleet.work_dir, "node"),
                         ["--session-dir", session])
        wait_for("node id", lambda: os.path.exists(os.path.join(fleet.work_dir, "node",
                                                                "node_id")), 10)
        with open(os.path.join(fleet.work_dir, "node", "node_id"), encoding="ascii") as handle:
            node_id = handle.read().strip()

        fleet.start_hub(hub_port, db_path, hub_flags)
        wait_for("ingest to start", lambda: os.path.exists(db_path) and
                 len(stored_kinds(db_path, node_id)[0]) > 0, 30, 0.02)
        fleet.signal("hub", signal.SIGKILL)
        fleet.wait_exit("hub")
        killed_at = len(stored_kinds(db_path, node_id)[0])
        print(f"hub killed with {killed_at} of {RECORDS_BEFORE} records stored", flush=True)

        fleet.start_hub(hub_port, db_path, hub_flags)
        append_records(log, RECORDS_BEFORE, RECORDS_AFTER)
        total = RECORDS_BEFORE + RECORDS_AFTER
        _, waited = wait_for("every record stored",
                             lambda: len(stored_kinds(db_path, node_id)[0]) >= total, 60, 0.2)
        kinds, positions = stored_kinds(db_path, node_id)
        expected = {f"k{index}" for index in range(total)}
        if len(kinds) != total:
            raise CheckFailed(f"{len(kinds)} records stored, expected {total}")
        if set(kinds) != expected:
            missing = sorted(expected - set(kinds))[:5]
            raise CheckFailed(f"records missing, e.g. {missing}")
        if len(set(positions)) != len(positions):
            raise CheckFailed("a position was stored twice")
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}/events?stream=lifecycle&limit=3")
        if status != 200 or [e["event"]["kind"] for e in body["events"]] != [
                f"k{total - 1}", f"k{total - 2}", f"k{total - 3}"]:
            raise CheckFailed(f"events API returned {status} {body}")
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}/events?limit=0")
        if status != 400 or "detail" not in body:
            raise CheckFailed(f"limit=0 returned {status} {body}")
        # Paging forward from the start returns every record once, in order.
        forward, after = [], 0
        while True:
            status, body = http_get(f"{hub_url}/api/nodes/{node_id}/events?stream=lifecycle"
                                    f"&limit=250&after={after}")
            if status != 200 or body["order"] != "oldest_first":
                raise CheckFailed(f"after={after} returned {status} {body}")
            if not body["events"]:
                break
            forward += [e["event"]["kind"] for e in body["events"]]
            after = body["next_after"]
        if forward != [f"k{index}" for index in range(total)]:
            raise CheckFailed(f"paging forward gave {len(forward)} records, out of order or "
                              f"incomplete: {forward[:5]}...")
        status, body = http_get(f"{hub_url}/api/nodes/{node_id}/events?after=-2")
        if status != 400 or "after" not in body.get("detail", ""):
            raise CheckFailed(f"after=-2 returned {status} {body}")
        print(f"PASS every record stored once after SIGKILL ({total} records, complete "
              f"{waited:.2f} s after the restart)", flush=True)
        passed = True
    except Exception as error:  # noqa: BLE001 - report and fail
        print(f"FAIL {error}", flush=True)
        if not isinstance(error, CheckFailed):
            traceback.print_exc()
    finally:
        fleet.stop_all()
        fleet.stop_sandbox()
        if passed:
            shutil.rmtree(fleet.work_dir, ignore_errors=True)
        else:
            for name in fleet.processes:
                print(f"--- log of {name} ---\n{fleet.log(name)[-3000:]}")
    print(f"{1 if passed else 0} passed, {0 if passed else 1} failed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
