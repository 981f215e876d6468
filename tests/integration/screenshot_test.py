#!/usr/bin/env python3
"""Screenshot test with real parts: an Xvfb display painted red with xsetroot, two winebot-node
processes grabbing it, a winebot-hub proxying their screenshots, and ffprobe and ffmpeg decoding
the JPEG images.

It checks that:
- before the display exists, the node and the hub return 503 with a JSON detail;
- GET /screenshot returns a JPEG of the requested width with the display's aspect ratio, never
  wider than the display, whose pixels are red, with or without a recording running;
- an invalid width gets 400, a missing X-API-Key 401, and /openapi.json lists the route;
- a burst of parallel requests shares a few grabs instead of starting one each;
- a stopped (SIGSTOP) X server gives 504 within the deadline, and the node recovers after
  SIGCONT;
- the hub's GET /api/nodes/{id}/screenshot returns the same image for a node with and one
  without an API token, 404 for an unknown node and 400 for an invalid width.

Uses X display :88 only. Usage: screenshot_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from fleet_harness import CheckFailed, Checks, Fleet, free_port, http_get, wait_for
from recorder_harness import RecordingNode, Xvfb, expect, run

DISPLAY = 88
DISPLAY_SIZE = (1280, 720)
NODE_TOKEN = "screenshot-test-node-token"
UNKNOWN_NODE = "00000000-0000-4000-8000-000000000000"


def fetch(url, headers=None, timeout=15.0):
    """GET url and return (status, content type, body bytes, headers)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (response.status, response.headers.get("Content-Type"), response.read(),
                    response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read(), error.headers


def expect_error(reply, status, context):
    """Check that `reply` from fetch() has `status` and a JSON detail; return the detail."""
    code, content_type, body, _ = reply
    expect(code == status, f"{context}: HTTP {code}, expected {status}: {body[:300]!r}")
    expect(content_type == "application/json", f"{context}: content type {content_type}")
    detail = json.loads(body).get("detail")
    expect(isinstance(detail, str) and detail, f"{context}: no JSON detail in {body[:300]!r}")
    return detail


def jpeg_facts(work_dir, body, name):
    """Save a JPEG body and return (width, height, (r, g, b) of the whole image averaged to one
    pixel), as ffprobe and ffmpeg decode it."""
    expect(body[:3] == b"\xff\xd8\xff", f"{name}: body does not start like a JPEG: {body[:8]!r}")
    path = os.path.join(work_dir, f"{name}.jpg")
    with open(path, "wb") as handle:
        handle.write(body)
    probe = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                 "stream=codec_name,width,height", "-of", "json", path])
    expect(probe.returncode == 0, f"{name}: ffprobe failed: {probe.stderr.strip()}")
    stream = json.loads(probe.stdout)["streams"][0]
    expect(stream["codec_name"] == "mjpeg", f"{name}: codec {stream['codec_name']}")
    pixel = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", "scale=1:1:flags=area",
                            "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                           capture_output=True, timeout=30, check=False)
    expect(pixel.returncode == 0 and len(pixel.stdout) == 3,
           f"{name}: ffmpeg could not decode one pixel: {pixel.stderr.decode()[-300:]}")
    return stream["width"], stream["height"], tuple(pixel.stdout)


def expect_red_image(work_dir, reply, name, size):
    """Check a 200 image/jpeg reply of `size` whose pixels average to red."""
    code, content_type, body, _ = reply
    expect(code == 200, f"{name}: HTTP {code}: {body[:300]!r}")
    expect(content_type == "image/jpeg", f"{name}: content type {content_type}")
    width, height, (red, green, blue) = jpeg_facts(work_dir, body, name)
    expect((width, height) == size, f"{name}: {width}x{height}, expected {size[0]}x{size[1]}")
    expect(red >= 200 and green <= 60 and blue <= 60, f"{name}: pixel {red},{green},{blue} is "
                                                      "not red")
    return f"{width}x{height}, {len(body)} bytes, rgb {red},{green},{blue}"


