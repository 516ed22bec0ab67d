"""Play the Pulumi engine for a whole program, offline.

``StackHarness`` runs a program under ``pulumi.runtime.set_mocks``; each dynamic resource is
handled synchronously inside the mock's ``new_resource`` (its inputs are resolved by then, so
program/dependency order is followed) with REAL gRPC calls to a ``ProviderServer``:
Check, then Diff against the previous outputs, then Create/Update/replace as the engine would.
State (``{urn: ResourceState}``) persists across operations, like a stack's checkpoint.
"""

from __future__ import annotations

import re
import runpy
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from account_factory_testing.provider_server import (
    DiffOutcome,
    ProviderServer,
    normalize_unknowns,
)
from account_factory_testing.registration import (
    EngineMockMonitor,
    RegistrationContext,
    run_with_mocks,
    unwrap_secrets,
)

DYNAMIC_PREFIX = "pulumi-python:dynamic"


@dataclass
class ResourceState:
    type_: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    external: bool = False  # read with ResourceOptions(id=...): never deleted by the stack
    protect: bool = False  # the engine refuses to delete it (destroy, removal, replacement)
    retain_on_delete: bool = False  # the engine drops it from state without calling Delete


class ProtectedResource(Exception):
    """The engine's refusal to delete a protected resource (nothing is deleted)."""

    def __init__(self, urn: str) -> None:
        super().__init__(f"unable to delete resource {urn!r}: it is protected; set `protect=False`, "
                         "run `pulumi up`, then delete it (or `pulumi state unprotect`)")
        self.urn = urn


class CheckFailed(Exception):
    """Check returned failures (the engine stops the deployment on them)."""

    def __init__(self, urn: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(f"check failed for {urn}: {failures}")
        self.urn = urn
        self.failures = failures


@dataclass
class Plan:
    """What an operation decided (preview) or did (up), per URN, in decision order.

    Actions: "create", "update", "replace", "same", "delete", "read".
    """

    steps: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, DiffOutcome] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    secret_stack_outputs: set[str] = field(default_factory=set)

    def urns(self, action: str) -> list[str]:
        return [urn for urn, a in self.steps.items() if a == action]

    def action(self, name_or_urn: str) -> str:
        """The action for a URN, or for the single resource with that logical name."""
        if name_or_urn in self.steps:
            return self.steps[name_or_urn]
        matches = [a for urn, a in self.steps.items() if urn.endswith(f"::{name_or_urn}")]
        if len(matches) != 1:
            raise KeyError(f"{name_or_urn!r} matches {len(matches)} steps: {self.steps}")
        return matches[0]


@dataclass
class Refreshed:
    deleted: bool
    changed: list[str]  # output keys whose value changed


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string ("5m", "1h30m"), as the engine parses CustomTimeouts."""
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(text or ""))


def has_unknown(value: Any) -> bool:
    """Whether a wire value (or anything inside it) is the engine's unknown sentinel."""
    if value == rpc.UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


