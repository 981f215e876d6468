#!/usr/bin/env python3
"""Recorder test of a display resize in the middle of a recording, on a real X server.

Debian's Xvfb rejects RandR resizes, so this test runs TigerVNC's Xvnc, which accepts them. Xvnc
listens on no TCP port here: `-rfbport -1` turns the VNC listener off and `-nolisten tcp` the X
one, so it takes only local connections on its Unix sockets.

winebot-node records the display and xrandr resizes it. The test then checks the recorder's
documented behaviour. The segment ends with a video that ffprobe reads and ffmpeg decodes, and a
`recording_failed` lifecycle event with reason `display_resized` names both sizes. Recording goes
on in a new segment at the new size. The cases are a larger screen (the once-a-second size probe
notices), a smaller one (x11grab fails and the probe names the cause) and a resize during a pause
(noticed at resume).

Uses X display :98 only. Usage: recorder_resize_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from fleet_harness import CheckFailed, wait_for
from recorder_test import (FRAME_S, Node, check, check_artifacts, expect, expect_envelope,
                           read_jsonl, results)

RESIZE_DISPLAY = 98
FIRST_SIZE = "640x480"
LARGER_SIZE = "800x600"
# The recorder probes the display's size every `fps` frames, about once a second, and x11grab fails
# at once on a screen smaller than its grab area. This bound adds slack for a loaded machine.
MAX_DETECT_S = 3.0
# Detection, writing the trailer, finalising the old segment and opening the new one.
MAX_RESTART_S = 20.0


class Xvnc:
    """One Xvnc display with no TCP listener, started and stopped by pid."""

    def __init__(self, number, size, log_path):
        self.number = number
        self.display = f":{number}"
        self.socket = f"/tmp/.X11-unix/X{number}"
        if os.path.exists(self.socket):
            raise CheckFailed(f"display :{number} is already in use ({self.socket} exists)")
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["Xvnc", self.display, "-geometry", size, "-depth", "24",
                 "-SecurityTypes", "None", "-localhost", "-rfbport", "-1", "-nolisten", "tcp"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(f"X socket {self.socket}", lambda: os.path.exists(self.socket), 10)
        wait_for(f"display {self.display} answering", lambda: self.root_size() == size, 10)

    def env(self):
        return dict(os.environ, DISPLAY=self.display)

    def root_size(self):
        """The root window's size as WIDTHxHEIGHT, or None when the server does not reply."""
        output = subprocess.run(["xwininfo", "-root"], capture_output=True, text=True,
                                timeout=10, env=self.env(), check=False)
        if output.returncode != 0:
            return None
        fields = dict(line.strip().split(": ", 1) for line in output.stdout.splitlines()
                      if line.strip().startswith(("Width:", "Height:")))
        return f"{fields['Width']}x{fields['Height']}"

    def resize(self, size):
        """Set the screen size with RandR. Raise CheckFailed when the server rejects it."""
        output = subprocess.run(["xrandr", "--fb", size], capture_output=True, text=True,
                                timeout=10, env=self.env(), check=False)
        expect(output.returncode == 0, f"xrandr --fb {size} failed: {output.stderr.strip()}")
        expect(self.root_size() == size, f"root window is {self.root_size()} after xrandr")

    def kill(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def recorder_state(node):
    return node.get("/state")[1]["recorder"]


def lifecycle_events(session_dir, kind, segment):
    path = os.path.join(session_dir, "logs", "lifecycle.jsonl")
    if not os.path.exists(path):
        return []
    return [event for event in read_jsonl(path)
            if event["kind"] == kind and event.get("extra", {}).get("segment") == segment]


def video_size(found):
    video = next(s for s in found["probe"]["streams"] if s["codec_type"] == "video")
    return f"{video['width']}x{video['height']}"


def failure_count(node, reason):
    """The winebot_recorder_failures_total counter for `reason`, 0 when absent."""
    with urllib.request.urlopen(node.url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    prefix = f'winebot_recorder_failures_total{{reason="{reason}"}} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0][len(prefix):]) if lines else 0.0


def wait_next_segment(node, segment):
    """Wait until the recorder records segment `segment` + 1 and return the seconds waited."""
    def next_segment_recording():
        recorder = recorder_state(node)
        return recorder["state"] == "recording" and recorder["segment"] == segment + 1
    _, waited = wait_for(f"segment {segment + 1} recording after the resize",
                         next_segment_recording, MAX_RESTART_S)
    return waited


def expect_ended_by_resize(session_dir, segment, old_size, new_size):
    """Check the events and lifecycle records of a segment that a resize ended, and of the
    segment started after it. Return the recorder_stop event's time in epoch seconds and the
    recording_failed message."""
    events = read_jsonl(os.path.join(session_dir, f"events_{segment:03d}.jsonl"))
    stops = [event for event in events if event["kind"] == "recorder_stop"]
    expect(len(stops) == 1, f"segment {segment} has {len(stops)} recorder_stop events")
    expect(stops[0]["extra"].get("reason") == "display_resized",
           f"recorder_stop of segment {segment}: {stops[0]}")

    failed = lifecycle_events(session_dir, "recording_failed", segment)
    expect(len(failed) == 1, f"{len(failed)} recording_failed events for segment {segment}")
    expect(failed[0]["extra"]["reason"] == "display_resized", f"lifecycle event {failed[0]}")
    message = failed[0]["message"]
    expect(f"changed from {old_size} to {new_size}" in message,
           f"recording_failed message does not name both sizes: {message!r}")
    stopped = lifecycle_events(session_dir, "recording_stopped", segment)
    expect(len(stopped) == 1, f"{len(stopped)} recording_stopped events for segment {segment}")
    expect(stopped[0]["extra"]["reason"] == "display_resized", f"lifecycle event {stopped[0]}")
    started = lifecycle_events(session_dir, "recording_started", segment + 1)
    expect(len(started) == 1, f"no recording_started event for segment {segment + 1}")
    return stops[0]["t_epoch_ms"] / 1000.0, message


def resize_while_recording(node, screen, session_dir, segment, old_size, new_size):
    """Resize the screen under a recording segment and wait for the next segment to record.

    Return (seconds from xrandr to the old segment's recorder_stop event, seconds from xrandr
    until the next segment records).
    """
    resized_at = time.time()
    started = time.monotonic()
    screen.resize(new_size)
    wait_next_segment(node, segment)
    restart_s = time.monotonic() - started

    stopped_at, _ = expect_ended_by_resize(session_dir, segment, old_size, new_size)
    detect_s = stopped_at - resized_at
    expect(detect_s <= MAX_DETECT_S,
           f"resize noticed {detect_s:.2f} s after xrandr, more than {MAX_DETECT_S} s")
    return detect_s, restart_s


def settle_idle(node, screen, size):
    """Stop any recording and set the screen to `size`, so a check starts from a known state
    whatever the check before it left behind."""
    code, _ = node.post("/recording/stop")
    expect(code == 200, f"stop returned HTTP {code}")
    node.wait_state("idle", 20)
    if screen.root_size() != size:
        screen.resize(size)


def video_span(events):
    """Return the seconds of video that a segment's events imply: recorded minus paused time. Unlike
    recorder_test.recorded_span, this counts a pause that lasts until recorder_stop, as when a
    resize ends the segment at resume."""
    paused_ms = 0
    pause_at = None
    for event in events:
        if event["kind"] == "recorder_pause":
            pause_at = event["t_rel_ms"]
        elif event["kind"] in ("recorder_resume", "recorder_stop") and pause_at is not None:
            paused_ms += event["t_rel_ms"] - pause_at
            pause_at = None
        if event["kind"] == "recorder_stop":
            return (event["t_rel_ms"] - paused_ms) / 1000.0
    raise CheckFailed("no recorder_stop event")


def expect_segment_video(session_dir, segment, size):
    """Check a finished segment's artifacts, its encoded size and its duration."""
    found = check_artifacts(session_dir, segment, None)
    expect(video_size(found) == size, f"segment {segment} video is {video_size(found)}, "
                                      f"expected {size}")
    span = video_span(found["events"])
    expect(abs(found["duration"] - span) <= 2 * FRAME_S + 0.01,
           f"segment {segment} video lasts {found['duration']:.3f} s, recorded time is "
           f"{span:.3f} s")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)

    work_dir = tempfile.mkdtemp(prefix="winebot-resize-it-")
    root = os.path.join(work_dir, "sessions")
    screens, helpers, nodes = [], [], []
    display = f":{RESIZE_DISPLAY}"

    try:
        screen = Xvnc(RESIZE_DISPLAY, FIRST_SIZE, os.path.join(work_dir, "xvnc.log"))
        screens.append(screen)
        # A clock whose second hand moves gives the encoder something to do.
        helpers.append(subprocess.Popen(["xclock", "-update", "1"], env=screen.env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        node = Node(build_dir, work_dir, "node", root)
        nodes.append(node)
        state = {}

        def larger_screen_starts_new_segment():
            body = expect_envelope(node.post("/recording/start", {
                "new_session": True, "display": display}), "start", "started")
            expect(body["resolution"] == FIRST_SIZE, f"resolution {body['resolution']}")
            state.update(session_dir=body["session_dir"], segment=body["segment"])
            failures_before = failure_count(node, "display_resized")
            time.sleep(2)

            detect_s, restart_s = resize_while_recording(
                node, screen, body["session_dir"], body["segment"], FIRST_SIZE, LARGER_SIZE)

            recorder = recorder_state(node)
            expect(recorder["resolution"] == LARGER_SIZE, f"/state recorder {recorder}")
            expect("changed from 640x480 to 800x600" in (recorder["last_error"] or ""),
                   f"/state recorder last_error {recorder['last_error']!r}")
            expect(recorder["display"] == display, f"/state recorder {recorder}")
            expect(node.state() == "recording", f"/health/recording state is {node.state()}")
            expect(failure_count(node, "display_resized") == failures_before + 1,
                   "winebot_recorder_failures_total{reason=display_resized} did not grow by 1")
            expect(node.get("/health")[0] == 200, "node stopped serving")
            return f"noticed after {detect_s:.2f} s, next segment recording after {restart_s:.2f} s"
        check("larger screen starts a new segment", larger_screen_starts_new_segment)

        def start_after_resize_uses_new_size():
            current = expect_envelope(node.post("/recording/start", {"display": display}),
                                      "start", "already_recording")
            expect(current["segment"] == state["segment"] + 1, f"start reply {current}")
            expect(current["resolution"] == LARGER_SIZE, f"start reply {current}")
            time.sleep(1.5)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            node.wait_state("idle")

            fresh = expect_envelope(node.post("/recording/start", {"display": display}),
                                    "start", "started")
            expect(fresh["session_dir"] == state["session_dir"], "a new session was created")
            expect(fresh["resolution"] == LARGER_SIZE, f"start reply {fresh}")
            time.sleep(1.5)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")

            first = expect_segment_video(state["session_dir"], state["segment"], FIRST_SIZE)
            expect(first["duration"] >= 1.5, f"first segment lasts {first['duration']:.3f} s")
            restarted = expect_segment_video(state["session_dir"], current["segment"], LARGER_SIZE)
            started = expect_segment_video(state["session_dir"], fresh["segment"], LARGER_SIZE)
            new_video = os.path.join(state["session_dir"], f"video_{fresh['segment']:03d}.mkv")
            return (f"segment {state['segment']} {FIRST_SIZE} {first['duration']:.2f} s, "
                    f"segments {current['segment']} and {fresh['segment']} {LARGER_SIZE} "
                    f"{restarted['duration']:.2f} s and {started['duration']:.2f} s, "
                    f"{os.path.getsize(new_video)} bytes")
        check("later segments use the new size", start_after_resize_uses_new_size)

        def smaller_screen_starts_new_segment():
            settle_idle(node, screen, LARGER_SIZE)
            body = expect_envelope(node.post("/recording/start", {"display": display}),
                                   "start", "started")
            expect(body["resolution"] == LARGER_SIZE, f"resolution {body['resolution']}")
            failures_before = failure_count(node, "display_resized")
            time.sleep(1.5)

            detect_s, restart_s = resize_while_recording(
                node, screen, body["session_dir"], body["segment"], LARGER_SIZE, FIRST_SIZE)

            expect(recorder_state(node)["resolution"] == FIRST_SIZE, "new segment size")
            time.sleep(1)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            expect_segment_video(body["session_dir"], body["segment"], LARGER_SIZE)
            expect_segment_video(body["session_dir"], body["segment"] + 1, FIRST_SIZE)
            expect(failure_count(node, "display_resized") == failures_before + 1,
                   "winebot_recorder_failures_total{reason=display_resized} did not grow by 1")
            expect(node.state() == "idle", f"/health/recording state is {node.state()}")
            expect(node.get("/health")[0] == 200, "node stopped serving")
            return f"noticed after {detect_s:.2f} s, next segment recording after {restart_s:.2f} s"
        check("smaller screen starts a new segment", smaller_screen_starts_new_segment)

        def resize_during_pause_ends_segment_at_resume():
            settle_idle(node, screen, FIRST_SIZE)
            body = expect_envelope(node.post("/recording/start", {"display": display}),
                                   "start", "started")
            expect(body["resolution"] == FIRST_SIZE, f"resolution {body['resolution']}")
            time.sleep(1.5)
            expect_envelope(node.post("/recording/pause"), "pause", "paused")
            screen.resize(LARGER_SIZE)
            time.sleep(1)
            # Nothing probes the display while paused, so the segment is still paused.
            expect(node.state() == "paused", f"/health/recording state is {node.state()}")

            _, reply = node.post("/recording/resume")
            # The resume reaches a segment that has just ended; the next one starts only after
            # the old one is finalised.
            expect(reply.get("status") == "idle", f"resume reply {reply}")
            wait_next_segment(node, body["segment"])
            _, message = expect_ended_by_resize(body["session_dir"], body["segment"], FIRST_SIZE,
                                                LARGER_SIZE)
            expect("during the pause" in message, f"recording_failed message {message!r}")
            expect(recorder_state(node)["resolution"] == LARGER_SIZE, "new segment size")
            expect(not recorder_state(node)["manual_pause_lock"], "manual pause lock still set")
            time.sleep(1)
            expect_envelope(node.post("/recording/stop"), "stop", "stopped")
            paused = expect_segment_video(body["session_dir"], body["segment"], FIRST_SIZE)
            expect(paused["duration"] < 2.5,
                   f"the pause is in the video: {paused['duration']:.3f} s")
            expect_segment_video(body["session_dir"], body["segment"] + 1, LARGER_SIZE)
            return f"paused segment {paused['duration']:.2f} s"
        check("resize during pause ends at resume", resize_during_pause_ends_segment_at_resume)
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
        for screen in screens:
            screen.kill()
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
