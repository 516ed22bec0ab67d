"""The native plugin over gRPC, as the engine drives it: the executable started with the engine's address,
its port read from stdout, Pulumi's own stubs and (de)serializers. Fast checks of what the CLI tests
(tests/e2e/test_native_yaml.py) would take minutes to reach: check-time errors in the schema's names,
the configuration's own namespace, and the partially created resource a timed-out create answers."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from google.rpc import status_pb2

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, TIMEOUT_AFTER_SENDING, emulator_for_tests
from account_factory_testing.provider_server import to_struct as struct
from alicloud_account_factory import __version__
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.native import schema
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PLUGIN = Path(__file__).resolve().parents[2] / "plugin" / "pulumi-resource-alicloud-account-factory"
URN = "urn:pulumi:dev::native::alicloud-account-factory:index:EnrolledAccount::team"
#: Nothing listens there: the plugin's messages to the engine fail quietly, as in the dynamic provider's tests.
ENGINE = "127.0.0.1:1"


PluginFactory = Callable[..., provider_pb2_grpc.ResourceProviderStub]


@pytest.fixture
def start_plugin(tmp_path: Path) -> Iterator[PluginFactory]:
    """start_plugin(**env) -> a stub of a plugin process started as the engine starts it, with `env` added."""
    processes: list[subprocess.Popen[bytes]] = []
    channels: list[grpc.Channel] = []

    def start(**env: str) -> provider_pb2_grpc.ResourceProviderStub:
        environment = {"ALICLOUD_ACCOUNT_FACTORY_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin", **env}
        process = subprocess.Popen([str(PLUGIN), ENGINE], stdout=subprocess.PIPE, env=environment)
        processes.append(process)
        assert process.stdout is not None
        port = int(process.stdout.readline())
        channels.append(grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)]))
        return provider_pb2_grpc.ResourceProviderStub(channels[-1])

    yield start
    for channel in channels:
        channel.close()
    for process in processes:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def plugin(start_plugin: PluginFactory) -> provider_pb2_grpc.ResourceProviderStub:
    return start_plugin()


def configure(plugin: provider_pb2_grpc.ResourceProviderStub, emulator: Emulator) -> None:
    args = struct({"endpoint": emulator.endpoint, "accessKey": ACCESS_KEY_ID, "secretKey": rpc.wrap_rpc_secret(SECRET)})
    plugin.Configure(provider_pb2.ConfigureRequest(args=args, acceptSecrets=True))


def test_the_plugin_tells_its_version_and_its_generated_schema(plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    assert plugin.GetPluginInfo(empty_pb2.Empty()).version == __version__
    assert plugin.GetSchema(provider_pb2.GetSchemaRequest()).schema == schema.text()


def test_config_errors_name_the_plugins_own_keys(plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    answer = plugin.CheckConfig(provider_pb2.CheckRequest(urn="urn:pulumi:dev::native::pulumi:providers:x::p",
                                                          news=struct({"accessKey": ACCESS_KEY_ID})))
    [failure] = answer.failures
    assert "alicloud-account-factory:secretKey" in failure.reason and "alicloud:" not in failure.reason


def test_check_names_the_schemas_property_and_the_fix(plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    with emulator_for_tests() as emulator:
        configure(plugin, emulator)
        answer = plugin.Check(provider_pb2.CheckRequest(urn=URN, news=struct({"accountNamePrefix": "team-a"})))
        assert sum(emulator.state()["calls"].values()) == 0, "check calls no API"
    [failure] = answer.failures
    assert failure.property == "displayName"
    assert failure.reason.startswith("displayName is required to create a new account: set displayName"), failure
    assert "display_name" not in failure.reason and "account_uid" not in failure.reason


def test_a_create_that_times_out_while_enrolling_answers_the_partially_created_account(
        plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    seconds = float(TIMEOUT_AFTER_SENDING.rstrip("s"))
    with emulator_for_tests(enroll_seconds=4 * seconds) as emulator:
        configure(plugin, emulator)
        inputs = struct({"accountNamePrefix": "team-a", "displayName": "Team A"})
        checked = plugin.Check(provider_pb2.CheckRequest(urn=URN, news=inputs))
        with pytest.raises(grpc.RpcError) as raised:
            plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=seconds))
        [account] = emulator.state()["accounts"]
    error: Any = raised.value
    [details] = [value for key, value in error.trailing_metadata() if key == "grpc-status-details-bin"]
    [packed] = status_pb2.Status.FromString(details).details
    partial = provider_pb2.ErrorResourceInitFailed()
    assert packed.Unpack(partial)
    outputs = rpc.deserialize_properties(partial.properties)
    assert partial.id == str(account["AccountUid"]) == outputs["accountUid"]
    assert outputs["status"] in ("Pending", "Running", "Scheduling") and outputs["displayName"] == "Team A"
    assert rpc.is_rpc_secret(outputs["__inputs"])
    assert f"timed out after {TIMEOUT_AFTER_SENDING}" in partial.reasons[0]


def test_without_keys_in_its_configuration_the_plugin_uses_the_default_credential_chain(
        start_plugin: PluginFactory) -> None:
    with emulator_for_tests(enroll_seconds=0.5) as emulator:
        plugin = start_plugin(ALIBABA_CLOUD_ACCESS_KEY_ID=ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET)
        plugin.Configure(provider_pb2.ConfigureRequest(args=struct({"endpoint": emulator.endpoint}), acceptSecrets=True))
        checked = plugin.Check(provider_pb2.CheckRequest(
            urn=URN, news=struct({"accountNamePrefix": "team-a", "displayName": "Team A"})))
        created = plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=300))
        [account] = emulator.state()["accounts"]
    assert created.id == str(account["AccountUid"])
    assert rpc.deserialize_properties(created.properties)["status"] == "Finished"
    assert SECRET not in str(created)


def test_check_config_keeps_credentials_secret_and_the_stack_identity_once_made(
        plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    """Credentials given in clear (a YAML literal, `pulumi config set` without --secret) are stored
    secret in the provider's state; the stack identity is made on the first check and kept after."""
    provider_urn = "urn:pulumi:dev::native::pulumi:providers:alicloud-account-factory::default"
    news = {"accessKey": ACCESS_KEY_ID, "secretKey": SECRET, "securityToken": "a-token", "region": "cn-hangzhou"}
    first = plugin.CheckConfig(provider_pb2.CheckRequest(urn=provider_urn, news=struct(news)))
    checked = rpc.deserialize_properties(first.inputs, keep_unknowns=True)
    assert first.failures == []
    in_clear = [key for key in ("accessKey", "secretKey", "securityToken") if not rpc.is_rpc_secret(checked[key])]
    assert in_clear == [], f"stored in clear: {in_clear}"
    assert checked["region"] == "cn-hangzhou"
    identity = checked["stackIdentity"]
    assert isinstance(identity, str) and len(identity) >= 32
    again = plugin.CheckConfig(provider_pb2.CheckRequest(urn=provider_urn, olds=first.inputs, news=struct(news)))
    assert rpc.deserialize_properties(again.inputs, keep_unknowns=True)["stackIdentity"] == identity
    other = plugin.CheckConfig(provider_pb2.CheckRequest(urn=provider_urn, news=struct(news)))
    assert rpc.deserialize_properties(other.inputs, keep_unknowns=True)["stackIdentity"] != identity
    diff = plugin.DiffConfig(provider_pb2.DiffRequest(urn=provider_urn, olds=first.inputs, news=struct(news)))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, diff
