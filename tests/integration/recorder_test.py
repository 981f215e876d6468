#!/usr/bin/env python3
"""Recorder test with real parts: Xvfb displays, winebot-node recording them through FFmpeg's
libraries, and ffprobe checking what the files really hold.

It covers WineBot's smoke checks: start, pause, resume, stop and their repeats, artifacts,
subtitles and tags. It also covers a node killed while recording and one stopped by SIGTERM.
The failure cases are a display that goes away, a display that never existed, an odd display
size, a full disk and a session root that cannot be written.

Needs root for the tmpfs mounts of the full-disk and read-only cases. Uses X displays :91 to :94.

Usage: recorder_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from fleet_harness import CheckFailed, wait_for
from recorder_harness import RecordingNode, Xvfb, expect, read_jsonl, run
from recorder_harness import video_duration as harness_video_duration

FPS = 15
FRAME_S = 1.0 / FPS
MAIN_DISPLAY = 91
LOST_DISPLAY = 92
MISSING_DISPLAY = 93
ODD_DISPLAY = 94

results = []


def check(name, function):
    """Run one named check and record its outcome; later checks still run after a failure."""
    started = time.monotonic()
    try:
        detail = function()
        results.append((name, True))
        suffix = f" ({detail})" if detail else ""
        print(f"PASS {name}{suffix} [{time.monotonic() - started:.2f} s]", flush=True)
    except Exception as error:  # noqa: BLE001 - report every failure and go on
        results.append((name, False))
        print(f"FAIL {name}: {error}", flush=True)
        if not isinstance(error, CheckFailed):
            traceback.print_exc()


def probe(path):
    """Streams and format of a media file, as ffprobe reports them."""
    output = run(["ffprobe", "-v", "error", "-show_entries",
                  "format=duration:format_tags:stream=index,codec_type,codec_name,width,height"
                  ":stream_tags=title", "-of", "json", path])
    expect(output.returncode == 0, f"ffprobe failed on {path}: {output.stderr.strip()}")
    return json.loads(output.stdout)


def video_duration(path):
    return harness_video_duration(path, FRAME_S)


def decodes_cleanly(path):
    """True when every video frame of the file decodes without an error."""
    output = run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v", "-f", "null", "-"], 120)
    return output.returncode == 0 and not output.stderr.strip(), output.stderr.strip()[-300:]


def vtt_cues(path):
    """(start seconds, text) of every cue of a WebVTT file."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    cues = []
    for index, line in enumerate(lines):
        if "-->" in line:
            start = line.split("-->")[0].strip()
            hours, minutes, seconds = start.split(":")
            text = lines[index + 1] if index + 1 < len(lines) else ""
            cues.append((int(hours) * 3600 + int(minutes) * 60 + float(seconds), text))
    return cues


class Node(RecordingNode):
    """One winebot-node recording the main display. Every Node of a run shares one pointer
    file and state folder, so a restarted node takes over the session and node id."""

    def __init__(self, build_dir, work_dir, name, session_root, extra=(), env_extra=None):
        super().__init__(build_dir, work_dir, name, session_root, f":{MAIN_DISPLAY}", FPS, extra,
                         env_extra, state_name="node-state")


def expect_envelope(reply, action, status, converged=True):
    code, body = reply
    expect(code == 200, f"{action} returned HTTP {code}: {body}")
    expect(body.get("action") == action, f"{action} envelope names action {body.get('action')}")
    expect(body.get("status") == status, f"{action} returned status {body.get('status')}, "
                                         f"expected {status}: {body}")
    expect(body.get("converged") is converged, f"{action} converged is {body.get('converged')}")
    expect(body.get("result") == ("converged" if converged else "accepted"),
           f"{action} result {body.get('result')} does not match converged {converged}")
    return body


