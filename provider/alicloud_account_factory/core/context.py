"""What a provider of any resource works with, whichever front door serves it: its settings (or the
configuration error to raise when one is needed), the reporter of a resource's operation, and the
process's engine-facing singletons, each opened on first use: the engine log, the attempt record and
the connections (one SDK client pair and one pace per endpoint, credentials and region)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from .errors import ConfigurationError
from .field_kit import RESOURCE_URN
from .journal import AttemptJournal, default_directory
from .progress import EngineLog, Reporter, process_engine_log
from .settings import ProviderSettings
from .transport import Connection, shared_connection

_journal: AttemptJournal | None = None
_journal_lock = threading.Lock()


def process_journal() -> AttemptJournal:
    """The attempt record of this process (every resource's, one directory)."""
    global _journal
    with _journal_lock:
        if _journal is None:
            _journal = AttemptJournal(default_directory())
        return _journal


def engine_log() -> EngineLog:
    """The engine that started this process."""
    return process_engine_log()


def connection(settings: ProviderSettings, region: str) -> Connection:
    """The process's one connection (so one pace) for these settings and region."""
    return shared_connection(settings, region)


class ProviderContext:
    """A provider's configuration: the settings the engine configured, or the error that refused them
    (raised only when a call needs settings, so that a broken configuration never blocks a delete)."""

    def __init__(self, settings: ProviderSettings | ConfigurationError | None = None) -> None:
        self._value = settings

    @classmethod
    def from_config(cls, get: Callable[[str], Any]) -> "ProviderContext":
        try:
            return cls(ProviderSettings.from_config(get))
        except ConfigurationError as problem:
            return cls(problem)

    @property
    def configured(self) -> ProviderSettings | None:
        """The settings, if they were configured and valid."""
        return self._value if isinstance(self._value, ProviderSettings) else None

    def settings(self) -> ProviderSettings:
        """The settings (the environment's, if the engine never configured this provider); raises the
        configuration's error."""
        if self._value is None:
            self._value = ProviderSettings.from_config(lambda key: None)
        if isinstance(self._value, ConfigurationError):
            raise self._value
        return self._value

    def known_secrets(self) -> tuple[str, ...]:
        """The credentials to keep out of messages, for calls that need no settings (and must not fail
        on a broken configuration)."""
        configured = self.configured
        return configured.credentials.secrets() if configured is not None else ()

    def region(self, props: Mapping[str, Any]) -> str:
        return str(props.get("region_id") or self.settings().region)


def reporter(props: Mapping[str, Any], secrets: tuple[str, ...]) -> Reporter:
    """Where the messages of the resource `props` belong to go, scrubbed of `secrets`."""
    return Reporter(engine_log(), str(props.get(RESOURCE_URN) or ""), secrets)
