"""Exactly once, through the native plugin: the reliability suite's duplicate-account and secret
scenarios against `plugin/pulumi-resource-alicloud-account-factory`, the executable a YAML, TypeScript
or Go program's engine starts, driven over gRPC with Pulumi's own stubs as the engine drives it.

Every plugin process is configured as the engine configures it: CheckConfig first (which makes the
stack identity and keeps it in the provider's inputs), then Configure with the inputs it returned; the
next `pulumi up` of the same stack checks its config again with the stored inputs as olds, which keeps
the identity. Each simulated machine has its own attempt record (ALICLOUD_ACCOUNT_FACTORY_STATE_DIR),
each scenario its own emulator, and the plugins run with the suite's 10 s read timeout (`readTimeout`).

* a plugin SIGKILLed right after its EnrollAccount took effect (its answer held back), the listing
  lagging 10-14 s (seeded), and a new plugin process creating the same resource at once;
* a create timed out after its EnrollAccount was sent, run again at once in a new plugin process
  while the listing does not show the account (as after an engine that never saved the partially
  created resource);
* an EnrollAccount answer lost (connection dropped, HTTP 500, HTTP 503, each after the request took
  effect) with a lagging listing;
* a CreateAccountFactoryBaseline the gateway holds past the read timeout, the create timing out, a new
  plugin process creating at once and looking while the request is still held;
* two stacks (two CheckConfig calls, two machines) with the same URN and settings: an account each.

One account (or baseline) each, whose EnrollAccount (or CreateAccountFactoryBaseline) took effect
once. Everything the plugins emitted (stderr, every error text, every response's properties) is
scanned for the secret key in every spelling, and filed with the suite's EVIDENCE.
"""

from __future__ import annotations

import base64
import random
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import status_pb2

from account_factory_testing.accounts import (
    ACCESS_KEY_ID,
    OUTLASTING_ENROLL_SECONDS,
    SECRET,
    TIMEOUT_AFTER_SENDING,
    emulator_for_tests,
)
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import to_struct as struct
from account_factory_testing.secrets import where_found
from alicloud_account_factory.emulator import Emulator
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from tests.reliability.reliability_support import (
    CALL_DEADLINE,
    EVIDENCE,
    HANG_SECONDS,
    READ_TIMEOUT_SECONDS,
    SEED,
    accounts_by_name,
    release_once_looked,
    the_one_account,
    wait_until,
)

PLUGIN = Path(__file__).resolve().parents[2] / "plugin" / "pulumi-resource-alicloud-account-factory"
PROVIDER_URN = "urn:pulumi:dev::native::pulumi:providers:alicloud-account-factory::default"
ACCOUNT = "alicloud-account-factory:index:EnrolledAccount"
BASELINE = "alicloud-account-factory:index:AccountFactoryBaseline"
CREATE_BASELINE = "CreateAccountFactoryBaseline"


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::native::{type_}::{name}"



class Plugin:
    """One plugin process, started as the engine starts it (its address as the argument, the port read
    from stdout), with its stderr kept for the secret scan."""

    def __init__(self, engine_address: str, state_dir: Path) -> None:
        state_dir.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = tempfile.NamedTemporaryFile(prefix="native-plugin-", suffix=".stderr", delete=False,
                                                   dir=state_dir.parent)
        env = {"ALICLOUD_ACCOUNT_FACTORY_STATE_DIR": str(state_dir), "PATH": "/usr/bin:/bin"}
        self.process = subprocess.Popen([str(PLUGIN), engine_address], stdout=subprocess.PIPE,
                                        stderr=self._stderr, stdin=subprocess.DEVNULL, env=env)
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)])
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.inputs: Optional[struct_pb2.Struct] = None

    def configure(self, emulator: Emulator, olds: Optional[struct_pb2.Struct] = None) -> struct_pb2.Struct:
        """CheckConfig (olds: the inputs a stack's state holds), then Configure with what it returned."""
        news = struct({"endpoint": emulator.endpoint, "accessKey": ACCESS_KEY_ID,
                       "secretKey": rpc.wrap_rpc_secret(SECRET), "readTimeout": f"{READ_TIMEOUT_SECONDS:g}s"})
        checked = self.stub.CheckConfig(provider_pb2.CheckRequest(urn=PROVIDER_URN, olds=olds, news=news),
                                        timeout=CALL_DEADLINE)
        assert list(checked.failures) == [], checked.failures
        self.stub.Configure(provider_pb2.ConfigureRequest(args=checked.inputs, acceptSecrets=True),
                            timeout=CALL_DEADLINE)
        self.inputs = checked.inputs
        return checked.inputs

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stderr_text(self) -> str:
        return Path(self._stderr.name).read_text(errors="replace")


