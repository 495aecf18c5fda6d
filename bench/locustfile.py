"""Students sitting one mock exam together, driven by locust (run by bench.run, not by hand).

Every simulated student, once:

1. logs in (GET the login page for its CSRF token, POST the form) and opens the exam list;
2. waits on a shared gate until every student has logged in, then presses Start within
   `start_window` seconds of the gate opening (the synchronised start);
3. works through questions until its deadline: about every `tick` seconds an autosave of the
   current question (JSON, X-CSRFToken, option ids read from the page, an increasing seq),
   on every `floor_every`-th tick a POST to the floor endpoint (the cheapest logged-in
   write) next to the autosave, sometimes a flag, the timer's state poll every third tick,
   and now and then the next question's page;
4. in the last `submit_window` seconds before the shared deadline, saves once more and
   submits (the deadline rush), then opens its results page.

The configuration comes from the JSON file named by BENCH_CONFIG; when the run ends every
request (start time, name, latency, status) and every acknowledged answer is written to the
file named there, for bench.run to report and to check against the database.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

CONFIG = json.loads(Path(os.environ["BENCH_CONFIG"]).read_text())
SLUG = CONFIG.get("slug", "dva-c01-full-mock")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION_RE = re.compile(r'name="option" value="(\d+)"')
SELECT_RE = re.compile(r'data-select-count="(\d+)"')
TOTAL_RE = re.compile(r"Question \d+ of (\d+)")
ATTEMPT_RE = re.compile(r"/attempts/(\d+)/q/(\d+)/")


class Shared:
    """State shared by every simulated student (one locust process, one gevent hub)."""

    usernames = iter(CONFIG["usernames"])
    logged_in = 0
    login_failed = 0
    finished = 0
    completed = 0  # sat the whole exam, through submit (the rest were cut off by the time cap)
    gate = Event()
    t0: float | None = None
    exam_end: float | None = None
    records: list[tuple[float, str, float, int, bool]] = []
    acked: dict[str, list] = {}  # "attempt:position" -> [seq, sorted option ids]
    sent: dict[str, list] = {}  # "attempt:position" -> [[seq, options, status], ...]
    attempts: dict[str, int] = {}  # username -> attempt id
    submitted: dict[str, int] = {}  # username -> status of the submit
    problems: list[str] = []
    written = False


def problem(text: str) -> None:
    if len(Shared.problems) < 200:
        Shared.problems.append(f"{time.strftime('%H:%M:%S')} {text}")


@events.request.add_listener
def _record(name, response_time, response=None, exception=None, start_time=None, **_kw):
    status = (getattr(response, "status_code", 0) or 0) if response is not None else 0
    started = start_time if start_time is not None else time.time() - response_time / 1000
    Shared.records.append((started, name, float(response_time), int(status), exception is None))


def _controller(environment) -> None:
    """Open the gate once everyone has logged in; stop the run once everyone has finished."""
    users = CONFIG["users"]
    deadline = time.time() + CONFIG["login_timeout"]
    while time.time() < deadline and Shared.logged_in + Shared.login_failed < users:
        gevent.sleep(0.2)
    if Shared.logged_in < users:
        problem(f"gate opened with {Shared.logged_in} of {users} students logged in")
    Shared.t0 = time.time() + 1.0
    Shared.exam_end = Shared.t0 + CONFIG["duration"]
    Shared.gate.set()
    stop_by = Shared.exam_end + CONFIG["finish_timeout"]
    while time.time() < stop_by and Shared.finished < Shared.logged_in:
        gevent.sleep(0.5)
    if Shared.finished < Shared.logged_in:
        problem(
            f"time cap: {Shared.logged_in - Shared.finished} students still busy "
            f"{CONFIG['finish_timeout']} s after the deadline were stopped"
        )
    gevent.sleep(0.5)
    environment.runner.quit()


@events.test_start.add_listener
def _on_test_start(environment, **_kw):
    gevent.spawn(_controller, environment)


@events.test_stop.add_listener
def _on_test_stop(environment, **_kw):
    if Shared.written:
        return
    Shared.written = True
    Path(CONFIG["output"]).write_text(
        json.dumps(
            {
                "t0": Shared.t0,
                "exam_end": Shared.exam_end,
                "logged_in": Shared.logged_in,
                "login_failed": Shared.login_failed,
                "finished": Shared.finished,
                "completed": Shared.completed,
                "records": Shared.records,
                "acked": Shared.acked,
                "sent": Shared.sent,
                "attempts": Shared.attempts,
                "submitted": Shared.submitted,
                "problems": Shared.problems,
            }
        )
    )


# Like the page's queue: retry after 1 s, doubling up to 10 s; bounded.
RETRY_DELAYS = (1, 2, 4, 8, 10, 10)


def retryable(status: int) -> bool:
    """A network failure, a server error or 429: what the page's queue retries."""
    return status == 0 or status == 429 or status >= 500


