"""The harness that plays Pulumi's engine against this repository's provider and emulator.

A library of its own, installed editable by `make venv`, so that the tests, the benchmarks and
the provider processes they start import it by name instead of editing `sys.path`, as pulumi's
mocks are `pulumi.runtime.mocks`. Unlike those it stays out of the provider's wheel and is never
published: it holds the test key pair and knows this repository's
layout (scripts/, tests/e2e/programs).

- ``engine.FakeEngine``: the engine's ``Engine`` gRPC service (collects ``Log`` calls).
- ``provider_server.ProviderServer``: the real ``python -m pulumi.dynamic`` server, driven over gRPC.
- ``registration.capture_registrations``: run a program under ``pulumi.runtime.set_mocks`` and
  collect what each resource registers (including the ``__provider`` blob).
- ``stack.StackHarness``: preview/up/refresh/destroy a whole program against a ProviderServer.
- ``accounts``, ``baselines``, ``sdk``: the test key pair and an emulator that accepts it, one
  resource at a time through the provider server, and the SDK acting "out of band".
- ``emulator_process.EmulatorProcess``: the emulator in a process of its own (the benchmarks).
- ``sandbox.PulumiSandbox``: the real `pulumi` CLI in a home, backend and stack of its own, for a
  program in any language the CLI's directory has a host for, with resource plugins by path.
- ``toolchain``: the language hosts, the Node.js packages and tools/sdkgen (built on first use), and
  putting a program and a generated SDK together as a user would.
- ``dependencies``: the package's dependency ranges (from a built wheel) and constraints.txt's pins.
"""