def check_artifacts(session_dir, segment, expected_video_s, min_events=0):
    """WineBot's smoke checks on one finished segment, plus the duration match."""
    name = f"{segment:03d}"
    paths = {kind: os.path.join(session_dir, f"{kind}_{name}.{ext}") for kind, ext in
             (("video", "mkv"), ("events", "jsonl"), ("segment", "json"))}
    paths["vtt"] = os.path.join(session_dir, f"events_{name}.vtt")
    paths["ass"] = os.path.join(session_dir, f"events_{name}.ass")
    paths["session"] = os.path.join(session_dir, "session.json")
    for kind, path in paths.items():
        expect(os.path.getsize(path) > 0, f"{kind} file {path} is empty")
    for leftover in ("recorder.finalization.json", "segment.current", "recorder.pid"):
        expect(not os.path.exists(os.path.join(session_dir, leftover)), f"{leftover} left behind")

    info = probe(paths["video"])
    kinds = [stream["codec_type"] for stream in info["streams"]]
    expect(kinds.count("video") >= 1, f"no video stream: {kinds}")
    expect(kinds.count("subtitle") >= 2, f"fewer than two subtitle streams: {kinds}")
    session = json.load(open(paths["session"], encoding="utf-8"))
    tags = info["format"].get("tags", {})
    expect(tags.get("WINEBOT_SESSION_ID") == session["session_id"],
           f"WINEBOT_SESSION_ID tag is {tags.get('WINEBOT_SESSION_ID')!r}")
    duration = video_duration(paths["video"])
    expect(duration > 0.5, f"video lasts {duration:.3f} s")
    ok, errors = decodes_cleanly(paths["video"])
    expect(ok, f"video does not decode cleanly: {errors}")
    if expected_video_s is not None:
        expect(abs(duration - expected_video_s) <= 2 * FRAME_S + 0.01,
               f"video lasts {duration:.3f} s, recorded time minus paused time is "
               f"{expected_video_s:.3f} s")

    segment_manifest = json.load(open(paths["segment"], encoding="utf-8"))
    for key in ("session_id", "segment", "start_time_epoch", "resolution", "fps"):
        expect(key in segment_manifest, f"segment manifest lacks {key}")
    expect(segment_manifest["segment"] == segment, "segment number differs in its manifest")
    expect(segment_manifest["session_id"] == session["session_id"], "session ids differ")

    events = read_jsonl(paths["events"])
    last = -1
    for event in events:
        for key in ("session_id", "t_rel_ms", "t_epoch_ms", "kind", "message"):
            expect(key in event, f"event lacks {key}: {event}")
        expect(event["t_rel_ms"] >= 0, f"negative t_rel_ms: {event}")
        expect(event["t_rel_ms"] >= last, f"t_rel_ms went backwards at {event}")
        last = event["t_rel_ms"]
    kinds = {event["kind"] for event in events}
    for kind in ("lifecycle", "recorder_start", "recorder_stop"):
        expect(kind in kinds, f"no {kind} event in {sorted(kinds)}")
    expect(len(events) >= min_events, f"{len(events)} events, expected {min_events} or more")

    cues = vtt_cues(paths["vtt"])
    expect(len(cues) >= len(events), f"{len(cues)} VTT cues for {len(events)} events")
    starts = [start for start, _ in cues]
    expect(starts == sorted(starts), "VTT cue starts decrease")
    expect(max(starts) <= duration + 5, "a cue starts more than 5 s after the video ends")
    return {"events": events, "cues": cues, "duration": duration, "probe": info,
            "ass": open(paths["ass"], encoding="utf-8").read()}


def recorded_span(events):
    """Recorded time minus paused time, from the segment's own pause and resume events."""
    stop = next(e["t_rel_ms"] for e in events if e["kind"] == "recorder_stop")
    paused = 0
    pause_at = None
    for event in events:
        if event["kind"] == "recorder_pause":
            pause_at = event["t_rel_ms"]
        elif event["kind"] == "recorder_resume" and pause_at is not None:
            paused += event["t_rel_ms"] - pause_at
            pause_at = None
    return (stop - paused) / 1000.0


