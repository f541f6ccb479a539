"""Keep `erp up`'s child processes running: a child that exits is started again after a backoff that
doubles with each quick crash (reset once it has stayed up a while), and every exit and restart is logged.
One crashed worker therefore never takes the API down with it."""

import logging
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("supervisor")


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str] | None
    quiet: bool = False  # discard its output (servers whose logs only repeat what we log)
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_crashes: int = 0  # consecutive exits before `stable_after`
    restart_at: float | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 60.0  # a child up this long is healthy again: its next crash restarts quickly
    clock: Callable[[], float] = time.monotonic
    children: list[Child] = field(default_factory=list)
    stopped: bool = False

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None, quiet: bool = False) -> Child:
        child = Child(name, args, env, quiet)
        self.children.append(child)
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        # Own session: a terminal Ctrl-C reaches `erp up` only, which stops the children in order.
        output = subprocess.DEVNULL if child.quiet else None
        child.proc = subprocess.Popen(child.args, env=child.env, stdout=output, stderr=output, start_new_session=True)
        child.started_at, child.restart_at = self.clock(), None

    def backoff(self, quick_crashes: int) -> float:
        return min(self.backoff_max, self.backoff_initial * 2 ** max(quick_crashes - 1, 0))

    def poll(self) -> None:
        """Notice exits and restart the children whose backoff has elapsed (call it periodically)."""
        if self.stopped:
            return
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    log.warning("restarting %s (restart #%d)", child.name, child.restarts)
                    self._spawn(child)
                continue
            code = child.proc.poll() if child.proc else None
            if code is None:
                continue
            child.quick_crashes = 1 if now - child.started_at >= self.stable_after else child.quick_crashes + 1
            delay = self.backoff(child.quick_crashes)
            child.restart_at = now + delay
            log.error("%s exited with code %s; restarting in %.1f s", child.name, code, delay)

    def run(self, interval: float = 0.5) -> None:
        """Supervise until Ctrl-C or SIGTERM."""
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            while True:
                self.poll()
                time.sleep(interval)
        except KeyboardInterrupt:
            log.info("stopping...")
        finally:
            signal.signal(signal.SIGTERM, previous)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop in reverse start order (API and worker before the servers they use), each gracefully."""
        self.stopped = True
        for child in reversed(self.children):
            proc = child.proc
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt
