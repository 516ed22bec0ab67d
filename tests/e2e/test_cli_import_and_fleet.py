"""`pulumi import` of an enrollment, and a fleet of creates under the real engine's defaults."""

from __future__ import annotations

import pytest

from account_factory_testing.sandbox import PulumiSandbox
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory.emulator import Emulator

TYPE = "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount"
MEMBER = 1207465839102347


def test_pulumi_import_cannot_import_a_dynamic_resource_and_account_uid_adopts_it(sandbox: PulumiSandbox,
                                                                                   emulator: Emulator) -> None:
    """Pulumi's Python provider server needs `__provider`, which `pulumi import` and `import_` never send
    (pulumi issue 16175): both fail before the provider runs. `account_uid=` is the way in."""
    uid = enroll(sdk_client(emulator.endpoint), account_uid=MEMBER)
    calls = dict(emulator.state()["calls"])

    imported = sandbox.pulumi("import", TYPE, "imported", str(uid), "--yes", check=False)
    assert imported.returncode != 0 and "KeyError: '__provider'" in imported.output, imported.output
    sandbox.set_accounts({"imported": {"account_uid": str(uid), "import_": str(uid)}})
    option = sandbox.up(check=False)
    assert option.returncode != 0 and "KeyError: '__provider'" in option.output, option.output
    assert sandbox.resources() == [] and emulator.state()["calls"] == calls

    sandbox.set_accounts({"imported": {"account_uid": str(uid)}})
    sandbox.up()
    assert sandbox.outputs()["imported"]["account_uid"] == uid
    assert len(emulator.state()["accounts"]) == 1


FLEET = 12
#: Long enough that 12 creates started together all send EnrollAccount before the first enrollment
#: ends, on a loaded machine too; with the stock 4 workers the fifth waits for one to end.
FLEET_ENROLL_SECONDS = 12.0


@pytest.mark.enroll_seconds(FLEET_ENROLL_SECONDS)
def test_a_fleet_enrolls_all_at_once_through_the_widened_provider_server(sandbox: PulumiSandbox,
                                                                         emulator: Emulator) -> None:
    """With --parallel at least the fleet's size (the engine's default is 4 x CPUs, see docs/fleets.md), the
    provider server, widened from its 4 workers, runs every create at once: every EnrollAccount goes
    out before the first enrollment ends."""
    sandbox.set_accounts({f"acct{i}": {"account_name_prefix": f"fleet-{i}", "display_name": f"Fleet {i}"}
                          for i in range(FLEET)})
    run = sandbox.up("--parallel", str(FLEET))
    assert "could not widen" not in run.output, run.output

    enrolls = sorted(r["time"] for r in emulator.requests() if r["action"] == "EnrollAccount")
    assert len(enrolls) == FLEET
    assert enrolls[-1] - enrolls[0] < FLEET_ENROLL_SECONDS, \
        f"the creates went out in waves over {enrolls[-1] - enrolls[0]:.1f} s"
    assert [a["Status"] for a in emulator.state()["accounts"]] == ["Finished"] * FLEET
