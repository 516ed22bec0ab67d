"""N dynamic resources that create at once (config `count`): the engine's own cost per resource.

Each is a `StackIdentity`, whose create returns a random value without any API call, served by the
same dynamic provider server as an EnrolledAccount. An `up` of N of them measures what the engine
and the provider server spend per resource (registration, Check, Create, a checkpoint after each
step), which no provider can take away: the floor under an `up` of N accounts.
"""

import pulumi

from alicloud_account_factory.resource import StackIdentity

for index in range(pulumi.Config().get_int("count") or 0):
    StackIdentity(f"instant{index:03d}")