def annotate(session_dir, message, position):
    """Append an annotation the way WineBot's annotate command does: to events.current."""
    with open(os.path.join(session_dir, "events.current"), encoding="utf-8") as handle:
        events_path = handle.read().strip()
    segment = int(open(os.path.join(session_dir, "segment.current")).read())
    manifest = json.load(open(os.path.join(session_dir, f"segment_{segment:03d}.json")))
    now_ms = int(time.time() * 1000)
    event = {"session_id": manifest["session_id"],
             "t_rel_ms": now_ms - int(manifest["start_time_epoch"]), "t_epoch_ms": now_ms,
             "level": "INFO", "kind": "annotation", "message": message,
             "pos": {"x": position[0], "y": position[1]}, "tags": [], "extra": {},
             "schema_version": "1.0"}
    with open(events_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")
    return event


def mount_tmpfs(path, options):
    os.makedirs(path, exist_ok=True)
    output = run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path])
    expect(output.returncode == 0, f"mount tmpfs on {path} failed: {output.stderr.strip()}")


def unmount(path):
    run(["umount", "-l", path])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)

    work_dir = tempfile.mkdtemp(prefix="winebot-recorder-it-")
    root = os.path.join(work_dir, "sessions")
    displays, helpers, nodes, mounts = [], [], [], []

    def start_node(name, session_root=root, extra=(), env_extra=None):
        node = Node(build_dir, work_dir, name, session_root, extra, env_extra)
        nodes.append(node)
        return node

    try:
        displays.append(Xvfb(MAIN_DISPLAY))
        # A clock whose second hand moves gives the encoder something to do.
        helpers.append(subprocess.Popen(["xclock", "-update", "1"],
                                        env=dict(os.environ, DISPLAY=f":{MAIN_DISPLAY}"),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        node = start_node("node")
        state = {}

        def disabled_without_winebot_record():
            other = start_node("disabled", env_extra={"WINEBOT_RECORD": "0"})
            for action in ("start", "pause", "resume", "stop"):
                code, body = other.post(f"/recording/{action}")
                expect(code == 400, f"{action} returned {code} with recording disabled")
                expect(body == {"detail": "Recording is disabled by configuration."},
                       f"{action} body {body}")
            expect(other.state() == "disabled", "state is not disabled")
            other.stop()
        check("recording actions need WINEBOT_RECORD=1", disabled_without_winebot_record)

        def invalid_start_bodies():
            for body, field in (({"fps": 0}, "fps"), ({"fps": 121}, "fps"),
                                ({"resolution": "wide"}, "resolution"),
                                ({"new_session": "yes"}, "new_session")):
                code, reply = node.post("/recording/start", body)
                expect(code == 422, f"{body} returned {code}")
                expect(field in reply["detail"], f"{body} detail {reply['detail']!r}")
            expect(node.state() == "idle", "an invalid start changed the state")
        check("start rejects invalid fields with 422", invalid_start_bodies)

        def smoke_start_pause_resume_stop():
            body = expect_envelope(node.post("/recording/start", {"session_label": "it smoke"}),
                                   "start", "started")
            for key in ("session_dir", "segment", "session_id", "output_file",
                        "recording_timeline_id", "operation_id"):
                expect(key in body, f"start reply lacks {key}")
            expect(body["session_id"].endswith("-it-smoke"), f"label: {body['session_id']}")
            state.update(session_dir=body["session_dir"], segment=body["segment"])
            node.wait_state("recording")
            _, status = node.get("/state")
            expect(status["recorder"]["state"] == "recording", f"/state: {status['recorder']}")
            time.sleep(2)
            state["marker"] = annotate(body["session_dir"], "marker {one} <two>", (100, 100))
            time.sleep(1)
            expect_envelope(node.post("/recording/pause"), "pause", "paused")
            expect_envelope(node.post("/recording/pause"), "pause", "already_paused")
            node.wait_state("paused")
            time.sleep(3)
            expect_envelope(node.post("/recording/resume"), "resume", "resumed")
            expect_envelope(node.post("/recording/resume"), "resume", "already_recording")
            node.wait_state("recording")
            time.sleep(2)
            stop = expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            expect(stop.get("operation_id", "").startswith("op-"), "stop lacks operation_id")
            again = expect_envelope(node.post("/recording/stop"), "stop", "already_stopped")
            expect(again.get("operation_id"), "already_stopped lacks operation_id")
            node.wait_state("idle")
            return f"session {body['session_id']} segment {body['segment']}"
        check("start, pause, resume and stop with their repeats", smoke_start_pause_resume_stop)

        def smoke_artifacts():
            found = check_artifacts(state["session_dir"], state["segment"], None, min_events=6)
            expected = recorded_span(found["events"])
            expect(abs(found["duration"] - expected) <= 2 * FRAME_S + 0.01,
                   f"video lasts {found['duration']:.3f} s, recorded minus paused is "
                   f"{expected:.3f} s")
            kinds = [e["kind"] for e in found["events"]]
            for kind in ("recorder_pause", "recorder_resume", "annotation"):
                expect(kind in kinds, f"no {kind} event")
            expect(found["duration"] < 6.5, f"the 3 s pause is in the video: "
                                             f"{found['duration']:.3f} s")
            return (f"video {found['duration']:.3f} s, recorded minus paused "
                    f"{expected:.3f} s, {len(found['cues'])} cues")
        check("artifacts: duration, subtitle streams, tags, events, cues", smoke_artifacts)

        def annotation_in_subtitles():
            found = check_artifacts(state["session_dir"], state["segment"], None)
            marker = state["marker"]
            stored = next(e for e in found["events"] if e["kind"] == "annotation")
            expect(stored["message"] == marker["message"], "annotation message changed")
            cue = [(start, text) for start, text in found["cues"] if "marker" in text]
            expect(cue, "annotation missing from the VTT")
            expect("&lt;two&gt;" in cue[0][1], f"VTT text not escaped: {cue[0][1]!r}")
            expect(abs(cue[0][0] - marker["t_rel_ms"] / 1000.0) <= 2.5,
                   f"VTT cue at {cue[0][0]} s, event at {marker['t_rel_ms'] / 1000.0} s")
            expect("[ANNOTATION] marker (one) <two>" in found["ass"], "ASS Default line missing")
            expect("Overlay,,0,0,0,,{\\pos(100,100)}marker (one) <two>" in found["ass"],
                   "ASS Overlay line missing")
            return f"cue at {cue[0][0]:.3f} s"
        check("annotations land in events, VTT and ASS", annotation_in_subtitles)

        def second_start_takes_next_segment():
            body = expect_envelope(node.post("/recording/start"), "start", "started")
            expect(body["session_dir"] == state["session_dir"], "a new session was created")
            expect(body["segment"] > state["segment"], f"segment {body['segment']} after "
                                                       f"{state['segment']}")
            expect_envelope(node.post("/recording/start"), "start", "already_recording")
            time.sleep(1.5)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            found = check_artifacts(body["session_dir"], body["segment"], None)
            expect(abs(found["duration"] - recorded_span(found["events"])) <= 2 * FRAME_S + 0.01,
                   "duration differs from recorded time")
            fresh = expect_envelope(node.post("/recording/start", {"new_session": True}),
                                    "start", "started")
            expect(fresh["session_dir"] != state["session_dir"], "new_session reused the session")
            expect(fresh["segment"] == 1, f"new session starts at segment {fresh['segment']}")
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            return f"segments {state['segment']} then {body['segment']}"
        check("second start takes a larger segment in the same session",
              second_start_takes_next_segment)

        def start_resumes_a_paused_recording():
            expect_envelope(node.post("/recording/start"), "start", "started")
            expect_envelope(node.post("/recording/pause"), "pause", "paused")
            expect_envelope(node.post("/recording/start"), "start", "resumed")
            node.wait_state("recording")
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            expect_envelope(node.post("/recording/pause"), "pause", "idle")
            expect_envelope(node.post("/recording/resume"), "resume", "idle")
        check("start resumes a paused recording; pause and resume when idle",
              start_resumes_a_paused_recording)

        def state_and_metrics():
            _, status = node.get("/state")
            recorder = status["recorder"]
            expect(recorder["state"] == "idle", f"/state recorder {recorder}")
            expect(recorder["frames"] > 0, "no frames counted")
            request = urllib.request.urlopen(node.url + "/metrics", timeout=5)
            text = request.read().decode()
            for name in ("winebot_recorder_frames_total", "winebot_recorder_dropped_frames_total",
                         "winebot_recorder_bytes_total"):
                expect(name in text, f"{name} missing from /metrics")
            frames = [line for line in text.splitlines()
                      if line.startswith("winebot_recorder_frames_total ")]
            expect(float(frames[0].split()[1]) > 0, "frames_total is 0")
            return f"{recorder['frames']} frames, {recorder['bytes']} bytes"
        check("/state and /metrics count frames and bytes", state_and_metrics)

        def killed_node_recovered_at_start():
            body = expect_envelope(node.post("/recording/start", {"new_session": True}),
                                   "start", "started")
            time.sleep(3)
            node.stop(signal.SIGKILL)
            session_dir = body["session_dir"]
            expect(os.path.exists(os.path.join(session_dir, "segment.current")),
                   "a killed recorder left no segment.current")
            restarted = start_node("node-restarted")
            wait_for("startup recovery", lambda: not os.path.exists(
                os.path.join(session_dir, "segment.current")), 30)
            found = check_artifacts(session_dir, body["segment"], None)
            state["node"] = restarted
            return f"recovered video {found['duration']:.3f} s"
        check("a node killed while recording is recovered at next start",
              killed_node_recovered_at_start)
        node = state.get("node", node)

        def recover_endpoint():
            other_root = os.path.join(work_dir, "other-sessions")
            victim = start_node("victim", session_root=other_root)
            body = expect_envelope(victim.post("/recording/start"), "start", "started")
            time.sleep(2)
            victim.stop(signal.SIGKILL)
            session_dir = body["session_dir"]
            ok, _ = decodes_cleanly(os.path.join(session_dir, "video_001.mkv"))
            code, reply = node.post("/recording/recover", {"session_dir": session_dir})
            expect(code == 200, f"recover returned {code}: {reply}")
            expect(reply["status"] == "recovered", f"recover reply {reply}")
            check_artifacts(session_dir, body["segment"], None)
            code, reply = node.post("/recording/recover", {"session_dir": session_dir})
            expect(reply["status"] == "nothing_to_recover", f"second recover {reply}")
            code, reply = node.post("/recording/recover", {"session_dir": "/nonexistent/s"})
            expect(code == 404 and "detail" in reply, f"missing folder gave {code} {reply}")
        check("POST /recording/recover finishes a killed node's segment", recover_endpoint)

        def sigterm_finalises():
            body = expect_envelope(node.post("/recording/start", {"new_session": True}),
                                   "start", "started")
            time.sleep(2)
            code = node.stop(signal.SIGTERM)
            expect(code == 0, f"node exited with {code}")
            found = check_artifacts(body["session_dir"], body["segment"], None)
            expect(abs(found["duration"] - recorded_span(found["events"])) <= 2 * FRAME_S + 0.01,
                   "duration differs from recorded time")
            state["node"] = start_node("node-after-sigterm")
            return f"video {found['duration']:.3f} s"
        check("SIGTERM stops the recorder and finalises the video", sigterm_finalises)
        node = state.get("node", node)

        def display_goes_away():
            lost = Xvfb(LOST_DISPLAY)
            displays.append(lost)
            body = expect_envelope(node.post("/recording/start", {
                "new_session": True, "display": f":{LOST_DISPLAY}"}), "start", "started")
            time.sleep(2)
            lost.kill()
            node.wait_state("idle", 15)
            _, status = node.get("/state")
            error = status["recorder"]["last_error"] or ""
            expect(":92" in error, f"last_error does not name the display: {error!r}")
            lifecycle = read_jsonl(os.path.join(body["session_dir"], "logs", "lifecycle.jsonl"))
            failed = [e for e in lifecycle if e["kind"] == "recording_failed"]
            expect(failed and failed[-1]["extra"]["reason"] == "display_lost",
                   f"no display_lost lifecycle event: {lifecycle[-2:]}")
            check_artifacts(body["session_dir"], body["segment"], None)
            expect(node.get("/health")[0] == 200, "node stopped serving")
            return error
        check("a display that goes away ends the segment cleanly", display_goes_away)

        def display_that_never_existed():
            code, body = node.post("/recording/start", {"display": f":{MISSING_DISPLAY}"})
            expect(code == 500, f"start on a missing display returned {code}: {body}")
            expect(f":{MISSING_DISPLAY}" in body["detail"], f"detail {body['detail']!r}")
            expect(node.state() == "idle", "state is not idle")
            return body["detail"]
        check("a missing display fails the start with a clear detail", display_that_never_existed)

        def odd_display_size():
            odd = Xvfb(ODD_DISPLAY, "1279x719")
            displays.append(odd)
            body = expect_envelope(node.post("/recording/start", {
                "new_session": True, "display": f":{ODD_DISPLAY}"}), "start", "started")
            expect(body["resolution"] == "1278x718", f"resolution {body['resolution']}")
            time.sleep(1.5)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            found = check_artifacts(body["session_dir"], body["segment"], None)
            video = next(s for s in found["probe"]["streams"] if s["codec_type"] == "video")
            expect((video["width"], video["height"]) == (1278, 718), f"video {video}")
            scaled = expect_envelope(node.post("/recording/start", {
                "display": f":{ODD_DISPLAY}", "resolution": "641x361"}), "start", "started")
            time.sleep(1)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            found = check_artifacts(scaled["session_dir"], scaled["segment"], None)
            video = next(s for s in found["probe"]["streams"] if s["codec_type"] == "video")
            expect((video["width"], video["height"]) == (640, 360), f"scaled video {video}")
            odd.kill()
            return "1279x719 recorded as 1278x718; 641x361 requested gives 640x360"
        check("odd display sizes are cropped or scaled to even", odd_display_size)

        def full_disk():
            if os.geteuid() != 0:
                return "skipped: mounting a tmpfs needs root"
            small = os.path.join(work_dir, "small")
            mount_tmpfs(small, "size=4m")
            mounts.append(small)
            body = expect_envelope(node.post("/recording/start", {"session_root": small,
                                                                  "new_session": True}),
                                   "start", "started")
            # Clusters reach the disk every second; let a few land before the disk fills.
            time.sleep(2.5)
            filler = os.path.join(small, "filler")
            run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], 60)
            node.wait_state("idle", 20)
            _, status = node.get("/state")
            error = status["recorder"]["last_error"] or ""
            expect("No space left" in error, f"last_error {error!r}")
            expect(node.get("/health")[0] == 200, "node stopped serving")
            os.remove(filler)
            code, reply = node.post("/recording/recover", {"session_dir": body["session_dir"]})
            expect(code == 200 and reply["status"] == "recovered", f"recover {code} {reply}")
            check_artifacts(body["session_dir"], body["segment"], None)
            return error
        check("a full disk ends the segment; recover finishes it later", full_disk)

        def read_only_session_root():
            if os.geteuid() != 0:
                return "skipped: mounting a tmpfs needs root"
            locked = os.path.join(work_dir, "locked")
            mount_tmpfs(locked, "size=1m,ro")
            mounts.append(locked)
            code, body = node.post("/recording/start", {"session_root": locked,
                                                        "new_session": True})
            expect(code == 500, f"start returned {code}: {body}")
            expect("Read-only file system" in body["detail"], f"detail {body['detail']!r}")
            expect(node.state() == "idle", "state is not idle")
            expect(node.get("/health")[0] == 200, "node stopped serving")
            return body["detail"]
        check("a session root that cannot be written fails the start", read_only_session_root)
    except Exception as error:  # noqa: BLE001 - set-up failure
        results.append(("set-up", False))
        print(f"FAIL set-up: {error}", flush=True)
        traceback.print_exc()
    finally:
        for node in nodes:
            try:
                node.stop(timeout=30)
            except CheckFailed as error:
                print(f"warning: {error}")
        for helper in helpers:
            helper.terminate()
            helper.wait(timeout=5)
        for display in displays:
            display.kill()
        for path in mounts:
            unmount(path)
        failed = [name for name, ok in results if not ok]
        if failed:
            for node in nodes:
                print(f"--- log of node on port {node.port} ---\n{node.log()[-4000:]}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
