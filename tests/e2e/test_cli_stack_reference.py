"""Accounts read by another stack through a StackReference, through the real CLI.

Pulumi carries numbers as float64: a number output read through a StackReference is a float
(`1570492569859844.0`), and an AccountUid of 2^53 or more cannot be a number at all. The one exact
way is `account_id`, the AccountUid as its string of digits: the `downstream` example exports it and
the `stack-reference` example reads it. The producer enrolls an account above 2^53, given as a
Python int from config, and bills a new account to it through its `account_uid` output.
"""

from __future__ import annotations

from pathlib import Path

from account_factory_testing.sandbox import EXAMPLES, STACK, PulumiSandbox, SandboxFactory
from alicloud_account_factory.emulator import Emulator

#: A seeded member account of the emulator above 2^53, which no float64 holds.
BIG_UID = 9123456789012345


def test_a_stack_reference_reads_every_account_id_exactly(sandbox_for: SandboxFactory, tmp_path: Path,
                                                          pulumi_cli: Path, emulator: Emulator) -> None:
    producer = sandbox_for(EXAMPLES / "downstream", sharedAccountUid=str(BIG_UID), teams="orders")
    producer.up()
    by_display_name = {a["DisplayName"]: a for a in emulator.state()["accounts"]}
    workload = by_display_name["Workload orders"]
    assert workload["PayerAccountUid"] == BIG_UID  # the int output fed another account's input, exactly
    assert {t["Key"]: t["Value"] for t in workload["Inputs"]["Tag"]}["billed-to"] == str(BIG_UID)
    expected = {"shared": str(BIG_UID), "orders": str(workload["AccountUid"])}
    assert producer.outputs()["accounts"] == expected

    consumer = PulumiSandbox(tmp_path / "consumer", pulumi_cli, EXAMPLES / "stack-reference",
                             project="e2e-consumer", backend=producer.backend)
    consumer.set_config("producer", f"organization/{producer.project}/{STACK}")
    consumer.up()
    assert consumer.outputs()["admin_role_arns"] == {
        name: f"acs:ram::{account_id}:role/admin" for name, account_id in expected.items()}
