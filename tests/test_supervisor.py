"""`erp up`'s supervisor with real child processes: a child that dies is restarted with a growing backoff
and a log line, the others keep running, and stop() ends them all."""

import logging
import os
import signal
import sys
import time

import pytest

from core.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


def _until(condition, timeout: float = 10.0) -> None:  # noqa: ANN001
    limit = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < limit, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def supervisor():  # noqa: ANN201
    sup = Supervisor(backoff_initial=0.2, backoff_max=0.8, stable_after=2.0)
    yield sup
    sup.stop(timeout=5)


def test_a_killed_child_is_restarted_and_the_others_keep_running(supervisor: Supervisor, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="supervisor")
    worker = supervisor.start("worker", SLEEPER)
    api = supervisor.start("api", SLEEPER)
    worker_pid, api_pid = worker.proc.pid, api.proc.pid

    os.kill(worker_pid, signal.SIGKILL)
    _until(lambda: (supervisor.poll(), worker.proc.pid != worker_pid and worker.proc.poll() is None)[1])

    assert api.proc.pid == api_pid and api.proc.poll() is None  # the API was never touched
    assert worker.restarts == 1
    assert f"worker exited with code {-signal.SIGKILL}" in caplog.text
    assert "restarting worker (restart #1)" in caplog.text


def test_a_crash_loop_backs_off_up_to_the_maximum(supervisor: Supervisor, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="supervisor")
    crasher = supervisor.start("sunat-sandbox", CRASHER)
    _until(lambda: (supervisor.poll(), crasher.restarts >= 4)[1])
    delays = [float(r.getMessage().rsplit(" in ", 1)[1].split()[0]) for r in caplog.records
              if "exited with code 3" in r.getMessage()]
    assert delays[:4] == [0.2, 0.4, 0.8, 0.8]


def test_a_child_that_stayed_up_restarts_quickly_again(supervisor: Supervisor) -> None:
    worker = supervisor.start("worker", SLEEPER)
    worker.quick_crashes = 5  # it crash-looped earlier...
    time.sleep(2.1)  # ...then stayed up longer than stable_after
    worker.proc.kill()
    _until(lambda: (supervisor.poll(), worker.restart_at is not None)[1])
    assert worker.restart_at - time.monotonic() <= 0.2


def test_stop_ends_every_child_and_restarts_nothing(supervisor: Supervisor) -> None:
    children = [supervisor.start(name, SLEEPER) for name in ("sunat-sandbox", "worker", "api")]
    supervisor.stop(timeout=5)
    assert all(c.proc.poll() is not None for c in children)
    supervisor.poll()
    time.sleep(0.3)
    supervisor.poll()
    assert all(c.restarts == 0 and c.proc.poll() is not None for c in children)
