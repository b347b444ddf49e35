"""`make bench`: the cockpit's performance at group scale, measured against its targets.

Builds (once) the group-scale data set in PostgreSQL with `seed_demo` (10,000 projects, 100
months of history: just over a million progress reports), then measures:

- rollup_ratio: a full rollup against the single SQL aggregate over the same reports, timed
  alternately in this run (median of 5 each, warm);
- incremental_ms: the job that refreshes the rollups after one accepted report changes (median
  of 20 projects);
- cockpit_p95_ms and cockpit_share_of_bare: the cockpit under 8 concurrent clients on gunicorn
  with 2 workers, and its throughput against a bare Django view on the same server;
- queries_small / queries_large: SQL queries of one warm cockpit render with 100 projects and
  with 10,000;
- worker_peak_mb: the peak memory (VmHWM) of a real Celery worker running the full rollup.

It prints a table and writes bench/results.json. See bench/README.md for what each measure means.

    make bench                        # DATABASE_URL or postgres://postgres@127.0.0.1:5432/pmc_bench
    .venv/bin/python bench/run.py --reseed   # rebuild the data set even if it is there
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pmc_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PROJECTS, MONTHS, SEED = 10_000, 100, 2026
SMALL_PROJECTS = 100
MIN_REPORTS = 1_000_000
COCKPIT_PATH = "/dashboard/"
API_PATH = "/api/v1/cockpit/"
# A real Django view behind the whole middleware stack (bench/urls.py); /healthz is answered by
# the first middleware now, before any other runs, and would flatter nothing but the balancer.
BARE_PATH = "/bench/bare/"
ACCEPT_ENCODING = "gzip, deflate, br"  # as a browser asks
# The load test alternates the cockpit, the API and the bare view in this many rounds: a
# slowdown of the shared machine then falls on all three, and each round's ratio is its own.
LOAD_ROUNDS = 4
DEMO_USER, DEMO_PASSWORD = "leader", "portal-demo"
WORKER_QUEUE = "bench-rollup"

KEYS = ["rollup_ratio", "incremental_ms", "cockpit_p95_ms", "cockpit_share_of_bare",
        "cockpit_api_share_of_bare", "cockpit_bytes", "queries_small", "queries_large",
        "queries_cached", "worker_peak_mb"]  # fmt: skip


def log(message: str) -> None:
    now = datetime.datetime.now(datetime.UTC)  # UTC: Django sets the process's zone
    print(f"[bench {now:%H:%M:%S}] {message}", flush=True)


# --- environment and databases ------------------------------------------------------------------


def database_config(url: str) -> dict:
    import environ

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(
            f"bench: DATABASE_URL={url} is not PostgreSQL. The benchmark measures the production "
            "database; SQLite is refused. Set DATABASE_URL=postgres://user@host:5432/pmc_bench "
            "(the database is created if missing) or unset it for the default "
            f"{DEFAULT_DATABASE_URL}."
        )
    return config


def small_url(url: str, config: dict) -> str:
    """The same server, database `<name>_small`."""
    name = config["NAME"]
    head, _, tail = url.partition(f"/{name}")
    return f"{head}/{name}_small{tail}"


def ensure_database(config: dict) -> bool:
    """Create the database if it is missing; True when it was created."""
    import psycopg
    from psycopg import sql

    params = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
              "user": config.get("USER") or None, "password": config.get("PASSWORD") or None,
              "dbname": "postgres"}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        return True


def django_env(database_url: str, *, redis: str | None) -> dict[str, str]:
    """The environment of every process of the run: production settings over plain HTTP."""
    env = dict(os.environ)
    env.update({
        # The portal's settings and the bare view's URL (bench/settings.py).
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": env.get("BENCH_SECRET_KEY") or SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # The load test sends thousands of API calls a minute as one user: the throttle still
        # runs (its cache read and write are part of the cost), at a rate it never reaches.
        "API_THROTTLE_USER": "100000000/minute",
        "PYTHONUNBUFFERED": "1",
    })  # fmt: skip
    if redis:
        env.update({"REDIS_URL": redis, "CELERY_TASK_ALWAYS_EAGER": "false"})
    else:
        for key in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            env.pop(key, None)
        env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    return env


SECRET_KEY = secrets.token_urlsafe(50)


def manage(env: dict, *args: str, quiet: bool = False) -> dict:
    """Run manage.py in a child process; returns its wall time and peak RSS."""
    started = time.monotonic()
    proc = subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    output = []
    for line in proc.stdout:
        output.append(line)
        if not quiet:
            print(f"    {line.rstrip()}", flush=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        if quiet:
            sys.stdout.write("".join(output[-40:]))
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({proc.returncode})")
    return {"seconds": round(time.monotonic() - started, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}  # fmt: skip


def holds_data_set(env: dict, projects: int) -> dict | None:
    """What the database holds, if it is the data set `projects` wants, current to this month;
    None otherwise."""
    code = f"""
