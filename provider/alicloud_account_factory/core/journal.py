"""A local record of EnrollAccount attempts, so that the next create sees what the listing hides.

(CreateAccountFactoryBaseline attempts are recorded the same way, under keys of their own: see
`baseline_provider`. Their answer is a baseline id, kept as `resource_id`.)

ListEnrolledAccounts may show a new account only seconds after EnrollAccount took effect, and
a request the service holds may take effect long after the client stopped waiting for it. A
create that only looked at the listing could therefore enroll a second account right after an
interrupted, timed-out or unanswered attempt of the same resource. So before every
EnrollAccount the enroller writes the attempt down (synced to disk, so that a kill -9 right
after sending keeps it), and then what became of it: the AccountUid it answered, or that the
service refused it. The next create of the same enrollment key, in this process or a later
one on this machine, reads the record: it reads an answered account directly
(GetEnrolledAccount is consistent), and it does not enroll while an unanswered attempt may
still take effect or still be missing from the listing.

The record is local: a run on another machine does not see it (see RELIABILITY.md). One file
per enrollment key, replaced atomically; entries older than `RETENTION_SECONDS` are dropped.
Every read and read-modify-write holds an exclusive `flock` on `.lock` in the directory, so that provider
processes of several stacks on one machine never overwrite each other's entries (the released
accounts are one file for all of them). POSIX only: where `fcntl` is missing (Windows) processes
are not kept apart, only the threads of one process.

Nothing is lost silently (each problem is told once per process, by `warn_of_problems`): a directory
that cannot be written leaves the record in memory only; a file that cannot be read is kept aside
(renamed `<name>.corrupt-<time>-<random>`) and started anew, and since what it held is unknown, a
key's new file holds one assumed unanswered attempt, sent when the lost file was last written.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

try:
    import fcntl
except ImportError:  # Windows: no lock between processes (see the module's docstring)
    fcntl = None  # type: ignore[assignment]

#: Where records live, unless `ALICLOUD_ACCOUNT_FACTORY_STATE_DIR` says otherwise.
STATE_DIR_ENV = "ALICLOUD_ACCOUNT_FACTORY_STATE_DIR"
#: How long an entry is kept: far longer than any attempt can stay invisible.
RETENTION_SECONDS = 7 * 24 * 3600.0

SENT = "sent"  # written before the request left; outcome unknown
ANSWERED = "answered"  # the service answered with an AccountUid (or a baseline id)
REFUSED = "refused"  # the service refused it (throttled, invalid, ...): it did not take effect
RELEASED = "released"  # the resource holding this account was deleted from its stack
RELEASED_KEY = "released-accounts"  # where releases are kept, by AccountUid
LOCK_NAME = ".lock"  # beside the records: held while one is read, changed and written
#: The id of the attempt a key's unreadable record may have held (`AttemptJournal._recovered`).
ASSUMED_ID = "unreadable-record"


@dataclass(frozen=True)
class Attempt:
    """One EnrollAccount of a new account, or the release of the account a resource held."""

    id: str
    at: float  # wall-clock seconds: the record outlives the process
    state: str
    account_uid: int | None = None
    #: Until when an unanswered attempt may still turn up, once its failure was seen (None: the
    #: process died first, and the enroller assumes the longest).
    until: float | None = None
    #: What an answered attempt made when it is not an account (a baseline id).
    resource_id: str | None = None

    @property
    def unanswered(self) -> bool:
        return self.state == SENT


def default_directory(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    base = env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "alicloud-account-factory" / "enrollments"


class AttemptJournal:
    """The attempts of each enrollment key, in a directory (or only in memory when it cannot be written)."""

    def __init__(self, directory: Path | None, clock: Callable[[], float] = time.time) -> None:
        self._directory = directory
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, list[Attempt]] = {}
        self._unusable: str | None = None  # why records only live in memory, once that happened
        self._problems: dict[str, str] = {}  # what the user must hear, by problem (told once each)
        self._told: set[str] = set()

    @property
    def clock(self) -> Callable[[], float]:
        """The wall clock the record's times are read from."""
        return self._clock

    def warn_of_problems(self, warn: Callable[[str], None]) -> None:
        """Tell each problem not told yet, once per process (`warn`: a resource's reporter)."""
        with self._lock:
            untold = [message for problem, message in self._problems.items() if problem not in self._told]
            self._told.update(self._problems)
        for message in untold:
            warn(message)

    def attempts(self, key: str) -> list[Attempt]:
        with self._exclusive():
            return list(self._load(key))

    def sending(self, key: str) -> Attempt:
        """Record an EnrollAccount about to be sent; returns the attempt to settle later."""
        attempt = Attempt(id=os.urandom(6).hex(), at=self._clock(), state=SENT)
        self._change(key, lambda attempts: [*attempts, attempt])
        return attempt

    def settle(self, key: str, attempt: Attempt, state: str, account_uid: int | None = None, *,
               until: float | None = None, resource_id: str | None = None) -> None:
        """What became of an attempt: ANSWERED with its AccountUid (or `resource_id`), REFUSED, or still
        SENT (unanswered) with when it can no longer turn up."""
        self._change(key, lambda attempts: [replace(a, state=state, account_uid=account_uid, until=until,
                                                    resource_id=resource_id)
                                            if a.id == attempt.id else a for a in attempts])

    def unanswered_until(self, key: str, unsettled_seconds: float) -> float | None:
        """When the latest unanswered attempt of `key` can no longer turn up (wall clock), if that is
        still to come; `unsettled_seconds` after it was sent when its failure was never seen."""
        now = self._clock()
        until = max((a.until if a.until is not None else a.at + unsettled_seconds
                     for a in self.attempts(key) if a.unanswered), default=None)
        return until if until is not None and until > now else None

    def release(self, account_uid: int) -> None:
        """The resource holding `account_uid` left its stack (destroyed, or replaced): a later create
        must not adopt it, whatever its key (a replacement's key differs from the one it held)."""
        released = Attempt(id=os.urandom(6).hex(), at=self._clock(), state=RELEASED, account_uid=account_uid)
        self._change(RELEASED_KEY, lambda attempts: [*[a for a in attempts if a.account_uid != account_uid], released])

    def released(self) -> set[int]:
        return {a.account_uid for a in self.attempts(RELEASED_KEY) if a.account_uid is not None}

    # --- storage -----------------------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One reader or writer at a time: this process's threads, and (an flock on LOCK_NAME) every
        other process using the directory."""
        with self._lock:
            handle = self._open_lock()
            try:
                yield
            finally:
                if handle is not None:
                    os.close(handle)  # (releases the flock)

    def _open_lock(self) -> int | None:
        if self._directory is None or self._unusable is not None or fcntl is None:
            return None
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            handle = os.open(self._directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            self._give_up(error)
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as error:
            os.close(handle)
            self._give_up(error)
            return None
        return handle

    def _give_up(self, error: OSError) -> None:
        """The directory cannot hold the record: memory only, from now on, and the user is told."""
        self._unusable = f"{type(error).__name__}: {error}"
        self._problems[f"unusable {self._directory}"] = (
            f"the attempt record in {self._directory} cannot be used ({self._unusable}). Until it can, this "
            f"provider process keeps its EnrollAccount and CreateAccountFactoryBaseline requests in memory only: a "
            f"`pulumi up` right after an interrupted one relies on the listing alone, which may show a new account "
            f"or baseline only after a while (a second one could then be made), and an account whose resource was "
            f"deleted on this machine is not remembered as let go. Set {STATE_DIR_ENV} to a writable directory.")

    def _change(self, key: str, change: Callable[[list[Attempt]], list[Attempt]]) -> None:
        with self._exclusive():
            horizon = self._clock() - RETENTION_SECONDS
            attempts = [a for a in change(self._load(key)) if a.at >= horizon]
            self._memory[key] = attempts
            self._store(key, attempts)

    def _path(self, key: str) -> Path | None:
        if self._directory is None or self._unusable is not None:
            return None
        return self._directory / f"{re.sub(r'[^A-Za-z0-9._-]', '_', key)}.json"

    def _load(self, key: str) -> list[Attempt]:
        """From the file when there is one (another process may have written it since), else memory."""
        path = self._path(key)
        if path is None:
            return self._memory.get(key, [])
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            self._give_up(error)
            return self._memory.get(key, [])
        try:
            return _parsed(text)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as error:
            return self._recovered(key, path, error)

    def _recovered(self, key: str, path: Path, error: Exception) -> list[Attempt]:
        """An unreadable record: kept aside, never overwritten, and started anew with what this process
        knows, plus, for a key, an attempt assumed unanswered, sent when the lost file was last written
        (creates of the key then look, and send nothing, while such a request could still turn up)."""
        try:
            written = path.stat().st_mtime
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.urandom(3).hex()}")
            os.replace(path, aside)
        except OSError as failure:
            self._give_up(failure)
            return self._memory.get(key, [])
        attempts = list(self._memory.get(key, []))
        if key != RELEASED_KEY:
            attempts.append(Attempt(id=ASSUMED_ID, at=written, state=SENT))
        reason = f"{type(error).__name__}: {error}"
        if key == RELEASED_KEY:
            meaning = ("The releases it held are lost: a later create of a resource deleted on this machine before "
                       "(removed from the program and added back, or a delete-first replacement interrupted between "
                       "its delete and its create) may take its old account back instead of enrolling a new one, with "
                       "a warning that it adopts it.")
        else:
            meaning = (f"The requests of one resource it held (EnrollAccount or CreateAccountFactoryBaseline) and their "
                       f"answers are lost: it is taken as a request sent at {time.strftime('%H:%M:%S', time.localtime(written))}, "
                       f"when it was last written, that went unanswered, so a create of that resource looks for what "
                       f"such a request may have made and sends nothing until it could no longer turn up; after that "
                       f"it relies on the listing alone.")
        self._problems[f"unreadable {path} {aside}"] = (
            f"the attempt record {path} could not be read ({reason}); it was kept as {aside} and a new one "
            f"started. {meaning}")
        self._memory[key] = attempts
        self._store(key, attempts)
        return attempts

    def _store(self, key: str, attempts: list[Attempt]) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".attempts-", dir=path.parent)
            with os.fdopen(fd, "w") as handle:
                json.dump({"key": key, "attempts": [asdict(a) for a in attempts]}, handle)
                handle.flush()
                os.fsync(handle.fileno())  # must survive a kill -9 right after the request leaves
            os.replace(temporary, path)
        except OSError as error:
            self._give_up(error)


def _parsed(text: bytes) -> list[Attempt]:
    """A record file's attempts; raises on anything but a record."""
    raw = json.loads(text)
    return [Attempt(id=str(a["id"]), at=float(a["at"]), state=str(a["state"]),
                    account_uid=int(a["account_uid"]) if a.get("account_uid") is not None else None,
                    until=float(a["until"]) if a.get("until") is not None else None,
                    resource_id=str(a["resource_id"]) if a.get("resource_id") is not None else None)
            for a in raw.get("attempts", [])]
