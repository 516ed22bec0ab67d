"""The attempt record on disk (`journal.py`) under abuse: nothing lost silently.

* A record file that is corrupt or truncated: kept aside (never overwritten), the user told once
  what it held and what that means; a create of its resource still sends nothing while a request
  the lost record may have held could still take effect (real provider processes over gRPC, with a
  listing that lags and a provider killed right after its EnrollAccount took effect).
* A record directory that cannot be written: told once per provider process, by the first create,
  account or baseline (tests run as root, so a directory under a regular file stands for it).
* Two processes releasing accounts into one record at once (two stacks on one machine): no release
  lost (two real OS processes on the journal itself).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.baselines import register_baseline
from account_factory_testing.engine import WARNING, FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV
from alicloud_account_factory import BaselineItemArgs
from alicloud_account_factory.core.journal import RELEASED_KEY, STATE_DIR_ENV, AttemptJournal
from tests.reliability.reliability_support import (
    EVIDENCE,
    check_and_create,
    create_in_a_new_provider,
    kill_right_after_enroll_took_effect,
    register_raw,
    start_server,
    the_one_account,
)

CONTACT = [BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT")]


def _warnings(engine: FakeEngine, *urns: str) -> list[str]:
    return [m.message for m in engine.messages if m.severity == WARNING and m.urn in urns]


def _aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def test_a_corrupt_record_is_kept_aside_told_once_and_the_create_still_enrolls_no_second_account(
        engine: FakeEngine, _own_attempt_journal: Path) -> None:
    record = _own_attempt_journal
    name = "Record corrupt"
    with emulator_for_tests(enroll_seconds=2, list_lag_seconds=8) as emulator:
        # An account deleted from its stack on this machine: the record of released accounts holds it.
        released = register_raw("record-released", account_name_prefix="record-rel", display_name="Record released")
        server = start_server(engine, emulator.endpoint, warm_with=released)
        try:
            done = check_and_create(server, released)
            assert done.error is None, done.error
            server.delete(done.id, released.urn, done.outputs)
        finally:
            server.stop()
        earlier = set(record.glob("*.json"))
        # A create killed right after its EnrollAccount took effect, its answer never delivered: the
        # record holds the unanswered request, the listing does not show the account for 8 s.
        registration = register_raw("record-corrupt", account_name_prefix="record-corrupt", display_name=name)
        kill_right_after_enroll_took_effect(engine, emulator, registration, name)
        # The disk then breaks the record of that create and the record of released accounts: truncated.
        [key_file] = set(record.glob("*.json")) - earlier
        released_file = record / f"{RELEASED_KEY}.json"
        broken = {}
        for path in (key_file, released_file):
            content = path.read_bytes()
            broken[path] = content[:len(content) // 2]
            path.write_bytes(broken[path])

        resumed = create_in_a_new_provider(engine, emulator.endpoint, registration)
        account = the_one_account(emulator.state(), name)  # no second account, although the record was lost
        assert resumed.error is None, resumed.error
        assert resumed.id == str(account["AccountUid"])
    for path, content in broken.items():  # nothing overwritten: each broken file is kept, as it was
        [aside] = _aside(path)
        assert aside.read_bytes() == content
    told = _warnings(engine, registration.urn)
    about = {path: [w for w in told if str(path) in w] for path in broken}
    assert all(len(found) == 1 for found in about.values()), told  # once each, naming the file
    [key_warning], [released_warning] = about[key_file], about[released_file]
    assert "could not be read" in key_warning and "looks for what" in key_warning, key_warning
    assert "could not be read" in released_warning and "take its old account back" in released_warning


def test_a_record_directory_that_cannot_be_written_is_told_once_by_the_first_create(
        engine: FakeEngine, tmp_path: Path) -> None:
    """Tests run as root, for whom no permission stops a write: a directory under a regular file does."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    record = blocker / "record"
    with emulator_for_tests(enroll_seconds=1) as emulator:
        baseline = register_baseline("unrecorded-net", baseline_name="unrecorded-net", baseline_items=CONTACT)
        account = register_raw("unrecorded", account_name_prefix="unrecorded", display_name="Unrecorded")
        another = register_baseline("unrecorded-net-2", baseline_name="unrecorded-net-2", baseline_items=CONTACT)
        for registration in (baseline, another):
            EVIDENCE.blob(registration.inputs["__provider"])
        server = start_server(engine, emulator.endpoint, env={JOURNAL_ENV: str(record)})
        try:
            for registration in (baseline, account, another):
                outcome = check_and_create(server, registration)
                assert outcome.error is None, outcome.error
        finally:
            server.stop()
    told = [w for w in _warnings(engine, baseline.urn, account.urn, another.urn) if str(record) in w]
    assert len(told) == 1, told  # once per provider process, whichever resources the creates are of
    [first] = _warnings(engine, baseline.urn)  # by the first create, a baseline's
    assert first == told[0] and STATE_DIR_ENV in first and "listing alone" in first, first


