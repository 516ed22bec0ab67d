"""Everything of the package's internals that the native plugin uses, imported here and only here.

The plugin is a front door: it translates Pulumi's native protocol into the calls of the providers
the dynamic provider runs (`EnrolledAccountProvider`, `AccountFactoryBaselineProvider`) and back.
When internal modules move, this is the one module whose imports change.
"""

from __future__ import annotations

from .. import __version__ as VERSION
from .. import baseline_fields, fields
from ..baseline_provider import AccountFactoryBaselineProvider
from ..catalog import shared_client
from ..client import GovernanceClient
from ..errors import ConfigurationError, EnrollmentTimeout, redact
from ..lifeline import watch_engine
# The look-ups' row builders, so that an invoke answers what get_baselines() and get_baseline_items() do.
from ..lookups import LOOKUP_SECONDS
from ..lookups import _baseline_row as baseline_row
from ..lookups import _item_row as item_row
from ..operation import engine_cancelled
from ..pool_widening import FLEET_WORKERS
from ..progress import engine_address
from ..provider import EnrolledAccountProvider
from ..settings import NAMESPACE, ProviderSettings
from ..timeouts import Deadline

__all__ = [
    "LOOKUP_SECONDS", "VERSION", "AccountFactoryBaselineProvider", "baseline_row", "item_row", "shared_client", "ConfigurationError", "Deadline", "EnrolledAccountProvider",
    "EnrollmentTimeout", "FLEET_WORKERS", "GovernanceClient", "NAMESPACE", "ProviderSettings", "baseline_fields",
    "engine_address", "engine_cancelled", "fields", "redact", "watch_engine",
]