def _error(response) -> str:
    """The transport error behind a status 0 (connection reset, timeout...), for the report."""
    error = getattr(response, "error", None) or getattr(response, "_error", None)
    return f"{type(error).__name__}: {error}" if error else ""


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        gevent.sleep(delay)


class Page:
    """What a student reads off a question page."""

    def __init__(self, text: str):
        token = CSRF_RE.search(text)
        self.csrf = token.group(1) if token else ""
        self.options = OPTION_RE.findall(text)
        select = SELECT_RE.search(text)
        self.select_count = int(select.group(1)) if select else 1
        total = TOTAL_RE.search(text)
        self.total = int(total.group(1)) if total else 1


class Student(FastHttpUser):
    wait_time = constant(0)
    # One connection per request, as gunicorn sees it behind a proxy (nginx talks HTTP/1.0 to
    # its upstream by default); it also avoids the keep-alive race in which gunicorn closes an
    # idle connection just as the client reuses it (a transport error, not the app's).
    default_headers = {"Connection": "close"}
    network_timeout = 120.0
    connection_timeout = 120.0

    @task
    def sit_exam(self) -> None:
        # Each simulated student sits exactly one exam; locust would otherwise loop the task.
        try:
            self.username = next(Shared.usernames)
        except StopIteration:
            raise StopUser() from None
        # Production marks the session and CSRF cookies Secure; behind its TLS proxy a browser
        # sends them back. Locust's cookie jar (like python's) keeps Secure cookies off plain
        # http, so this student treats the loopback http as the TLS leg a proxy would end.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        logged_in = False
        try:
            logged_in = self.do_login()
            if logged_in:
                Shared.logged_in += 1
            else:
                Shared.login_failed += 1
                return
            self.sit()
        except StopUser:
            raise
        except Exception as exc:  # noqa: BLE001 - a script error must end this user, not loop
            problem(f"{self.username}: {type(exc).__name__}: {exc}")
        finally:
            if logged_in:
                Shared.finished += 1
        raise StopUser()

    # --- Requests ---------------------------------------------------------------------------
    def do_login(self) -> bool:
        with self.client.get("/accounts/login/", name="GET login", catch_response=True) as r:
            token = CSRF_RE.search(r.text or "")
            if r.status_code != 200 or not token:
                r.failure(f"login page: {r.status_code}")
                return False
        body = urlencode(
            {
                "username": self.username,
                "password": CONFIG["password"],
                "csrfmiddlewaretoken": token.group(1),
                "next": "/exams/",
            }
        )
        with self.client.post(
            "/accounts/login/",
            data=body,
            headers=FORM,
            name="POST login",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code != 302 or "/login" in ((r.headers or {}).get("Location") or ""):
                r.failure(f"login refused: {r.status_code}")
                problem(f"{self.username}: login refused ({r.status_code})")
                return False
        # The exam list proves the (Secure) session cookie came back, and holds Start's token.
        with self.client.get("/exams/", name="GET exams", catch_response=True) as r:
            token = CSRF_RE.search(r.text or "")
            if r.status_code != 200 or SLUG not in (r.text or "") or not token:
                r.failure(f"exam list: {r.status_code}")
                problem(f"{self.username}: exam list not shown after login ({r.status_code})")
                return False
        self.csrf = token.group(1)
        return True

    def do_start(self) -> bool:
        with self.client.post(
            f"/exams/{SLUG}/start/",
            data=urlencode({"csrfmiddlewaretoken": self.csrf}),
            headers=FORM,
            name="POST start",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            match = ATTEMPT_RE.search((r.headers or {}).get("Location") or "")
            if r.status_code != 302 or not match:
                r.failure(f"start: {r.status_code} {(r.headers or {}).get('Location')}")
                return False
        self.attempt = int(match.group(1))
        Shared.attempts[self.username] = self.attempt
        return True

    def open_question(self, position: int) -> Page | None:
        with self.client.get(
            f"/attempts/{self.attempt}/q/{position}/", name="GET question", catch_response=True
        ) as r:
            page = Page(r.text or "")
            if r.status_code != 200 or not page.options or not page.csrf:
                r.failure(f"question page: {r.status_code}")
                return None
        self.position = position
        self.page = page
        return page

    def _json_post(self, url: str, fields: list[tuple[str, str]], name: str):
        return self.client.post(
            url,
            data=urlencode(fields),
            headers={**FORM, "Accept": "application/json", "X-CSRFToken": self.page.csrf},
            name=name,
            catch_response=True,
        )

    def do_autosave(self) -> None:
        count = min(self.page.select_count, len(self.page.options))
        options = sorted(int(o) for o in random.sample(self.page.options, count))
        self.seq += 1
        seq = self.seq
        key = f"{self.attempt}:{self.position}"
        # Noted before sending: a reply cut off by the end of the run may still have been applied.
        entry = [seq, options, None]
        Shared.sent.setdefault(key, []).append(entry)
        fields = [("seq", str(seq))] + [("option", str(o)) for o in options]
        url = f"/attempts/{self.attempt}/q/{self.position}/answer/"
        for delay in RETRY_DELAYS:  # the page's queue: retry what the server did not confirm
            with self._json_post(url, fields, "POST answer (autosave)") as r:
                status = entry[2] = r.status_code
                try:
                    data = r.json() if status == 200 else {}
                except ValueError:
                    data = {}
                if status == 200 and data.get("ok") and data.get("seq") == seq:
                    Shared.acked[key] = [seq, options]
                    return
                r.failure(f"autosave: {status} {data or _error(r)}")
            if not retryable(status):
                return
            gevent.sleep(delay)

    def do_floor(self) -> None:
        with self._json_post("/bench/floor/", [], "POST floor") as r:
            if r.status_code != 200:
                r.failure(f"floor: {r.status_code} {_error(r)}")

    def do_flag(self) -> None:
        url = f"/attempts/{self.attempt}/q/{self.position}/flag/"
        for delay in RETRY_DELAYS:
            with self._json_post(url, [("flagged", "true")], "POST flag") as r:
                if r.status_code == 200:
                    return
                r.failure(f"flag: {r.status_code} {_error(r)}")
            if not retryable(r.status_code):
                return
            gevent.sleep(delay)

    def do_state(self) -> None:
        with self.client.get(
            f"/attempts/{self.attempt}/state/",
            headers={"Accept": "application/json"},
            name="GET state",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"state: {r.status_code} {_error(r)}")

    def do_submit(self) -> None:
        # Submitting is idempotent: a student whose click failed on the network clicks again.
        for delay in RETRY_DELAYS[:3]:
            with self.client.post(
                f"/attempts/{self.attempt}/submit/",
                data=urlencode({"csrfmiddlewaretoken": self.page.csrf}),
                headers=FORM,
                name="POST submit",
                allow_redirects=False,
                catch_response=True,
            ) as r:
                Shared.submitted[self.username] = r.status_code
                location = (r.headers or {}).get("Location") or ""
                if r.status_code == 302 and f"/attempts/{self.attempt}/results/" in location:
                    break
                r.failure(f"submit: {r.status_code} {location} {_error(r)}")
            if not retryable(r.status_code):
                return
            gevent.sleep(delay)
        else:
            return
        with self.client.get(
            f"/attempts/{self.attempt}/results/", name="GET results", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"results: {r.status_code}")

    # --- The sitting ---------------------------------------------------------------------------
    def sit(self) -> None:
        if not Shared.gate.wait(timeout=CONFIG["login_timeout"] + 60):
            problem(f"{self.username}: the start gate never opened")
            return
        _sleep_until(Shared.t0 + random.uniform(0, CONFIG["start_window"]))
        if not self.do_start():
            return
        self.seq = 0
        if self.open_question(1) is None:
            return
        tick = CONFIG["tick"]
        self.floor_phase = random.randrange(CONFIG["floor_every"])
        submit_at = Shared.exam_end - random.uniform(0, CONFIG["submit_window"])
        next_tick = time.time() + random.uniform(1, tick)
        for n in range(10_000):  # bounded: the deadline ends the loop long before this
            if max(next_tick, time.time()) >= submit_at:
                break
            _sleep_until(next_tick)
            # The floor shares the tick (same student, same moment) on every n-th tick, so the
            # probe adds less load than the behaviour it measures.
            with_floor = (n + self.floor_phase) % CONFIG["floor_every"] == 0
            floor_first = random.random() < 0.5
            if with_floor and floor_first:
                self.do_floor()
                gevent.sleep(random.uniform(0.1, 1.5))
            self.do_autosave()
            if with_floor and not floor_first:
                gevent.sleep(random.uniform(0.1, 1.5))
                self.do_floor()
            if random.random() < CONFIG["flag_probability"]:
                self.do_flag()
            if n % 3 == 2:
                self.do_state()
            if random.random() < CONFIG["navigate_probability"]:
                gevent.sleep(random.uniform(0.5, 2))
                # A page that fails to load leaves the student on the current question.
                self.open_question(self.position % self.page.total + 1)
            # A slow server slows the student down (one request at a time, like the page's
            # queue) instead of piling up missed ticks.
            next_tick = max(next_tick + tick * random.uniform(0.8, 1.2), time.time() + 1)
        _sleep_until(submit_at)
        self.do_autosave()  # the last answer, changed in the final seconds
        self.do_submit()
        Shared.completed += 1