def identity_of(inputs: struct_pb2.Struct) -> str:
    return rpc.deserialize_properties(inputs, keep_unknowns=True)["stackIdentity"]


class Outcome:
    """How one engine-style Check + Create ended: an id and outputs, or the error (with the partially
    created resource an ErrorResourceInitFailed carries)."""

    def __init__(self) -> None:
        self.id = ""
        self.outputs: dict[str, Any] = {}
        self.error: Optional[grpc.RpcError] = None
        self.partial: Optional[provider_pb2.ErrorResourceInitFailed] = None

    @property
    def details(self) -> str:
        return (self.error.details() or "") if self.error is not None else ""  # type: ignore[attr-defined]


@pytest.fixture
def plugins(engine: FakeEngine) -> Iterator[Callable[[Path], Plugin]]:
    """plugins(state_dir) -> a started plugin; every plugin is stopped and its stderr filed and scanned."""
    started: list[Plugin] = []

    def start(state_dir: Path) -> Plugin:
        started.append(Plugin(engine.address, state_dir))
        return started[-1]

    yield start
    for plugin in started:
        plugin.stop()
    texts = [("native-plugin-stderr", plugin.stderr_text()) for plugin in started]
    for kind, text in texts:
        EVIDENCE.add(kind, text)
    assert_no_secret(texts)


def emitted(kind: str, text: str) -> None:
    """File what a plugin answered (scanned after the test and at the end of the run) and scan it now."""
    EVIDENCE.add(kind, text)
    assert_no_secret([(kind, text)])


def assert_no_secret(texts: list[tuple[str, str]]) -> None:
    leaks = [f"{kind}: {place}" for kind, text in texts for place in where_found(text, SECRET, width=80)]
    assert not leaks, f"the secret key leaked into: {leaks}"


def check_and_create(plugin: Plugin, urn: str, inputs: dict[str, Any], timeout: float = 0.0) -> Outcome:
    """Check then Create, as the engine runs a new resource's step; errors are returned, not raised."""
    outcome = Outcome()
    try:
        checked = plugin.stub.Check(provider_pb2.CheckRequest(urn=urn, news=struct(inputs)), timeout=CALL_DEADLINE)
        emitted("native-check", str(checked))
        assert list(checked.failures) == [], checked.failures
        created = plugin.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=checked.inputs, timeout=timeout),
                                     timeout=CALL_DEADLINE)
        emitted("native-create", str(created))
        outcome.id = created.id
        outcome.outputs = rpc.deserialize_properties(created.properties)
        emitted("native-outputs", repr(outcome.outputs))
    except grpc.RpcError as error:
        outcome.error = error
        emitted("native-error", outcome.details)
        outcome.partial = _partially_created(error)
        if outcome.partial is not None:
            emitted("native-partial", str(outcome.partial))
            emitted("native-partial-outputs", repr(rpc.deserialize_properties(outcome.partial.properties)))
    return outcome


def _partially_created(error: Any) -> Optional[provider_pb2.ErrorResourceInitFailed]:
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == "grpc-status-details-bin":
            for packed in status_pb2.Status.FromString(value).details:
                partial = provider_pb2.ErrorResourceInitFailed()
                if packed.Unpack(partial):
                    return partial
    return None


def _in_background(call: Callable[[], Outcome]) -> tuple[threading.Thread, list[Outcome]]:
    result: list[Outcome] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def _account_inputs(prefix: str, display_name: str) -> dict[str, Any]:
    return {"accountNamePrefix": prefix, "displayName": display_name}


# --- 1. killed right after EnrollAccount took effect ------------------------------------------------


