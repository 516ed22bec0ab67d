"""A throwaway resource provider plugin: a TEST FIXTURE of tests/e2e/test_toolchain.py, nothing more.

It exists so that the toolchain (the language hosts of `make hosts`, the SDKs of tools/sdkgen) is proven
through the real CLI before the real plugin exists. It is built the way the real one will be: Pulumi's
plain generated stubs (`pulumi.runtime.proto`) on a synchronous `grpc.server` with a pool of our own
size, started by an executable (`pulumi-resource-toy`) that prints its port, as
`pulumi/dynamic/__main__.py` does. It keeps nothing outside its process: a `toy:index:Greeting` is
its inputs plus computed outputs, and `toy:index:getLength` is an invoke.
"""

from __future__ import annotations

import sys
import uuid
from concurrent import futures
from pathlib import Path
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc

SCHEMA = Path(__file__).with_name("schema.json")
VERSION = "0.0.1"  # the schema's version: the generated SDKs ask the engine for this plugin version
GREETING = "toy:index:Greeting"


def _dict(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


class ToyProvider(proto.ResourceProviderServicer):
    """Greetings computed from their inputs and the provider's configuration."""

    def __init__(self) -> None:
        self.greeting = ""

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> Any:
        return proto.PluginInfo(version=VERSION)

    def GetSchema(self, request: Any, context: Any) -> Any:
        return proto.GetSchemaResponse(schema=SCHEMA.read_text())

    def CheckConfig(self, request: Any, context: Any) -> Any:
        news = _dict(request.news)
        failures = [proto.CheckFailure(property=key, reason=f"toy:{key} is required: pulumi config set toy:{key} ...")
                    for key in ("greeting", "token") if not news.get(key)]
        return proto.CheckResponse(inputs=request.news, failures=failures)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:
        settings = _dict(request.args) or {key.rsplit(":", 1)[-1]: value for key, value in request.variables.items()}
        self.greeting = str(settings.get("greeting", ""))
        return proto.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> Any:
        news = _dict(request.news)
        failures = []
        if not isinstance(news.get("name"), str) or not news["name"]:
            failures.append(proto.CheckFailure(property="name", reason="name must be a non-empty string"))
        return proto.CheckResponse(inputs=request.news, failures=failures)

    def Diff(self, request: Any, context: Any) -> Any:
        changed = _dict(request.olds).get("name") != _dict(request.news).get("name")
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
                                  diffs=["name"] if changed else [])

    def _outputs(self, inputs: struct_pb2.Struct) -> struct_pb2.Struct:
        name = str(_dict(inputs)["name"])
        return _struct({"name": name, "message": f"{self.greeting}, {name}", "length": len(name)})

    def Create(self, request: Any, context: Any) -> Any:
        return proto.CreateResponse(id=str(uuid.uuid4()), properties=self._outputs(request.properties))

    def Read(self, request: Any, context: Any) -> Any:
        return proto.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Update(self, request: Any, context: Any) -> Any:
        return proto.UpdateResponse(properties=self._outputs(request.news))

    def Delete(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        if request.tok != "toy:index:getLength":
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"unknown function {request.tok}")
        text = str(_dict(request.args).get("text", ""))
        return proto.InvokeResponse(**{"return": _struct({"length": len(text)})})


def main() -> None:
    """Serve on a free loopback port and print it, as the engine expects of a plugin."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(ToyProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    Event().wait()


if __name__ == "__main__":
    main()