import datetime, json, django
django.setup()
from django.utils import timezone
from projects.models import Project
from reporting.models import ProgressReport, ReportingPeriod
from portal.models import User
months = ReportingPeriod.objects.filter(kind="month")
last = months.order_by("-start").values_list("start", flat=True).first()
print(json.dumps({{
    "projects": Project.objects.count(),
    "months": months.count(),
    "reports": ProgressReport.objects.count(),
    "leader": User.objects.filter(username="{DEMO_USER}").exists(),
    "current": last == timezone.localdate().replace(day=1),
}}))
"""
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, text=True,
                         capture_output=True, check=True).stdout  # fmt: skip
    held = json.loads(out.strip().splitlines()[-1])
    wanted_reports = MIN_REPORTS * projects // PROJECTS
    ok = (held["projects"] == projects and held["months"] == MONTHS and held["leader"]
          and held["current"] and held["reports"] >= wanted_reports)  # fmt: skip
    return held if ok else None


def prepare(url: str, config: dict, projects: int, reseed: bool) -> dict:
    """Create, migrate and (if needed) seed one database; returns what was done."""
    env = django_env(url, redis=None)
    created = ensure_database(config)
    manage(env, "migrate", "--noinput", "-v0", quiet=True)
    held = None if (reseed or created) else holds_data_set(env, projects)
    if held:
        log(f"{config['NAME']}: the data set is there ({held['projects']} projects, "
            f"{held['reports']} reports); not re-seeding (--reseed to force)")  # fmt: skip
        return {"seeded": False, **held}
    log(f"{config['NAME']}: seeding {projects} projects, {MONTHS} months …")
    seeded = manage(env, "seed_demo", "--reset", "--projects", str(projects), "--months",
                    str(MONTHS), "--seed", str(SEED))  # fmt: skip
    log(f"{config['NAME']}: seeded in {seeded['seconds']}s, peak RSS "
        f"{seeded['peak_rss_mb']} MB; VACUUM ANALYZE …")  # fmt: skip
    vacuum(config)
    held = holds_data_set(env, projects) or {}
    return {"seeded": True, "seed_seconds": seeded["seconds"],
            "seed_peak_rss_mb": seeded["peak_rss_mb"], **held}  # fmt: skip


def vacuum(config: dict) -> None:
    """Fresh statistics after the bulk load, as autovacuum would give a production database."""
    import psycopg

    params = {"host": config.get("HOST"), "port": config.get("PORT"),
              "user": config.get("USER"), "password": config.get("PASSWORD"),
              "dbname": config["NAME"]}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


# --- measures in this process -------------------------------------------------------------------


def vacuum_rollups(*, full: bool = False) -> None:
    """VACUUM the dashboard's tables, as autovacuum would between two nightly rollups. Each
    rollup rewrites its rows; where autovacuum is off (see details.postgresql_settings) the
    dead rows of earlier runs would otherwise pile up and slow every later measure."""
    from django.apps import apps
    from django.db import connection

    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in apps.get_app_config("dashboard").get_models()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ({'FULL, ' if full else ''}ANALYZE) {tables}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure_rollup_ratio(runs: int = 5) -> dict:
    """A full rollup against the single SQL aggregate that computes the same figures from the
    reports (per project, year and month: the grain of the rollup's month columns), alternately,
    warm, medians. Beside it, for the record: the coarser aggregate per subsidiary and month,
    and one full rollup into empty rollup tables (the very first run)."""
    from dashboard import rollup, services
    from dashboard.models import OrgMonth, OrgYear, ProjectYear

    def aggregate():
        return rollup.equivalent_aggregate()

    def coarse():
        return rollup.equivalent_aggregate("organisation")

    def full():
        run = services.rollup_full()
        if run.status != "ok":
            raise RuntimeError(f"rollup_full ended {run.status}")
        return run

    log("rollup: warm-up (one full rollup, one aggregate) …")
    timed(aggregate)
    timed(full)
    aggregates, coarse_runs, rollups = [], [], []
    for i in range(runs):
        vacuum_rollups()
        seconds, (groups, _total) = timed(aggregate)
        aggregates.append(seconds)
        coarse_runs.append(timed(coarse)[0])
        seconds, _run = timed(full)
        rollups.append(seconds)
        log(f"rollup: run {i + 1}/{runs}: aggregate {aggregates[-1]:.2f}s ({groups} groups), "
            f"full rollup {rollups[-1]:.2f}s")  # fmt: skip
    aggregate_s, rollup_s = statistics.median(aggregates), statistics.median(rollups)
    coarse_s = statistics.median(coarse_runs)
    # The first run ever: every rollup row written.
    for model in (ProjectYear, OrgMonth, OrgYear):
        model.objects.all().delete()
    vacuum_rollups()
    scratch_s, _run = timed(full)
    log(f"rollup: into empty tables {scratch_s:.2f}s")
    return {"value": round(rollup_s / aggregate_s, 2),
            "rollup_seconds": [round(s, 3) for s in rollups],
            "aggregate_seconds": [round(s, 3) for s in aggregates],
            "rollup_median_s": round(rollup_s, 3), "aggregate_median_s": round(aggregate_s, 3),
            "aggregate_groups": groups,
            "coarse_aggregate_median_s": round(coarse_s, 3),
            "ratio_to_coarse_aggregate": round(rollup_s / coarse_s, 2),
            "from_empty_tables_s": round(scratch_s, 3),
            "from_empty_ratio": round(scratch_s / aggregate_s, 2)}  # fmt: skip


def measure_incremental(samples: int = 20) -> dict:
    """One accepted report's investment changes; time the job that refreshes its project's and
    organisation's rollups. The change is undone afterwards, so reruns see the same data."""
    from django.db.models import F
    from django.utils import timezone

    from dashboard import services
    from projects.models import Project
    from reporting.choices import ReportStatus
    from reporting.models import ProgressReport

    year = timezone.localdate().year
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // samples)
    picked = []
    for pk in ids[::step]:
        report = (ProgressReport.objects.filter(project_id=pk, status=ReportStatus.ACCEPTED,
                                                period__year=year)
                  .order_by("-period__start").values_list("pk", flat=True).first())  # fmt: skip
        if report:
            picked.append((pk, report))
        if len(picked) == samples:
            break
    delta = 10_000

    def job(project_id: int) -> float:
        seconds, run = timed(lambda: services.rollup_projects([project_id]))
        if run.status != "ok":
            raise RuntimeError(f"rollup_projects ended {run.status}")
        return seconds

    vacuum_rollups()
    log(f"incremental: {len(picked)} projects, one accepted report each …")
    job(picked[0][0])  # warm-up
    times = []
    for project_id, report_id in picked:
        reports = ProgressReport.objects.filter(pk=report_id)
        reports.update(investment=F("investment") + delta)
        try:
            times.append(job(project_id))
        finally:
            reports.update(investment=F("investment") - delta)
            job(project_id)  # and back: the data set stays as seeded
    ms = sorted(t * 1000 for t in times)
    log(f"incremental: median {statistics.median(ms):.0f} ms over {len(ms)} projects "
        f"(min {ms[0]:.0f}, max {ms[-1]:.0f})")  # fmt: skip
    return {"value": round(statistics.median(ms), 1), "samples": len(ms),
            "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1),
            "p95_ms": round(percentile(ms, 95), 1)}  # fmt: skip


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = math.ceil(pct / 100 * len(sorted_values)) - 1  # nearest rank
    return sorted_values[max(0, min(len(sorted_values) - 1, index))]


def machine_info() -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
        settings = {}
        for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather",
                     "autovacuum"):  # fmt: skip
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "postgresql": version, "python": platform.python_version(),
            "django": django.get_version()}, settings  # fmt: skip


