"""Process and sandbox helpers for the integration tests.

This module starts every process itself and stops it by its pid. The Avahi sandbox, a private
D-Bus bus and an avahi-daemon limited to the loopback interface, is started and stopped through
scripts/avahi-sandbox.sh.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback
import urllib.error
import urllib.request


class CheckFailed(AssertionError):
    pass


class Checks:
    """Runs named checks, prints PASS or FAIL for each, and counts them; a failed check does
    not stop the ones after it."""

    def __init__(self):
        self.results = []

    def run(self, name, function):
        started = time.monotonic()
        try:
            detail = function()
            self.results.append((name, True))
            suffix = f" ({detail})" if detail else ""
            print(f"PASS {name}{suffix} [{time.monotonic() - started:.2f} s]", flush=True)
        except Exception as error:  # noqa: BLE001 - report every failure and go on
            self.results.append((name, False))
            print(f"FAIL {name}: {error}", flush=True)
            if not isinstance(error, CheckFailed):
                traceback.print_exc()

    def summary(self):
        """Print the totals and return the exit status: 1 when a check failed."""
        failed = [name for name, ok in self.results if not ok]
        for name in failed:
            print(f"failed: {name}")
        print(f"{len(self.results) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0


def free_port():
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url, timeout=3.0):
    """GET url and return (status, parsed JSON body or None)."""
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, None


def wait_for(description, condition, timeout, interval=0.1):
    """Poll condition() until it returns a truthy value; raise CheckFailed after timeout seconds.

    Returns (value, seconds waited).
    """
    started = time.monotonic()
    last_error = None
    while time.monotonic() - started < timeout:
        try:
            value = condition()
            if value:
                return value, time.monotonic() - started
        except (OSError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(interval)
    detail = f" (last error: {last_error})" if last_error else ""
    raise CheckFailed(f"timed out after {timeout:.1f} s waiting for {description}{detail}")


class Fleet:
    """Owns a temporary folder, the Avahi sandbox and every hub and node process it starts."""

    def __init__(self, build_dir, source_dir):
        self.build_dir = build_dir
        self.source_dir = source_dir
        self.work_dir = tempfile.mkdtemp(prefix="winebot-it-")
        self.sandbox_dir = os.path.join(self.work_dir, "sandbox")
        self.processes = {}
        self.env = dict(os.environ)

    # Sandbox -------------------------------------------------------------------------------

    def start_sandbox(self):
        script = os.path.join(self.source_dir, "scripts", "avahi-sandbox.sh")
        output = subprocess.run(
            ["bash", script, "start", self.sandbox_dir],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
        for line in output.splitlines():
            if line.startswith("export DBUS_SYSTEM_BUS_ADDRESS="):
                self.env["DBUS_SYSTEM_BUS_ADDRESS"] = line.split("=", 1)[1]
        if "DBUS_SYSTEM_BUS_ADDRESS" not in self.env:
            raise CheckFailed(f"avahi-sandbox.sh printed no bus address: {output!r}")

    def stop_sandbox(self):
        script = os.path.join(self.source_dir, "scripts", "avahi-sandbox.sh")
        subprocess.run(["bash", script, "stop", self.sandbox_dir], check=False, timeout=60)

    def avahi_browse(self, service_type):
        """Resolved entries of service_type as avahi-browse reports them, one list per line."""
        output = subprocess.run(
            ["avahi-browse", "-r", "-t", "-p", service_type],
            env=self.env, capture_output=True, text=True, timeout=20,
        ).stdout
        return [line.split(";") for line in output.splitlines() if line.startswith("=")]

    # Processes -----------------------------------------------------------------------------

    def start(self, name, arguments):
        log_path = os.path.join(self.work_dir, f"{name}.log")
        log = open(log_path, "ab")
        process = subprocess.Popen(arguments, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        self.processes[name] = process
        return process

    def start_hub(self, port, db_path, extra=()):
        binary = os.path.join(self.build_dir, "hub", "winebot-hub")
        return self.start("hub", [binary, "--listen", f"127.0.0.1:{port}", "--db", db_path,
                                  "--web-root", os.path.join(self.source_dir, "web"), *extra])

    def start_node(self, name, port, state_dir, extra=()):
        binary = os.path.join(self.build_dir, "node", "winebot-node")
        return self.start(name, [binary, "--listen", f"127.0.0.1:{port}", "--state-dir",
                                 state_dir, "--name", name, *extra])

    def signal(self, name, signal_number):
        self.processes[name].send_signal(signal_number)

    def wait_exit(self, name, timeout=10):
        return self.processes[name].wait(timeout=timeout)

    def log(self, name):
        with open(os.path.join(self.work_dir, f"{name}.log"), encoding="utf-8",
                  errors="replace") as handle:
            return handle.read()

    def finish(self, checks):
        """Print every process's log when a check failed, else remove the work folder; then
        print the totals and return the exit status."""
        if any(not ok for _, ok in checks.results):
            for name in self.processes:
                print(f"--- log of {name} ---\n{self.log(name)[-4000:]}")
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        return checks.summary()

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
