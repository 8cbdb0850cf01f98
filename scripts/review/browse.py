#!/usr/bin/python3
"""Drive headless Chromium over the DevTools protocol to check a review page.

usage: /usr/bin/python3 scripts/review/browse.py PAGE.html --screenshot OUT.png
           [--seek-markers N] [--play-seconds S] [--timeout T] [--size WxH]

Standard library only. Chromium (/usr/bin/chromium, or $CHROMIUM) is started
with --remote-debugging-pipe: it reads commands from fd 3 and writes replies
and events to fd 4, each JSON message terminated by NUL (docs/review-facts.md
section 3).

The page opened from file:// is expected to set `window.review` with `ready`,
`fps`, `frameCount`, `currentFrame()` and `markers` ([{frame, name, kind}]),
to hold the main video in <video id="render">, and to show each marker as an
element `.marker[data-frame="F"]` that seeks the video to F and pauses it when
clicked. ArrowRight/ArrowLeft step one frame.

Steps, reported as one JSON object on stdout:
  ready     window.review.ready became true within --timeout of the browser
            answering (polled 100 ms; its start-up may take up to 60 s)
  playback  render.play() (user gesture), currentTime before/after
            --play-seconds, then pause; advanced = after > before + 0.2
  seeks     for the first N markers: real mouse click at the centre of the
            marker element (scrolled into view), wait until the video has
            seeked, {frame, shown: review.currentFrame(), name}
  keys      ArrowRight twice, then ArrowLeft once (Input.dispatchKeyEvent),
            the frame before, after the two rights, after the left
  screenshot  the page scrolled to its top, Page.captureScreenshot (png)
            written to --screenshot
  errors    every Runtime.exceptionThrown, console error/assert and
            Log.entryAdded error seen during the run, as strings

Exit 0 when the run completed (the caller judges the results); exit 3 with
"fatal" (and "chromium_stderr_tail") in the JSON when the browser or the
protocol failed or timed out; exit 2 on bad usage. Chromium is always reaped
and its temporary profile removed.
"""
import argparse
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CALL_TIMEOUT = 10.0   # seconds for one protocol reply
# Seconds for the browser's first reply. A first launch on a fresh machine
# maps a 300 MB binary from a cold disk and builds its caches: 6 s on an
# idle 2-core machine, more than 10 s when other work loads it.
STARTUP_TIMEOUT = 60.0
SEEK_TIMEOUT = 3.0    # seconds for the video to finish a seek
CLOSE_GRACE = 5.0     # seconds between Browser.close and SIGKILL


class Fatal(Exception):
    """The browser or the protocol failed; the run cannot go on."""


class Terminated(Exception):
    """SIGTERM/SIGINT/SIGHUP arrived."""


