"""Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe: the
browser reads commands on file descriptor 3 and writes replies and events on 4, one JSON message
per NUL-terminated record. Standard library only; the browser is stopped by its pid."""

import fcntl
import json
import os
import select
import subprocess
import time


class BrowserError(RuntimeError):
    pass


class PipeBrowser:
    def __init__(self, flags, profile_dir):
        commands_read, commands_write = os.pipe()
        replies_read, replies_write = os.pipe()
        # Move the child's ends above 10 first, so that placing them on 3 and 4 cannot clobber
        # one another.
        child_in = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(replies_write, fcntl.F_DUPFD, 10)
        os.close(commands_read)
        os.close(replies_write)

        def place_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            ["chromium", *flags, f"--user-data-dir={profile_dir}", "--remote-debugging-pipe",
             "about:blank"],
            preexec_fn=place_pipes, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_in)
        os.close(child_out)
        self.commands = commands_write
        self.replies = replies_read
        self.buffer = b""
        self.next_id = 1

    def call(self, method, params=None, session_id=None, timeout=10.0):
        """Send one command and return its result; raise BrowserError on an error reply."""
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self.next_id += 1
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("no reply from the browser in time")
            ready, _, _ = select.select([self.replies], [], [], remaining)
            if ready:
                chunk = os.read(self.replies, 65536)
                if not chunk:
                    raise BrowserError("the browser closed its pipe")
                self.buffer += chunk
        record, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(record)

    def open_page(self, url):
        """Open `url` in a new tab and return the session id that commands for it need."""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        return self.call("Target.attachToTarget",
                         {"targetId": target, "flatten": True})["sessionId"]

    def evaluate(self, session_id, expression):
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True}, session_id)
        return result.get("result", {}).get("value")

    def close(self):
        os.close(self.commands)
        os.close(self.replies)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
