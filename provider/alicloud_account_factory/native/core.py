"""Everything of the package's internals that the native plugin uses, imported here and only here.

The plugin is a front door: it translates Pulumi's native protocol into the calls of the providers
the dynamic provider runs (`EnrolledAccountProvider`, `AccountFactoryBaselineProvider`) and back.
When internal modules move, this is the one module whose imports change.
"""

from __future__ import annotations

from .. import __version__ as VERSION
from .. import baseline_fields, fields
from ..baseline_provider import AccountFactoryBaselineProvider
from ..client import GovernanceClient
from ..errors import ConfigurationError, EnrollmentTimeout, redact
from ..lifeline import watch_engine
from ..operation import engine_cancelled
from ..pool_widening import FLEET_WORKERS
from ..progress import engine_address
from ..provider import EnrolledAccountProvider
from ..settings import NAMESPACE, ProviderSettings
from ..timeouts import Deadline

__all__ = [
    "VERSION", "AccountFactoryBaselineProvider", "ConfigurationError", "Deadline", "EnrolledAccountProvider",
    "EnrollmentTimeout", "FLEET_WORKERS", "GovernanceClient", "NAMESPACE", "ProviderSettings", "baseline_fields",
    "engine_address", "engine_cancelled", "fields", "redact", "watch_engine",
]
