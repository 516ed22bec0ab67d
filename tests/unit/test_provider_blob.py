"""A program may declare a fleet of a thousand accounts: Pulumi's pickling of each dynamic provider must not
grow with every resource (dynamic/provider_blob.py says why it did: RecursionError at about 970)."""

from __future__ import annotations

import pickle

from account_factory_testing.registration import capture_registrations
from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

FLEET = 1_200


def test_a_program_declaring_a_fleet_of_1200_accounts_registers_every_one_with_the_same_provider() -> None:
    original = vars(pickle._Pickler)["_batch_setitems"]

    def fleet() -> None:
        baseline = AccountFactoryBaseline("standard", baseline_name="standard",
                                          baseline_items=[BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_VPC")])
        for index in range(FLEET):
            EnrolledAccount(f"team{index:04d}", account_name_prefix=f"team-{index:04d}",
                            display_name=f"Team {index}", baseline_id=baseline.baseline_id)

    registered = capture_registrations(fleet)
    accounts = [r for r in registered if r.type_.endswith(":EnrolledAccount")]
    assert len(accounts) == FLEET
    # Each carries the very provider blob the first one does (the pickling did not change along the way).
    assert {r.inputs["__provider"] for r in accounts} == {accounts[0].inputs["__provider"]}
    # And the program's later pickling starts from the pickler it had before.
    assert vars(pickle._Pickler)["_batch_setitems"] is original
