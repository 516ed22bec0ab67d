"""A tiny dynamic provider used only to test the harness itself.

"Things" live in a JSON file whose path is an input, so tests can inspect and tamper with
the "cloud" directly. The class sits in an importable module on purpose: dill pickles it by
reference, so the provider server process must be able to import ``tests.harness.toy_provider``.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import grpc

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

DIFFED = ("path", "label", "size", "kind", "parent_id")
REPLACE_ON = ("path", "kind")


@contextmanager
def _store(path: str) -> Iterator[dict[str, Any]]:
    """Read-modify-write the JSON file under an exclusive lock (the server runs 4 workers)."""
    file = Path(path)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(file.read_text()) if file.exists() else {"counter": 0, "things": {}}
        yield data
        file.write_text(json.dumps(data, indent=1, sort_keys=True))


def _engine_log(message: str, urn: str = "") -> None:
    """Send an ephemeral status line to the engine (its address is our first argument)."""
    if len(sys.argv) < 2 or ":" not in sys.argv[1]:
        return
    try:
        with grpc.insecure_channel(sys.argv[1], options=[("grpc.enable_http_proxy", 0)]) as channel:
            engine_pb2_grpc.EngineStub(channel).Log(
                engine_pb2.LogRequest(severity=engine_pb2.INFO, message=message, urn=urn, ephemeral=True),
                timeout=60,  # generous: only a hung engine stand-in trips it
            )
    except grpc.RpcError:
        pass  # logging must never fail an operation


class ToyProvider(ResourceProvider):
    """Plain data only on ``self``: the instance is pickled into every resource's state."""

    def configure(self, req: ConfigureRequest) -> None:
        self._region = req.config.get("toy:region")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        label = news.get("label")
        if not isinstance(label, Unknown) and (not isinstance(label, str) or not label):
            failures.append(CheckFailure("label", "label must be a non-empty string"))
        size = news.get("size", 1)
        if not isinstance(size, Unknown) and (not isinstance(size, (int, float)) or size < 0):
            failures.append(CheckFailure("size", "size must be a number >= 0"))
        if not news.get("path"):
            failures.append(CheckFailure("path", "path is required"))
        return CheckResult({"kind": "basic", "size": 1, **news}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in DIFFED if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k in REPLACE_ON])

    def _outs(self, id_: str, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "thing_id": id_, "region": getattr(self, "_region", None)}

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props["label"] == "explode":
            raise RuntimeError("toy: refusing to create a thing labelled 'explode'")
        print(f"toy: create {props['label']}", file=sys.stderr)  # lands in ProviderServer.stderr_text()
        _engine_log(f"toy: creating {props['label']}", props.get("log_urn", ""))
        with _store(props["path"]) as data:
            data["counter"] += 1
            id_ = f"thing-{data['counter']}"
            data["things"][id_] = {k: props.get(k) for k in ("label", "size", "kind", "parent_id")}
        return CreateResult(id_, self._outs(id_, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with _store(props["path"]) as data:
            thing = data["things"].get(id_)
        if thing is None:
            return ReadResult("", {})  # gone: an empty id (never ReadResult(None, None))
        return ReadResult(id_, self._outs(id_, {**props, **thing}))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with _store(news["path"]) as data:
            data["things"][id_] = {k: news.get(k) for k in ("label", "size", "kind", "parent_id")}
        return UpdateResult(self._outs(id_, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with _store(props["path"]) as data:
            data["things"].pop(id_, None)


class ToyResource(Resource, module="toy", name="Thing"):
    """Type token ``pulumi-python:dynamic/toy:Thing``."""

    path: pulumi.Output[str]
    label: pulumi.Output[str]
    size: pulumi.Output[float]
    kind: pulumi.Output[str]
    parent_id: pulumi.Output[Optional[str]]
    thing_id: pulumi.Output[str]
    region: pulumi.Output[Optional[str]]

    def __init__(
        self,
        name: str,
        path: pulumi.Input[str],
        label: pulumi.Input[str],
        size: Optional[pulumi.Input[float]] = None,
        kind: Optional[pulumi.Input[str]] = None,
        parent_id: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        props = {
            "path": path,
            "label": label,
            "size": size,
            "kind": kind,
            "parent_id": parent_id,
            "thing_id": None,
            "region": None,
        }
        super().__init__(ToyProvider(), name, props, opts)
