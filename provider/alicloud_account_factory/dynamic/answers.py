"""What a dynamic provider's Read answers, with the inputs a refresh should store where this pulumi SDK
can carry them (every resource's Read)."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Mapping

from pulumi.dynamic import ReadResult

from ..core.field_kit import INPUTS_RECORD, input_record, recorded_inputs


@functools.cache
def read_result_takes_inputs() -> bool:
    """Whether this pulumi SDK's ReadResult carries inputs: since 3.216 (3.139, the oldest supported, does not)."""
    return "inputs" in inspect.signature(ReadResult.__init__).parameters


@functools.cache
def refresh_stores_inputs() -> bool:
    """Whether, with this pulumi SDK, a refresh stores the inputs it read (so that the next preview names
    the drift): its ReadResult carries inputs (since 3.216) and its provider server hands Read the
    record of the inputs, an internal (`__`) output, which servers before 3.235 drop as they decode the
    old outputs. Otherwise Read finds no record and the stored inputs stay as they are."""
    from google.protobuf import struct_pb2
    from pulumi.runtime import rpc

    probe = struct_pb2.Struct()
    probe.update({INPUTS_RECORD: {}})
    return read_result_takes_inputs() and INPUTS_RECORD in rpc.deserialize_properties(probe)


def read_answer(id_: str, outs: dict[str, Any], old_outputs: Mapping[str, Any],
                inputs_after_read: Callable[[dict[str, Any]], dict[str, Any]]) -> ReadResult:
    """What Read answers: the outputs read, and the inputs a refresh should store (the recorded ones,
    as `inputs_after_read` makes them meet what the service reports) so that the next preview names
    the drift it found; recorded again in the outputs. Old outputs without a record (a `get`, a state
    from before it) and a pulumi SDK that cannot carry inputs leave the stored inputs as they are."""
    recorded = recorded_inputs(old_outputs)
    if recorded is None:
        return ReadResult(id_, outs)
    inputs = inputs_after_read(recorded)
    outs[INPUTS_RECORD] = input_record(inputs)
    if not read_result_takes_inputs():
        return ReadResult(id_, outs)
    return ReadResult(id_, outs, inputs)  # type: ignore[call-arg]  (the field an SDK before it lacks)
