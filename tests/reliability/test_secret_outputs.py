"""A secret given in a baseline item's config stays secret in every output that carries it.

The provider server tells the engine it does not accept secrets, so the provider sees plain
values; the engine then marks an output secret only when an input of the same name held a
secret, or when the resource lists the output in `additional_secret_outputs`. The service
echoes a baseline item's config back, merged, in `applied_baseline_items` (a name no input
has), so the resource must list it. The create runs through the real provider server against
the emulator; the engine's marking rule is applied to what the resource registered.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from account_factory_testing.engine import FakeEngine
from alicloud_account_factory import BaselineItemArgs, EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.accounts.fields import INPUTS_RECORD
from tests.reliability.reliability_support import create_in_a_new_provider, register_program, register_raw

WEBHOOK_TOKEN = "whk-0b7c1d-baseline-item-secret"
VPC_ITEM = "ACS-BP_ACCOUNT_FACTORY_VPC"


def _holds(value: Any, text: str) -> bool:
    return text in json.dumps(value, default=str)


def test_a_secret_baseline_item_config_stays_secret_in_every_output(engine: FakeEngine, emulator: Emulator) -> None:
    registration = register_program(lambda: EnrolledAccount(
        "secret-config", account_name_prefix="secret-config", display_name="Secret config",
        baseline_items=[BaselineItemArgs(VPC_ITEM, config={"VpcName": "main",
                                                           "WebhookToken": pulumi.Output.secret(WEBHOOK_TOKEN)})]),
    )["secret-config"]
    assert "baseline_items" in registration.secret_inputs, "the test must send a secret"
    outcome = create_in_a_new_provider(engine, emulator.endpoint, registration)
    assert outcome.error is None, outcome.error
    marked = set(registration.secret_inputs) | set(registration.additional_secret_outputs)
    carrying = {name for name, value in outcome.outputs.items() if _holds(value, WEBHOOK_TOKEN)}
    assert "applied_baseline_items" in carrying, "the test must see the service echo the config"
    assert carrying <= marked, f"outputs {sorted(carrying - marked)} hold the secret but the engine shows them in clear"


def test_plain_baseline_items_are_not_hidden(engine: FakeEngine, emulator: Emulator) -> None:
    """Without a secret the account's own items stay readable; applied_baseline_items is always secret,
    since it holds the baseline's configs too, which may carry secrets no input of this program marks."""
    registration = register_raw("plain-config", account_name_prefix="plain-config", display_name="Plain config",
                                baseline_items=[BaselineItemArgs(VPC_ITEM, config={"VpcName": "main"})])
    assert "baseline_items" not in registration.secret_inputs
    assert registration.additional_secret_outputs == ("applied_baseline_items", INPUTS_RECORD)  # (the record: a copy of the inputs)
