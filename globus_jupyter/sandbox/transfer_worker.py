"""
The sandbox's Transfer workers: a few threads that carry out transfer and delete
tasks by really copying and deleting files.

How a file is copied, and what a reader may rely on:

- It is written under a temporary name in the staging directory (``ROOT/.staging``,
  outside every collection but on the same filesystem) and renamed over its
  destination only once it is complete, so nobody ever sees a partly written file
  under its final name, and a sandbox killed mid-copy leaves only staging debris,
  which the next start clears away.
- Unthrottled copies stay in the kernel (``copy_file_range``), in chunks of
  :data:`CHUNK_SIZE`, to keep up with ``cp``. Throttled ones go through a buffer,
  a chunk at a time, each chunk waiting for its share of the link.
- With ``verify_checksum``, the finished staging file is read back and hashed,
  and so is the source (or the source was hashed on the way, for throttled
  copies), and the source must not have changed (size and modification time)
  since the copy began. "Verified" thus means: the bytes on the destination's
  disk are the source's bytes as they were when copied. The hashing runs on
  helper threads while the next file is copied (at most :data:`VERIFY_PIPELINE`
  copies wait for it). A mismatch is a fault: the file is copied again, up to
  :data:`VERIFY_ATTEMPTS` times, then the task fails.
- Progress (bytes, files, finished files, events) is kept in memory and written
  to SQLite in one transaction at most every :data:`PROGRESS_INTERVAL` seconds.
- Cancel, deadline and a stopping sandbox are noticed between chunks, so a task
  stops within one chunk. A stopped sandbox leaves its tasks ``ACTIVE``; they are
  resumed on the next start, skipping files already recorded as transferred.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import errno
import fnmatch
import hashlib
import json
import logging
import os
import queue
import shutil
import stat
import threading
import time
import typing as t
import zlib
from collections import deque
from pathlib import Path

from .collections import (
    CollectionDirectories,
    CollectionView,
    collection_by_id,
    join_path,
    path_parts,
)
from .service import GlobusError, SandboxSettings
from .transfer_tasks import (
    ACTIVE,
    DEADLINE_EXPIRED,
    FAILED,
    OK,
    SUCCEEDED,
    SuccessfulTransfer,
    TaskEvent,
    TransferStore,
)

log = logging.getLogger(__name__)

#: bytes moved per step of an unthrottled copy
CHUNK_SIZE = 8 * 1024 * 1024
#: seconds between two writes of a task's progress to SQLite
PROGRESS_INTERVAL = 0.25
#: seconds between two PROGRESS events of a long task
PROGRESS_EVENT_INTERVAL = 10.0
#: copies of one file tried before a checksum mismatch fails the task
VERIFY_ATTEMPTS = 3
#: copies whose checksums are compared in the background while the next is made
VERIFY_PIPELINE = 2
#: the checksum used when an item names none
DEFAULT_CHECKSUM_ALGORITHM = "sha256"
#: the algorithms a transfer item may name (in any case); adler32 is the cheapest
CHECKSUM_ALGORITHMS = frozenset({"adler32", "md5", "sha1", "sha256", "sha512"})
_GLOB_CHARACTERS = frozenset("*?[")


class Throttle:
    """
    A shared budget of bytes per second, like one slow network link: every copy
    through it books time for each chunk, and waits for the booked time.
    """

    def __init__(self, rate: t.Callable[[], int]) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._free_at = 0.0

    def pace(self, size: int, interrupted: threading.Event) -> None:
        """Wait until ``size`` more bytes fit the budget, or until interrupted."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._free_at)
            self._free_at = start + size / max(1, self._rate())
            delay = self._free_at - now
        if delay > 0:
            interrupted.wait(delay)

    def chunk_size(self) -> int:
        """A chunk that takes about an eighth of a second at the current rate."""
        return max(16 * 1024, min(1024 * 1024, self._rate() // 8))


class TransferWorkers:
    """
    The worker threads of one running sandbox, and the queue of tasks to run.

    :param workers: how many tasks run at the same time
    """

    def __init__(
        self,
        *,
        store: TransferStore,
        directories: CollectionDirectories,
        settings: SandboxSettings,
        workers: int,
    ) -> None:
        self.store = store
        self.directories = directories
        self.settings = settings
        self.throttle = Throttle(lambda: settings.remote_bandwidth)
        self._count = workers
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._running: dict[str, _Interrupt] = {}
        self._stopping = False
        #: hashes one file while the worker hashes the other
        self.checksums = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="globus-sandbox-checksum"
        )

    def start(self) -> None:
        """Queue the tasks a previous run left active, then start the threads."""
        for task_id in self.store.active_task_ids():
            self._queue.put(task_id)
        for number in range(self._count):
            thread = threading.Thread(
                target=self._work, name=f"globus-sandbox-transfer-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Interrupt running tasks (they stay active) and end the threads."""
        with self._lock:
            self._stopping = True
            for interrupt in self._running.values():
                interrupt.set("stop")
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self.checksums.shutdown()

    def enqueue(self, task_id: str) -> None:
        self._queue.put(task_id)

    def cancel(self, task_id: str) -> None:
        """Stop a running task promptly; the store already marked it canceled."""
        with self._lock:
            interrupt = self._running.get(task_id)
            if interrupt is not None:
                interrupt.set("cancel")

    def _work(self) -> None:
        while True:
            task_id = self._queue.get()
            if task_id is None:
                return
            interrupt = _Interrupt()
            with self._lock:
                if self._stopping:
                    return
                self._running[task_id] = interrupt
            try:
                self._run(task_id, interrupt)
            except Exception:
                # a task that cannot even be failed must not end the worker
                log.debug("task %s could not be run", task_id, exc_info=True)
            finally:
                with self._lock:
                    self._running.pop(task_id, None)
                shutil.rmtree(self.directories.staging / task_id, ignore_errors=True)

    def _run(self, task_id: str, interrupt: _Interrupt) -> None:
        row = self.store.task(task_id)
        if row is None or row["status"] != ACTIVE:
            return
        run: _Run | None = None
        try:
            run_class = _TransferRun if row["type"] == "TRANSFER" else _DeleteRun
            run = run_class(self, row, interrupt)
            run.run()
        except _Interrupted:
            assert run is not None
            run.progress.flush()
            log.debug("task %s interrupted (%s)", task_id, interrupt.reason)
        except _TaskFailed as failure:
            if run is not None:
                run.progress.flush()
            self._fail(task_id, failure)
        except Exception:
            log.debug("task %s broke the worker", task_id, exc_info=True)
            if run is not None:
                with contextlib.suppress(Exception):
                    run.progress.flush()
            self._fail(
                task_id,
                _TaskFailed("ENDPOINT_ERROR", "The sandbox failed to run this task"),
            )

    def _fail(self, task_id: str, failure: _TaskFailed) -> None:
        self.store.finish(
            task_id,
            FAILED,
            event=TaskEvent(
                failure.code, failure.description, failure.details, is_error=True
            ),
            fatal_code=failure.code,
        )
        log.debug("task %s failed: %s", task_id, failure.code)


class _Interrupt:
    """Why a running task must stop now: it was canceled, or the sandbox stops."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        self.reason = reason
        self.event.set()


class _Interrupted(Exception):
    """The running task was canceled or the sandbox is stopping."""


class _TaskFailed(Exception):
    """A fatal error: the task ends ``FAILED`` with this code."""

    def __init__(self, code: str, description: str, details: str = "") -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.details = details


class _Progress:
    """A task's counters, kept in memory and written out in batches."""

    def __init__(
        self, store: TransferStore, task_id: str, row: t.Mapping[str, t.Any]
    ) -> None:
        self.store = store
        self.task_id = task_id
        self.counters: dict[str, int] = {
            "files": 0,
            "directories": 0,
            "symlinks": 0,
            "files_transferred": 0,
            "files_skipped": 0,
            "bytes_transferred": 0,
            "bytes_checksummed": 0,
            "subtasks_total": 0,
            "subtasks_succeeded": 0,
            "subtasks_retrying": 0,
            "subtasks_skipped_errors": 0,
            "faults": int(row["faults"]),
        }
        self.successful: list[SuccessfulTransfer] = []
        self.events: list[TaskEvent] = []
        self.nice_status: str | None = None
        self._active_before = float(row["active_seconds"])
        self._started = time.monotonic()
        self._flushed = self._started
        self._progress_event = self._started

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def add_bytes(self, size: int) -> None:
        self.counters["bytes_transferred"] += size
        if time.monotonic() - self._flushed >= PROGRESS_INTERVAL:
            self.flush()

    def event(self, event: TaskEvent) -> None:
        self.events.append(event)

    def maybe_flush(self) -> None:
        if time.monotonic() - self._flushed >= PROGRESS_INTERVAL:
            self.flush()

    def snapshot(self) -> dict[str, float]:
        return {
            **self.counters,
            "active_seconds": self._active_before + time.monotonic() - self._started,
        }

    def flush(self) -> None:
        now = time.monotonic()
        if now - self._progress_event >= PROGRESS_EVENT_INTERVAL:
            self._progress_event = now
            self.events.append(self.progress_event())
        self.store.record_progress(
            self.task_id,
            self.snapshot(),
            successful=self.successful,
            events=self.events,
            nice_status=self.nice_status,
        )
        self.successful, self.events, self.nice_status = [], [], None
        self._flushed = now

    def progress_event(self) -> TaskEvent:
        figures = {
            name: self.counters[name]
            for name in ("files", "files_transferred", "bytes_transferred")
        }
        return TaskEvent(
            "PROGRESS",
            f"{figures['files_transferred']} of {figures['files']} files, "
            f"{figures['bytes_transferred']} bytes transferred so far",
            json.dumps(figures),
        )


class _Run:
    """What transfer and delete runs share: the task, its progress, its limits."""

    def __init__(
        self,
        workers: TransferWorkers,
        row: t.Mapping[str, t.Any],
        interrupt: _Interrupt,
    ) -> None:
        self.workers = workers
        self.store = workers.store
        self.task_id = str(row["task_id"])
        self.document: dict[str, t.Any] = json.loads(row["document"])
        self.deadline = float(row["deadline"])
        self.interrupt = interrupt
        self.progress = _Progress(self.store, self.task_id, row)

    def check(self) -> None:
        """Stop here if the task was canceled, the sandbox stops, or time is up."""
        if self.interrupt.event.is_set():
            raise _Interrupted(self.interrupt.reason)
        if time.time() >= self.deadline:
            raise _TaskFailed(
                DEADLINE_EXPIRED, "The task deadline expired before it completed"
            )

    def view(self, collection_id: str) -> CollectionView:
        collection = collection_by_id(collection_id)
        if collection is None:
            raise _TaskFailed("ENDPOINT_NOT_FOUND", f"No collection {collection_id}")
        try:
            return self.workers.directories.view(
                collection, self.document.get("home_user")
            )
        except GlobusError as error:
            raise _TaskFailed("PERMISSION_DENIED", error.detail) from None

    def locate(self, view: CollectionView, path: str, *, follow_final: bool) -> Path:
        try:
            return view.locate(path, follow_final=follow_final)
        except GlobusError as error:
            code = "PERMISSION_DENIED" if error.status == 403 else "INVALID_PATH"
            raise _TaskFailed(code, error.detail) from None

    def start(self, event: TaskEvent) -> bool:
        counters = {
            name: value
            for name, value in self.progress.counters.items()
            if name != "faults"
        }
        return self.store.start(self.task_id, counters, event)

    def succeed(self, description: str) -> None:
        self.progress.flush()
        self.store.finish(
            self.task_id, SUCCEEDED, event=TaskEvent("SUCCEEDED", description)
        )


# --- transfers ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _FileJob:
    source_local: Path
    source_path: str
    destination_path: str
    size: int
    checksum_algorithm: str | None


@dataclasses.dataclass(frozen=True)
class _DirectoryJob:
    destination_path: str


_Job = _FileJob | _DirectoryJob


@dataclasses.dataclass
class _Staged:
    """A file copied into staging, waiting to be checked and renamed into place."""

    job: _FileJob
    destination: str
    staging: str
    #: the source as it was when the copy began, when it has to be checked
    before: os.stat_result | None
    algorithm: str | None
    source_digest: str | concurrent.futures.Future[str] | None = None
    copy_digest: concurrent.futures.Future[str] | None = None


@dataclasses.dataclass(frozen=True)
class _ExpandedItem:
    """What one transfer item stands for."""

    destination_path: str
    directory: bool
    jobs: list[_Job]


class _TransferRun(_Run):
    """Carry out one transfer task."""

    def __init__(
        self,
        workers: TransferWorkers,
        row: t.Mapping[str, t.Any],
        interrupt: _Interrupt,
    ) -> None:
        super().__init__(workers, row, interrupt)
        self.source = self.view(str(row["source_endpoint_id"]))
        self.destination = self.view(str(row["destination_endpoint_id"]))
        self.throttled = (
            self.source.collection.throttled or self.destination.collection.throttled
        )
        self.sync_level: int | None = self.document.get("sync_level")
        self.verify = bool(self.document.get("verify_checksum"))
        self.preserve_timestamp = bool(self.document.get("preserve_timestamp"))
        self.skip_source_errors = bool(self.document.get("skip_source_errors"))
        self.filter_rules: list[dict[str, t.Any]] = (
            self.document.get("filter_rules") or []
        )
        self.made_directories: dict[str, str] = {}
        self.staging = str(workers.directories.staging / self.task_id)
        self.staged = 0
        self.unsettled: deque[_Staged] = deque()
        self.buffer: bytearray | None = None

    def run(self) -> None:
        self.check()
        os.makedirs(self.staging, mode=0o700, exist_ok=True)
        already_done = self.store.completed_files(self.task_id)
        self.progress.add("files_transferred", len(already_done))
        self.progress.add("bytes_transferred", sum(already_done.values()))

        # expand every item first, so the task shows how much there is to do
        items = [self.expand(item) for item in self.document["items"]]
        jobs = [job for expanded in items for job in expanded.jobs]
        files = sum(isinstance(job, _FileJob) for job in jobs)
        self.progress.add("files", files)
        self.progress.add("directories", len(jobs) - files)
        self.progress.add("subtasks_total", len(jobs))
        resumed = " again after a restart" if already_done else ""
        if not self.start(TaskEvent("STARTED", f"The transfer started{resumed}")):
            return

        for expanded in items:
            for job in expanded.jobs:
                self.check()
                if isinstance(job, _DirectoryJob):
                    self.make_directory(job.destination_path)
                    self.progress.add("subtasks_succeeded")
                elif job.destination_path in already_done:
                    self.progress.add("subtasks_succeeded")
                else:
                    self.transfer_file(job)
                self.progress.maybe_flush()
            self.settle_all()
            if expanded.directory and self.document.get("delete_destination_extra"):
                self.delete_destination_extra(expanded)
            self.progress.event(self.progress.progress_event())

        self.succeed("The transfer completed successfully")

    # expanding items

    def expand(self, item: dict[str, t.Any]) -> _ExpandedItem:
        """The files and directories one item stands for, in a stable order."""
        source_path = str(item["source_path"])
        destination_path = str(item["destination_path"])
        local = self.locate(self.source, source_path, follow_final=True)
        try:
            info = local.stat()
        except FileNotFoundError:
            self.source_error(
                "FILE_NOT_FOUND", f"No such file or directory: {source_path}"
            )
            return _ExpandedItem(destination_path, False, [])
        except PermissionError:
            self.source_error("PERMISSION_DENIED", f"Permission denied: {source_path}")
            return _ExpandedItem(destination_path, False, [])

        recursive = item.get("recursive")
        is_directory = stat.S_ISDIR(info.st_mode)
        if is_directory and recursive is False:
            raise _TaskFailed(
                "IS_A_DIRECTORY",
                f"{source_path} is a directory; transfer it with recursive set",
            )
        if not is_directory and recursive:
            raise _TaskFailed(
                "NOT_A_DIRECTORY",
                f"{source_path} is not a directory, but recursive was set",
            )
        algorithm = item.get("checksum_algorithm")
        if not is_directory:
            job = _FileJob(
                local, source_path, destination_path, info.st_size, algorithm
            )
            return _ExpandedItem(destination_path, False, [job])

        jobs: list[_Job] = [_DirectoryJob(destination_path)]
        self.walk(local, source_path, destination_path, algorithm, jobs)
        return _ExpandedItem(destination_path, True, jobs)

    def walk(
        self,
        directory: Path,
        source_path: str,
        destination_path: str,
        algorithm: str | None,
        jobs: list[_Job],
    ) -> None:
        # symbolic links are never followed in a recursive transfer
        with os.scandir(directory) as entries:
            ordered = sorted(entries, key=lambda entry: entry.name)
        for entry in ordered:
            if entry.is_symlink():
                self.progress.add("symlinks")
                continue
            is_directory = entry.is_dir(follow_symlinks=False)
            if not self.included(entry.name, "dir" if is_directory else "file"):
                continue
            child_source = join_path(source_path, entry.name)
            child_destination = join_path(destination_path, entry.name)
            if is_directory:
                jobs.append(_DirectoryJob(child_destination))
                self.walk(
                    Path(entry.path), child_source, child_destination, algorithm, jobs
                )
            elif entry.is_file(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                jobs.append(
                    _FileJob(
                        Path(entry.path),
                        child_source,
                        child_destination,
                        size,
                        algorithm,
                    )
                )

    def included(self, name: str, kind: str) -> bool:
        """Filter rules: the first rule that matches decides; no match includes."""
        for rule in self.filter_rules:
            if rule.get("type") not in (None, kind):
                continue
            if fnmatch.fnmatchcase(name, str(rule["name"])):
                return bool(rule.get("method", "exclude") == "include")
        return True

    def source_error(self, code: str, description: str) -> None:
        """Fail the task, or with ``skip_source_errors`` note the skip and go on."""
        if not self.skip_source_errors:
            raise _TaskFailed(code, description)
        self.progress.add("subtasks_skipped_errors")
        self.progress.event(TaskEvent(code, f"Skipped: {description}", is_error=True))

    # doing the work

    def make_directory(self, path: str) -> str:
        """Make a destination directory (and its parents) once per run."""
        made = self.made_directories.get(path)
        if made is not None:
            return made
        local = self.locate(self.destination, path, follow_final=True)
        if local.exists() and not local.is_dir():
            raise _TaskFailed(
                "NOT_A_DIRECTORY", f"{path} exists on the destination and is a file"
            )
        try:
            self.destination.ensure_directory(path, local)
        except GlobusError as error:
            raise _TaskFailed("PERMISSION_DENIED", error.detail) from None
        self.made_directories[path] = str(local)
        return str(local)

    def destination_of(self, path: str) -> str:
        """
        The local path a destination file is renamed to. Its directory is checked
        and made once per run; the final name itself is never followed, so a link
        there is replaced rather than written through.
        """
        parent, _, name = path.rstrip("/").rpartition("/")
        return os.path.join(self.make_directory(parent or "/"), name)

    def transfer_file(self, job: _FileJob) -> None:
        destination = self.destination_of(job.destination_path)
        if self.sync_level is not None:
            try:
                there = os.lstat(destination)
            except FileNotFoundError:
                pass
            else:
                if self.in_sync(job, Path(destination), there):
                    self.progress.add("files_skipped")
                    self.progress.add("subtasks_succeeded")
                    return

        staged = self.stage(job, destination)
        if staged.copy_digest is None:
            self.place(staged)
            return
        # checked in the background while the next files are copied
        self.unsettled.append(staged)
        while len(self.unsettled) > VERIFY_PIPELINE:
            self.settle(self.unsettled.popleft())

    def settle_all(self) -> None:
        """Finish every copy whose checksums are still being compared."""
        while self.unsettled:
            self.settle(self.unsettled.popleft())

    def settle(self, staged: _Staged) -> None:
        """Rename a verified copy into place, or copy the file again."""
        for attempt in range(1, VERIFY_ATTEMPTS + 1):
            problem = self.verification_problem(staged)
            if problem is None:
                self.place(staged)
                if attempt > 1:
                    self.progress.nice_status = OK
                return
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged.staging)
            self.checksum_fault(staged.job, problem, attempt)
            staged = self.stage(staged.job, staged.destination)

    def place(self, staged: _Staged) -> None:
        job = staged.job
        if self.preserve_timestamp:
            assert staged.before is not None
            os.utime(
                staged.staging,
                ns=(staged.before.st_atime_ns, staged.before.st_mtime_ns),
            )
        try:
            os.replace(staged.staging, staged.destination)
        except IsADirectoryError:
            raise _TaskFailed(
                "IS_A_DIRECTORY",
                f"{job.destination_path} is a directory on the destination",
            ) from None
        self.progress.add("files_transferred")
        self.progress.add("subtasks_succeeded")
        self.progress.successful.append(
            SuccessfulTransfer(job.source_path, job.destination_path, job.size)
        )

    def checksum_fault(self, job: _FileJob, reason: str, attempt: int) -> None:
        self.progress.add("faults")
        self.progress.nice_status = "VERIFY_CHECKSUM"
        details = json.dumps({"path": job.source_path, "attempt": attempt})
        if attempt == VERIFY_ATTEMPTS:
            raise _TaskFailed(
                "VERIFY_CHECKSUM",
                f"Checksum verification of {job.source_path} failed {attempt} "
                f"times: {reason}",
                details,
            )
        self.progress.event(
            TaskEvent(
                "VERIFY_CHECKSUM",
                f"Checksum verification failed ({reason}); copying the file again",
                details,
                is_error=True,
            )
        )

    def in_sync(self, job: _FileJob, destination: Path, there: os.stat_result) -> bool:
        """Whether the destination already matches at the task's sync level."""
        if not stat.S_ISREG(there.st_mode):
            return False
        if self.sync_level == 0:
            return True
        here = job.source_local.stat()
        if there.st_size != here.st_size:
            return False
        if self.sync_level == 1:
            return True
        if self.sync_level == 2:
            return int(there.st_mtime) >= int(here.st_mtime)
        algorithm = self.algorithm(job)
        source = self.workers.checksums.submit(file_digest, job.source_local, algorithm)
        copy = file_digest(destination, algorithm)
        self.progress.add("bytes_checksummed", 2 * here.st_size)
        return source.result() == copy

    def algorithm(self, job: _FileJob) -> str:
        return (job.checksum_algorithm or DEFAULT_CHECKSUM_ALGORITHM).lower()

    def stage(self, job: _FileJob, destination: str) -> _Staged:
        """
        Copy one file into staging. With ``verify_checksum``, start hashing the
        copy as it landed on disk, and the source (unless it was hashed on the
        way, as throttled copies are).
        """
        self.staged += 1
        staging = os.path.join(self.staging, f"{self.staged}.part")
        algorithm = self.algorithm(job) if self.verify else None
        try:
            source_fd = os.open(job.source_local, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise _TaskFailed(
                "FILE_NOT_FOUND", f"{job.source_path} disappeared from the source"
            ) from None
        try:
            # the source as the copy began, to check it did not change meanwhile
            needed = algorithm is not None or self.preserve_timestamp
            before = os.fstat(source_fd) if needed else None
            staging_fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                if self.throttled:
                    digest = self.copy_through_python(source_fd, staging_fd, algorithm)
                else:
                    digest = None
                    self.copy_in_kernel(source_fd, staging_fd)
            finally:
                os.close(staging_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staging)
            raise
        finally:
            os.close(source_fd)

        staged = _Staged(job, destination, staging, before, algorithm)
        if algorithm is not None:
            hashing = self.workers.checksums
            staged.source_digest = (
                digest
                if digest is not None
                else hashing.submit(file_digest, job.source_local, algorithm)
            )
            staged.copy_digest = hashing.submit(file_digest, staging, algorithm)
        return staged

    def verification_problem(self, staged: _Staged) -> str | None:
        """
        What is wrong with a copy, if anything: its checksum must equal the
        source's, and the source must not have changed since it was copied.
        """
        assert staged.copy_digest is not None
        assert staged.source_digest is not None
        assert staged.before is not None
        source_digest = staged.source_digest
        if not isinstance(source_digest, str):
            source_digest = source_digest.result()
        copy_digest = staged.copy_digest.result()
        self.progress.add("bytes_checksummed", staged.before.st_size)
        after = staged.job.source_local.stat()
        if (after.st_size, after.st_mtime_ns) != (
            staged.before.st_size,
            staged.before.st_mtime_ns,
        ):
            return "the source changed during the copy"
        if copy_digest != source_digest:
            return f"{staged.algorithm} of the copy differs from the source"
        return None

    def copy_in_kernel(self, source_fd: int, staging_fd: int) -> None:
        """Copy without the bytes passing through Python, where the system can."""
        if not hasattr(os, "copy_file_range"):  # only Linux has it
            self.copy_through_python(source_fd, staging_fd, None)
            return
        while True:
            self.check()
            try:
                copied = os.copy_file_range(source_fd, staging_fd, CHUNK_SIZE)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL):
                    raise
                self.copy_through_python(source_fd, staging_fd, None)
                return
            if not copied:
                return
            self.progress.add_bytes(copied)

    def copy_through_python(
        self, source_fd: int, staging_fd: int, algorithm: str | None
    ) -> str | None:
        """Copy by reading and writing, to hash or throttle on the way."""
        hasher = new_checksum(algorithm) if algorithm else None
        size = self.workers.throttle.chunk_size() if self.throttled else CHUNK_SIZE
        # one buffer per run: a fresh one per file costs more than the copy
        if self.buffer is None or len(self.buffer) != size:
            self.buffer = bytearray(size)
        buffer = self.buffer
        view = memoryview(buffer)
        while True:
            self.check()
            read = os.readv(source_fd, [buffer])
            if not read:
                break
            chunk = view[:read]
            if hasher is not None:
                hasher.update(chunk)
            written = 0
            while written < read:
                written += os.write(staging_fd, chunk[written:])
            self.progress.add_bytes(read)
            if self.throttled:
                self.workers.throttle.pace(read, self.interrupt.event)
        return None if hasher is None else hasher.hexdigest()

    def delete_destination_extra(self, expanded: _ExpandedItem) -> None:
        """Remove what the destination directory has and the source does not."""
        wanted = {job.destination_path for job in expanded.jobs}
        top_path = expanded.destination_path
        top = self.locate(self.destination, top_path, follow_final=True)
        removed = self.remove_extra(top, top_path, wanted)
        if removed:
            self.progress.event(
                TaskEvent(
                    "DELETE_DESTINATION_EXTRA",
                    f"Deleted {removed} entries the source does not have",
                )
            )

    def remove_extra(self, directory: Path, path: str, wanted: set[str]) -> int:
        removed = 0
        with os.scandir(directory) as entries:
            ordered = sorted(entries, key=lambda entry: entry.name)
        for entry in ordered:
            self.check()
            child = join_path(path, entry.name)
            is_directory = entry.is_dir(follow_symlinks=False)
            if not self.included(entry.name, "dir" if is_directory else "file"):
                continue
            if child not in wanted:
                if is_directory:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed += 1
            elif is_directory:
                removed += self.remove_extra(Path(entry.path), child, wanted)
        return removed


class _Checksum(t.Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


class _Adler32:
    """ADLER32 (as GridFTP offers it) with hashlib's interface."""

    def __init__(self) -> None:
        self._value = 1

    def update(self, data: bytes | memoryview, /) -> None:
        self._value = zlib.adler32(data, self._value)

    def hexdigest(self) -> str:
        return f"{self._value:08x}"


def new_checksum(algorithm: str) -> _Checksum:
    return _Adler32() if algorithm == "adler32" else hashlib.new(algorithm)


def file_digest(path: str | Path, algorithm: str) -> str:
    """The checksum of a file, read in large blocks with the GIL released."""
    with open(path, "rb", buffering=0) as file:
        if algorithm != "adler32":
            return hashlib.file_digest(file, algorithm).hexdigest()
        checksum = new_checksum(algorithm)
        while block := file.read(1024 * 1024):
            checksum.update(block)
        return checksum.hexdigest()


# --- deletes ----------------------------------------------------------------------


class _DeleteRun(_Run):
    """Carry out one delete task. Links are deleted, never followed."""

    def __init__(
        self,
        workers: TransferWorkers,
        row: t.Mapping[str, t.Any],
        interrupt: _Interrupt,
    ) -> None:
        super().__init__(workers, row, interrupt)
        self.target = self.view(str(row["source_endpoint_id"]))
        self.recursive = bool(self.document.get("recursive"))
        self.ignore_missing = bool(self.document.get("ignore_missing"))
        self.interpret_globs = bool(self.document.get("interpret_globs"))

    def run(self) -> None:
        self.check()
        targets: list[tuple[str, Path]] = []
        for item in self.document["items"]:
            targets.extend(self.expand(str(item["path"])))
        plans = [(path, local, self.plan(path, local)) for path, local in targets]
        for _, _, (files, directories) in plans:
            self.progress.add("files", len(files))
            self.progress.add("directories", len(directories))
            self.progress.add("subtasks_total", len(files) + len(directories))
        if not self.start(TaskEvent("STARTED", "The delete started")):
            return

        for _, _, (files, directories) in plans:
            for local in files:
                self.check()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(local)
                self.progress.add("subtasks_succeeded")
                self.progress.maybe_flush()
            for local in directories:
                self.check()
                with contextlib.suppress(FileNotFoundError):
                    os.rmdir(local)
                self.progress.add("subtasks_succeeded")
                self.progress.maybe_flush()
        self.succeed("The delete completed successfully")

    def expand(self, path: str) -> list[tuple[str, Path]]:
        """The paths one item names: itself, or its glob's matches."""
        parent, _, last = path.rstrip("/").rpartition("/")
        if not (self.interpret_globs and _GLOB_CHARACTERS.intersection(last)):
            return [(path, self.locate(self.target, path, follow_final=False))]
        directory = self.locate(self.target, parent or "/", follow_final=True)
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            names = []
        pattern = last.replace("\\", "") if "\\" in last else last
        return [
            (join_path(parent or "/", name), directory / name)
            for name in names
            if fnmatch.fnmatchcase(name, pattern)
        ]

    def plan(self, path: str, local: Path) -> tuple[list[Path], list[Path]]:
        """The files and (deepest first) directories deleting ``path`` removes."""
        if not path_parts(path):
            raise _TaskFailed(
                "PERMISSION_DENIED", "The top of a collection cannot be deleted"
            )
        if not os.path.lexists(local):
            if self.ignore_missing:
                return [], []
            raise _TaskFailed("FILE_NOT_FOUND", f"No such file or directory: {path}")
        if not local.is_dir() or local.is_symlink():
            return [local], []
        if not self.recursive:
            raise _TaskFailed(
                "IS_A_DIRECTORY", f"{path} is a directory; delete it with recursive set"
            )
        files: list[Path] = []
        directories: list[Path] = []
        self.collect(local, files, directories)
        return files, directories

    def collect(
        self, directory: Path, files: list[Path], directories: list[Path]
    ) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    self.collect(Path(entry.path), files, directories)
                else:
                    files.append(Path(entry.path))
        directories.append(directory)
