"""Background work with live progress for the web app (one worker, a bounded history)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """One piece of background work and what it has done so far."""

    id: str
    kind: str
    case_id: str | None = None
    state: str = "queued"  # queued | running | done | error
    message: str = "waiting for the worker"
    checks_done: int = 0
    checks_total: int = 0
    inputs_total: int = 0
    inputs_done: int = 0
    events: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "case_id": self.case_id, "state": self.state,
            "message": self.message, "checks_done": self.checks_done, "checks_total": self.checks_total,
            "inputs_total": self.inputs_total, "inputs_done": self.inputs_done,
            "events": self.events[-20:], "result": self.result, "error": self.error,
            "created": self.created, "finished": self.finished,
        }


class JobRunner:
    """Runs jobs one at a time in a background thread; keeps the last ``keep`` of them.

    One worker because the checks already use the machine's cores and a newsroom laptop is
    shared with the browser; a second upload waits in the queue and says so.
    """

    def __init__(self, keep: int = 200) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="web-job")
        self._keep = keep

    def submit(self, kind: str, work: Callable[[Job], dict[str, Any]], case_id: str | None = None,
               inputs_total: int = 0) -> Job:
        job = Job(id=uuid.uuid4().hex[:16], kind=kind, case_id=case_id, inputs_total=inputs_total)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        job.state, job.message = "running", "running"
        try:
            job.result = work(job) or {}
            job.state = "done"
            job.message = "done"
        except Exception as exc:  # a failed job is reported, never lost
            job.state = "error"
            job.error = f"{type(exc).__name__}: {exc}"[:2000]
            job.message = "failed"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
