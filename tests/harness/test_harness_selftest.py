"""Self-tests of the offline engine harness, using the toy provider and toy program."""

from __future__ import annotations

import base64
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dill
import grpc
import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import (
    ProviderError,
    ProviderServer,
    make_urn,
    provider_blob,
)
from account_factory_testing.registration import capture_registrations
from account_factory_testing.stack import CheckFailed, StackHarness, parse_duration
from pulumi.runtime import rpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc
from tests.harness.toy_provider import ToyProvider, ToyResource

TYPE = "pulumi-python:dynamic/toy:Thing"
REGION = "eu-toy-1"
PROGRAM = Path(__file__).parent / "toy_program"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(provider_server: ProviderServer) -> ProviderServer:
    """The module's provider server, configured before any other call (as the engine does)."""
    response = provider_server.configure({"toy:region": REGION})
    assert response.acceptSecrets is False  # so the engine sends secrets as plain values
    return provider_server


@pytest.fixture(scope="module")
def blob() -> str:
    registrations = capture_registrations(lambda: ToyResource("t", path="p", label="l"))
    return registrations[0].inputs["__provider"]


def thing(blob: str, path: Path, **extra: object) -> dict[str, object]:
    return {"__provider": blob, "path": str(path), "label": "a", **extra}


def things_in(path: Path) -> dict[str, dict[str, object]]:
    return json.loads(path.read_text())["things"] if path.exists() else {}


# -- FakeEngine / registrations -----------------------------------------------------------
def test_fake_engine_records_log_calls(engine: FakeEngine) -> None:
    urn = make_urn(TYPE, "direct")
    with grpc.insecure_channel(engine.address) as channel:
        engine_pb2_grpc.EngineStub(channel).Log(
            engine_pb2.LogRequest(severity=engine_pb2.WARNING, message="hi", urn=urn, ephemeral=True)
        )
    [message] = engine.messages_for(urn)
    assert (message.severity, message.message, message.ephemeral) == (engine_pb2.WARNING, "hi", True)
    assert message in engine.ephemeral()


def test_capture_registrations_returns_the_provider_blob(blob: str) -> None:
    registrations = capture_registrations(
        lambda: ToyResource("t", path="p", label="l", size=2), project="proj", stack="st"
    )
    [reg] = registrations
    assert (reg.type_, reg.name, reg.custom) == (TYPE, "t", True)
    assert reg.urn == make_urn(TYPE, "t", "proj", "st")
    assert reg.inputs["size"] == 2.0 and reg.inputs["__provider"] == blob
    assert isinstance(dill.loads(base64.b64decode(blob)), ToyProvider)
    assert blob == provider_blob(ToyProvider())  # the constructor uses serialize_provider


