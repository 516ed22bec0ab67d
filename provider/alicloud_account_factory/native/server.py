"""Pulumi's ResourceProvider gRPC service, translated into the calls of the dynamic provider's classes.

Built on Pulumi's plain generated stubs (`pulumi.runtime.proto`), as `pulumi/dynamic/__main__.py` is,
on a synchronous `grpc.server` whose pool this module sizes (an enrollment holds a worker while it
waits: a fleet needs many). What the native protocol carries that a dynamic provider gets as extra
inputs is translated here:

* the resource's URN comes with each request; the URN an account's enrollment key was made from is
  kept in the state (the `resource_urn` output), since the plugin never hears of aliases: an update
  of a renamed resource keeps finding its account;
* timeouts come with Create and Update (`customTimeouts`), not as an input;
* `replaceOnChanges` is applied by the engine;
* configuration is this package's own namespace (`alicloud-account-factory:region`, ...), or an
  explicit provider's arguments;
* an enrollment still running when its create times out is answered as a partially created resource
  (ErrorResourceInitFailed with its id and outputs): the engine keeps the id, and the next `pulumi up`
  continues it through Update, never with a second EnrollAccount;
* property names are camelCase on the wire (the schema's), snake_case in the field tables.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import any_pb2, empty_pb2, struct_pb2  # type: ignore[import-untyped]
from google.rpc import status_pb2  # type: ignore[import-untyped]
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from . import core, schema

#: Inputs the core reads that the native protocol carries otherwise (never stored as inputs).
URN = core.fields.RESOURCE_URN
TIMEOUTS = core.fields.CUSTOM_TIMEOUTS
ALIASES = core.fields.RESOURCE_ALIASES
RECORD = core.fields.INPUTS_RECORD
IDENTITY = core.fields.STACK_IDENTITY
#: The provider input that holds the stack's identity: made once by CheckConfig when the provider is
#: first registered, then kept in the provider's state (a renamed stack keeps it; another stack, in
#: another backend or organisation, has its own). The dynamic provider keeps it in a StackIdentity
#: resource; a native provider's own inputs are the one place this plugin can keep it.
IDENTITY_CONFIG = "stackIdentity"
#: Configuration values kept secret in the provider's state even when given in clear.
SECRET_CONFIG = frozenset({"accessKey", "secretKey", "securityToken"})
#: Outputs holding AccountUids: strings in the schema (exact at any size), whatever the core keeps.
UID_OUTPUTS = ("account_uid", "payer_account_uid", "master_account_uid")


@dataclass(frozen=True)
class Kind:  # (frozen: its cached_property writes the instance __dict__ directly)
    """One resource type: the dynamic provider class that does the work, and its property names."""

    token: str
    provider: Any
    properties: Mapping[str, Any]  # snake_case name -> (schema type, description)
    inputs: tuple[str, ...]
    changes: Callable[[Mapping[str, Any], Mapping[str, Any]], list[tuple[str, bool]]]

    def to_wire(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {schema.camel(k) if k in self.properties else k: v for k, v in values.items()}

    def in_words(self, text: str) -> str:
        """A message of the core as a user of the schema reads it: `display_name` -> `displayName`."""
        return self._names.sub(lambda match: schema.camel(match.group(0)), text)

    @functools.cached_property
    def _names(self) -> re.Pattern[str]:
        snake = sorted((name for name in self.properties if "_" in name), key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(map(re.escape, snake)) + r")\b")

    def from_wire(self, values: Mapping[str, Any]) -> dict[str, Any]:
        names = {schema.camel(name): name for name in self.properties}
        return {names.get(k, k): v for k, v in values.items()}


def _account_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[tuple[str, bool]]:
    return [(change.field, change.replaces) for change in core.fields.diff(olds, news)]


def _kinds() -> dict[str, Kind]:
    return {
        schema.ENROLLED_ACCOUNT: Kind(schema.ENROLLED_ACCOUNT, core.EnrolledAccountProvider(),
                                      schema.ENROLLED_ACCOUNT_PROPERTIES,
                                      tuple(f.name for f in core.fields.FIELDS), _account_changes),
        schema.BASELINE: Kind(schema.BASELINE, core.AccountFactoryBaselineProvider(), schema.BASELINE_PROPERTIES,
                              tuple(f.name for f in core.baseline_fields.FIELDS), core.baseline_fields.diff),
    }


def _type_of(urn: str) -> str:
    """The resource type in a URN (`urn:pulumi:stack::project::[parent$]type::name`)."""
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


def _unwrapped(struct: struct_pb2.Struct) -> tuple[dict[str, Any], set[str]]:
    """Properties as plain values (unknowns kept), and the names of those that held a secret."""
    values = rpc.deserialize_properties(struct, keep_unknowns=True) or {}
    plain = {name: _plain(value) for name, value in values.items()}
    return {name: value for name, (value, _) in plain.items()}, {name for name, (_, secret) in plain.items() if secret}


def _plain(value: Any) -> tuple[Any, bool]:
    """A value with every secret inside it unwrapped, and whether there was one."""
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))[0], True
    if isinstance(value, dict):
        entries = {key: _plain(entry) for key, entry in value.items()}
        return {key: plain for key, (plain, _) in entries.items()}, any(held for _, held in entries.values())
    if isinstance(value, list):
        elements = [_plain(element) for element in value]
        return [plain for plain, _ in elements], any(held for _, held in elements)
    return value, False


def _struct(values: Mapping[str, Any], secret: set[str] = frozenset()) -> struct_pb2.Struct:  # type: ignore[assignment]
    wrapped = {k: rpc.wrap_rpc_secret(v) if k in secret and v is not None else v for k, v in values.items()}
    loop = asyncio.new_event_loop()  # (the SDK's serializer is a coroutine; as pulumi.dynamic runs it)
    try:
        return loop.run_until_complete(rpc.serialize_properties(wrapped, {}))
    finally:
        loop.close()


def _timeouts(operation: str, seconds: float) -> dict[str, str] | None:
    """The request's timeout as the core reads custom timeouts (None: the default)."""
    return {operation: f"{seconds:g}s"} if seconds and seconds > 0 else None


