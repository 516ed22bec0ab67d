"""Stacks created by an earlier release keep working: their `__provider` blobs still load.

The provider server unpickles the blob stored in each resource's state on every call. If a
later release moved or renamed `EnrolledAccountProvider`, or made its pickled state depend on
something the old blob lacks, every existing stack would fail on its next preview. The blobs
under data/ were produced by past releases (see data/README.md) and are never regenerated.
"""

from __future__ import annotations

import base64
import json
import pickletools
from pathlib import Path

import dill
import pytest

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.engine import FakeEngine
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory import __version__
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.provider import EnrolledAccountProvider
from tests.reliability.reliability_support import (
    EVIDENCE,
    HANG_SECONDS,
    enrollments_by_uid,
    record,
    register_raw,
    start_server,
    wait_until,
)

DATA = Path(__file__).resolve().parent / "data"
BLOBS = sorted(DATA.glob("enrolled-account-provider-*.b64"))
STATES = sorted(DATA.glob("enrolled-account-state-*.json"))
PROVIDER_CLASS = ("alicloud_account_factory.provider", "EnrolledAccountProvider")


def _release(path: Path) -> str:
    return path.name.removeprefix("enrolled-account-provider-").removesuffix(".b64")


def _globals(blob: str) -> list[tuple[str, str]]:
    """The (module, name) pairs a pickle imports when loaded; anything else is by-value content."""
    found, strings = [], []
    for opcode, arg, _pos in pickletools.genops(base64.b64decode(blob)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            found.append((strings[-2], strings[-1]))
        elif opcode.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            found.append((module, name))
    return found


def test_blobs_of_past_releases_are_committed() -> None:
    assert BLOBS, f"no blob under {DATA}"
    assert "0.1.0" in [_release(p) for p in BLOBS]


@pytest.mark.parametrize("path", BLOBS, ids=_release)
def test_a_past_blob_names_the_provider_by_import_path_and_loads(path: Path) -> None:
    blob = path.read_text().strip()
    EVIDENCE.blob(blob)
    assert _globals(blob) == [PROVIDER_CLASS], "the blob must reference the provider class and nothing else"
    assert isinstance(dill.loads(base64.b64decode(blob)), EnrolledAccountProvider)


def test_todays_resource_registers_the_same_kind_of_blob() -> None:
    """What EnrolledAccount(...) registers today must load the same way (and is the committed blob for its release)."""
    blob = register_raw("today", account_name_prefix="today", display_name="Today").inputs["__provider"]
    assert _globals(blob) == [PROVIDER_CLASS]
    committed = DATA / f"enrolled-account-provider-{__version__}.b64"
    if committed.exists():
        assert blob == committed.read_text().strip()


@pytest.mark.parametrize("path", BLOBS, ids=_release)
def test_a_past_blob_runs_the_whole_lifecycle(path: Path, engine: FakeEngine, emulator: Emulator) -> None:
    blob = path.read_text().strip()
    registration = register_raw("legacy", account_name_prefix="legacy-stack", display_name="Legacy stack",
                                tags={"env": "dev"})
    inputs = {**registration.inputs, "__provider": blob}  # the state of a stack made by that release
    server = start_server(engine, emulator.endpoint)  # a fresh process: this blob is the one it loads
    try:
        checked = server.check(registration.urn, {}, inputs)
        assert checked.failures == [] and checked.inputs["__provider"] == blob
        id_, outputs = server.create(registration.urn, checked.inputs)
        EVIDENCE.outputs(outputs)
        assert outputs["status"] == "Finished" and outputs["__provider"] == blob

        read_id, read_outputs, _ = server.read(id_, registration.urn, outputs, checked.inputs)
        EVIDENCE.outputs(read_outputs)
        assert read_id == id_ and read_outputs["status"] == "Finished"
        assert server.diff(id_, registration.urn, read_outputs, checked.inputs).changes == "none"

        news = {**checked.inputs, "tags": {"env": "prod"}}
        diff = server.diff(id_, registration.urn, read_outputs, news)
        assert (diff.changes, diff.replaces) == ("some", [])
        updated = server.update(id_, registration.urn, read_outputs, news)
        EVIDENCE.outputs(updated)
        assert updated["tags"] == {"env": "prod"} and updated["status"] == "Finished"

        before = emulator.state()["calls"]
        server.delete(id_, registration.urn, updated)
        state = emulator.state()
        assert state["calls"] == before  # delete forgets; there is no un-enroll API
    finally:
        server.stop()
    [account] = state["accounts"]
    assert str(account["AccountUid"]) == id_ and account["Status"] == "Finished"
    assert enrollments_by_uid(state)[account["AccountUid"]] == 2  # created, then updated in place
    record("state_compatibility", past_blobs_through_full_lifecycle=1,
           lifecycle=["Check", "Create", "Read", "Diff", "Update", "Delete"])


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.stem.removeprefix("enrolled-account-state-"))
def test_a_past_resource_state_refreshes_diffs_updates_and_deletes(path: Path, engine: FakeEngine) -> None:
    """Not only the blob: the inputs and outputs a past release stored must mean the same today."""
    old = json.loads(path.read_text())
    args = old["arguments"]
    uid = int(old["id"])
    with emulator_for_tests(enroll_seconds=0.5) as emulator:
        # The account as it stands in the cloud: enrolled with the settings that state recorded.
        enroll(sdk_client(emulator.endpoint), account_uid=uid, baseline_id=args["baseline_id"], tags=args["tags"],
               baseline_items=[{"Name": i["name"], "Config": json.dumps(i["config"])} for i in args["baseline_items"]])
        def finished() -> bool:
            return next(a for a in emulator.state()["accounts"] if a["AccountUid"] == uid)["Status"] == "Finished"

        assert wait_until(finished, timeout=HANG_SECONDS), "the out-of-band enrollment never finished"
        server = start_server(engine, emulator.endpoint)
        try:
            # `pulumi preview` with the unchanged program: today's Check of the same arguments, diffed
            # against the old outputs, must see nothing to do.
            todays = register_raw(old["urn"].rsplit("::", 1)[1], **args)
            assert todays.urn == old["urn"]
            checked = server.check(old["urn"], old["inputs"], todays.inputs)
            assert checked.failures == []
            assert server.diff(old["id"], old["urn"], old["outputs"], checked.inputs).changes == "none"

            # `pulumi refresh`: the old state reads back as the same resource, nothing drifted.
            read_id, read_outputs, _ = server.read(old["id"], old["urn"], old["outputs"], old["inputs"])
            EVIDENCE.outputs(read_outputs)
            assert read_id == old["id"] and read_outputs["status"] == "Finished"
            assert server.diff(old["id"], old["urn"], read_outputs, checked.inputs).changes == "none"
            # The applied items' configs are the service's (its defaults for the items the account did not
            # set, which the emulator's catalog has since spelt as the real service does): the same items.
            same = {k for k in old["outputs"] if k not in ("create_time", "update_time", "applied_baseline_items")}
            assert {k: read_outputs.get(k) for k in same} == {k: old["outputs"][k] for k in same}
            assert _item_names(read_outputs) == _item_names(old["outputs"])

            # A change made today updates the old resource in place.
            news = {**checked.inputs, "tags": {**args["tags"], "owner": "platform"}}
            diff = server.diff(old["id"], old["urn"], old["outputs"], news)
            assert (diff.changes, diff.replaces) == ("some", [])
            updated = server.update(old["id"], old["urn"], old["outputs"], news)
            EVIDENCE.outputs(updated)
            assert updated["status"] == "Finished" and updated["tags"] == news["tags"]
            server.delete(old["id"], old["urn"], updated)
        finally:
            server.stop()
        assert enrollments_by_uid(emulator.state())[uid] == 2  # the out-of-band one, then the update
    record("state_compatibility", past_states_through_refresh_diff_update_delete=1)


def _item_names(outputs: dict) -> list[tuple[str, str]]:
    return sorted((item["name"], item.get("version") or "") for item in outputs["applied_baseline_items"])
