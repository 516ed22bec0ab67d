"""Credentials, endpoint and `EnrolledAccount.get`, through the real provider server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, AccountStack, provider_config, register
from account_factory_testing.provider_server import ProviderError, ProviderServer
from account_factory_testing.registration import capture_registrations
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.resource import RESOURCE_TYPE

NEW = dict(account_name_prefix="cfg-test", display_name="Config test", folder_id="fd-Platform01")


@pytest.fixture
def server_with(start_provider: Callable[..., ProviderServer]) -> Callable[..., ProviderServer]:
    """server_with(env=..., config=...) → a fresh provider process (config is cached per process)."""

    def start(config: dict[str, str], env: dict[str, str] | None = None) -> ProviderServer:
        server = start_provider(env=env)
        server.configure(config)
        return server

    return start


def create(server: ProviderServer, **kwargs: object) -> tuple[str, dict]:
    registration = register("cfg", **{**NEW, **kwargs})
    checked = server.check(registration.urn, {}, registration.inputs)
    return server.create(registration.urn, checked.inputs)


def test_default_credential_chain_and_endpoint_from_the_environment(server_with, emulator: Emulator) -> None:
    server = server_with({}, env={
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_GOVERNANCE_ENDPOINT": emulator.endpoint,
    })
    account_uid, outputs = create(server)
    assert outputs["status"] == "Finished" and outputs["region_id"] == "cn-hangzhou"


def test_sts_credentials_from_stack_config(server_with, emulator: Emulator) -> None:
    sts = emulator.issue_sts()
    server = server_with({
        "alicloud:region": "cn-shanghai",
        "alicloud:accessKey": sts["AccessKeyId"],
        "alicloud:secretKey": sts["AccessKeySecret"],
        "alicloud:securityToken": sts["SecurityToken"],
        "alicloud-account-factory:endpoint": emulator.endpoint,
    })
    _id, outputs = create(server)
    assert outputs["status"] == "Finished" and outputs["region_id"] == "cn-shanghai"
    assert sts["SecurityToken"] not in server.stderr_text()


def test_a_wrong_secret_fails_at_once_without_showing_it(server_with, emulator: Emulator) -> None:
    wrong = "wr0ng-Secret-Value-That-Must-Not-Leak"
    server = server_with({**provider_config(emulator.endpoint), "alicloud:secretKey": wrong})
    with pytest.raises(ProviderError) as failure:
        create(server)
    assert "SignatureDoesNotMatch" in failure.value.details
    assert wrong not in failure.value.details and wrong not in server.stderr_text()
    assert emulator.state()["calls"].get("EnrollAccount", 0) == 0  # the lookup failed first, nothing enrolled


def test_half_a_key_pair_is_a_clear_configuration_error(server_with, emulator: Emulator) -> None:
    server = server_with({"alicloud:accessKey": ACCESS_KEY_ID, "alicloud-account-factory:endpoint": emulator.endpoint})
    with pytest.raises(ProviderError) as failure:
        create(server)
    assert "alicloud:secretKey" in failure.value.details
    assert emulator.state()["calls"] == {}


def test_a_malformed_endpoint_names_the_setting(server_with) -> None:
    server = server_with({**provider_config("ftp://example.com/path")})
    with pytest.raises(ProviderError) as failure:
        create(server)
    assert "endpoint" in failure.value.details and "http://host:port" in failure.value.details


@pytest.mark.parametrize("spelled", ["30", "half a minute", "0.5s", "11m"])
def test_a_read_timeout_that_is_no_duration_or_out_of_range_names_the_setting(server_with, emulator: Emulator,
                                                                              spelled: str) -> None:
    server = server_with({**provider_config(emulator.endpoint), "alicloud-account-factory:readTimeout": spelled})
    with pytest.raises(ProviderError) as failure:
        create(server)
    assert f"alicloud-account-factory:readTimeout {spelled!r} is not valid" in failure.value.details
    assert "from 1s to 10m" in failure.value.details
    assert emulator.state()["calls"] == {}


def test_get_reads_an_existing_enrollment_without_managing_it(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    [read] = [r for r in capture_registrations(lambda: EnrolledAccount.get("looked-up", deployed.outputs["account_uid"]))
              if r.type_ == RESOURCE_TYPE]
    # The engine sends a read's inputs as its properties too (tests/e2e reads one through the real CLI).
    id_, outputs, _inputs = stack.server.read(deployed.id, read.urn, read.inputs, read.inputs)
    assert id_ == deployed.id
    assert outputs["display_name"] == "Config test" and outputs["status"] == "Finished"
    assert outputs["progress"] == deployed.outputs["progress"]


def test_without_a_reachable_engine_progress_is_skipped_silently(emulator: Emulator) -> None:
    with ProviderServer(None) as server:  # the engine address points nowhere
        server.configure(provider_config(emulator.endpoint))
        _id, outputs = create(server)
        assert outputs["status"] == "Finished"
