"""Load a page in Debian's `chromium`, headless, and say what happened: console errors, requests made,
the page's text, a screenshot.

Driven over the DevTools protocol on `--remote-debugging-pipe` (commands on fd 3, events and replies
on fd 4, each a JSON message ended by a NUL byte): it needs nothing beyond the standard library
(no websocket client, no puppeteer/playwright), and unlike `--dump-dom` it sees console errors and
every request the page makes.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser")


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@dataclass
class Loaded:
    text: str  # document.body.innerText
    html: str  # the DOM, serialised
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL fetched besides the page itself
    screenshot: Path | None = None
    too_wide: list[str] = field(default_factory=list)  # elements sticking out of the window, not in a scrolling box


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd, self.buffer, self.next_id = write_fd, read_fd, b"", 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(timeout)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str, timeout: float) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while True:
            event = self.receive(max(0.0, deadline - time.monotonic()))
            self.events.append(event)
            if event.get("method") == method:
                return


def load(page: Path, screenshot: Path | None = None, width: int = 360, timeout: float = 60) -> Loaded:
    """Open `page` headless, `width` CSS pixels wide (a narrow phone's by default)."""
    exe = browser()
    assert exe, "no chromium"
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    # ignore_cleanup_errors: a helper process chromium forked may still be writing its profile as it dies.
    with tempfile.TemporaryDirectory(prefix="suture-chromium-", ignore_cleanup_errors=True) as profile:
        args = [exe, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
                "--disable-gpu", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--no-default-browser-check", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # chromium refuses to run as root with its sandbox

        def pipe_fds() -> None:  # in the child: the protocol's fds 3 and 4 (copies first, so neither clobbers the other)
            reading, writing = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        # close_fds=False: subprocess would close 3 and 4 after pipe_fds ran; suture's own fds are not inheritable.
        proc = subprocess.Popen(args, close_fds=False, preexec_fn=pipe_fds, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            return _drive(_Pipe(to_browser_w, from_browser_r), page, screenshot, width, timeout)
        finally:
            os.close(to_browser_w)
            os.close(from_browser_r)
            try:  # the whole session: chromium's renderer and zygote children outlive a kill of the browser alone
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)


def _drive(pipe: _Pipe, page: Path, screenshot: Path | None, width: int, timeout: float) -> Loaded:
    targets = pipe.send("Target.getTargets", timeout=timeout)["targetInfos"]
    target = next(t["targetId"] for t in targets if t.get("type") == "page")
    session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.send(f"{domain}.enable", session=session)
    # A phone's width: a chromium window is never narrower than 500 px.
    pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800, "deviceScaleFactor": 1,
                                                      "mobile": True}, session=session)
    url = page.resolve().as_uri()
    pipe.send("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired", timeout)

    def evaluate(expression: str) -> str:
        return pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                         session=session)["result"].get("value", "")

    text, html = evaluate("document.body.innerText"), evaluate("document.documentElement.outerHTML")
    # Anything wider than the window outside a sideways-scrolling box makes the whole page scroll sideways.
    too_wide = evaluate("Array.from(document.querySelectorAll('body *')).filter(e => !e.closest('.scroll, pre, figure')"
                        " && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                        ".map(e => e.tagName.toLowerCase() + ' ' + (e.textContent || '').slice(0, 40)).join('\\n')")
    shot = None
    if screenshot is not None:
        size = pipe.send("Page.getLayoutMetrics", session=session)["cssContentSize"]  # the whole page, not the window
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        data = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip},
                         session=session, timeout=timeout)["data"]
        screenshot.write_bytes(base64.b64decode(data))
        shot = screenshot
    errors, requests = [], []
    for event in pipe.events:
        method, params = event.get("method"), event.get("params") or {}
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent" and params.get("request", {}).get("url") != url:
            requests.append(params["request"]["url"])
    return Loaded(text, html, errors, requests, shot, [line for line in too_wide.split("\n") if line])