# -- ProviderServer ------------------------------------------------------------------------
def test_configure_reaches_the_provider(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    _, outs = server.create(make_urn(TYPE, "cfg"), thing(blob, tmp_path / "s.json"))
    assert outs["region"] == REGION


def test_check_failures_come_back(server: ProviderServer, blob: str) -> None:
    outcome = server.check(make_urn(TYPE, "bad"), {}, {"__provider": blob, "label": "", "size": -1})
    assert {prop for prop, _ in outcome.failures} == {"label", "size", "path"}


def test_check_sees_unknowns(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    outcome = server.check(make_urn(TYPE, "unk"), {}, thing(blob, tmp_path / "s.json", label=rpc.UNKNOWN))
    assert outcome.failures == [] and outcome.inputs["label"] == rpc.UNKNOWN


def test_create_read_update_delete_round_trip(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    store, urn = tmp_path / "s.json", make_urn(TYPE, "rt")
    checked = server.check(urn, {}, thing(blob, store, size=2))
    id_, outs = server.create(urn, checked.inputs)
    assert outs["thing_id"] == id_ and outs["size"] == 2.0 and outs["__provider"] == blob
    assert things_in(store)[id_]["label"] == "a"

    assert server.read(id_, urn, outs, checked.inputs) == (id_, outs, None)

    news = {**checked.inputs, "label": "b"}
    new_outs = server.update(id_, urn, outs, news)
    assert new_outs["label"] == "b" and things_in(store)[id_]["label"] == "b"

    server.delete(id_, urn, new_outs)
    assert things_in(store) == {}
    assert server.read(id_, urn, new_outs)[0] == ""  # gone


def test_diff_reports_replacements(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    urn = make_urn(TYPE, "d")
    olds = {**thing(blob, tmp_path / "s.json", kind="basic", size=1), "thing_id": "thing-1"}
    assert server.diff("thing-1", urn, olds, {**olds, "label": "z"}).replaces == []
    replaced = server.diff("thing-1", urn, olds, {**olds, "kind": "fancy"})
    assert (replaced.changes, replaced.replaces) == ("some", ["kind"])
    assert server.diff("thing-1", urn, olds, dict(olds)).changes == "none"


def test_provider_errors_carry_the_server_text(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        server.create(make_urn(TYPE, "boom"), thing(blob, tmp_path / "s.json", label="explode"))
    assert info.value.code == grpc.StatusCode.UNKNOWN
    assert "refusing to create" in info.value.details and "Traceback" in info.value.details


def test_ephemeral_log_from_inside_create(
    server: ProviderServer, engine: FakeEngine, blob: str, tmp_path: Path
) -> None:
    urn = make_urn(TYPE, "logged")
    server.create(urn, thing(blob, tmp_path / "s.json", label="chatty", log_urn=urn))
    message = engine.wait_for(lambda m: m.urn == urn)
    assert message.ephemeral and message.severity == engine_pb2.INFO
    assert message.message == "toy: creating chatty"
    assert "toy: create chatty" in server.stderr_text()


def test_concurrent_calls_from_threads(server: ProviderServer, blob: str, tmp_path: Path) -> None:
    store = tmp_path / "s.json"
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: server.create(make_urn(TYPE, f"c{i}"), thing(blob, store))[0], range(8)))
    assert len(set(ids)) == 8 and set(things_in(store)) == set(ids)


def test_kill_really_kills_the_server() -> None:
    with ProviderServer(None, extra_pythonpath=[REPO_ROOT]) as doomed:
        pid = doomed.pid
        os.kill(pid, 0)  # alive
        doomed.kill()
        assert not doomed.alive()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        with pytest.raises(ProviderError) as info:
            doomed.configure({}, deadline=60)
        assert info.value.code == grpc.StatusCode.UNAVAILABLE


# -- StackHarness ----------------------------------------------------------------------------
def test_parse_duration() -> None:
    assert parse_duration("2m") == 120 and parse_duration("1h30m5s") == 5405 and parse_duration("") == 0


def test_stack_lifecycle(server: ProviderServer, tmp_path: Path) -> None:
    store = tmp_path / "things.json"
    harness = StackHarness(
        PROGRAM, server, project="toy", stack="dev",
        config={"toy:path": str(store), "toy:label": "hello", "toy:region": REGION},
    )
    thing_urn, child_urn = make_urn(TYPE, "thing", "toy", "dev"), make_urn(TYPE, "child", "toy", "dev")

    # preview: Check only; outputs that are not inputs are unknown
    plan = harness.preview()
    assert plan.steps == {thing_urn: "create", child_urn: "create"}
    assert {m for m, _ in harness.calls} == {"Configure", "Check"}
    assert plan.stack_outputs["label"] == "hello" and plan.stack_outputs["thing_id"] == rpc.UNKNOWN
    assert not store.exists() and harness.state == {}

    # up: creates, in dependency order; the program sees real outputs
    plan = harness.up()
    assert plan.steps == {thing_urn: "create", child_urn: "create"}
    assert harness.calls_of("Create") == [thing_urn, child_urn]
    thing_id = harness.state[thing_urn].id
    assert harness.stack_outputs["thing_id"] == thing_id == harness.stack_outputs["child_parent"]
    assert harness.stack_outputs["secret_label"] == "hello" and plan.secret_stack_outputs == {"secret_label"}
    assert harness.state[child_urn].outputs["label"] == "hello-child"
    assert harness.state[thing_urn].outputs["region"] == REGION
    assert len(things_in(store)) == 2

    # nothing changed
    assert set(harness.preview().steps.values()) == {"same"}

    # a changed config input updates both (the child's label derives from the thing's)
    harness.config["toy:label"] = "bye"
    harness.calls.clear()
    assert harness.preview().steps == {thing_urn: "update", child_urn: "update"}
    assert harness.calls_of("Update") == []
    assert harness.up().steps == {thing_urn: "update", child_urn: "update"}
    assert harness.calls_of("Update") == [thing_urn, child_urn] and harness.calls_of("Create") == []
    assert things_in(store)[thing_id]["label"] == "bye" and harness.stack_outputs["label"] == "bye"

    # a replace-on-change input: create the new thing first, delete the old one last
    harness.config["toy:kind"] = "fancy"
    harness.calls.clear()
    plan = harness.up()
    assert plan.steps == {thing_urn: "replace", child_urn: "update"}
    assert [c for c in harness.calls if c[0] in ("Create", "Update", "Delete")] == [
        ("Create", thing_urn), ("Update", child_urn), ("Delete", thing_urn)
    ]
    new_id = harness.state[thing_urn].id
    assert new_id != thing_id and thing_id not in things_in(store)
    assert harness.stack_outputs["child_parent"] == new_id

    # refresh sees out-of-band changes
    data = json.loads(store.read_text())
    data["things"][new_id]["label"] = "tampered"
    del data["things"][harness.state[child_urn].id]
    store.write_text(json.dumps(data))
    changes = harness.refresh()
    assert changes[thing_urn].changed == ["label"] and changes[child_urn].deleted
    assert harness.state[thing_urn].outputs["label"] == "tampered" and child_urn not in harness.state

    # up after refresh: Diff against the refreshed outputs puts the label back, recreates the child
    assert harness.up().steps == {thing_urn: "update", child_urn: "create"}

    # a resource leaving the program is deleted
    harness.config["toy:withChild"] = "false"
    plan = harness.up()
    assert plan.steps == {thing_urn: "same", child_urn: "delete"}
    assert child_urn not in harness.state and "child_parent" not in harness.stack_outputs

    # destroy
    assert harness.destroy() == [thing_urn]
    assert harness.state == {} and things_in(store) == {}


def test_check_failure_stops_the_deployment(server: ProviderServer, tmp_path: Path) -> None:
    store = tmp_path / "things.json"
    harness = StackHarness(
        PROGRAM, server, project="toy",
        config={"toy:path": str(store), "toy:label": "x", "toy:size": "-3", "toy:region": REGION},
    )
    with pytest.raises(CheckFailed) as info:
        harness.up()
    assert info.value.failures == [("size", "size must be a number >= 0")]
    assert harness.calls_of("Create") == [] and harness.state == {}


def test_provider_error_stops_the_deployment(server: ProviderServer, tmp_path: Path) -> None:
    harness = StackHarness(
        PROGRAM, server, project="toy",
        config={"toy:path": str(tmp_path / "s.json"), "toy:label": "explode", "toy:region": REGION},
    )
    with pytest.raises(ProviderError, match="refusing to create"):
        harness.up()
    assert harness.calls_of("Create") == [make_urn(TYPE, "thing", "toy", "dev")] and harness.state == {}
