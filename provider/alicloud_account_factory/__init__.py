"""Enroll Alibaba Cloud accounts in Cloud Governance Center's Account Factory from a Pulumi stack.

    from alicloud_account_factory import EnrolledAccount, BaselineItemArgs

The exports are loaded on first use, so that `python -m alicloud_account_factory.emulator`
starts without importing Pulumi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["AccountFactoryBaseline", "BaselineItemArgs", "EnrolledAccount", "__version__"]

if TYPE_CHECKING:
    from .baseline_resource import AccountFactoryBaseline
    from .resource import BaselineItemArgs, EnrolledAccount


def __getattr__(name: str) -> Any:
    if name in ("BaselineItemArgs", "EnrolledAccount"):
        from . import resource

        return getattr(resource, name)
    if name == "AccountFactoryBaseline":
        from . import baseline_resource

        return baseline_resource.AccountFactoryBaseline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