class Chromium:
    def __init__(self, width, height, deadline):
        self.deadline = deadline
        self.workdir = tempfile.mkdtemp(prefix="review-browse-")
        self.stderr_path = os.path.join(self.workdir, "chromium.stderr")
        self.proc = None
        self.wfd = self.rfd = None
        self.buf = b""
        self.next_id = 0
        self.replies = {}
        self.session = None
        self.events = []          # page-session events not yet consumed
        self.errors = []          # formatted error events, whole run
        self.load_fired = False

        profile = os.path.join(self.workdir, "profile")
        os.mkdir(profile)
        to_r, to_w = os.pipe()      # driver -> chromium (its fd 3)
        from_r, from_w = os.pipe()  # chromium -> driver (its fd 4)

        def child_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check",
                f"--window-size={width},{height}", "--mute-audio",
                "about:blank"]
        try:
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                    pass_fds=(to_r, from_w, 3, 4), preexec_fn=child_fds,
                    start_new_session=True)
        finally:
            os.close(to_r)
            os.close(from_w)
            self.wfd, self.rfd = to_w, from_r
        if self.proc is None:
            raise Fatal("could not start " + CHROMIUM)

    # --- transport -------------------------------------------------------

    def _remaining(self, until):
        return min(until, self.deadline) - time.monotonic()

    def _send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                n = os.write(self.wfd, data)
                data = data[n:]
        except OSError as e:
            raise Fatal(f"writing {method} to chromium: {e}") from None
        return self.next_id

    def pump(self, timeout):
        """Read what arrives within `timeout` seconds and dispatch it."""
        timeout = max(0.0, timeout)
        ready, _, _ = select.select([self.rfd], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.rfd, 1 << 20)
        except OSError as e:
            raise Fatal(f"reading from chromium: {e}") from None
        if not chunk:
            raise Fatal("chromium closed the debugging pipe"
                        f" (exit status {self.proc.poll()})")
        self.buf += chunk
        while b"\0" in self.buf:
            raw, self.buf = self.buf.split(b"\0", 1)
            if raw.strip():
                self._dispatch(json.loads(raw))

    def _dispatch(self, msg):
        if "id" in msg:
            self.replies[msg["id"]] = msg
            return
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            raise Fatal("the page's renderer crashed")
        if method == "Target.detachedFromTarget" and \
                params.get("sessionId") == self.session:
            raise Fatal("detached from the page target")
        if self.session is None or msg.get("sessionId") != self.session:
            return
        if method == "Page.loadEventFired":
            self.load_fired = True
        text = format_error(method, params)
        if text is not None:
            self.errors.append(text)
        self.events.append(msg)
        del self.events[:-200]

    def call(self, method, params=None, session=True, timeout=CALL_TIMEOUT):
        """Send a command and return its result; Fatal on error or timeout."""
        i = self._send(method, params, session)
        until = time.monotonic() + timeout
        while i not in self.replies:
            left = self._remaining(until)
            if left <= 0:
                what = "the run's time limit" if self.deadline <= until \
                    else f"{timeout:g} s"
                raise Fatal(f"no reply to {method} within {what}")
            self.pump(min(left, 0.1))
        reply = self.replies.pop(i)
        if "error" in reply:
            raise Fatal(f"{method}: {reply['error'].get('message')}"
                        f" ({reply['error'].get('code')})")
        return reply.get("result", {})

    def sleep(self, seconds):
        """Wait, dispatching events meanwhile (bounded by the deadline)."""
        until = time.monotonic() + seconds
        while True:
            left = self._remaining(until)
            if left <= 0:
                if time.monotonic() >= self.deadline:
                    raise Fatal("the run's time limit passed")
                return
            self.pump(min(left, 0.1))

    # --- page helpers ----------------------------------------------------

    def evaluate(self, expression, gesture=False, await_promise=False):
        """(value, exception text or None) of a page expression."""
        r = self.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True,
            "awaitPromise": await_promise, "userGesture": gesture})
        if "exceptionDetails" in r:
            return None, exception_text(r["exceptionDetails"])
        return r.get("result", {}).get("value"), None

    def value(self, expression, gesture=False, await_promise=False):
        return self.evaluate(expression, gesture, await_promise)[0]

    # --- shutdown --------------------------------------------------------

    def close(self):
        """Browser.close, wait CLOSE_GRACE, then kill; reap; remove files."""
        tail = stderr_tail(self.stderr_path)
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self._send("Browser.close", session=False)
                except Fatal:
                    pass
                try:
                    self.proc.wait(CLOSE_GRACE)
                except subprocess.TimeoutExpired:
                    pass
            # The whole process group (zygote, renderer, utility processes).
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(CLOSE_GRACE)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self.wfd, self.rfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.wfd = self.rfd = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        return tail


def exception_text(details):
    exc = details.get("exception") or {}
    text = exc.get("description") or details.get("text") or "exception"
    if exc.get("description") and details.get("text") and \
            not exc["description"].startswith(details["text"].replace("Uncaught ", "")):
        text = f"{details['text']} {exc['description']}"
    return text


def where(url, line):
    if not url:
        return ""
    return f" ({url}:{line + 1})" if isinstance(line, int) else f" ({url})"


def format_error(method, params):
    """A string for an error event, None for anything else."""
    if method == "Runtime.exceptionThrown":
        d = params.get("exceptionDetails", {})
        url, line = d.get("url"), d.get("lineNumber")
        if not url:
            frames = (d.get("stackTrace") or {}).get("callFrames") or []
            if frames:
                url, line = frames[0].get("url"), frames[0].get("lineNumber")
        return f"exception: {exception_text(d)}{where(url, line)}"
    if method == "Runtime.consoleAPICalled" and \
            params.get("type") in ("error", "assert"):
        parts = []
        for a in params.get("args", []):
            if "value" in a:
                v = a["value"]
                parts.append(v if isinstance(v, str) else json.dumps(v))
            else:
                parts.append(a.get("description") or a.get("type", "?"))
        frames = (params.get("stackTrace") or {}).get("callFrames") or []
        loc = where(frames[0].get("url"), frames[0].get("lineNumber")) if frames else ""
        return f"console.{params['type']}: {' '.join(parts)}{loc}"
    if method == "Log.entryAdded":
        e = params.get("entry", {})
        if e.get("level") == "error":
            return f"log {e.get('source', '?')}: {e.get('text', '')}" \
                   f"{where(e.get('url'), e.get('lineNumber'))}"
    return None


