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
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

#: Where records live, unless `ALICLOUD_ACCOUNT_FACTORY_STATE_DIR` says otherwise.
STATE_DIR_ENV = "ALICLOUD_ACCOUNT_FACTORY_STATE_DIR"
#: How long an entry is kept: far longer than any attempt can stay invisible.
RETENTION_SECONDS = 7 * 24 * 3600.0

SENT = "sent"  # written before the request left; outcome unknown
ANSWERED = "answered"  # the service answered with an AccountUid (or a baseline id)
REFUSED = "refused"  # the service refused it (throttled, invalid, ...): it did not take effect
RELEASED = "released"  # the resource holding this account was deleted from its stack
RELEASED_KEY = "released-accounts"  # where releases are kept, by AccountUid


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
        self.problem: str | None = None  # why records only live in memory, once that happened

    def attempts(self, key: str) -> list[Attempt]:
        with self._lock:
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

    def _change(self, key: str, change: Callable[[list[Attempt]], list[Attempt]]) -> None:
        with self._lock:
            horizon = self._clock() - RETENTION_SECONDS
            attempts = [a for a in change(self._load(key)) if a.at >= horizon]
            self._memory[key] = attempts
            self._store(key, attempts)

    def _path(self, key: str) -> Path | None:
        if self._directory is None or self.problem is not None:
            return None
        return self._directory / f"{re.sub(r'[^A-Za-z0-9._-]', '_', key)}.json"

    def _load(self, key: str) -> list[Attempt]:
        """From the file when there is one (another process may have written it since), else memory."""
        path = self._path(key)
        if path is None:
            return self._memory.get(key, [])
        try:
            raw = json.loads(path.read_text())
            attempts = [Attempt(id=str(a["id"]), at=float(a["at"]), state=str(a["state"]),
                                account_uid=int(a["account_uid"]) if a.get("account_uid") is not None else None,
                                until=float(a["until"]) if a.get("until") is not None else None,
                                resource_id=str(a["resource_id"]) if a.get("resource_id") is not None else None)
                        for a in raw.get("attempts", [])]
        except FileNotFoundError:
            attempts = []
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            attempts = self._memory.get(key, [])  # unreadable: what this process knows (the listing is still read)
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
            self.problem = f"{type(error).__name__}: {error}"
