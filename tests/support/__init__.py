"""Offline test harness for Pulumi dynamic providers.

The Pulumi CLI is not available here, so tests play the engine themselves:

- ``engine.FakeEngine``: the engine's ``Engine`` gRPC service (collects ``Log`` calls).
- ``provider_server.ProviderServer``: the real ``python -m pulumi.dynamic`` server, driven over gRPC.
- ``registration.capture_registrations``: run a program under ``pulumi.runtime.set_mocks`` and
  collect what each resource registers (including the ``__provider`` blob).
- ``stack.StackHarness``: preview/up/refresh/destroy a whole program against a ProviderServer.
"""