RELEASER = """
import sys
from pathlib import Path
from alicloud_account_factory.core.journal import AttemptJournal
journal = AttemptJournal(Path(sys.argv[1]))
first, count = int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for account_uid in range(first, first + count):
    journal.release(account_uid)
print("done", flush=True)
"""

#: Releases per process: enough that, without a lock between them, one process's read-modify-write
#: overwrites the other's release every run (checked against the record without the lock).
RELEASES = 300


def test_two_processes_releasing_at_once_lose_no_release(tmp_path: Path) -> None:
    record = tmp_path / "record"
    releasers = [subprocess.Popen([sys.executable, "-c", RELEASER, str(record), str(first), str(RELEASES)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for first in (1, RELEASES + 1)]
    try:
        for releaser in releasers:  # both started: then both go at once
            assert releaser.stdout is not None and releaser.stdout.readline().strip() == "ready"
        for releaser in releasers:
            assert releaser.stdin is not None
            releaser.stdin.write("go\n")
            releaser.stdin.flush()
        for releaser in releasers:
            assert releaser.wait(timeout=240) == 0
    finally:
        for releaser in releasers:
            if releaser.poll() is None:
                releaser.kill()
    missing = set(range(1, 2 * RELEASES + 1)) - AttemptJournal(record).released()
    assert not missing, f"{len(missing)} of {2 * RELEASES} releases lost, e.g. {sorted(missing)[:10]}"


def test_a_corrupt_record_read_by_the_journal_itself_is_kept_and_told_once(tmp_path: Path) -> None:
    journal = AttemptJournal(tmp_path)
    journal.release(123)
    attempt = journal.sending("some-key")
    path = tmp_path / "some-key.json"
    truncated = path.read_text()[:-7]
    path.write_text(truncated)

    fresh = AttemptJournal(tmp_path)
    [assumed] = fresh.attempts("some-key")  # what the lost record may have held: a request still unanswered
    [aside] = _aside(path)
    assert aside.read_text() == truncated
    assert assumed.unanswered and assumed.id != attempt.id
    assert fresh.unanswered_until("some-key", 75.0) is not None
    assert AttemptJournal(tmp_path).attempts("some-key") == [assumed]  # written anew: another process reads it too
    told: list[str] = []
    fresh.warn_of_problems(told.append)
    fresh.warn_of_problems(told.append)
    assert len(told) == 1 and str(path) in told[0] and str(aside) in told[0], told
    assert fresh.released() == {123}  # the other file was fine


@pytest.mark.parametrize("content", [b"", b"{", b'{"attempts": 3}', b"[]", b'{"attempts": [{"id": 1}]}'])
def test_every_kind_of_unreadable_record_is_kept_aside(tmp_path: Path, content: bytes) -> None:
    (tmp_path / f"{RELEASED_KEY}.json").write_bytes(content)
    journal = AttemptJournal(tmp_path)
    assert journal.released() == set()
    [aside] = _aside(tmp_path / f"{RELEASED_KEY}.json")
    assert aside.read_bytes() == content
    journal.release(7)
    assert AttemptJournal(tmp_path).released() == {7}