def _error_text(error: BaseException) -> str:
    """The reason first, then the core's one-line summary (`operation.provider_call` chains them)."""
    cause = error.__cause__
    return f"{cause}\n{error}" if cause is not None else str(error)


def _config_getter(args: Mapping[str, Any]) -> Callable[[str], Any]:
    """`ProviderSettings.from_config`'s getter over this plugin's configuration: the core asks for the
    keys a dynamic provider sees (`alicloud:region`, `alicloud-account-factory:endpoint`), the plugin
    has them under its own namespace (`alicloud-account-factory:region`) or as provider arguments."""
    return lambda key: args.get(key.rsplit(":", 1)[-1])


def _native_keys(message: str) -> str:
    """A configuration error names the dynamic provider's keys; this plugin reads them from its own namespace."""
    return message.replace("alicloud:", f"{core.NAMESPACE}:")


class AccountFactoryProvider(proto.ResourceProviderServicer):
    """One plugin process: one provider configuration (the engine starts one per provider instance)."""

    def __init__(self) -> None:
        self._kinds = _kinds()
        self._secrets: tuple[str, ...] = ()
        self._configured: Any = None
        self._identity: str | None = None

    # --- plugin and configuration ---------------------------------------------------------

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> Any:
        return proto.PluginInfo(version=core.VERSION)

    def GetSchema(self, request: Any, context: Any) -> Any:
        return proto.GetSchemaResponse(schema=schema.text())

    def _settings(self, struct: struct_pb2.Struct) -> Any:
        args, _ = _unwrapped(struct)
        try:
            return core.ProviderSettings.from_config(_config_getter(args))
        except core.ConfigurationError as problem:
            return core.ConfigurationError(_native_keys(str(problem)))

    def CheckConfig(self, request: Any, context: Any) -> Any:
        settings = self._settings(request.news)
        failures = []
        if isinstance(settings, core.ConfigurationError):
            failures.append(proto.CheckFailure(property="", reason=str(settings)))
        olds, _ = _unwrapped(request.olds)
        news, secret = _unwrapped(request.news)
        identity = news.get(IDENTITY_CONFIG) or olds.get(IDENTITY_CONFIG) or uuid.uuid4().hex
        inputs = {**news, IDENTITY_CONFIG: identity}
        return proto.CheckResponse(inputs=_struct(inputs, secret | (SECRET_CONFIG & set(inputs))), failures=failures)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        olds, _ = _unwrapped(request.olds)
        news, _ = _unwrapped(request.news)
        news.setdefault(IDENTITY_CONFIG, olds.get(IDENTITY_CONFIG))  # (CheckConfig keeps it; never a change)
        changed = sorted(k for k in schema.CONFIG_VARIABLES if olds.get(k) != news.get(k))
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
                                  diffs=changed)

    def Configure(self, request: Any, context: Any) -> Any:
        args = request.args if request.args.fields else _variables_struct(request.variables)
        settings = self._settings(args)
        identity = _unwrapped(args)[0].get(IDENTITY_CONFIG)
        self._identity = identity if isinstance(identity, str) and identity else None
        for kind in self._kinds.values():
            # What `EnrolledAccountProvider.configure` would keep; configure itself is for the dynamic
            # provider server (it widens that server's pool and watches its Cancel: this one has its own).
            kind.provider.use_settings(settings)
        self._configured = settings
        if isinstance(settings, core.ProviderSettings):
            self._secrets = settings.credentials.secrets()
        return proto.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=False)

    def Cancel(self, request: Any, context: Any) -> Any:
        core.engine_cancelled()
        return empty_pb2.Empty()

    # --- look-ups -------------------------------------------------------------------------

    def Invoke(self, request: Any, context: Any) -> Any:
        """getBaseline, getBaselines and getBaselineItems: what the Python look-ups answer, camelCase."""
        args, _ = _unwrapped(request.args)
        answer = self._call(context, lambda: self._look_up(request.tok, args))
        if answer is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{request.tok} is not a function of {core.NAMESPACE}")
        secret = {"baselineItems"} if request.tok == schema.GET_BASELINE else set()
        return proto.InvokeResponse(**{"return": _struct(_camel_keys(answer), secret)})

    def _look_up(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        settings = self._configured
        if settings is None:
            settings = self._configured = core.ProviderSettings.from_config(lambda key: None)
        if isinstance(settings, core.ConfigurationError):
            raise settings
        region = args.get("regionId") or settings.region
        client = core.shared_client(settings, region)
        deadline = core.Deadline.after(core.LOOKUP_SECONDS)
        if token == schema.GET_BASELINE_ITEMS:
            rows = client.list_baseline_items(deadline, type_=args.get("type"), names=args.get("names"),
                                              versions=args.get("versions"))
            return {"items": [core.item_row(row) for row in rows]}
        if token == schema.GET_BASELINES:
            return {"baselines": [core.baseline_row(row) for row in client.list_baselines(deadline)]}
        if token == schema.GET_BASELINE:
            baseline_id = str(args.get("baselineId") or "")
            raw = client.get_baseline(baseline_id, deadline)
            if raw is None:
                raise LookupError(f"there is no baseline {baseline_id!r} in region {region}: getBaselines lists the "
                                  f"baselines")
            return core.baseline_fields.outputs(raw, {"region_id": region})
        return None

    # --- resources ------------------------------------------------------------------------

    def _kind(self, urn: str, context: Any) -> Kind:
        kind = self._kinds.get(_type_of(urn))
        if kind is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown resource type in {urn}")
        return kind  # type: ignore[return-value]

    def _call(self, context: Any, call: Callable[[], Any], kind: Kind | None = None) -> Any:
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - every failure goes back to the engine as text
            text = self._redacted(_error_text(error))
            context.abort(grpc.StatusCode.UNKNOWN, kind.in_words(text) if kind is not None else text)

    def _identified(self) -> dict[str, str]:
        """The stack's identity as the core reads it from a resource's inputs (none: a provider
        configured before the plugin kept one, whose keys then hash the whole URN, as before)."""
        return {IDENTITY: self._identity} if self._identity else {}

    def _redacted(self, text: str) -> str:
        return core.redact(text, self._secrets)

    def Check(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        olds, _ = _unwrapped(request.olds)
        news, secret = _unwrapped(request.news)
        olds, news = kind.from_wire(olds), {**kind.from_wire(news), URN: request.urn}
        result = self._call(context, lambda: kind.provider.check(olds, news), kind)
        inputs = {k: v for k, v in result.inputs.items() if k not in (URN, IDENTITY)}
        failures = [proto.CheckFailure(property=schema.camel(f.property), reason=kind.in_words(f.reason))
                    for f in result.failures]
        return proto.CheckResponse(inputs=_struct(kind.to_wire(inputs), {schema.camel(s) for s in secret} | secret),
                                   failures=failures)

    def Diff(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        olds, _ = _unwrapped(request.olds)
        news, _ = _unwrapped(request.news)
        olds, news = kind.from_wire(olds), {**kind.from_wire(news), URN: request.urn, **self._identified()}
        result = self._call(context, lambda: kind.provider.diff(request.id, olds, news), kind)
        replaces = set(result.replaces or ())
        detailed = {}
        for name, _replaces in kind.changes(olds, news):
            detail = proto.PropertyDiff.UPDATE_REPLACE if name in replaces else proto.PropertyDiff.UPDATE
            detailed[schema.camel(name)] = proto.PropertyDiff(kind=detail, inputDiff=name in kind.inputs)
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if result.changes else proto.DiffResponse.DIFF_NONE,
            replaces=[schema.camel(name) for name in sorted(replaces)],
            diffs=sorted(detailed),
            deleteBeforeReplace=bool(result.delete_before_replace),
            detailedDiff=detailed,
            hasDetailedDiff=True,
        )

    def _outputs(self, kind: Kind, outs: Mapping[str, Any], secret: set[str]) -> struct_pb2.Struct:
        """Outputs on the wire: the record of the inputs always secret (any input may have been), and
        each output named like a secret input secret too."""
        values = dict(outs)
        if isinstance(values.get(RECORD), Mapping):
            values[RECORD] = {k: v for k, v in values[RECORD].items() if k != TIMEOUTS}
        for name in UID_OUTPUTS:
            if kind.token == schema.ENROLLED_ACCOUNT and values.get(name) is not None:
                values[name] = str(values[name])
        if isinstance(values.get("error_info"), Mapping):
            values["error_info"] = {schema.camel(k): v for k, v in values["error_info"].items()}
        return _struct(kind.to_wire(values), {RECORD, *(schema.camel(s) for s in secret)})

    def Create(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        if request.preview:  # what will be known: the inputs (the SDKs take what is missing for unknown)
            return proto.CreateResponse(id="", properties=request.properties)
        props, secret = _unwrapped(request.properties)
        props = {**kind.from_wire(props), URN: request.urn, **self._identified()}
        if _timeouts("create", request.timeout):
            props[TIMEOUTS] = _timeouts("create", request.timeout)
        try:
            result = kind.provider.create(props)
        except Exception as error:  # noqa: BLE001
            partial = self._partially_created(kind, props, error)
            if partial is not None:
                self._abort_init_failed(context, error, partial[0], self._outputs(kind, partial[1], secret),
                                        request.properties)
            context.abort(grpc.StatusCode.UNKNOWN, kind.in_words(self._redacted(_error_text(error))))
        return proto.CreateResponse(id=result.id, properties=self._outputs(kind, result.outs, secret))

    def _partially_created(self, kind: Kind, props: Mapping[str, Any],
                           error: BaseException) -> tuple[str, dict[str, Any]] | None:
        """The id and outputs of an account whose enrollment was still running when the create timed out."""
        timeout = error.__cause__ if isinstance(error.__cause__, core.EnrollmentTimeout) else error
        if kind.token != schema.ENROLLED_ACCOUNT or not isinstance(timeout, core.EnrollmentTimeout):
            return None
        checked = {k: v for k, v in props.items() if k != TIMEOUTS}
        region = props.get("region_id") or kind.provider.settings().region
        known = {**core.fields.normalized(checked), "region_id": region, "account_uid": timeout.account_uid}
        if timeout.last is not None:
            outs = core.fields.outputs(timeout.last, known)
        else:  # no status read yet: what is known, the status left for the next `up` to read
            outs = {name: known.get(name) for name in schema.ENROLLED_ACCOUNT_PROPERTIES}
            outs[URN] = props.get(URN)
        outs[RECORD] = core.fields.input_record(checked)
        return str(timeout.account_uid), outs

    def _abort_init_failed(self, context: Any, error: BaseException, id_: str, outputs: struct_pb2.Struct,
                           inputs: struct_pb2.Struct) -> None:
        """Fail the call, carrying the resource that exists (the engine saves it with its init error)."""
        text = self._redacted(_error_text(error))  # (the ids and statuses it names need no translation)
        detail = any_pb2.Any()
        detail.Pack(proto.ErrorResourceInitFailed(id=id_, properties=outputs, reasons=[text], inputs=inputs))
        status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=text, details=[detail])
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(grpc.StatusCode.UNKNOWN, text)

    def Read(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        props, secret = _unwrapped(request.properties)
        props = kind.from_wire(props)
        result = self._call(context, lambda: kind.provider.read(request.id, props), kind)
        inputs = getattr(result, "inputs", None)
        if inputs is None and not props:  # an import (or a `get`): the inputs a program would give
            inputs = self._inputs_of(kind, result.outs)
        response = proto.ReadResponse(id=result.id, properties=self._outputs(kind, result.outs, secret))
        if inputs is not None:
            stored = {k: v for k, v in inputs.items() if k in kind.inputs}
            response.inputs.CopyFrom(_struct(kind.to_wire(stored), {schema.camel(s) for s in secret}))
        return response

    @staticmethod
    def _inputs_of(kind: Kind, outs: Mapping[str, Any]) -> dict[str, Any]:
        """An imported resource's inputs: every input field its outputs report (an account as a new one
        would be described: its AccountUid is the resource's id, not an input)."""
        skip = {"account_uid", "region_id"} if kind.token == schema.ENROLLED_ACCOUNT else {"region_id", "baseline_id"}
        values = {name: outs.get(name) for name in kind.inputs if name not in skip}
        values = {name: value for name, value in values.items() if value not in (None, "", [], {})}
        return values

    def Update(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        if request.preview:  # what an update in place keeps (a baseline's id, an account's uid) stays known
            preview = proto.UpdateResponse()
            preview.properties.CopyFrom(request.olds)
            preview.properties.update({k: v for k, v in request.news.items()})
            return preview
        olds, _ = _unwrapped(request.olds)
        news, secret = _unwrapped(request.news)
        olds, news = kind.from_wire(olds), kind.from_wire(news)
        # The URN the account's key was made from, kept in the state: the current one is an alias of it.
        keyed = str(olds.get(URN) or request.urn)
        news = {**news, URN: keyed, **self._identified(), **({ALIASES: [request.urn]} if keyed != request.urn else {})}
        if _timeouts("update", request.timeout):
            news[TIMEOUTS] = _timeouts("update", request.timeout)
        result = self._call(context, lambda: kind.provider.update(request.id, olds, news), kind)
        return proto.UpdateResponse(properties=self._outputs(kind, result.outs, secret))

    def Delete(self, request: Any, context: Any) -> Any:
        kind = self._kind(request.urn, context)
        props, _ = _unwrapped(request.properties)
        props = kind.from_wire(props)
        props.setdefault(URN, request.urn)
        props.update(self._identified())
        self._call(context, lambda: kind.provider.delete(request.id, props), kind)
        return empty_pb2.Empty()


def _camel_keys(value: Any) -> Any:
    """A look-up's answer (rows of snake_case keys, no user-keyed maps) as the schema spells it."""
    if isinstance(value, Mapping):
        return {schema.camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_camel_keys(v) for v in value]
    return value


def _variables_struct(variables: Mapping[str, str]) -> struct_pb2.Struct:
    """Configure's `variables` (`alicloud-account-factory:config:region` -> value) as arguments."""
    struct = struct_pb2.Struct()
    struct.update({key.rsplit(":", 1)[-1]: value for key, value in variables.items()})
    return struct


def serve() -> None:
    """Serve on a free loopback port and print it, as the engine expects of a plugin; watch the engine."""
    # No ceiling: a thread for every call that finds none idle, so every create the engine sends
    # (`--parallel`) is in flight at once, as in the dynamic provider's widened server.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=core.NO_CEILING,
                                                    thread_name_prefix="alicloud-account-factory"))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(AccountFactoryProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    address = core.engine_address(sys.argv[1:])
    if address is not None:
        core.watch_engine(address)  # a killed `pulumi up` must not leave this process polling
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop(0)
