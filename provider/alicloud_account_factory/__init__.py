"""Enroll Alibaba Cloud accounts in Cloud Governance Center's Account Factory from a Pulumi stack.

    from alicloud_account_factory import EnrolledAccount, EnrolledAccountArgs, BaselineItemArgs
    from alicloud_account_factory import AccountFactoryBaseline, get_baseline_items, get_baselines, get_baseline

The exports are loaded on first use, so that `python -m alicloud_account_factory.emulator`
starts without importing Pulumi. Type checkers see them as plain imports (and a misspelt name as
the error it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core.version import __version__ as __version__  # written in core/version.py, which pyproject.toml reads

#: Each export, by the module that defines it.
_EXPORTS = {
    "resource": ("BaselineItemArgs", "BaselineItemArgsDict", "EnrolledAccount", "EnrolledAccountArgs"),
    "baseline_resource": ("AccountFactoryBaseline", "AccountFactoryBaselineArgs"),
    "lookups": ("get_baseline", "get_baseline_items", "get_baselines"),
    "outputs": ("AccountFactoryBaselineItem", "BaselineCatalogItem", "BaselineItemDependency", "BaselineSummary",
                "EnrolledAccountBaselineItem", "EnrolledAccountErrorInfo", "EnrolledAccountProgress",
                "GetBaselineResult"),
}
__all__ = sorted(["__version__", *(name for names in _EXPORTS.values() for name in names)])

if TYPE_CHECKING:  # `X as X`: what a type checker takes for an export of this package
    from .baseline_resource import AccountFactoryBaseline as AccountFactoryBaseline
    from .baseline_resource import AccountFactoryBaselineArgs as AccountFactoryBaselineArgs
    from .lookups import get_baseline as get_baseline
    from .lookups import get_baseline_items as get_baseline_items
    from .lookups import get_baselines as get_baselines
    from .outputs import AccountFactoryBaselineItem as AccountFactoryBaselineItem
    from .outputs import BaselineCatalogItem as BaselineCatalogItem
    from .outputs import BaselineItemDependency as BaselineItemDependency
    from .outputs import BaselineSummary as BaselineSummary
    from .outputs import EnrolledAccountBaselineItem as EnrolledAccountBaselineItem
    from .outputs import EnrolledAccountErrorInfo as EnrolledAccountErrorInfo
    from .outputs import EnrolledAccountProgress as EnrolledAccountProgress
    from .outputs import GetBaselineResult as GetBaselineResult
    from .resource import BaselineItemArgs as BaselineItemArgs
    from .resource import BaselineItemArgsDict as BaselineItemArgsDict
    from .resource import EnrolledAccount as EnrolledAccount
    from .resource import EnrolledAccountArgs as EnrolledAccountArgs
else:

    def __getattr__(name: str) -> Any:
        import importlib

        for module, names in _EXPORTS.items():
            if name in names:
                return getattr(importlib.import_module(f".{module}", __name__), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
