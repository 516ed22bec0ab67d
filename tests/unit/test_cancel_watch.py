"""cancel_watch: how the engine's Cancel call is heard in the provider server, and how it declines.

The real server is proven in tests/provider/test_unreachable.py (a Cancel ends a waiting create);
here the decisions, on stand-in grpc server states.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import grpc

from alicloud_account_factory.dynamic.cancel_watch import CANCEL_METHOD, CancelListener, listen


@dataclass
class Details:
    method: str


@dataclass
class State:
    generic_handlers: Any = field(default_factory=lambda: ["pulumi's handler"])
    lock: Any = field(default_factory=threading.RLock)


def test_the_listener_goes_first_hears_only_cancel_and_answers_nothing() -> None:
    heard: list[str] = []
    state = State()
    assert listen(lambda: heard.append("cancel"), find_states=lambda: [state]) is None
    assert listen(lambda: heard.append("again"), find_states=lambda: [state]) is None  # never twice
    [listener, pulumis] = state.generic_handlers
    assert isinstance(listener, CancelListener) and isinstance(listener, grpc.GenericRpcHandler)
    assert pulumis == "pulumi's handler"
    assert listener.service(Details("/pulumirpc.ResourceProvider/Create")) is None and heard == []
    assert listener.service(Details(CANCEL_METHOD)) is None  # Pulumi's own handler answers it
    assert heard == ["cancel"]


def test_a_server_that_is_not_as_expected_is_left_alone_saying_why() -> None:
    def broken() -> list[Any]:
        raise LookupError("grpc._server no longer has _ServerState/_ServerStage")

    assert "no longer has _ServerState" in str(listen(lambda: None, find_states=broken))
    assert "found 2 running grpc servers" in str(listen(lambda: None, find_states=lambda: [State(), State()]))
    odd = State(generic_handlers=("a tuple",))
    assert "no generic_handlers list" in str(listen(lambda: None, find_states=lambda: [odd]))
    assert odd.generic_handlers == ("a tuple",)