# --- the cockpit's queries (a child process per database) ---------------------------------------


def queries_probe() -> None:
    """Child: one warm cockpit render as the leader; prints its SQL query count."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from portal.models import User

    client = Client()
    client.force_login(User.objects.get(username=DEMO_USER))
    url = reverse("dashboard:cockpit")
    from django.core.cache import cache

    first = client.get(url)
    # A render from the rollups, as after every rollup run: the page cache emptied, this
    # process's copies of pages too (a run's new version would pass them by), and the session
    # put back in it, as it would be.
    from dashboard.pagecache import forget_local

    cache.clear()
    forget_local()
    client.force_login(User.objects.get(username=DEMO_USER))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # The same page again, from the cache.
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    sql = [f"{q['time']}s {q['sql'][:300]}" for q in queries.captured_queries]
    cached_sql = [f"{q['time']}s {q['sql'][:300]}" for q in cached.captured_queries]
    print(json.dumps({"queries": len(sql), "status": response.status_code,
                      "first_status": first.status_code, "bytes": len(response.content),
                      "cached_queries": len(cached_sql), "cached_sql": cached_sql,
                      "sql": sql}))  # fmt: skip


def profile_probe(rounds: int = 300) -> None:
    """Child: where one cached cockpit request spends its time, part by part (production
    settings, Redis, the large data set). Each part is timed `rounds` times; medians in ms."""
    import gzip

    import django

    django.setup()
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from dashboard import services
    from dashboard.models import RollupRun
    from dashboard.pagecache import personal_head
    from portal.models import User

    user = User.objects.get(username=DEMO_USER)
    client = Client()
    client.force_login(user)
    url = reverse("dashboard:cockpit")
    client.get(url)
    session_key = client.cookies["sessionid"].value
    request = RequestFactory().get(url)
    request.user, request.session = user, SessionStore(session_key)
    request.COOKIES = {}
    request._messages = []
    from dashboard.pagecache import CachedPage

    for redis_key in cache._cache.get_client().keys("*dashboard:page:*"):
        page_key = redis_key.decode().split(":", 2)[2]  # without Django's version prefix
        if isinstance(cache.get(page_key), CachedPage):
            break
    page = cache.get(page_key).head

    def ms(fn) -> float:
        fn()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(times), 3)

    raw = client.get(url).content
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip").content
    bare = reverse("bench-bare")
    parts = {
        "whole request through the test client (cached page, gzip)": ms(
            lambda: client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        ),
        "whole request through the test client (cached page, no gzip)": ms(lambda: client.get(url)),
        "bare view through the test client (no session, no database)": ms(lambda: client.get(bare)),
        "session from the cache (cached_db)": ms(lambda: SessionStore(session_key).load()),
        "user (one query, primary)": ms(lambda: User.objects.get(pk=user.pk)),
        "rollup version from the cache": ms(services.data_version),
        "rollup version, cached page and navigation bar in one round trip": ms(
            lambda: services.data_version_and([page_key, "dashboard:nav:x"])
        ),
        "rollup version from the database (before: every request)": ms(
            lambda: services._data_version_from_db()
        ),
        "cached page from Redis": ms(lambda: cache.get(page_key)),
        "personal slots: navigation bar rendered, alerts, CSRF token": ms(
            lambda: personal_head(request, page, None)
        ),
        "personal slots: navigation bar from the cache, alerts, CSRF token": ms(
            lambda: personal_head(request, page, "<nav></nav>")
        ),
        "base template with navigation (before: every request)": ms(
            lambda: render_to_string("base.html", {}, request=request)
        ),
        "gzip of the page (level 6)": ms(lambda: gzip.compress(raw, 6)),
        "failed runs (administrators only)": ms(lambda: list(RollupRun.objects.all()[:1])),
    }
    print(
        json.dumps(
            {
                "ms": parts,
                "page_bytes": len(raw),
                "page_gzip_bytes": len(zipped),
                "cached_page_chars": len(page),
                "rounds": rounds,
            }
        )
    )


def measure_profile(url: str, redis: str) -> dict:
    command = [PYTHON, str(Path(__file__)), "--profile-probe"]
    env = django_env(url, redis=redis)
    out = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    if out.returncode:
        raise RuntimeError(f"profile probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_queries(url: str) -> dict:
    command = [PYTHON, str(Path(__file__)), "--queries-probe"]
    env = django_env(url, redis=None)
    out = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    if out.returncode:
        raise RuntimeError(f"queries probe failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["status"] != 200:
        raise RuntimeError(f"the cockpit answered {result['status']}")
    return result


# --- load test against gunicorn -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, workers: int = 2):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "portal.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def request(port: int, method: str, path: str, body: dict | None = None,
            cookies: dict | None = None) -> tuple[int, dict, str, list[str]]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    set_cookies = response.headers.get_all("Set-Cookie") or []
    conn.close()
    return response.status, dict(response.headers), text, set_cookies


def login(port: int) -> dict:
    """Log in as the leader through the real login form (CSRF included); the cookies."""
    cookies: dict[str, str] = {}

    def keep(set_cookies):
        for header in set_cookies:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]

    status, _h, page, set_cookies = request(port, "GET", "/accounts/login/")
    keep(set_cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not token:
        raise RuntimeError(f"login page answered {status}")
    form = {"username": DEMO_USER, "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token.group(1)}  # fmt: skip
    status, _h, _page, set_cookies = request(port, "POST", "/accounts/login/", form, cookies)
    keep(set_cookies)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"logging in as {DEMO_USER} failed ({status})")
    # A first visit to the cockpit, which leaves its hint (dashboard.pagecache.HINT_COOKIE).
    keep(request(port, "GET", COCKPIT_PATH, cookies=cookies)[3])
    # What a browser sends back to the cockpit: the session, the CSRF cookie and the hint.
    return {k: v for k, v in cookies.items() if k in ("sessionid", "csrftoken", "pmc_cockpit")}


def load(port: int, path: str, cookies: dict | None, *, clients: int, warmup: float,
         duration: float, headers: dict | None = None) -> dict:  # fmt: skip
    """`clients` threads, each sending one request after the other (a new connection per
    request: gunicorn's sync workers close it). Requests completed within the measuring window
    count; the warm-up's do not. `response_bytes`: what came over the wire, headers included."""
    cookie = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
           + (f"Cookie: {cookie}\r\n" if cookie else "") + extra + "\r\n").encode()  # fmt: skip
    start = time.perf_counter() + warmup
    end = start + duration
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    sizes = [0] * clients

    def client(index: int) -> None:
        while True:
            began = time.perf_counter()
            if began >= end:
                return
            chunks = []
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                    sock.sendall(raw)
                    while chunk := sock.recv(262144):
                        chunks.append(chunk)
                ok = b"".join(chunks[:1])[9:12] == b"200"
            except OSError:
                ok = False
            done = time.perf_counter()
            if began >= start and done <= end:
                if ok:
                    latencies[index].append(done - began)
                    sizes[index] = sum(len(c) for c in chunks)
                else:
                    errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = sorted(t * 1000 for per_client in latencies for t in per_client)
    if not ms:
        raise RuntimeError(f"no successful request to {path} ({sum(errors)} errors)")
    return summary(ms, duration, sum(errors), max(sizes))


