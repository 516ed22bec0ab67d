"""Toy Pulumi program for the harness self-tests: a thing, and a child that depends on it."""

import pulumi

from tests.harness.toy_provider import ToyResource

config = pulumi.Config()
path = config.require("path")

thing = ToyResource(
    "thing",
    path=path,
    label=config.require("label"),
    size=config.get_int("size") or 1,
    kind=config.get("kind") or "basic",
)
pulumi.export("thing_id", thing.thing_id)
pulumi.export("label", thing.label)
pulumi.export("secret_label", pulumi.Output.secret(thing.label))

if config.get_bool("withChild") is not False:
    child = ToyResource(
        "child",
        path=path,
        label=thing.label.apply(lambda label: f"{label}-child"),
        parent_id=thing.thing_id,
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="2m")),
    )
    pulumi.export("child_parent", child.parent_id)