def stderr_tail(path, lines=20):
    """The last lines of Chromium's stderr, without the dbus noise it always
    prints here (no session bus in a container)."""
    try:
        with open(path, "rb") as f:
            data = f.read()[-262144:]
    except OSError:
        return []
    text = data.decode("utf-8", "replace").splitlines()
    return [l for l in text if ":ERROR:dbus/" not in l][-lines:]


VIDEO = "document.getElementById('render')"


def wait_seeked(b, timeout=SEEK_TIMEOUT):
    """Poll until the render video is not seeking and has data; True if so."""
    until = time.monotonic() + timeout
    expr = f"(v => !!v && !v.seeking && v.readyState >= 2)({VIDEO})"
    while True:
        if b.value(expr):
            return True
        if time.monotonic() >= until:
            return False
        b.sleep(0.05)


def current_frame(b):
    v, err = b.evaluate("(() => { const f = window.review.currentFrame();"
                        " return typeof f === 'number' ? f : String(f); })()")
    return v if err is None else None


def click_marker(b, frame):
    """Mouse click at the centre of the first .marker[data-frame=frame]."""
    expr = ("(() => { const el = document.querySelector('.marker[data-frame=\"' +"
            f" CSS.escape(String({json.dumps(frame)})) + '\"]');"
            " if (!el) return null; el.scrollIntoView({block: 'center'});"
            " const r = el.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2,"
            " w: r.width, h: r.height}; })()")
    rect, err = b.evaluate(expr)
    if err:
        return f"locating the marker: {err}"
    if rect is None:
        return "no .marker element with this data-frame"
    if not rect["w"] or not rect["h"]:
        return "the marker element has no size (hidden?)"
    x, y = rect["x"], rect["y"]
    b.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    for kind in ("mousePressed", "mouseReleased"):
        b.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                            "button": "left", "clickCount": 1})
    return None


