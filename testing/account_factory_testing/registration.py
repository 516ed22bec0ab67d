"""Run Pulumi programs under ``pulumi.runtime.set_mocks`` and see what they register.

``run_with_mocks`` is the shared runner (also used by ``stack.StackHarness``): each run gets a
fresh thread, a fresh context (pulumi keeps its settings in contextvars), a fresh event loop and
``reset_options`` + ``set_all_config`` + ``set_mocks``, so one test process can run programs
many times. ``EngineMockMonitor`` is a ``MockMonitor`` that builds URNs the way the engine does
and tells ``new_resource`` the URN and options of the resource being registered.
"""

from __future__ import annotations

import asyncio
import os
import contextvars
import gc
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import massage, run_pulumi_func

from account_factory_testing.provider_server import from_struct, normalize_unknowns


def unwrap_secrets(value: Any) -> Any:
    """Deeply replace secret-wrapped values by their plain value."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


@dataclass
class RegistrationContext:
    """What the monitor knows about the resource now being registered (``new_resource`` gets less)."""

    urn: str
    parent: str
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    delete_before_replace: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False


class EngineMockMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor with engine URNs that exposes the current registration to the mocks."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self._local = threading.local()
        self.stack_urn = ""

    @property
    def current(self) -> RegistrationContext:
        """The registration being served on this thread (valid inside ``new_resource``)."""
        return self._local.current

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with its parent's full qualified type, except for
        # children of the root stack (the mock monitor always prefixes the parent's last type).
        if parent:
            parent_qualified = parent.split("::")[2]
            if parent_qualified != "pulumi:pulumi:Stack":
                type_ = f"{parent_qualified}${type_}"
        return "urn:pulumi:" + "::".join([settings.get_stack(), settings.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
        timeouts = request.customTimeouts
        self._local.current = RegistrationContext(
            urn=urn,
            parent=request.parent,
            custom_timeouts={k: getattr(timeouts, k) for k in ("create", "update", "delete") if getattr(timeouts, k)},
            delete_before_replace=request.deleteBeforeReplace,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
        )
        return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:
        self._local.current = RegistrationContext(
            urn=self.make_urn(request.parent, request.type, request.name), parent=request.parent
        )
        return super().ReadResource(request)


def run_with_mocks(
    program: Callable[[], Any],
    mocks: pulumi_mocks.Mocks,
    monitor: pulumi_mocks.MockMonitor,
    *,
    project: str = "project",
    stack: str = "stack",
    config: Mapping[str, str] | None = None,
    preview: bool = False,
) -> dict[str, Any]:
    """Run ``program`` like the language host does, against ``monitor``; return the stack outputs.

    Stack outputs (``pulumi.export``) are serialized with the SDK serializer exactly as
    ``Stack._finish`` would, after every resource has resolved; unknowns come back as
    ``rpc.UNKNOWN`` and secrets stay wrapped (see ``unwrap_secrets``).
    """
    result: dict[str, Any] = {}
    errors: list[BaseException] = []

    async def main() -> None:
        await run_pulumi_func(program)
        root = settings.get_root_resource()
        outputs = massage(getattr(root, "outputs", {}), [])
        result.update(from_struct(await rpc.serialize_properties(outputs, {})))

    # The mock monitor runs in the loop's executor threads and makes itself an event loop in each
    # (`_ensure_event_loop`) that nobody closes (a ResourceWarning whenever the garbage collector
    # finds it). Give each worker a loop up front, and close them all at the end.
    worker_loops: list[asyncio.AbstractEventLoop] = []

    def init_worker() -> None:
        worker_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(worker_loop)
        worker_loops.append(worker_loop)

    def target() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="pulumi-mock", initializer=init_worker))
        try:
            settings.reset_options(project=project, stack=stack, preview=preview, organization="organization")
            set_all_config(dict(config or {}), [])
            pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
            loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            asyncio.set_event_loop(None)
            for worker_loop in worker_loops:
                worker_loop.close()
            # A failed run leaves futures whose exception nobody retrieved; their finalizers log
            # a formatted traceback. Collect them here rather than at a random later point: on
            # CPython 3.11.7 a traceback formatted by a finalizer inside `ast.parse` (pytest's
            # assertion rewriting) breaks it with "AST constructor recursion depth mismatch".
            gc.collect()

    # A fresh thread and an empty context isolate pulumi's contextvar settings and event loop.
    thread = threading.Thread(target=contextvars.Context().run, args=(target,), name="pulumi-program")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result


#: The StackIdentity value registrations get: tests that each play another stack set it per test.
TEST_STACK_IDENTITY_ENV = "ACCOUNT_FACTORY_TEST_STACK_IDENTITY"


def _holds_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


@dataclass
class Registration:
    urn: str
    type_: str
    name: str
    inputs: dict[str, Any]
    custom: bool
    #: Inputs that held a secret (anywhere inside): the engine marks outputs of the same name secret.
    secret_inputs: frozenset[str] = frozenset()
    additional_secret_outputs: tuple[str, ...] = ()


class _RecordingMocks(pulumi_mocks.Mocks):
    """Records registrations; custom resources get ``<name>_id`` and echo their inputs."""

    def __init__(self) -> None:
        self.monitor = EngineMockMonitor(self)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        custom = bool(args.custom) or args.custom is None  # ReadResource has custom=None
        with self._lock:
            self.registrations.append(
                Registration(
                    urn=self.monitor.current.urn,
                    type_=args.typ,
                    name=args.name,
                    inputs=normalize_unknowns(unwrap_secrets(args.inputs)),
                    custom=custom,
                    secret_inputs=frozenset(k for k, v in args.inputs.items() if _holds_secret(v)),
                    additional_secret_outputs=tuple(getattr(self.monitor.current, "additional_secret_outputs", ())),
                )
            )
        if not custom:
            return "", {}
        if args.typ.endswith(":StackIdentity"):
            # What the stack's state holds: one value per stack (a test may say which stack it plays).
            return args.resource_id or f"{args.name}_id", {"value": os.environ.get(TEST_STACK_IDENTITY_ENV, "test-stack")}
        return args.resource_id or f"{args.name}_id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        return {}, None


def capture_registrations(
    program: Callable[[], None],
    *,
    project: str = "project",
    stack: str = "stack",
    config: Mapping[str, str] | None = None,
    preview: bool = False,
) -> list[Registration]:
    """Every resource ``program`` registers, in registration order (the root Stack excluded).

    Inputs are deserialized with secrets unwrapped and unknowns (preview) as ``rpc.UNKNOWN``, so ``inputs["__provider"]`` is the exact
    base64 dill blob a dynamic resource's constructor registers.
    """
    mocks = _RecordingMocks()
    run_with_mocks(
        program, mocks, mocks.monitor, project=project, stack=stack, config=config, preview=preview
    )
    return list(mocks.registrations)


def program_outputs(
    program: Callable[[], None],
    *,
    config: Mapping[str, str] | None = None,
    preview: bool = False,
) -> dict[str, Any]:
    """The stack outputs of ``program`` (secrets wrapped, unknowns as ``rpc.UNKNOWN``); its
    resources are only recorded (custom ones echo their inputs)."""
    mocks = _RecordingMocks()
    return run_with_mocks(program, mocks, mocks.monitor, config=config, preview=preview)


__all__ = [
    "EngineMockMonitor",
    "Registration",
    "RegistrationContext",
    "capture_registrations",
    "program_outputs",
    "run_with_mocks",
    "unwrap_secrets",
]
