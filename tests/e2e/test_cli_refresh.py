"""Reading accounts through the real CLI: `EnrolledAccount.get`, and `pulumi refresh` of managed accounts
when the service answers that the account is not enrolled.

Cloud Governance Center has no API to un-enroll an account. A managed account that reads as "not
enrolled" is far more likely a wrong endpoint, region or credentials than a vanished account, so a
refresh must never quietly drop it from the stack; a `get` of an account that is not enrolled must
fail instead of handing the program empty outputs.
"""

from __future__ import annotations

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.sandbox import PulumiSandbox
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-read", "display_name": "E2E read", "folder_id": "fd-Sandbox001",
       "tags": {"env": "dev"}}
#: A member of the emulator's seeded resource directory that is not enrolled until someone enrolls it.
NOT_ENROLLED_MEMBER = 1207465839102347


def test_get_of_an_account_that_is_not_enrolled_fails_naming_it_and_what_the_service_said(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"existing": {"get": str(NOT_ENROLLED_MEMBER)}})

    for run in (sandbox.pulumi("preview", check=False), sandbox.up(check=False)):
        assert run.returncode != 0, run.output
        assert f"account {NOT_ENROLLED_MEMBER} is not enrolled" in run.output, run.output
        assert "GetEnrolledAccount" in run.output and "NotFound" in run.output, run.output  # the service's answer
        assert emulator.endpoint in run.output and "cn-hangzhou" in run.output, run.output  # where it asked
    assert "existing" not in sandbox.outputs()  # no export from an empty read
    assert emulator.state()["calls"].get("EnrollAccount", 0) == 0


def _refresh_fails_and_keeps(sandbox: PulumiSandbox, *args: str, uid: int, endpoint: str) -> None:
    """A refresh that reads the account as not enrolled fails, says why and what to do, and changes no state."""
    [before] = sandbox.resources()
    refreshed = sandbox.pulumi("refresh", "--yes", *args, check=False)
    assert refreshed.returncode != 0, refreshed.output
    output = refreshed.output
    assert f"account {uid} reads as not enrolled" in output, output
    assert endpoint in output and "cn-hangzhou" in output, output  # the endpoint and region it asked
    assert f"pulumi state delete '{before['urn']}'" in output, output  # how to drop it on purpose
    assert sandbox.resources() == [before]  # nothing removed, nothing rewritten


def test_refresh_against_an_endpoint_that_does_not_know_the_account_fails_and_keeps_it(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    uid = sandbox.outputs()["team"]["account_uid"]

    # `refresh --run-program` configures the provider with the current config: another endpoint.
    with emulator_for_tests(enroll_seconds=0) as elsewhere:
        sandbox.set_config("alicloud-account-factory:endpoint", elsewhere.endpoint)
        _refresh_fails_and_keeps(sandbox, "--run-program", uid=uid, endpoint=elsewhere.endpoint)
        assert elsewhere.state()["calls"].get("GetEnrolledAccount", 0) >= 1  # it really asked there
    sandbox.set_config("alicloud-account-factory:endpoint", emulator.endpoint)

    # A plain refresh (the config of the last `up`) against a service that no longer lists it.
    emulator.reset()
    _refresh_fails_and_keeps(sandbox, uid=uid, endpoint=emulator.endpoint)

    # Dropping it is a deliberate act, as the error says; afterwards refresh has nothing to complain about.
    [resource] = sandbox.resources()
    sandbox.pulumi("state", "delete", resource["urn"], "--yes")
    assert sandbox.resources() == []
    sandbox.pulumi("refresh", "--yes")
