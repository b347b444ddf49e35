"""A real Celery worker for tests: a `celery worker` subprocess on REDIS_URL, working on the test
database, so that a test sees a task go through the broker, the worker and back.

Import the fixture into the test module that uses it (`from tests.celery_worker import
live_celery_worker`, or `start_celery_worker` to start workers when the test wants them, kill
one and start another, with Celery beat inside) and mark the test `@pytest.mark.celery_worker` and
`@pytest.mark.django_db(transaction=True)`: the worker is another process, so it sees only
committed rows, and the ordinary test transaction would hide them.

Needs REDIS_URL and PostgreSQL (an SQLite test database lives in this process's memory). Without
them the test is skipped, or fails when PORTAL_CELERY_REQUIRED=1 (CI sets it for the
PostgreSQL and Redis run). Every wait has a timeout, so a worker that hangs or dies fails the
test instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app

READY_TIMEOUT = 60  # seconds for the worker to start and answer a ping
STOP_TIMEOUT = 15  # seconds for a warm shutdown before the worker is killed


@dataclass
class LiveWorker:
    queue: str
    hostname: str
    process: subprocess.Popen
    log_path: Path

    def kill(self) -> None:
        """SIGKILL to the worker's process group, as `kill -9` or the OOM killer would: no warm
        shutdown, nothing acknowledged, the database connection dropped."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return "(no worker log)"
        return "\n".join(text.splitlines()[-lines:])


def _unavailable(reason: str):
    if os.environ.get("PORTAL_CELERY_REQUIRED") == "1":
        pytest.fail(f"PORTAL_CELERY_REQUIRED=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _test_database_url() -> str:
    """DATABASE_URL with the database name replaced by the test database's."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(connection.settings_dict["NAME"])))


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        _unavailable(f"the Celery broker {url} does not answer: {exc}")


def _forget_queue(url: str, run: str) -> None:
    """Remove what kombu kept in Redis for this run's queue (its bindings, and the messages a
    killed worker left unacknowledged, which another worker would restore to the queue after the
    visibility timeout), best effort."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        for key in client.scan_iter(match=f"*{run}*", count=1000):
            client.delete(key)
        for tag, payload in client.hscan_iter("unacked"):
            if run.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    except redis.RedisError:
        pass


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL to the worker's own process group on timeout."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_ready(worker: LiveWorker) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(
                f"The Celery worker exited with {worker.process.returncode} while starting:\n"
                f"{worker.log_tail()}",
                pytrace=False,
            )
        if app.control.ping(destination=[worker.hostname], timeout=1.0):
            return
    pytest.fail(
        f"The Celery worker did not answer within {READY_TIMEOUT}s:\n{worker.log_tail()}",
        pytrace=False,
    )


@contextmanager
def _workers(tmp_path: Path):
    """A function that starts a worker (`start(beat=False)` -> LiveWorker) on a queue of this
    test's own, which is also the default queue of this process and of the workers for the test:
    `.delay()` here, a task sent by a task, and beat inside a worker all reach these workers, and
    no stray task from elsewhere (another test run on the same Redis database) does. Call it
    again to start another worker on the same queue, e.g. after killing the first; every worker
    is stopped at the end of the test."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        _unavailable("REDIS_URL is not set: tasks run in-process, there is no worker to test")
    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
        _unavailable(
            "the test database is not PostgreSQL from DATABASE_URL: a worker process cannot "
            "see an SQLite test database"
        )
    if app.conf.task_always_eager:
        _unavailable("CELERY_TASK_ALWAYS_EAGER is on: .delay() would not reach a worker")
    _check_redis(app.conf.broker_url)

    run = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    queue = f"pmc-test-{run}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The worker must not keep a connection to the test database open: pytest-django drops
        # it at the end of the session.
        "CONN_MAX_AGE": "0",
        # The worker reads settings from the environment only; what tests/conftest.py changes
        # in this process does not reach it. These are the defaults, stated so that a
        # developer's .env (read with overwrite=False) cannot make the worker differ.
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }
    celery = Path(sys.executable).with_name("celery")
    started: list[LiveWorker] = []

    def start(beat: bool = False) -> LiveWorker:
        number = len(started)
        hostname = f"pmc-test-{run}-{number}@localhost"
        command = [
            str(celery), "-A", "portal", "worker", "--pool=solo", "--concurrency=1",
            "-Q", queue, "-n", hostname, "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if beat:  # the beat schedule of portal/celery.py, in a file of this worker's own
            command += ["--beat", f"--schedule={tmp_path / f'celerybeat-{number}'}"]
        log_path = tmp_path / f"celery-worker-{number}.log"
        with log_path.open("wb") as log:
            # Output to a file, never a pipe nobody reads (a full pipe would block the worker).
            # Its own session: a signal meant for pytest does not hit it twice, and a kill on
            # timeout reaches the whole group.
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = LiveWorker(queue=queue, hostname=hostname, process=process, log_path=log_path)
        started.append(worker)
        _wait_ready(worker)
        return worker

    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        app.conf.task_default_queue = default_queue
        for worker in started:
            _stop(worker.process)
        _forget_queue(redis_url, run)


@pytest.fixture
def start_celery_worker(transactional_db, tmp_path):
    """`start(beat=False)` -> LiveWorker: start a worker on the test's own queue, again after
    one was killed, with Celery beat inside it on request (see _workers)."""
    with _workers(tmp_path) as start:
        yield start


@pytest.fixture
def live_celery_worker(transactional_db, tmp_path):
    """One worker on the test's own queue (see _workers). Yields a LiveWorker."""
    with _workers(tmp_path) as start:
        yield start()
