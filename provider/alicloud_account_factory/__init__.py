"""Enroll Alibaba Cloud accounts in Cloud Governance Center's Account Factory from a Pulumi stack.

    from alicloud_account_factory import EnrolledAccount, BaselineItemArgs
    from alicloud_account_factory import AccountFactoryBaseline, get_baseline_items, get_baselines, get_baseline

The exports are loaded on first use, so that `python -m alicloud_account_factory.emulator`
starts without importing Pulumi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"  # the one place it is written: pyproject.toml reads it; a release is tagged v__version__
__all__ = ["AccountFactoryBaseline", "BaselineItemArgs", "EnrolledAccount", "__version__",
           "get_baseline", "get_baseline_items", "get_baselines"]
_LOOKUPS = ("get_baseline", "get_baseline_items", "get_baselines")

if TYPE_CHECKING:
    from .baseline_resource import AccountFactoryBaseline
    from .lookups import get_baseline, get_baseline_items, get_baselines
    from .resource import BaselineItemArgs, EnrolledAccount


def __getattr__(name: str) -> Any:
    if name in ("BaselineItemArgs", "EnrolledAccount"):
        from . import resource

        return getattr(resource, name)
    if name == "AccountFactoryBaseline":
        from . import baseline_resource

        return baseline_resource.AccountFactoryBaseline
    if name in _LOOKUPS:
        from . import lookups

        return getattr(lookups, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
