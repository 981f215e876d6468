#!/usr/bin/env python3
"""Idle pauser test with real parts: an Xvfb display, winebot-node recording it, xdotool input
through XTEST, and ffprobe on the video.

With a 3 s idle threshold, a 2 s minimum pause and a 1 s cooldown, it checks that:
- a recording with no input is paused automatically;
- xdotool input resumes it once the minimum pause has passed;
- a manual pause is not resumed by input;
- an input_events.jsonl line with origin agent, and POST /activity, count as activity;
- /state reports the idle state and counts, and the metrics reach perf_metrics.jsonl;
- the video lasts the recorded time minus every paused span, and a stop while paused adds
  nothing to the file's length;
- /metrics (checked with promtool when installed) and /openapi.json cover the idle pauser.

Uses X display :97. Usage: idle_pauser_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from fleet_harness import CheckFailed, Checks, wait_for
from recorder_harness import RecordingNode, Xvfb, expect, read_jsonl, video_duration

DISPLAY = 97
FPS = 15
PAUSE_AFTER_S = 3
MIN_PAUSE_S = 2
IDLE_ENV = {"WINEBOT_INACTIVITY_PAUSE_SECONDS": str(PAUSE_AFTER_S),
            "WINEBOT_INACTIVITY_RESUME_ACTIVITY_SECONDS": "3",
            "WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS": str(MIN_PAUSE_S),
            "WINEBOT_INACTIVITY_RESUME_COOLDOWN_SECONDS": "1",
            "WINEBOT_PERF_METRICS_SAMPLE_SECONDS": "5"}


def lifecycle(session_dir, source=None):
    path = os.path.join(session_dir, "logs", "lifecycle.jsonl")
    events = read_jsonl(path) if os.path.exists(path) else []
    return [event for event in events if source is None or event.get("source") == source]


def monitor_kinds(session_dir):
    return [event["kind"] for event in lifecycle(session_dir, "monitor")]


def idle_state(node):
    return node.get("/state")[1]["idle"]


def paused_spans(session_dir):
    """(pause, resume) epoch-ms pairs from the recorder's lifecycle events, which it writes for
    automatic and manual pauses alike."""
    spans, paused_at = [], None
    for event in lifecycle(session_dir, "recorder"):
        if event["kind"] == "recording_paused":
            paused_at = event["timestamp_epoch_ms"]
        elif event["kind"] == "recording_resumed" and paused_at is not None:
            spans.append((paused_at, event["timestamp_epoch_ms"]))
            paused_at = None
    return spans


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)
    work_dir = tempfile.mkdtemp(prefix="winebot-idle-it-")
    checks = Checks()
    display, node, status = None, None, 1
    try:
        display = Xvfb(DISPLAY, "640x480")
        node = RecordingNode(build_dir, work_dir, "node", os.path.join(work_dir, "sessions"),
                             display.name, FPS, env_extra=IDLE_ENV)
        run_checks(checks, node, display)
    except Exception as error:  # noqa: BLE001 - a failed set-up is one failed check
        print(f"FAIL set-up: {error}", flush=True)
        if not isinstance(error, CheckFailed):
            traceback.print_exc()
        checks.results.append(("set-up", False))
    finally:
        if node is not None:
            node.stop()
        if display is not None:
            display.kill()
        status = checks.summary()
        if status == 0:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            print(f"work folder kept: {work_dir}")
    return status


def run_checks(checks, node, display):
    state = {}

    def no_input_pauses():
        code, body = node.post("/recording/start")
        expect(code == 200 and body["status"] == "started", f"start returned {code}: {body}")
        started = time.monotonic()
        state.update(session_dir=body["session_dir"], start_reply=time.time())
        waited = node.wait_state("paused", timeout=PAUSE_AFTER_S + 5)
        elapsed = time.monotonic() - started
        expect(elapsed >= PAUSE_AFTER_S - 0.1, f"paused after {elapsed:.2f} s, before the "
                                               f"{PAUSE_AFTER_S} s threshold")
        kinds = monitor_kinds(state["session_dir"])
        expect(kinds == ["auto_pause"], f"monitor events {kinds}")
        event = lifecycle(state["session_dir"], "monitor")[0]
        expect(event["message"].startswith("Inactivity pause after 3s"), event["message"])
        expect(not node.get("/health/recording")[1].get("manual_pause_lock", False),
               "an automatic pause set the manual lock")
        return f"paused {elapsed:.2f} s after start, {event['extra']['delay_ms']} ms past the " \
               f"threshold by the node's clock (poll {waited:.2f} s)"
    checks.run("a recording with no input pauses", no_input_pauses)

    def xdotool_input_resumes():
        paused_at = time.monotonic()
        display.xdotool("mousemove", "50", "60")
        node.wait_state("recording", timeout=MIN_PAUSE_S + 4)
        after = time.monotonic() - paused_at
        events = lifecycle(state["session_dir"], "monitor")
        expect([e["kind"] for e in events] == ["auto_pause", "auto_resume"],
               f"monitor events {[e['kind'] for e in events]}")
        dwell_ms = events[1]["timestamp_epoch_ms"] - events[0]["timestamp_epoch_ms"]
        expect(dwell_ms >= MIN_PAUSE_S * 1000 - 20,
               f"resumed {dwell_ms} ms after the pause, inside the {MIN_PAUSE_S} s minimum")
        idle = idle_state(node)
        expect(idle["last_activity_source"] == "x11", f"activity source {idle}")
        return f"resumed {dwell_ms} ms after the automatic pause ({after:.2f} s after the input)"
    checks.run("xdotool input resumes after the minimum pause", xdotool_input_resumes)

    def manual_pause_stays():
        code, body = node.post("/recording/pause")
        expect(code == 200 and body["status"] == "paused", f"pause returned {code}: {body}")
        for step in range(8):
            display.xdotool("mousemove", str(100 + step * 10), "100")
            time.sleep(0.5)
        expect(node.state() == "paused", "input resumed a manual pause")
        idle = idle_state(node)
        expect(idle["decision"] == "manual_lock", f"decision {idle['decision']}")
        expect(idle["auto_resumes"] == 1, f"auto_resumes {idle['auto_resumes']}")
        code, body = node.post("/recording/resume")
        expect(code == 200 and body["status"] == "resumed", f"resume returned {code}: {body}")
    checks.run("a manual pause is not resumed automatically", manual_pause_stays)

    def agent_log_line_counts():
        code, body = node.post("/control/mode", {"mode": "hybrid"})
        expect(code == 200 and body["mode"] == "hybrid", f"mode returned {code}: {body}")
        node.wait_state("paused", timeout=PAUSE_AFTER_S + 5)
        logs = os.path.join(state["session_dir"], "logs")
        with open(os.path.join(logs, "input_events.jsonl"), "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": "agent_click", "origin": "agent", "x": 1}) + "\n")
        node.wait_state("recording", timeout=MIN_PAUSE_S + 4)
        idle = idle_state(node)
        expect(idle["controller"] == "agent", f"controller {idle['controller']}")
        expect(idle["last_activity_origin"] == "agent", f"origin {idle}")
        expect(idle["last_activity_source"] == "input_log", f"source {idle}")
    checks.run("an agent line in input_events.jsonl counts", agent_log_line_counts)

    def activity_endpoint_counts():
        node.wait_state("paused", timeout=PAUSE_AFTER_S + 5)
        code, body = node.post("/activity", {"origin": "user"})
        expect(code == 200 and body["origin"] == "user", f"/activity returned {code}: {body}")
        node.wait_state("recording", timeout=MIN_PAUSE_S + 4)
        idle = idle_state(node)
        expect(idle["controller"] == "user", f"controller {idle['controller']}")
        expect(idle["last_activity_source"] == "api", f"source {idle}")
        code, body = node.get("/control/mode")
        expect(code == 200 and body == {"mode": "hybrid", "controller": "user"}, f"mode {body}")
    checks.run("POST /activity counts", activity_endpoint_counts)

    def bad_input_rejected():
        for path, body, field in (("/activity", {"origin": "robot"}, "origin"),
                                  ("/activity", {}, "origin"),
                                  ("/control/mode", {"mode": "solo"}, "mode"),
                                  ("/control/mode", [1], "mode")):
            code, reply = node.post(path, body)
            expect(code == 422, f"{path} {body} returned {code}")
            expect(field in reply["detail"], f"{path} detail {reply['detail']!r}")
        code, reply = node.post("/activity", raw=b"{not json")
        expect(code == 422 and "JSON" in reply["detail"], f"broken JSON returned {code} {reply}")
        expect(node.get("/control/mode")[1]["mode"] == "hybrid", "a rejected mode changed it")
    checks.run("bad activity and mode bodies get 422", bad_input_rejected)

    def state_reports_idle():
        idle = idle_state(node)
        for key in ("idle_seconds", "controller", "last_activity_origin", "auto_pauses",
                    "auto_resumes", "paused_by_inactivity_seconds", "control_mode"):
            expect(key in idle, f"/state idle lacks {key}: {idle}")
        expect(idle["auto_pauses"] >= 3, f"auto_pauses {idle['auto_pauses']}")
        expect(idle["auto_resumes"] >= 3, f"auto_resumes {idle['auto_resumes']}")
        expect(idle["paused_by_inactivity_seconds"] >= 3 * MIN_PAUSE_S - 0.1,
               f"paused by inactivity {idle['paused_by_inactivity_seconds']} s")
        return f"{idle['auto_pauses']} pauses, {idle['paused_by_inactivity_seconds']} s paused"
    checks.run("/state reports the idle pauser", state_reports_idle)

    def video_drops_paused_spans():
        code, body = node.post("/recording/stop")
        expect(code == 200 and body["status"] == "stopped", f"stop returned {code}: {body}")
        session_dir = state["session_dir"]
        events = read_jsonl(os.path.join(session_dir, "events_001.jsonl"))
        start = next(e["t_epoch_ms"] for e in events if e["kind"] == "recorder_start")
        stop = next(e["t_epoch_ms"] for e in events if e["kind"] == "recorder_stop")
        spans = paused_spans(session_dir)
        expect(len(spans) >= 4, f"{len(spans)} paused spans in the lifecycle log")
        paused_ms = sum(resume - pause for pause, resume in spans)
        expected = (stop - start - paused_ms) / 1000.0
        duration = video_duration(os.path.join(session_dir, "video_001.mkv"), 1.0 / FPS)
        expect(abs(duration - expected) <= 0.3,
               f"video lasts {duration:.3f} s; recorded {(stop - start) / 1000:.3f} s minus "
               f"{paused_ms / 1000:.3f} s paused is {expected:.3f} s")
        return f"video {duration:.3f} s = {(stop - start) / 1000:.3f} s recorded - " \
               f"{paused_ms / 1000:.3f} s paused in {len(spans)} spans"
    checks.run("the video drops every paused span", video_drops_paused_spans)

    def metrics_written():
        path = os.path.join(state["session_dir"], "logs", "perf_metrics.jsonl")
        metrics = {record["metric"] for record in read_jsonl(path)}
        for name in ("recording.auto_pause.latency", "recording.auto_resume.latency",
                     "inactivity.monitor_sample", "recording.api_start.latency",
                     "recording.api_pause.latency", "recording.api_resume.latency",
                     "recording.api_stop.latency"):
            expect(name in metrics, f"{name} not in perf_metrics.jsonl: {sorted(metrics)}")
    checks.run("idle and API metrics reach perf_metrics.jsonl", metrics_written)

    def prometheus_and_openapi():
        with urllib.request.urlopen(node.url + "/metrics", timeout=5) as response:
            text = response.read().decode()
        pauses = idle_state(node)["auto_pauses"]
        expect(f"winebot_idle_auto_pauses_total {pauses}\n" in text,
               f"winebot_idle_auto_pauses_total {pauses} missing from /metrics")
        expect("winebot_recorder_frames_total" in text, "recorder counters missing")
        if shutil.which("promtool"):
            lint = subprocess.run(["promtool", "check", "metrics"], input=text,
                                  capture_output=True, text=True, timeout=30, check=False)
            expect(lint.returncode == 0, f"promtool: {lint.stdout}{lint.stderr}")
        code, document = node.get("/openapi.json")
        expect(code == 200, f"/openapi.json returned {code}")
        for path in ("/activity", "/control/mode", "/recording/start"):
            expect(path in document["paths"], f"{path} missing from /openapi.json")
        return "promtool passed" if shutil.which("promtool") else "promtool not installed"
    checks.run("/metrics and /openapi.json cover the idle pauser", prometheus_and_openapi)

    def stop_while_paused_keeps_length():
        code, body = node.post("/recording/start", {"new_session": True})
        expect(code == 200 and body["status"] == "started", f"start returned {code}: {body}")
        node.wait_state("paused", timeout=PAUSE_AFTER_S + 5)
        time.sleep(2)
        code, body = node.post("/recording/stop")
        expect(code == 200 and body["status"] == "stopped", f"stop returned {code}: {body}")
        video = os.path.join(body["session_dir"], "video_001.mkv")
        stream = video_duration(video, 1.0 / FPS)
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                "-of", "csv=p=0", video], capture_output=True, text=True,
                               timeout=30, check=False)
        container = float(probe.stdout.strip())
        expect(abs(stream - PAUSE_AFTER_S) <= 0.5,
               f"video lasts {stream:.3f} s, expected about {PAUSE_AFTER_S} s before the pause")
        expect(container <= stream + 0.2,
               f"the file lasts {container:.3f} s but its video {stream:.3f} s: a cue outlives "
               f"the video")
        return f"video {stream:.3f} s, file {container:.3f} s"
    checks.run("a stop while paused keeps the file length", stop_while_paused_keeps_length)


if __name__ == "__main__":
    sys.exit(main())