def press(b, key, code):
    for kind in ("keyDown", "keyUp"):
        b.call("Input.dispatchKeyEvent", {
            "type": kind, "key": key, "code": key,
            "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code})


def run(args, b, report, start):
    product = b.call("Browser.getVersion", session=False,
                     timeout=STARTUP_TIMEOUT).get("product")
    up = time.monotonic()
    report["chromium"] = product
    report["browser_up_after_s"] = round(up - start, 2)
    target = b.call("Target.createTarget", {"url": "about:blank"},
                    session=False)["targetId"]
    b.session = b.call("Target.attachToTarget",
                       {"targetId": target, "flatten": True},
                       session=False)["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        b.call(domain + ".enable")
    # --window-size includes the window's frame in headless=new (1280x900
    # gives a 1280x813 viewport): make the viewport itself --size.
    b.call("Emulation.setDeviceMetricsOverride", {
        "width": args.size[0], "height": args.size[1],
        "deviceScaleFactor": 1, "mobile": False})

    # 1. navigate, load, ready
    nav = b.call("Page.navigate", {"url": report["url"]})
    if nav.get("errorText"):
        report["navigate_error"] = nav["errorText"]
    ready_until = up + args.timeout
    while not b.load_fired:
        if time.monotonic() >= ready_until:
            raise Fatal(f"no Page.loadEventFired within {args.timeout:g} s")
        b.pump(0.1)
    while True:
        if b.value("!!(window.review && window.review.ready)"):
            report["ready"] = True
            break
        if time.monotonic() >= ready_until:
            break
        b.sleep(0.1)
    report["ready_after_s"] = round(time.monotonic() - start, 2)

    # 2. playback
    playback = {}
    report["playback"] = playback
    if not b.value(f"!!{VIDEO}"):
        playback["error"] = "no <video id=\"render\">"
    else:
        playback["before"] = b.value(f"{VIDEO}.currentTime")
        # A play() that never settles (no data) must not stall the protocol.
        state, err = b.evaluate(
            f"Promise.race([{VIDEO}.play().then(() => 'playing'),"
            " new Promise(r => setTimeout(() => r('pending'), 5000))])",
            gesture=True, await_promise=True)
        if err:
            playback["error"] = f"play(): {err}"
        elif state != "playing":
            playback["error"] = "play(): promise still pending after 5 s"
        b.sleep(args.play_seconds)
        playback["after"] = b.value(f"{VIDEO}.currentTime")
        b.evaluate(f"{VIDEO}.pause()")
        before, after = playback["before"], playback["after"]
        playback["advanced"] = isinstance(before, (int, float)) and \
            isinstance(after, (int, float)) and after > before + 0.2
        wait_seeked(b)

    # 3. seeks
    seeks = []
    report["seeks"] = seeks
    markers, err = b.evaluate(
        "(() => { const m = window.review && window.review.markers;"
        f" return Array.isArray(m) ? m.slice(0, {args.seek_markers})"
        ".map(x => ({frame: x.frame, name: x.name})) : null; })()")
    if err or markers is None:
        report["markers_error"] = err or "window.review.markers is not an array"
        markers = []
    for m in markers:
        entry = {"frame": m.get("frame"), "shown": None, "name": m.get("name")}
        problem = click_marker(b, m.get("frame"))
        if problem:
            entry["error"] = problem
        else:
            if not wait_seeked(b):
                entry["settled"] = False
            entry["shown"] = current_frame(b)
        seeks.append(entry)

    # 4. keys
    keys = {"before": None, "after_right": None, "after_left": None}
    report["keys"] = keys
    if b.value("!!(window.review && typeof window.review.currentFrame === 'function')"):
        keys["before"] = current_frame(b)
        for _ in range(2):
            press(b, "ArrowRight", 39)
            if not wait_seeked(b):
                keys["settled"] = False
        keys["after_right"] = current_frame(b)
        press(b, "ArrowLeft", 37)
        if not wait_seeked(b):
            keys["settled"] = False
        keys["after_left"] = current_frame(b)
    else:
        keys["error"] = "window.review.currentFrame is not a function"

    # 5. screenshot, of the page's top (the clicks scrolled it)
    b.evaluate("window.scrollTo(0, 0)")
    shot = {"path": os.path.abspath(args.screenshot), "bytes": 0}
    report["screenshot"] = shot
    data = base64.b64decode(b.call("Page.captureScreenshot",
                                   {"format": "png"})["data"])
    try:
        with open(args.screenshot, "wb") as f:
            f.write(data)
        shot["bytes"] = len(data)
    except OSError as e:
        shot["error"] = str(e)

    # late events (a last console error, a failed resource)
    b.sleep(0.2)


def parse_size(text):
    try:
        w, h = text.lower().split("x")
        w, h = int(w), int(h)
        if w > 0 and h > 0:
            return w, h
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"size must be WxH, got {text!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("page")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--seek-markers", type=int, default=3)
    ap.add_argument("--play-seconds", type=float, default=1.5)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--size", type=parse_size, default=(1280, 900))
    args = ap.parse_args()

    start = time.monotonic()
    page = os.path.abspath(args.page)
    report = {"page": page, "url": "file://" + page, "ready": False,
              "playback": None, "seeks": [], "keys": None,
              "screenshot": None, "errors": []}
    # The browser's start-up and everything after the ready wait get a
    # margin on top of --timeout.
    margin = 20 + args.play_seconds + SEEK_TIMEOUT * (max(args.seek_markers, 0) + 3)
    deadline = start + STARTUP_TIMEOUT + args.timeout + margin

    def on_signal(signum, frame):
        raise Terminated(signal.Signals(signum).name)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    fatal = None
    b = None
    try:
        if not os.path.isfile(page):
            raise Fatal(f"no such page: {page}")
        b = Chromium(*args.size, deadline)
        run(args, b, report, start)
    except Fatal as e:
        fatal = str(e)
    except Terminated as e:
        fatal = f"terminated by {e}"
    except Exception as e:  # a bug here must still give JSON and cleanup
        fatal = f"{type(e).__name__}: {e}"
    finally:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        tail = []
        if b is not None:
            report["errors"] = list(b.errors)
            tail = b.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    report["elapsed_s"] = round(time.monotonic() - start, 2)
    if fatal:
        report["fatal"] = fatal
        report["chromium_stderr_tail"] = tail
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 3 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
