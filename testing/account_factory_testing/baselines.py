"""Drive AccountFactoryBaseline resources through the real provider server, as the engine would."""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from account_factory_testing.accounts import AccountStack
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.registration import Registration, capture_registrations
from alicloud_account_factory import AccountFactoryBaseline
from alicloud_account_factory.baseline_resource import RESOURCE_TYPE


def register_baseline(name: str = "baseline", opts: Optional[pulumi.ResourceOptions] = None,
                      **kwargs: Any) -> Registration:
    """What `AccountFactoryBaseline(name, **kwargs)` registers with the engine (inputs incl. `__provider`)."""
    registrations = capture_registrations(lambda: AccountFactoryBaseline(name, opts=opts, **kwargs))
    return next(r for r in registrations if r.type_ == RESOURCE_TYPE)


def baseline_stack(server: ProviderServer, emulator: Any) -> AccountStack:
    return AccountStack(server, emulator, register_baseline)
