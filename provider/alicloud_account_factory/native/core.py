"""Everything of the package's internals that the native plugin uses, imported here and only here.

The plugin is a front door: it translates Pulumi's native protocol into the calls of the providers
the dynamic provider runs (`EnrolledAccountProvider`, `AccountFactoryBaselineProvider`) and back.
When internal modules move, this is the one module whose imports change.
"""

from __future__ import annotations

from ..accounts import fields
from ..accounts.client import GovernanceClient
from ..accounts.errors import EnrollmentTimeout
from ..baseline_provider import AccountFactoryBaselineProvider
from ..baselines import fields as baseline_fields
from ..baselines.catalog import shared_client
from ..core.errors import ConfigurationError, redact
from ..core.operation import engine_cancelled
from ..core.progress import engine_address
from ..core.settings import NAMESPACE, ProviderSettings
from ..core.timeouts import Deadline
from ..core.version import __version__ as VERSION
from ..dynamic.lifeline import watch_engine
from ..dynamic.pool_widening import NO_CEILING

# The look-ups' row builders, so that an invoke answers what get_baselines() and get_baseline_items() do.
from ..lookups import LOOKUP_SECONDS, baseline_row, item_row
from ..provider import EnrolledAccountProvider

__all__ = [
    "LOOKUP_SECONDS", "VERSION", "AccountFactoryBaselineProvider", "baseline_row", "item_row", "shared_client", "ConfigurationError", "Deadline", "EnrolledAccountProvider",
    "EnrollmentTimeout", "NO_CEILING", "GovernanceClient", "NAMESPACE", "ProviderSettings", "baseline_fields",
    "engine_address", "engine_cancelled", "fields", "redact", "watch_engine",
]