class _Deployment(pulumi_mocks.Mocks):
    """One program run: the mocks that turn registrations into provider calls."""

    def __init__(self, harness: StackHarness, preview: bool, forced: frozenset[str] = frozenset()) -> None:
        self.harness = harness
        self.preview = preview
        self.forced = forced  # URNs replaced whatever the diff says (`pulumi up --replace`)
        self.monitor = EngineMockMonitor(self)
        self.plan = Plan()
        self.registered: list[str] = []
        self.pending_deletes: list[tuple[str, ResourceState]] = []
        self.error: Optional[BaseException] = None
        self._lock = threading.Lock()

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        raise NotImplementedError(f"invoke {args.token} is not supported by the harness")

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        ctx = self.monitor.current
        with self._lock:  # one resource at a time: deterministic, and inputs are resolved
            if self.error is not None:
                raise RuntimeError(f"deployment already failed: {self.error}")
            try:
                return self._register(ctx, args)
            except BaseException as exc:
                self.error = exc
                raise

    def _register(self, ctx: RegistrationContext, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        self.registered.append(ctx.urn)
        is_read = args.custom is None  # ReadResource (ResourceOptions(id=...)) passes no `custom`
        if not is_read and not args.custom:
            return "", {}  # component resources get no provider calls
        if not args.typ.startswith(DYNAMIC_PREFIX):
            return args.resource_id or f"{args.name}_id", dict(args.inputs)
        secret_keys = {k for k, v in args.inputs.items() if rpc.is_rpc_secret(v)}
        secret_keys.update(ctx.additional_secret_outputs)
        inputs = normalize_unknowns(unwrap_secrets(args.inputs))
        if is_read:
            return self._read(ctx, args, inputs, secret_keys)
        return self._dynamic(ctx, args, inputs, secret_keys)

    @staticmethod
    def _present(outputs: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
        """Outputs as the engine returns them: secret where the same-named input was secret."""
        return {k: rpc.wrap_rpc_secret(v) if k in secret_keys else v for k, v in outputs.items()}

    def _read(
        self, ctx: RegistrationContext, args: pulumi_mocks.MockResourceArgs, inputs: dict[str, Any], secret_keys: set[str]
    ) -> tuple[str, dict]:
        h = self.harness
        id_, outs, new_inputs = h._rpc("Read", ctx.urn, h.provider.read, args.resource_id, ctx.urn, {}, inputs)
        if not id_:
            raise LookupError(f"resource {ctx.urn} with id {args.resource_id!r} does not exist")
        self.plan.steps[ctx.urn] = "read"
        if not self.preview:
            h.state[ctx.urn] = ResourceState(args.typ, args.name, id_, new_inputs or inputs, outs, external=True)
        return id_, self._present(outs, secret_keys)

    def _dynamic(
        self, ctx: RegistrationContext, args: pulumi_mocks.MockResourceArgs, inputs: dict[str, Any], secret_keys: set[str]
    ) -> tuple[str, dict]:
        h, urn = self.harness, ctx.urn
        prior = h.state.get(urn)
        forced = prior is not None and urn in self.forced
        # `pulumi up --replace`: the real engine checks with no old inputs and sends no Diff.
        checked = h._rpc("Check", urn, h.provider.check, urn, prior.inputs if prior and not forced else {}, inputs)
        if checked.failures:
            raise CheckFailed(urn, checked.failures)
        news = checked.inputs

        diff: Optional[DiffOutcome] = None
        if prior is None:
            action = "create"
        elif forced:
            action = "replace"
        else:
            diff = h._rpc("Diff", urn, h.provider.diff, prior.id, urn, prior.outputs, news, old_inputs=prior.inputs)
            self.plan.diffs[urn] = diff
            # DIFF_UNKNOWN: the engine diffs the inputs itself (`__provider` included).
            changed = diff.changes == "some" or (diff.changes == "unknown" and prior.inputs != news)
            action = ("replace" if diff.replaces else "update") if changed else "same"
            if action == "replace":  # the real engine checks a replacement's inputs again, without old inputs
                news = h._rpc("Check", urn, h.provider.check, urn, {}, inputs).inputs
        self.plan.steps[urn] = action

        if self.preview:
            if prior is not None and action == "same":
                return prior.id, self._present(prior.outputs, secret_keys)
            # Create/update previews: only the checked inputs are known; other outputs are unknown.
            known = {k: v for k, v in news.items() if not has_unknown(v)}
            return (prior.id if prior is not None and action == "update" else ""), self._present(known, secret_keys)

        timeouts = {k: parse_duration(v) for k, v in ctx.custom_timeouts.items()}
        if prior is None or action == "replace":
            if prior is not None and ((diff is not None and diff.delete_before_replace) or ctx.delete_before_replace):
                h._delete(urn, prior, timeouts.get("delete", 0.0))
                del h.state[urn]  # gone from the checkpoint: a failed create leaves the stack without it
            elif prior is not None:
                self.pending_deletes.append((urn, prior))  # create-before-delete: old one goes last
            id_, outs = h._rpc("Create", urn, h.provider.create, urn, news, timeouts.get("create", 0.0))
            new = ResourceState(args.typ, args.name, id_, news, outs)
        elif action == "update":
            outs = h._rpc(
                "Update", urn, h.provider.update, prior.id, urn, prior.outputs, news,
                timeouts.get("update", 0.0), old_inputs=prior.inputs,
            )
            new = replace(prior, inputs=news, outputs=outs)
        else:
            new = replace(prior, inputs=news)
        h.state[urn] = replace(new, protect=ctx.protect, retain_on_delete=ctx.retain_on_delete)
        return new.id, self._present(new.outputs, secret_keys)


class StackHarness:
    """A stack: a program, its config, a provider server and the resulting state.

    Swap ``provider`` for a fresh ``ProviderServer`` to model a new CLI run: the Python server
    configures each distinct provider blob only once per process.
    """

    def __init__(
        self,
        program_path: Path | str,
        provider_server: ProviderServer,
        project: str = "project",
        stack: str = "dev",
        config: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.program_path = Path(program_path)
        self.provider = provider_server
        self.project = project
        self.stack = stack
        self.config: dict[str, str] = dict(config or {})
        self.state: dict[str, ResourceState] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.calls: list[tuple[str, str]] = []
        self._calls_lock = threading.Lock()

    @property
    def program_config(self) -> dict[str, str]:
        """Alias of ``config`` (the stack config seen by the program and the provider)."""
        return self.config

    # -- helpers ---------------------------------------------------------------------------
    def _rpc(self, method: str, urn: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self._calls_lock:
            self.calls.append((method, urn))
        return fn(*args, **kwargs)

    def _delete(self, urn: str, state: ResourceState, timeout: float = 0.0) -> None:
        """Delete as the engine does: never a protected resource, no call for a retained one."""
        if state.protect:
            raise ProtectedResource(urn)
        if state.retain_on_delete:
            return
        self._rpc("Delete", urn, self.provider.delete, state.id, urn, state.outputs,
                  old_inputs=state.inputs, timeout=timeout)

    def _configure(self) -> None:
        self._rpc("Configure", "", self.provider.configure, self.config)

    def calls_of(self, method: str) -> list[str]:
        """URNs of every recorded call to ``method`` (e.g. "Create")."""
        return [urn for m, urn in self.calls if m == method]

    def urn(self, name: str) -> str:
        """The URN in state of the resource with this logical name."""
        matches = [u for u in self.state if u.endswith(f"::{name}")]
        if len(matches) != 1:
            raise KeyError(f"{name!r} matches {matches}")
        return matches[0]

    def rename(self, *, stack: Optional[str] = None, project: Optional[str] = None) -> None:
        """`pulumi stack rename` (into another project too): the same state, each URN in it rewritten
        to the new names, as the CLI does; the values resources stored (inputs, outputs) stay as they
        were. A renamed project's own config keys move to its new namespace, as its user moves them."""
        old = f"urn:pulumi:{self.stack}::{self.project}::"
        new_stack, new_project = stack or self.stack, project or self.project
        new = f"urn:pulumi:{new_stack}::{new_project}::"
        self.state = {(new + urn[len(old):] if urn.startswith(old) else urn): state
                      for urn, state in self.state.items()}
        self.config = {(f"{new_project}:{key[len(self.project) + 1:]}" if key.startswith(f"{self.project}:") else key):
                       value for key, value in self.config.items()}
        self.stack, self.project = new_stack, new_project

    def _program(self) -> None:
        path = self.program_path
        if path.is_dir():
            runpy.run_path(str(path), run_name="__main__")  # puts the directory on sys.path itself
            return
        sys.path.insert(0, str(path.parent))
        try:
            runpy.run_path(str(path), run_name="__main__")
        finally:
            sys.path.remove(str(path.parent))

    def _run(self, preview: bool, forced: Sequence[str] = ()) -> Plan:
        self._configure()
        deployment = _Deployment(self, preview, frozenset(self.urn(name) for name in forced))
        try:
            outputs = run_with_mocks(
                self._program, deployment, deployment.monitor,
                project=self.project, stack=self.stack, config=self.config, preview=preview,
            )
        except BaseException as exc:
            if deployment.error is not None and deployment.error is not exc:
                raise deployment.error from exc
            raise
        if deployment.error is not None:
            raise deployment.error
        plan = deployment.plan
        plan.stack_outputs = unwrap_secrets(outputs)
        plan.secret_stack_outputs = {k for k, v in outputs.items() if rpc.is_rpc_secret(v)}

        registered = set(deployment.registered)
        removed = [urn for urn in self.state if urn not in registered]
        for urn in removed:
            plan.steps[urn] = "delete"
        if not preview:
            for urn in removed:
                if self.state[urn].protect:
                    raise ProtectedResource(urn)
            for urn, old in reversed(deployment.pending_deletes):
                self._delete(urn, old)
            for urn in reversed(removed):
                if not self.state[urn].external:
                    self._delete(urn, self.state[urn])
                del self.state[urn]
            self.stack_outputs = plan.stack_outputs
        return plan

    # -- operations ------------------------------------------------------------------------
    def preview(self) -> Plan:
        """Check (+ Diff for resources in state); never Create/Update/Delete."""
        return self._run(preview=True)

    def up(self, replace: Sequence[str] = ()) -> Plan:
        """Deploy: create/update/replace in program order, then delete what left the program.

        `replace` names resources to replace whatever their diff says, as `pulumi up --replace` does.
        """
        return self._run(preview=False, forced=replace)

    def refresh(self) -> dict[str, Refreshed]:
        """Read every resource; an empty id drops it from state."""
        self._configure()
        changes: dict[str, Refreshed] = {}
        for urn, st in list(self.state.items()):
            id_, outs, inputs = self._rpc("Read", urn, self.provider.read, st.id, urn, st.outputs, st.inputs)
            if not id_:
                del self.state[urn]
                changes[urn] = Refreshed(deleted=True, changed=[])
                continue
            changed = sorted(k for k in set(st.outputs) | set(outs) if st.outputs.get(k) != outs.get(k))
            self.state[urn] = replace(st, id=id_, outputs=outs, inputs=inputs if inputs is not None else st.inputs)
            changes[urn] = Refreshed(deleted=False, changed=changed)
        return changes

    def destroy(self) -> list[str]:
        """Delete every resource, last created first; returns the deleted URNs."""
        self._configure()
        for urn, st in self.state.items():
            if st.protect:
                raise ProtectedResource(urn)  # the engine refuses before it deletes anything
        deleted: list[str] = []
        for urn in reversed(list(self.state)):
            st = self.state[urn]
            if not st.external:
                self._delete(urn, st)
                deleted.append(urn)
            del self.state[urn]
        self.stack_outputs = {}
        return deleted
