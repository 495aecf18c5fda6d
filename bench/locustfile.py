"""Students sitting one mock exam together, driven by locust (run by bench.run, not by hand).

The load is open-loop: every student acts on a schedule fixed in advance, whether or not the
server has answered, so an overloaded server shows its real latency (no coordinated omission).
Every latency is measured from the moment the request was *scheduled* to go out, not from the
moment a busy client got round to sending it.

Every simulated student, once:

1. logs in at its scheduled moment: the log-ins are spread evenly over `login_window`
   seconds (GET the login page for its CSRF token, POST the form, open the exam list);
2. presses Start at its scheduled moment: the starts are spread evenly over `start_window`
   seconds after the gate (`gate_delay` seconds after the log-in window closes), then opens
   question 1;
3. autosaves on a fixed schedule: tick k at start + phase + k * `tick` (phase random per
   student). Each tick runs in its own greenlet, so a slow reply never delays the next tick:
   an autosave of the current question (JSON, X-CSRFToken, option ids read from the page, an
   increasing seq), retried like the page's queue (1, 2, 4, 8, 10 s... after a network error,
   a 5xx or a 429) until the server confirms it, a newer save of the same question was
   confirmed, or the student has submitted. On every `floor_every`-th tick a POST to the floor
   endpoint (the cheapest logged-in write) goes out next to the autosave; sometimes a flag;
   the timer's state poll every third tick; now and then the next question's page;
4. at its scheduled moment in the last `submit_window` seconds before the shared deadline
   (submits spread evenly over the window), saves once more, waits for its saves, flags and
   page loads in flight (as the page's form waits for its queue), submits, and opens the light
   "Submitted" page it lands on (the full review is not loaded).

Recorded per request: (scheduled time, name, ms from scheduled time to the answer, status,
ok, ms the server took once the request was sent). Per autosave also the end-to-end save
time: scheduled time to the acknowledging 200, retries included ("save end-to-end").
The configuration comes from the JSON file named by BENCH_CONFIG; when the run ends every
record and every acknowledged answer is written to the file named there, for bench.run to
report and to check against the database.
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
from gevent.pool import Group
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

CONFIG = json.loads(Path(os.environ["BENCH_CONFIG"]).read_text())
SLUG = CONFIG.get("slug", "dva-c01-full-mock")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SAVE_E2E = "save end-to-end (with retries)"
LOGIN_E2E = "log-in end-to-end"

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION_RE = re.compile(r'name="option" value="(\d+)"')
SELECT_RE = re.compile(r'data-select-count="(\d+)"')
TOTAL_RE = re.compile(r"Question \d+ of (\d+)")
ATTEMPT_RE = re.compile(r"/attempts/(\d+)/q/(\d+)/")


class Shared:
    """State shared by every simulated student (one locust process, one gevent hub)."""

    next_index = 0
    logged_in = 0
    login_failed = 0
    finished = 0
    completed = 0  # sat the whole exam, through submit (the rest were cut off by the time cap)
    login_t0: float = 0.0
    t0: float = 0.0  # the gate: the start window opens
    exam_end: float = 0.0
    # (scheduled, name, ms from scheduled to answer, status, ok, ms from sent to answer)
    records: list[tuple[float, str, float, int, bool, float]] = []
    acked: dict[str, list] = {}  # "attempt:position" -> [seq, sorted option ids]
    sent: dict[str, list] = {}  # "attempt:position" -> [[seq, options, status], ...]
    attempts: dict[str, int] = {}  # username -> attempt id
    submitted: dict[str, int] = {}  # username -> status of the submit
    counters = {
        "ticks_skipped_page_not_loaded": 0,
        "saves_superseded": 0,
        "saves_unacknowledged": 0,
        "late_sends_over_100ms": 0,
    }
    problems: list[str] = []
    written = False


def problem(text: str) -> None:
    if len(Shared.problems) < 200:
        Shared.problems.append(f"{time.strftime('%H:%M:%S')} {text}")


def _schedule() -> None:
    """The fixed timetable: log-in window, gate, deadline (absolute times)."""
    Shared.login_t0 = time.time() + CONFIG["login_lead"]
    Shared.t0 = Shared.login_t0 + CONFIG["login_window"] + CONFIG["gate_delay"]
    Shared.exam_end = Shared.t0 + CONFIG["duration"]


def _controller(environment) -> None:
    """Stop the run once everyone has finished (or the time cap after the deadline)."""
    users = CONFIG["users"]
    while time.time() < Shared.t0:
        gevent.sleep(0.5)
    if Shared.logged_in < users:
        problem(f"gate opened with {Shared.logged_in} of {users} students logged in")
    stop_by = Shared.exam_end + CONFIG["finish_timeout"]
    while time.time() < stop_by and Shared.finished < users:
        gevent.sleep(0.5)
    if Shared.finished < users:
        problem(
            f"time cap: {users - Shared.finished} students still busy "
            f"{CONFIG['finish_timeout']} s after the deadline were stopped"
        )
    gevent.sleep(0.5)
    environment.runner.quit()


@events.test_start.add_listener
def _on_test_start(environment, **_kw):
    _schedule()
    gevent.spawn(_controller, environment)


@events.test_stop.add_listener
def _on_test_stop(environment, **_kw):
    if Shared.written:
        return
    Shared.written = True
    Path(CONFIG["output"]).write_text(
        json.dumps(
            {
                "login_t0": Shared.login_t0,
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
                "counters": Shared.counters,
                "problems": Shared.problems,
            }
        )
    )


# Like the page's queue: retry after 1 s, doubling up to 10 s.
def retry_delays():
    delay = 1
    while True:
        yield delay
        delay = min(delay * 2, 10)


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
    concurrency = 32  # requests of one student in flight at once (open loop: they pile up)

    @task
    def sit_exam(self) -> None:
        # Each simulated student sits exactly one exam; locust would otherwise loop the task.
        if Shared.next_index >= CONFIG["users"]:
            raise StopUser()
        self.index = Shared.next_index
        Shared.next_index += 1
        self.username = CONFIG["usernames"][self.index]
        self.page: Page | None = None
        self.attempt: int | None = None
        self.position = 1
        self.seq = 0
        self.submitted = False
        self.submit_at = float("inf")
        self.pending = Group()  # saves, flags and page loads in flight
        self.others = Group()  # everything else in flight
        # Production marks the session and CSRF cookies Secure; behind its TLS proxy a browser
        # sends them back. Locust's cookie jar (like python's) keeps Secure cookies off plain
        # http, so this student treats the loopback http as the TLS leg a proxy would end.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        try:
            share = self.index / CONFIG["users"]
            if self.do_login(Shared.login_t0 + share * CONFIG["login_window"]):
                Shared.logged_in += 1
                self.sit(share)
            else:
                Shared.login_failed += 1
        except StopUser:
            raise
        except Exception as exc:  # noqa: BLE001 - a script error must end this user, not loop
            problem(f"{self.username}: {type(exc).__name__}: {exc}")
        finally:
            Shared.finished += 1
        raise StopUser()

    # --- Requests ---------------------------------------------------------------------------
    def call(self, name: str, method: str, url: str, ok, *, scheduled: float | None = None, **kw):
        """One request, recorded from its scheduled moment; `ok(response)` judges the answer."""
        sent = time.time()
        scheduled = sent if scheduled is None else scheduled
        if sent - scheduled > 0.1 and name != "POST submit":
            Shared.counters["late_sends_over_100ms"] += 1  # the client itself fell behind
        response = self.client.request(method, url, name=name, **kw)
        done = time.time()
        status = int(getattr(response, "status_code", 0) or 0)
        good = bool(ok(response, status))
        Shared.records.append(
            (scheduled, name, (done - scheduled) * 1000, status, good, (done - sent) * 1000)
        )
        return response, status, good

    def _json_post(self, url: str, fields: list[tuple[str, str]], name: str, ok, scheduled=None):
        return self.call(
            name,
            "POST",
            url,
            ok,
            scheduled=scheduled,
            data=urlencode(fields),
            headers={**FORM, "Accept": "application/json", "X-CSRFToken": self.page.csrf},
        )

    def do_login(self, at: float) -> bool:
        _sleep_until(at)
        r, status, good = self.call(
            "GET login",
            "GET",
            "/accounts/login/",
            lambda r, s: s == 200 and CSRF_RE.search(r.text or ""),
            scheduled=at,
        )
        if not good:
            problem(f"{self.username}: login page {status} {_error(r)}")
            return False
        body = urlencode(
            {
                "username": self.username,
                "password": CONFIG["password"],
                "csrfmiddlewaretoken": CSRF_RE.search(r.text).group(1),
                "next": "/exams/",
            }
        )
        r, status, good = self.call(
            "POST login",
            "POST",
            "/accounts/login/",
            lambda r, s: s == 302 and "/login" not in ((r.headers or {}).get("Location") or ""),
            data=body,
            headers=FORM,
            allow_redirects=False,
        )
        if not good:
            problem(f"{self.username}: login refused ({status}) {_error(r)}")
            return False
        # The exam list proves the (Secure) session cookie came back, and holds Start's token.
        r, status, good = self.call(
            "GET exams",
            "GET",
            "/exams/",
            lambda r, s: s == 200 and SLUG in (r.text or "") and CSRF_RE.search(r.text or ""),
        )
        if not good:
            problem(f"{self.username}: exam list not shown after login ({status})")
            return False
        Shared.records.append((at, LOGIN_E2E, (time.time() - at) * 1000, 200, True, 0.0))
        self.csrf = CSRF_RE.search(r.text).group(1)
        return True

    def do_start(self, at: float) -> bool:
        _sleep_until(at)
        r, status, good = self.call(
            "POST start",
            "POST",
            f"/exams/{SLUG}/start/",
            lambda r, s: s == 302 and ATTEMPT_RE.search((r.headers or {}).get("Location") or ""),
            scheduled=at,
            data=urlencode({"csrfmiddlewaretoken": self.csrf}),
            headers=FORM,
            allow_redirects=False,
        )
        if not good:
            problem(f"{self.username}: start {status} {_error(r)}")
            return False
        self.attempt = int(ATTEMPT_RE.search(r.headers["Location"]).group(1))
        Shared.attempts[self.username] = self.attempt
        return True

    def open_question(self, position: int, scheduled: float | None = None) -> Page | None:
        r, status, good = self.call(
            "GET question",
            "GET",
            f"/attempts/{self.attempt}/q/{position}/",
            lambda r, s: s == 200 and OPTION_RE.search(r.text or ""),
            scheduled=scheduled,
        )
        if not good:
            return None
        self.position = position
        self.page = Page(r.text)
        return self.page

    def do_autosave(self, scheduled: float) -> None:
        page, position = self.page, self.position
        count = min(page.select_count, len(page.options))
        options = sorted(int(o) for o in random.sample(page.options, count))
        self.seq += 1
        seq = self.seq
        key = f"{self.attempt}:{position}"
        # Noted before sending: a reply cut off by the end of the run may still have been applied.
        entry = [seq, options, None]
        Shared.sent.setdefault(key, []).append(entry)
        fields = [("seq", str(seq))] + [("option", str(o)) for o in options]
        url = f"/attempts/{self.attempt}/q/{position}/answer/"

        answer = {}

        def confirmed(r, status):
            # The server answers with the item's stored seq: a newer one means a later save of
            # this question (sent concurrently, open loop) landed first; this one is superseded.
            if status != 200:
                return False
            try:
                answer.update(r.json())
            except ValueError:
                return False
            return bool(answer.get("ok")) and (answer.get("seq") or 0) >= seq

        send_at = scheduled
        for delay in retry_delays():  # the page's queue: retry what the server did not confirm
            _r, status, good = self._json_post(
                url, fields, "POST answer (autosave)", confirmed, send_at
            )
            entry[2] = status
            if good and answer["seq"] > seq:
                Shared.counters["saves_superseded"] += 1
                return
            if good:
                if Shared.acked.get(key, [0])[0] < seq:
                    Shared.acked[key] = [seq, options]
                Shared.records.append(
                    (scheduled, SAVE_E2E, (time.time() - scheduled) * 1000, 200, True, 0.0)
                )
                return
            if not retryable(status):
                return
            gevent.sleep(delay)
            send_at = None
            if Shared.acked.get(key, [0])[0] > seq:
                Shared.counters["saves_superseded"] += 1  # the page drops it from its queue
                return
            if self.submitted or time.time() > Shared.exam_end + 60:
                Shared.counters["saves_unacknowledged"] += 1
                problem(f"{self.username}: save of {key} seq {seq} never confirmed")
                return

    def do_floor(self, scheduled: float) -> None:
        self._json_post("/bench/floor/", [], "POST floor", lambda r, s: s == 200, scheduled)

    def do_flag(self, scheduled: float) -> None:
        url = f"/attempts/{self.attempt}/q/{self.position}/flag/"
        send_at = scheduled
        for delay in retry_delays():
            _r, status, good = self._json_post(
                url, [("flagged", "true")], "POST flag", lambda r, s: s == 200, send_at
            )
            if good or not retryable(status) or self.submitted:
                return
            gevent.sleep(delay)
            send_at = None

    def do_state(self, scheduled: float) -> None:
        self.call(
            "GET state",
            "GET",
            f"/attempts/{self.attempt}/state/",
            lambda r, s: s == 200,
            scheduled=scheduled,
            headers={"Accept": "application/json"},
        )

    def do_submit(self, scheduled: float) -> None:
        # Submitting is idempotent: a student whose click failed on the network clicks again.
        send_at = scheduled
        for n, delay in enumerate(retry_delays()):
            r, status, good = self.call(
                "POST submit",
                "POST",
                f"/attempts/{self.attempt}/submit/",
                lambda r, s: (
                    s == 302
                    and f"/attempts/{self.attempt}/submitted/"
                    in ((r.headers or {}).get("Location") or "")
                ),
                scheduled=send_at,
                data=urlencode({"csrfmiddlewaretoken": self.page.csrf}),
                headers=FORM,
                allow_redirects=False,
            )
            Shared.submitted[self.username] = status
            if good:
                break
            if not retryable(status) or n >= 3:
                problem(f"{self.username}: submit {status} {_error(r)}")
                return
            gevent.sleep(delay)
            send_at = None
        self.call(
            "GET submitted",
            "GET",
            f"/attempts/{self.attempt}/submitted/",
            lambda r, s: s == 200,
        )

    # --- The sitting ---------------------------------------------------------------------------
    def later(self, group: Group, at: float, action, *args, final: bool = False) -> None:
        """Run `action(at, *args)` at `at` in its own greenlet."""
        if not final and at >= self.submit_at - 0.5:
            return  # by then the student is on the submit, not on a question

        def run():
            _sleep_until(at)
            action(at, *args)

        group.spawn(run)

    def navigate(self, scheduled: float) -> None:
        if self.page is not None:
            # A page that fails to load leaves the student on the current question.
            self.open_question(self.position % self.page.total + 1, scheduled)

    def tick(self, at: float, n: int) -> None:
        self.later(self.pending, at, self.do_autosave)
        # The floor shares the tick (same student, same moment) on every n-th tick, so the
        # probe adds less load than the behaviour it measures.
        if (n + self.floor_phase) % CONFIG["floor_every"] == 0:
            self.later(self.others, at + random.uniform(-1.5, 1.5), self.do_floor)
        # Saves, flags and page loads are the student's own actions, which the page finishes
        # before it submits (self.pending); the floor and the timer's poll are not.
        if random.random() < CONFIG["flag_probability"]:
            self.later(self.pending, at + random.uniform(0.2, 2), self.do_flag)
        if n % 3 == 2:
            self.later(self.others, at + random.uniform(0, 1), self.do_state)
        if random.random() < CONFIG["navigate_probability"]:
            self.later(self.pending, at + random.uniform(2, 4), self.navigate)

    def sit(self, share: float) -> None:
        start_at = Shared.t0 + share * CONFIG["start_window"]
        if not self.do_start(start_at):
            return
        if self.open_question(1) is None:
            problem(f"{self.username}: question 1 did not load after the start")
            return
        tick = CONFIG["tick"]
        self.floor_phase = random.randrange(CONFIG["floor_every"])
        submit_at = self.submit_at = Shared.exam_end - CONFIG["submit_window"] * (1 - share)
        first = start_at + random.uniform(0, tick)
        # Ticks stop one tick before the submit; ticks that fell while the page was still
        # loading are skipped (the page's script was not running yet).
        n = 0
        while first + (n + 1) * tick < submit_at - 1:
            at = first + (n + 1) * tick
            n += 1
            if at < time.time() - 0.05:  # due before the question page had loaded
                Shared.counters["ticks_skipped_page_not_loaded"] += 1
                continue
            # Planned ahead, so the floor can go out before the autosave it sits next to.
            _sleep_until(at - 2)
            self.tick(at, n - 1)
        _sleep_until(submit_at)
        # The last answer, changed in the final seconds; the form waits for the queue.
        self.later(self.pending, submit_at, self.do_autosave, final=True)
        self.pending.join(timeout=30)
        self.do_submit(submit_at)
        self.submitted = True
        self.others.join(timeout=10)
        if len(self.pending):
            problem(f"{self.username}: {len(self.pending)} saves/page loads still open at submit")
        self.pending.kill(block=False)
        self.others.kill(block=False)
        Shared.completed += 1
