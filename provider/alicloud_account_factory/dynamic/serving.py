"""The base of the dynamic front door's providers: configuration from the engine (and what the provider
server process needs once configured), the empty pickle, settings and reporters from the core's
`ProviderContext`. Each resource's provider subclasses it; none subclasses another's."""

from __future__ import annotations

from typing import Any, Mapping

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from ..core.context import ProviderContext, engine_log, reporter
from ..core.errors import ConfigurationError
from ..core.operation import engine_cancelled
from ..core.progress import Reporter, running_in_provider_server
from ..core.settings import ProviderSettings
from . import cancel_watch
from .lifeline import watch_engine
from .pool_widening import widen_provider_server_pool


class DynamicProvider(ResourceProvider):
    """Configured by the engine; keeps nothing on the instance that a pickle would carry (each
    provider class is pickled BY REFERENCE into users' state)."""

    def __getstate__(self) -> dict[str, Any]:
        return {}  # settings and credentials never travel with the pickled provider

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        watch_engine(engine_log().address)  # a killed `pulumi up` must not leave this process polling
        if running_in_provider_server():  # a Ctrl-C ends what has sent nothing (operation.py)
            cancel_watch.listen_once(engine_cancelled, report=engine_log().debug)
        self._provider_context = ProviderContext.from_config(req.config.get)
        settings = self._provider_context.configured
        if settings is not None and settings.fleet_mode:
            widen_provider_server_pool(warn=lambda detail: engine_log().log(detail, warning=True))

    def use_settings(self, settings: ProviderSettings | ConfigurationError) -> None:
        """Configure from settings read elsewhere: the native plugin reads its own namespace and
        serves its own pool and Cancel, so it needs none of what `configure` does beside this."""
        self._provider_context = ProviderContext(settings)

    def settings(self) -> ProviderSettings:
        """The provider's settings (the configuration's error raised if it had one)."""
        return self._settings()

    def _context_of_provider(self) -> ProviderContext:
        context = getattr(self, "_provider_context", None)
        if context is None:
            context = self._provider_context = ProviderContext()
        return context

    def _settings(self) -> ProviderSettings:
        return self._context_of_provider().settings()

    def _known_secrets(self) -> tuple[str, ...]:
        return self._context_of_provider().known_secrets()

    @staticmethod
    def _reporter(props: Mapping[str, Any], secrets: tuple[str, ...]) -> Reporter:
        return reporter(props, secrets)