def test_a_plugin_killed_right_after_enroll_took_effect_leaves_one_account(
        plugins: Callable[[Path], Plugin], tmp_path: Path) -> None:
    lag = random.Random(SEED).uniform(10, 14)
    name, urn = "Native killed", _urn(ACCOUNT, "native-killed")
    inputs = _account_inputs("native-killed", name)
    machine = tmp_path / "machine"
    with emulator_for_tests(enroll_seconds=2, list_lag_seconds=lag) as emulator:
        # The account is enrolled, but its answer never reaches the plugin before the kill.
        emulator.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 60,
                              "after_processing": True, "times": 1}])
        first = plugins(machine)
        stored = first.configure(emulator)
        thread, _ = _in_background(lambda: check_and_create(first, urn, inputs))
        assert wait_until(lambda: bool(accounts_by_name(emulator.state()).get(name)), timeout=HANG_SECONDS), \
            "never enrolled"
        first.kill()
        thread.join(HANG_SECONDS)
        emulator.set_faults([])
        # The next `pulumi up`, at once: a new plugin process, the same machine, the stack's stored inputs.
        second = plugins(machine)
        assert identity_of(second.configure(emulator, olds=stored)) == identity_of(stored)
        resumed = check_and_create(second, urn, inputs)
        account = the_one_account(emulator.state(), name)
        assert emulator.state()["calls_ok"]["EnrollAccount"] == 1
    assert resumed.error is None, f"lag {lag:.1f}s (seed {SEED}): {resumed.details}"
    assert resumed.id == str(account["AccountUid"]) and resumed.outputs["status"] == "Finished"


# --- 2. timed out after sending, run again at once ----------------------------------------------------


def test_a_timed_out_create_run_again_at_once_in_a_new_plugin_finds_its_account(
        plugins: Callable[[Path], Plugin], tmp_path: Path) -> None:
    name, urn = "Native timed out", _urn(ACCOUNT, "native-timeout")
    inputs = _account_inputs("native-timeout", name)
    machine = tmp_path / "machine"
    seconds = float(TIMEOUT_AFTER_SENDING.rstrip("s"))
    with emulator_for_tests(enroll_seconds=OUTLASTING_ENROLL_SECONDS, list_lag_seconds=120) as emulator:
        first = plugins(machine)
        stored = first.configure(emulator)
        timed_out = check_and_create(first, urn, inputs, timeout=seconds)
        first.stop()
        assert timed_out.error is not None and f"timed out after {TIMEOUT_AFTER_SENDING}" in timed_out.details
        # Run again at once (as after an engine that never saved the partially created resource),
        # while the listing does not show the account.
        second = plugins(machine)
        second.configure(emulator, olds=stored)
        resumed = check_and_create(second, urn, inputs)
        account = the_one_account(emulator.state(), name)
        assert emulator.state()["calls_ok"]["EnrollAccount"] == 1
    assert timed_out.partial is not None and timed_out.partial.id == str(account["AccountUid"])
    assert resumed.error is None, resumed.details
    assert resumed.id == str(account["AccountUid"]) and resumed.outputs["status"] == "Finished"


# --- 3. lost EnrollAccount answers with a lagging listing -------------------------------------------


@pytest.mark.parametrize("lost_answer", [
    {"kind": "drop"},
    {"code": "InternalError", "http_status": 500},
    {"code": "ServiceUnavailable", "http_status": 503},
], ids=["connection-dropped", "http-500", "http-503"])
def test_a_lost_enroll_answer_is_looked_up_not_enrolled_twice(
        plugins: Callable[[Path], Plugin], tmp_path: Path, lost_answer: dict[str, Any]) -> None:
    name, urn = f"Native lost {lost_answer.get('http_status', 'drop')}", _urn(ACCOUNT, "native-lost")
    with emulator_for_tests(enroll_seconds=2, list_lag_seconds=8) as emulator:
        emulator.set_faults([{"action": "EnrollAccount", "after_processing": True, "times": 1, **lost_answer}])
        plugin = plugins(tmp_path / "machine")
        plugin.configure(emulator)
        outcome = check_and_create(plugin, urn, _account_inputs("native-lost", name))
        account = the_one_account(emulator.state(), name)
        assert emulator.state()["calls_ok"]["EnrollAccount"] == 1
        assert [rule["injected"] for rule in emulator.get_faults()] == [1], "the answer was never lost"
    assert outcome.error is None, outcome.details
    assert outcome.id == str(account["AccountUid"]) and outcome.outputs["status"] == "Finished"


# --- 4. a baseline held by the gateway past the read timeout ------------------------------------------