def metric(node, name_and_labels):
    """The value of one sample in the node's /metrics."""
    _, _, body, _ = fetch(f"{node.url}/metrics")
    match = re.search(rf"^{re.escape(name_and_labels)} (\S+)$", body.decode(), re.MULTILINE)
    expect(match is not None, f"{name_and_labels} missing from /metrics")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()
    build_dir = os.path.abspath(arguments.build_dir)
    fleet = Fleet(build_dir, os.path.abspath(arguments.source_dir))
    work_dir = fleet.work_dir
    for variable in ("API_TOKEN", "WINEBOT_HUB_NODE_TOKEN", "WINEBOT_HUB_ADMIN_TOKEN", "DISPLAY"):
        fleet.env.pop(variable, None)
        os.environ.pop(variable, None)
    checks = Checks()
    check = checks.run
    display, nodes = None, []
    try:
        session_root = os.path.join(work_dir, "sessions")
        node = RecordingNode(build_dir, work_dir, "open-node", session_root, f":{DISPLAY}", 5)
        nodes.append(node)
        guarded_port = free_port()
        guarded_url = f"http://127.0.0.1:{guarded_port}"
        fleet.env.update({"API_TOKEN": NODE_TOKEN, "WINEBOT_SESSION_POINTER_FILE":
                          os.path.join(work_dir, "token-node.pointer")})
        fleet.start_node("token-node", guarded_port, os.path.join(work_dir, "token-node.state"),
                         ("--advertise", "off", "--display", f":{DISPLAY}", "--session-root",
                          session_root))
        for variable in ("API_TOKEN", "WINEBOT_SESSION_POINTER_FILE"):
            del fleet.env[variable]
        # The node requires the token on /health, but not on /openapi.json.
        wait_for("token-node answering",
                 lambda: http_get(f"{guarded_url}/openapi.json")[0] == 200, 15)
        hub_port = free_port()
        hub = f"http://127.0.0.1:{hub_port}"
        fleet.env["WINEBOT_HUB_NODE_TOKEN"] = NODE_TOKEN
        fleet.start_hub(hub_port, os.path.join(work_dir, "hub.db"),
                        ("--discovery", "none", "--advertise", "off", "--srv-interval", "0.5",
                         "--node", f"127.0.0.1:{node.port}", "--node",
                         f"127.0.0.1:{guarded_port}"))
        ids = {}
        for name in ("open-node", "token-node"):
            with open(os.path.join(work_dir, f"{name}.state", "node_id"), encoding="ascii") as f:
                ids[name] = f.read().strip()

        def hub_knows_both_nodes():
            def online(node_id):
                status, body = http_get(f"{hub}/api/nodes/{node_id}")
                return status == 200 and body["state"] == "online"
            _, waited = wait_for("both nodes online in the hub",
                                 lambda: all(online(node_id) for node_id in ids.values()), 20)
            return f"after {waited:.2f} s"
        check("hub identifies both nodes", hub_knows_both_nodes)

        def no_display_is_503():
            detail = expect_error(fetch(f"{node.url}/screenshot"), 503, "node")
            expect(f"X display :{DISPLAY}" in detail, f"detail does not name the display: {detail}")
            hub_detail = expect_error(fetch(f"{hub}/api/nodes/{ids['open-node']}/screenshot"),
                                      503, "hub")
            expect(detail in hub_detail, f"hub detail {hub_detail!r} lacks the node's")
            return hub_detail
        check("missing display gives 503 on node and hub", no_display_is_503)

        # By default Xvfb resets when its last client leaves, which would clear the colour that
        # xsetroot sets before a node connects.
        display = Xvfb(DISPLAY, f"{DISPLAY_SIZE[0]}x{DISPLAY_SIZE[1]}", ("-noreset",))
        painted = run(["xsetroot", "-solid", "#ff0000"], env=dict(os.environ,
                                                                  DISPLAY=f":{DISPLAY}"))
        expect(painted.returncode == 0, f"xsetroot failed: {painted.stderr}")

        def node_sizes():
            results = []
            for width, size in ((None, (320, 180)), (640, (640, 360)), (16, (16, 9)),
                                (1920, DISPLAY_SIZE)):
                query = "" if width is None else f"?width={width}"
                results.append(expect_red_image(work_dir, fetch(f"{node.url}/screenshot{query}"),
                                                f"node-{width}", size))
            return "; ".join(results)
        check("node screenshot has the width and red pixels", node_sizes)

        def bad_widths():
            for width in ("15", "1921", "abc", "", "320.5"):
                for url in (f"{node.url}/screenshot?width={width}",
                            f"{hub}/api/nodes/{ids['open-node']}/screenshot?width={width}"):
                    detail = expect_error(fetch(url), 400, url)
                    expect("from 16 to 1920" in detail, f"{url}: detail {detail}")
        check("invalid width gives 400 on node and hub", bad_widths)

        def burst_shares_grabs():
            before = metric(node, 'winebot_screenshot_requests_total{outcome="grabbed"}')
            with ThreadPoolExecutor(max_workers=20) as pool:
                replies = list(pool.map(lambda _: fetch(f"{node.url}/screenshot?width=200"),
                                        range(20)))
            statuses = sorted({reply[0] for reply in replies})
            expect(statuses == [200], f"statuses {statuses}")
            grabs = metric(node, 'winebot_screenshot_requests_total{outcome="grabbed"}') - before
            # One grab, or a few when the burst outlasts the one-second cache.
            expect(1 <= grabs <= 3, f"20 parallel requests started {grabs:.0f} grabs")
            return f"{grabs:.0f} grabs for 20 requests"
        check("burst of requests shares grabs", burst_shares_grabs)

        def while_recording():
            code, body = node.post("/recording/start", {"session_label": "screenshot"})
            expect(code == 200, f"start returned {code}: {body}")
            node.wait_state("recording")
            try:
                result = expect_red_image(work_dir, fetch(f"{node.url}/screenshot?width=400"),
                                          "recording", (400, 225))
                expect(node.state() == "recording", f"recorder state {node.state()}")
            finally:
                code, body = node.post("/recording/stop")
                expect(code == 200, f"stop returned {code}: {body}")
            return result
        check("node screenshot works while recording", while_recording)

        def token_required():
            expect_error(fetch(f"{guarded_url}/screenshot"), 401, "without X-API-Key")
            expect_error(fetch(f"{guarded_url}/screenshot", {"X-API-Key": "wrong"}), 401,
                         "with a wrong X-API-Key")
            return expect_red_image(work_dir, fetch(f"{guarded_url}/screenshot",
                                                    {"X-API-Key": NODE_TOKEN}), "token",
                                    (320, 180))
        check("node screenshot needs the API token", token_required)

        def hub_proxies():
            results = []
            for name in ("open-node", "token-node"):
                results.append(expect_red_image(
                    work_dir, fetch(f"{hub}/api/nodes/{ids[name]}/screenshot?width=480"),
                    f"hub-{name}", (480, 270)))
            return "; ".join(results)
        check("hub proxies screenshots with the node's token", hub_proxies)

        def hub_unknown_node():
            return expect_error(fetch(f"{hub}/api/nodes/{UNKNOWN_NODE}/screenshot"), 404, "hub")
        check("hub screenshot of an unknown node is 404", hub_unknown_node)

        def openapi_lists_route():
            status, document = http_get(f"{node.url}/openapi.json")
            expect(status == 200, f"node /openapi.json returned {status}")
            expect("/screenshot" in document["paths"], "node document lacks /screenshot")
            status, document = http_get(f"{hub}/api/openapi.json")
            expect(status == 200, f"hub /api/openapi.json returned {status}")
            expect("/api/nodes/{id}/screenshot" in document["paths"],
                   "hub document lacks /api/nodes/{id}/screenshot")
        check("OpenAPI documents list the screenshot routes", openapi_lists_route)

        def stopped_server_times_out():
            os.kill(display.process.pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                detail = expect_error(fetch(f"{node.url}/screenshot?width=300"), 504, "stopped X")
                elapsed = time.monotonic() - started
                expect(elapsed < 10, f"504 after {elapsed:.1f} s")
                hub_detail = expect_error(
                    fetch(f"{hub}/api/nodes/{ids['open-node']}/screenshot?width=301"), 502, "hub")
            finally:
                os.kill(display.process.pid, signal.SIGCONT)
            _, waited = wait_for("a screenshot after SIGCONT", lambda: fetch(
                f"{node.url}/screenshot?width=302")[0] == 200, 15, interval=0.5)
            return f"504 after {elapsed:.2f} s ({detail}); hub: {hub_detail}; " \
                   f"recovered in {waited:.2f} s"
        check("stopped X server gives 504, then recovers", stopped_server_times_out)
    except Exception as error:  # noqa: BLE001 - report and clean up
        checks.results.append(("setup", False))
        print(f"FAIL setup: {error}", flush=True)
        traceback.print_exc()
    finally:
        fleet.stop_all()
        for item in nodes:
            try:
                item.stop()
            except CheckFailed as error:
                print(f"FAIL stopping a node: {error}", flush=True)
                checks.results.append(("node stop", False))
        if display is not None:
            display.kill()
    if any(not ok for _, ok in checks.results):
        for item in nodes:
            print(f"--- log of node on port {item.port} ---\n{item.log()[-3000:]}")
        for name in fleet.processes:
            print(f"--- log of {name} ---\n{fleet.log(name)[-3000:]}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
