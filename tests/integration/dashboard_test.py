#!/usr/bin/env python3
"""Dashboard test in a real browser: headless Chromium loads the hub's page while two real nodes
are advertised in the loopback Avahi sandbox, and the rendered table must list both, online.
Saves a screenshot under the build folder. Then a live page, driven over the DevTools protocol
(browser_pipe.py), must show a node killed with SIGKILL as offline without reloading, which only
the hub's event stream can tell it.

Usage: dashboard_test.py --build-dir BUILD --source-dir SOURCE
"""

import argparse
import html.parser
import json
import os
import shutil
import signal
import subprocess
import sys

from browser_pipe import PipeBrowser
from fleet_harness import CheckFailed, Fleet, free_port, http_get, wait_for

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class TableRows(html.parser.HTMLParser):
    """Collects the text of each cell of each <tr data-node-id=...> row."""

    def __init__(self):
        super().__init__()
        self.rows = {}
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "tr" and "data-node-id" in attributes:
            self._row = attributes["data-node-id"]
            self.rows[self._row] = {}
        elif tag == "td" and self._row is not None:
            self._cell = attributes.get("data-column")
            self.rows[self._row][self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row is not None and self._cell is not None:
            self.rows[self._row][self._cell] += data


def run_chromium(fleet, url, mode_flags):
    """Render the dashboard once. `?snapshot` keeps it off the live event stream, because
    Chromium's virtual time does not advance while a request (the stream) is open."""
    profile = os.path.join(fleet.work_dir, "chromium-profile")
    command = ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               "--virtual-time-budget=4000", "--window-size=1280,720", *mode_flags,
               url + "?snapshot"]
    return subprocess.run(command, capture_output=True, text=True, timeout=90,
                          stdin=subprocess.DEVNULL)


def live_updates_change_a_badge(fleet, hub_url, names):
    """In a live page, a node killed with SIGKILL turns offline without a reload."""
    browser = PipeBrowser(CHROMIUM_FLAGS, os.path.join(fleet.work_dir, "chromium-live"))
    try:
        page = browser.open_page(hub_url)

        def row_state(name):
            return browser.evaluate(page, f"""(() => {{
                const rows = [...document.querySelectorAll('#nodes tbody tr')];
                const row = rows.find((r) => r.cells[0].textContent === {json.dumps(name)});
                return row ? row.dataset.state : null;
            }})()""")

        wait_for("both rows online in the live page",
                 lambda: all(row_state(name) == "online" for name in names), 15)
        browser.evaluate(page, "window.loadedOnce = true")  # a reload would forget it
        fleet.signal(names[1], signal.SIGKILL)
        _, waited = wait_for(f"{names[1]} offline in the live page",
                             lambda: row_state(names[1]) == "offline", 15)
        if browser.evaluate(page, "window.loadedOnce === true") is not True:
            raise CheckFailed("the page reloaded instead of updating in place")
        if row_state(names[0]) != "online":
            raise CheckFailed(f"{names[0]} shows {row_state(names[0])!r}")
        print(f"PASS the live page showed {names[1]} offline {waited:.2f} s after SIGKILL, "
              f"without a reload", flush=True)
    finally:
        browser.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    arguments = parser.parse_args()

    fleet = Fleet(os.path.abspath(arguments.build_dir), os.path.abspath(arguments.source_dir))
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}/"
    screenshot = os.path.join(fleet.build_dir, "screenshots", "dashboard-two-nodes.png")
    names = ["browser-node-1", "browser-node-2"]
    passed = False
    try:
        fleet.start_sandbox()
        fleet.start_hub(hub_port, os.path.join(fleet.work_dir, "hub.db"))
        for name in names:
            fleet.start_node(name, free_port(), os.path.join(fleet.work_dir, name))

        def both_online():
            _, body = http_get(hub_url + "api/nodes")
            ours = [n for n in body["nodes"] if n["name"] in names and n["state"] == "online"]
            return len(ours) == 2
        wait_for("both nodes online in the API", both_online, 15)

        result = run_chromium(fleet, hub_url, ["--dump-dom"])
        table = TableRows()
        table.feed(result.stdout)
        rendered = {row.get("name"): row for row in table.rows.values()}
        for name in names:
            if name not in rendered:
                raise CheckFailed(f"{name} is not in the rendered table; rows: {rendered}; "
                                  f"chromium stderr: {result.stderr[-2000:]}")
            if rendered[name].get("state") != "online":
                raise CheckFailed(f"{name} shows state {rendered[name].get('state')!r}")
        print(f"PASS dashboard lists {', '.join(names)} as online", flush=True)

        os.makedirs(os.path.dirname(screenshot), exist_ok=True)
        run_chromium(fleet, hub_url, [f"--screenshot={screenshot}"])
        if not os.path.exists(screenshot) or os.path.getsize(screenshot) == 0:
            raise CheckFailed("chromium wrote no screenshot")
        print(f"PASS screenshot saved to {screenshot}", flush=True)

        live_updates_change_a_badge(fleet, hub_url, names)
        passed = True
    except Exception as error:  # noqa: BLE001 - report and fail
        print(f"FAIL {error}", flush=True)
    finally:
        fleet.stop_all()
        fleet.stop_sandbox()
        if passed:
            shutil.rmtree(fleet.work_dir, ignore_errors=True)
        else:
            for name in fleet.processes:
                print(f"--- log of {name} ---\n{fleet.log(name)[-3000:]}")
    print(f"{3 if passed else 0} passed, {0 if passed else 1} failed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