def test_a_baseline_create_unanswered_past_the_read_timeout_then_run_again_leaves_one_baseline(
        plugins: Callable[[Path], Plugin], tmp_path: Path) -> None:
    """As test_baseline_exactly_once's first scenario: the gateway carries the held request out only once
    the next run's create has looked (the release waits for that look in the emulator's log)."""
    urn = _urn(BASELINE, "native-net")
    baseline_name = "native-exactly-once-net"
    inputs = {"baselineName": baseline_name, "description": "held by the gateway",
              "baselineItems": [{"name": "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"}]}
    machine = tmp_path / "machine"
    with emulator_for_tests(enroll_seconds=1.5) as emulator:
        emulator.set_faults([{"action": CREATE_BASELINE, "kind": "delay", "delay_seconds": 2 * READ_TIMEOUT_SECONDS,
                              "until_released": True, "times": 1}])
        first = plugins(machine)
        stored = first.configure(emulator)
        # Started while the first waits, so a loaded machine cannot take the hold's margin to start it.
        second = plugins(machine)
        second.configure(emulator, olds=stored)
        try:
            # A deadline no longer than the read timeout: the create gives up when its read does.
            timed_out = check_and_create(first, urn, inputs, timeout=READ_TIMEOUT_SECONDS)
            first.stop()
            first_ended = time.time()
            thread, result = _in_background(lambda: check_and_create(second, urn, inputs))

            released = release_once_looked(emulator, since=first_ended)
            thread.join(HANG_SECONDS)
        finally:
            emulator.release_held()
        assert released == 1, "the gateway let the request go before the second create looked (its bound passed)"

        def carried_out() -> bool:
            answered = [r for r in emulator.requests() if r["action"] == CREATE_BASELINE]
            return len(answered) == emulator.state()["calls"].get(CREATE_BASELINE, 0)

        assert wait_until(carried_out, timeout=HANG_SECONDS), "the held request was never carried out"
        state = emulator.state()
    named = [b for b in state["baselines"] if b["BaselineName"] == baseline_name]
    assert len(named) == 1, f"{len(named)} baselines named {baseline_name}: {[b['BaselineId'] for b in named]}"
    assert state["calls"][CREATE_BASELINE] == 1, state["calls"]
    assert timed_out.error is not None and "went unanswered" in timed_out.details, timed_out.details
    [again] = result
    assert again.error is None, again.details
    assert again.id == named[0]["BaselineId"] and again.outputs["description"] == "held by the gateway"


# --- 5. two stacks, two identities, the same URN ------------------------------------------------------


def test_two_stacks_with_the_same_urn_and_settings_get_an_account_each(
        plugins: Callable[[Path], Plugin], tmp_path: Path) -> None:
    """Another backend's stack of the same project, stack and resource names: its own CheckConfig made
    its own identity, so it never adopts this stack's account."""
    name, urn = "Native two stacks", _urn(ACCOUNT, "native-twins")
    inputs = _account_inputs("native-twins", name)
    with emulator_for_tests(enroll_seconds=1.5) as emulator:
        ours = plugins(tmp_path / "machine-a")
        theirs = plugins(tmp_path / "machine-b")
        assert identity_of(ours.configure(emulator)) != identity_of(theirs.configure(emulator))
        mine = check_and_create(ours, urn, inputs)
        other = check_and_create(theirs, urn, inputs)
        state = emulator.state()
    assert mine.error is None, mine.details
    assert other.error is None, other.details
    accounts = accounts_by_name(state)[name]
    assert sorted(str(a["AccountUid"]) for a in accounts) == sorted([mine.id, other.id]), \
        f"the second stack adopted the first one's account {mine.id}: {[a['AccountUid'] for a in accounts]}"
    assert mine.id != other.id
    assert state["calls_ok"]["EnrollAccount"] == 2
    assert mine.outputs["status"] == other.outputs["status"] == "Finished"


# --- 6. the scanner itself -----------------------------------------------------------------------------


def test_the_scan_finds_the_secret_in_every_spelling_the_plugin_could_emit() -> None:
    """The scans above can fail: the secret, as a struct, a JSON text or base64, is found."""
    samples = [("struct", str(struct({"secretKey": SECRET}))),
               ("json", '{"secretKey": "%s"}' % SECRET),
               ("base64", base64.b64encode(f"key={SECRET}".encode()).decode())]
    with pytest.raises(AssertionError, match="the secret key leaked into"):
        assert_no_secret(samples[:1])
    assert all(where_found(text, SECRET) for _, text in samples)