def summary(ms: list[float], duration: float, errors: int, size: int) -> dict:
    """Requests per second and percentiles of sorted latencies (ms) over `duration` seconds."""
    return {"requests": len(ms), "errors": errors,
            "rps": round(len(ms) / duration, 1), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(ms[-1], 1), "response_bytes": size, "latencies_ms": ms}  # fmt: skip


def api_token(env: dict) -> str:
    """The leader's API token (created once), as the group's reporting tools would use."""
    code = f"""
import django
django.setup()
from rest_framework.authtoken.models import Token
from portal.models import User
print(Token.objects.get_or_create(user=User.objects.get(username="{DEMO_USER}"))[0].key)
"""
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, text=True,
                         capture_output=True, check=True).stdout  # fmt: skip
    return out.strip().splitlines()[-1]


def measure_load(url: str, redis: str, *, clients: int, warmup: float, duration: float,
                 rounds: int = LOAD_ROUNDS) -> dict:  # fmt: skip
    env = django_env(url, redis=redis)
    server = Gunicorn(env)
    browser = {"Accept-Encoding": ACCEPT_ENCODING}
    token = {"Authorization": f"Token {api_token(env)}", "Accept-Encoding": ACCEPT_ENCODING}
    try:
        cookies = login(server.port)
        for path, jar in ((COCKPIT_PATH, cookies), (BARE_PATH, None)):
            status = request(server.port, "GET", path, cookies=jar)[0]
            if status != 200:
                raise RuntimeError(f"{path} answered {status} through gunicorn")
        targets = {"cockpit": (COCKPIT_PATH, cookies, browser), "api": (API_PATH, None, token),
                   "bare": (BARE_PATH, None, None)}  # fmt: skip
        log(f"load: {clients} clients; {warmup:.0f}s warm-up of each, then {rounds} rounds of "
            f"the cockpit, the API and the bare view, {duration / rounds:.0f}s each …")  # fmt: skip
        for path, jar, headers in targets.values():
            load(server.port, path, jar, headers=headers, clients=clients, warmup=0,
                 duration=warmup)  # fmt: skip
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        for number in range(1, rounds + 1):
            for name, (path, jar, headers) in targets.items():
                runs[name].append(load(server.port, path, jar, headers=headers, clients=clients,
                                       warmup=0, duration=duration / rounds))  # fmt: skip
            log(
                f"load: round {number}/{rounds}: "
                + ", ".join(f"{name} {runs[name][-1]['rps']} req/s" for name in targets)
            )
        pooled = {}
        for name, parts in runs.items():
            ms = sorted(t for part in parts for t in part.pop("latencies_ms"))
            pooled[name] = summary(ms, duration, sum(p["errors"] for p in parts),
                                   max(p["response_bytes"] for p in parts))  # fmt: skip
            pooled[name].pop("latencies_ms")
            pooled[name]["rounds_rps"] = [part["rps"] for part in parts]
        cockpit, api, bare = pooled["cockpit"], pooled["api"], pooled["bare"]
        # Each round's ratio to the bare view of the same round; the measure is their median.
        for name in ("cockpit", "api"):
            pairs = zip(runs[name], runs["bare"], strict=True)
            shares = [mine["rps"] / theirs["rps"] for mine, theirs in pairs]
            pooled[name]["rounds_share_of_bare"] = [round(x, 3) for x in shares]
            pooled[name]["share_of_bare"] = round(statistics.median(shares), 3)
        log(f"load: cockpit {cockpit['rps']} req/s (share {cockpit['share_of_bare']:.1%}), p95 "
            f"{cockpit['p95_ms']} ms, {cockpit['response_bytes']} bytes; API {api['rps']} req/s "
            f"(share {api['share_of_bare']:.1%}); bare view {bare['rps']} req/s")  # fmt: skip
    finally:
        server.stop()
    return {"cockpit": cockpit, "api": api, "bare": bare, "clients": clients,
            "gunicorn_workers": 2, "warmup_s": warmup, "duration_s": duration, "rounds": rounds,
            "accept_encoding": ACCEPT_ENCODING}  # fmt: skip


