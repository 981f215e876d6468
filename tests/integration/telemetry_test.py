#!/usr/bin/env python3
"""Telemetry through a running node: WineBot's telemetry variables applied to the
recording.api_*.latency metrics that real recording actions write to perf_metrics.jsonl.

For each configuration it starts a winebot-node recording an Xvfb display, runs start, pause,
resume and stop, and reads the session's logs/perf_metrics.jsonl:
- no variables: one record per action, with every field of WineBot's performance record;
- WINEBOT_TELEMETRY_FEATURES=input: the recording metrics are filtered and the file never exists;
- WINEBOT_TELEMETRY_FEATURES=recording,input: they are admitted;
- WINEBOT_TELEMETRY_SAMPLE_RATE=0: nothing is written;
- WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN=1: exactly one record;
- WINEBOT_TELEMETRY=0: nothing is written.

Uses X display :97. Usage: telemetry_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import os
import shutil
import sys
import tempfile
import traceback

from fleet_harness import CheckFailed, Checks
from recorder_harness import RecordingNode, Xvfb, expect, read_jsonl

DISPLAY = 97
ACTIONS = ("start", "pause", "resume", "stop")
RECORD_FIELDS = ("schema_version", "timestamp_utc", "timestamp_epoch_ms", "event", "metric",
                 "value_ms", "feature", "capability", "feature_set", "operation", "result",
                 "source", "session_id")


def record_and_read(build_dir, work_dir, display, name, env):
    """Run the four actions on a fresh node; return (perf_metrics path, its records or None)."""
    node = RecordingNode(build_dir, work_dir, name, os.path.join(work_dir, name), display.name,
                         15, env_extra=env)
    try:
        session_dir = None
        for action in ACTIONS:
            code, body = node.post(f"/recording/{action}")
            expect(code == 200, f"{action} returned {code}: {body}")
            session_dir = session_dir or body.get("session_dir")
    finally:
        node.stop()
    path = os.path.join(session_dir, "logs", "perf_metrics.jsonl")
    return path, (read_jsonl(path) if os.path.exists(path) else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)
    work_dir = tempfile.mkdtemp(prefix="winebot-telemetry-it-")
    checks = Checks()
    display, status = None, 1
    try:
        display = Xvfb(DISPLAY, "320x240")

        def recorded(name, env):
            return record_and_read(build_dir, work_dir, display, name, env)

        def default_records():
            _, records = recorded("default", {})
            expect(records is not None, "perf_metrics.jsonl was not written")
            metrics = [record["metric"] for record in records]
            expect(metrics == [f"recording.api_{action}.latency" for action in ACTIONS],
                   f"metrics {metrics}")
            for record in records:
                for field in RECORD_FIELDS:
                    expect(field in record, f"record lacks {field}: {record}")
                expect(record["event"] == "performance_metric", f"event {record['event']}")
                expect(record["feature"] == "recording", f"feature {record['feature']}")
                expect(record["value_ms"] == record["duration_ms"], "value_ms != duration_ms")
                expect(record["result"] == "ok", f"result {record['result']}")
            expect(records[0]["tags"].get("status") == "started", f"tags {records[0]['tags']}")
            expect(records[0]["tags"].get("segment") == 1, f"tags {records[0]['tags']}")
            return ", ".join(f"{r['operation']} {r['value_ms']} ms" for r in records)
        checks.run("each recording action writes its latency record", default_records)

        def feature_filtered():
            path, records = recorded("input-only", {"WINEBOT_TELEMETRY_FEATURES": "input"})
            expect(records is None, f"{path} exists with {records}")
        checks.run("a feature allowlist without recording writes nothing", feature_filtered)

        def feature_admitted():
            _, records = recorded("both", {"WINEBOT_TELEMETRY_FEATURES": "recording,input"})
            expect(records is not None and len(records) == len(ACTIONS), f"records {records}")
            expect(records[0]["capability"] == "api", f"capability {records[0]['capability']}")
            expect(records[0]["metric"] == "recording.api_start.latency", records[0]["metric"])
        checks.run("an allowlist naming recording admits its metrics", feature_admitted)

        def sampled_out():
            path, records = recorded("rate-zero", {"WINEBOT_TELEMETRY_SAMPLE_RATE": "0"})
            expect(records is None, f"{path} exists with {records}")
        checks.run("sample rate 0 writes nothing", sampled_out)

        def rate_capped():
            _, records = recorded("cap-one", {"WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN": "1"})
            expect(records is not None and len(records) == 1, f"records {records}")
            expect(records[0]["metric"] == "recording.api_start.latency", records[0]["metric"])
        checks.run("a cap of one per minute keeps the first record", rate_capped)

        def switched_off():
            path, records = recorded("off", {"WINEBOT_TELEMETRY": "0"})
            expect(records is None, f"{path} exists with {records}")
        checks.run("WINEBOT_TELEMETRY=0 writes nothing", switched_off)
    except Exception as error:  # noqa: BLE001 - a failed set-up is one failed check
        print(f"FAIL set-up: {error}", flush=True)
        if not isinstance(error, CheckFailed):
            traceback.print_exc()
        checks.results.append(("set-up", False))
    finally:
        if display is not None:
            display.kill()
        status = checks.summary()
        if status == 0:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            print(f"work folder kept: {work_dir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