# --- the rollup worker's memory -----------------------------------------------------------------


def measure_worker(url: str, redis: str) -> dict:
    """A real Celery worker (solo pool: the task runs in the worker's own process) runs one full
    rollup; its peak resident memory (VmHWM) is the measure."""
    from portal.celery import app

    env = django_env(url, redis=redis)
    # A queue of this run's own: nothing else is in it, nothing else takes from it.
    queue = f"{WORKER_QUEUE}-{os.getpid()}"
    name = f"{queue}@{socket.gethostname()}"
    command = [str(Path(PYTHON).parent / "celery"), "-A", "portal", "worker", "--pool=solo",
               "--concurrency=1", "-Q", queue, "-n", name, "--loglevel=WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    with tempfile.TemporaryFile("w+") as errors:  # the worker's log, shown if it fails
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not app.control.ping(destination=[name], timeout=1):
                if worker.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    raise RuntimeError(f"the Celery worker did not start:\n{errors.read()[-3000:]}")
            idle = vm(worker.pid, "VmRSS")
            log("worker: ready; sending dashboard.tasks.rollup_full …")
            started = time.monotonic()
            result = app.send_task("dashboard.tasks.rollup_full", queue=queue)
            outcome = result.get(timeout=1800)
            seconds = time.monotonic() - started
            peak = vm(worker.pid, "VmHWM")
            log(f"worker: rollup done in {seconds:.1f}s, peak memory {peak / 1024:.0f} MB")
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    return {"value": round(peak / 1024, 1), "idle_rss_mb": round(idle / 1024, 1),
            "task_seconds": round(seconds, 1), "task_result": outcome}  # fmt: skip


def vm(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field, in kB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


# --- report -------------------------------------------------------------------------------------


def rows(results: dict) -> list[tuple[str, str, str, bool | None]]:
    def show(key, fmt):
        value = results.get(key)
        return "—" if value is None else fmt(value)

    def check(key, test):
        value = results.get(key)
        return None if value is None else bool(test(value))

    small, large = results.get("queries_small"), results.get("queries_large")
    queries_ok = None if small is None or large is None else (small == large and large <= 15)
    cached, cached_small = results.get("queries_cached"), results.get("queries_cached_small")
    cached_ok = (None if cached is None or cached_small is None
                 else cached == cached_small and cached <= 1)  # fmt: skip
    return [
        ("full rollup ÷ equivalent SQL aggregate", show("rollup_ratio", lambda v: f"{v:.2f}×"),
         "≤ 1.2×", check("rollup_ratio", lambda v: v <= 1.2)),
        ("one accepted report → fresh rollup (job)",
         show("incremental_ms", lambda v: f"{v:.0f} ms"), "< 100 ms",
         check("incremental_ms", lambda v: v < 100)),
        ("cockpit p95, 8 clients, gunicorn 2 workers",
         show("cockpit_p95_ms", lambda v: f"{v:.0f} ms"), "< 50 ms",
         check("cockpit_p95_ms", lambda v: v < 50)),
        ("cockpit throughput ÷ bare Django view",
         show("cockpit_share_of_bare", lambda v: f"{v:.1%}"), "≥ 40%",
         check("cockpit_share_of_bare", lambda v: v >= 0.40)),
        ("cockpit API (summary) throughput ÷ bare Django view",
         show("cockpit_api_share_of_bare", lambda v: f"{v:.1%}"), "≥ 40%",
         check("cockpit_api_share_of_bare", lambda v: v >= 0.40)),
        ("cockpit page bytes on the wire (gzip, as a browser asks)",
         show("cockpit_bytes", lambda v: f"{v / 1024:.1f} KB"), "≤ 25 KB",
         check("cockpit_bytes", lambda v: v <= 25 * 1024)),
        ("SQL queries per cockpit render, 100 vs 10,000 projects",
         "—" if small is None or large is None else f"{small} vs {large}", "equal, ≤ 15",
         queries_ok),
        ("SQL queries per cached render, 100 vs 10,000 projects",
         "—" if cached is None or cached_small is None else f"{cached_small} vs {cached}",
         "equal, ≤ 1", cached_ok),
        ("peak memory of the rollup worker", show("worker_peak_mb", lambda v: f"{v:.0f} MB"),
         "< 500 MB", check("worker_peak_mb", lambda v: v < 500)),
    ]  # fmt: skip


def print_table(table: list[tuple[str, str, str, bool | None]]) -> None:
    header = ("measure", "result", "must reach", "ok?")
    marks = {True: "yes", False: "NO", None: "not run"}
    body = [(m, r, t, marks[ok]) for m, r, t, ok in table]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
    line = "+".join("-" * (w + 2) for w in widths)
    print(f"\n+{line}+")
    for i, row in enumerate([header, *body]):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            print(f"+{line}+")
    print(f"+{line}+\n", flush=True)


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reseed",
        action="store_true",
        help="rebuild the data sets even if the databases hold them",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=20,
        help="seconds of each load test after its warm-up (default 20)",
    )
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a measure misses its target"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated measures to run: rollup, incremental, queries, "
        "load, profile, worker (default: all)",
    )
    parser.add_argument("--queries-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()  # fmt: skip
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    if args.queries_probe:
        queries_probe()
        return 0
    if args.profile_probe:
        profile_probe()
        return 0

    began = time.monotonic()
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = database_config(url)
    url_small = small_url(url, config)
    config_small = database_config(url_small)
    redis = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    log(f"database {config['NAME']} (and {config_small['NAME']}) on "
        f"{config.get('HOST') or 'localhost'}; Redis {redis}")  # fmt: skip

    details: dict[str, Any] = {"targets": {
        "rollup_ratio": "<= 1.2", "incremental_ms": "< 100", "cockpit_p95_ms": "< 50",
        "cockpit_share_of_bare": ">= 0.40", "cockpit_api_share_of_bare": ">= 0.40",
        "cockpit_bytes": "<= 25600", "queries": "small == large <= 15",
        "queries_cached": "small == large <= 1", "worker_peak_mb": "< 500"},
        "errors": {}}  # fmt: skip
    # The same keys in every run; a measure that did not run stays null.
    details.update(dict.fromkeys(["data_set", "small_data_set", "postgresql_settings", "rollup",
                                  "incremental", "queries_small", "queries_large", "load",
                                  "worker", "seconds", "passed", "total_seconds"]))  # fmt: skip
    details["seconds"] = {}
    details["data_set"] = prepare(url, config, PROJECTS, args.reseed)
    details["small_data_set"] = prepare(url_small, config_small, SMALL_PROJECTS, args.reseed)
    manage(django_env(url_small, redis=None), "rollup", quiet=True)
    log("collectstatic (production static files for DEBUG=false) …")
    manage(django_env(url, redis=None), "collectstatic", "--noinput", "-v0", quiet=True)

    # This process: the large database, Redis for sending the worker its task.
    os.environ.update(django_env(url, redis=redis))
    import django

    django.setup()
    machine, details["postgresql_settings"] = machine_info()
    results: dict[str, Any] = dict.fromkeys(KEYS)

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    group = {"rollup_ratio": "rollup", "incremental_ms": "incremental", "queries_small": "queries",
             "queries_large": "queries", "load": "load", "worker_peak_mb": "worker",
             "profile": "profile"}  # fmt: skip

    def attempt(name: str, fn: Callable[[], Any]) -> Any:
        if only and group[name] not in only:
            return None
        started = time.monotonic()
        try:
            return fn()
        except Exception as exc:  # a failed measure is reported, the others still run
            details["errors"][name] = f"{type(exc).__name__}: {exc}"
            log(f"{name} FAILED: {exc}")
            return None
        finally:
            details["seconds"][name] = round(time.monotonic() - started, 1)

    vacuum_rollups(full=True)  # whatever earlier runs left behind
    ratio = attempt("rollup_ratio", measure_rollup_ratio)
    if ratio:
        results["rollup_ratio"] = ratio.pop("value")
        details["rollup"] = ratio
    incremental = attempt("incremental_ms", measure_incremental)
    if incremental:
        results["incremental_ms"] = incremental.pop("value")
        details["incremental"] = incremental
    for key, target in (("queries_small", url_small), ("queries_large", url)):
        probe = attempt(key, lambda target=target: measure_queries(target))
        if probe:
            log(f"queries: {probe['queries']} per cockpit render ({key})")
            results[key] = probe["queries"]
            details[key] = {"status": probe["status"], "response_bytes": probe["bytes"],
                            "cached_queries": probe["cached_queries"],
                            "cached_sql": probe["cached_sql"], "sql": probe["sql"]}  # fmt: skip
            if key == "queries_large":
                results["queries_cached"] = probe["cached_queries"]
            else:
                details["queries_cached_small"] = probe["cached_queries"]
    options = {"clients": args.clients, "warmup": args.warmup, "duration": args.duration}
    vacuum_rollups()
    loaded = attempt("load", lambda: measure_load(url, redis, **options))
    if loaded:
        results["cockpit_p95_ms"] = loaded["cockpit"]["p95_ms"]
        results["cockpit_share_of_bare"] = loaded["cockpit"]["share_of_bare"]
        results["cockpit_api_share_of_bare"] = loaded["api"]["share_of_bare"]
        results["cockpit_bytes"] = loaded["cockpit"]["response_bytes"]
        details["load"] = loaded
    profile = attempt("profile", lambda: measure_profile(url, redis))
    if profile:
        details["profile"] = profile
    vacuum_rollups()
    worker = attempt("worker_peak_mb", lambda: measure_worker(url, redis))
    if worker:
        results["worker_peak_mb"] = worker.pop("value")
        details["worker"] = worker

    table = rows({**results, "queries_cached_small": details.get("queries_cached_small")})
    details["passed"] = {measure: ok for measure, _r, _t, ok in table}
    details["total_seconds"] = round(time.monotonic() - began, 1)
    ran_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    document = {**results, "machine": machine, "details": details, "ran_at": ran_at}
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print_table(table)
    log(f"wrote {args.output} in {details['total_seconds']:.0f}s")
    if details["errors"]:
        return 2
    if args.strict and not all(ok for *_x, ok in table):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
