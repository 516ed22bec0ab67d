"""Drive EnrolledAccount resources through the real provider server, as the engine would.

The `__provider` blob and the inputs come from actually constructing `EnrolledAccount(...)`
under `pulumi.runtime.set_mocks`; every operation is a real gRPC call to
`python -m pulumi.dynamic`, which talks to the emulator over HTTP with the real SDK.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pulumi

from account_factory_testing.provider_server import CheckOutcome, DiffOutcome, ProviderServer
from account_factory_testing.registration import Registration, capture_registrations
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.resource import RESOURCE_TYPE

#: Credentials the test emulators accept; the secret must never show up anywhere.
ACCESS_KEY_ID = "LTAI5tProviderTestKey01"
SECRET = "pr0vider-Test-Secret-MUST-NOT-LEAK-7Qx"
#: Statuses of an enrollment still under way, as the API spells them.
IN_PROGRESS = ("Pending", "Running", "Scheduling")
#: A create or update timeout (`custom_timeouts`) for a test whose operation must time out after its
#: EnrollAccount was sent: that takes under a second on an idle machine and a few seconds with the
#: cores saturated, so this waits for it with a wide margin instead of guessing it. The enrollment
#: must outlast it: a `Stuck` outcome, or an emulator whose enrollments take OUTLASTING_ENROLL_SECONDS.
TIMEOUT_AFTER_SENDING = "15s"
OUTLASTING_ENROLL_SECONDS = 20.0


def emulator_for_tests(**options: Any) -> Emulator:
    """An emulator (start it, or use it as a context manager) that accepts only the test key pair,
    so that every call the provider makes is signed with SECRET; `options` are Emulator's."""
    return Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, **options)


def provider_config(endpoint: str, **extra: str) -> dict[str, str]:
    return {
        "alicloud:region": "cn-hangzhou",
        "alicloud:accessKey": ACCESS_KEY_ID,
        "alicloud:secretKey": SECRET,
        "alicloud-account-factory:endpoint": endpoint,
        **extra,
    }


def register(name: str = "acct", opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> Registration:
    """What `EnrolledAccount(name, **kwargs)` registers with the engine (inputs incl. `__provider`)."""
    registrations = capture_registrations(lambda: EnrolledAccount(name, opts=opts, **kwargs))
    return next(r for r in registrations if r.type_ == RESOURCE_TYPE)


@dataclass
class Deployed:
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]

    @property
    def account_uid(self) -> int:
        return int(self.id)


class AccountStack:
    """Check/create/read/diff/update/delete one resource at a time, with engine semantics."""

    def __init__(self, server: ProviderServer, emulator: Any,
                 registrar: Callable[..., Registration] = register) -> None:
        self.server = server
        self.emulator = emulator
        self._register = registrar  # what one resource of the kind under test registers

    def check(self, name: str = "acct", olds: Optional[dict] = None, opts: Optional[pulumi.ResourceOptions] = None,
              **kwargs: Any) -> tuple[Registration, CheckOutcome]:
        registration = self._register(name, opts, **kwargs)
        return registration, self.server.check(registration.urn, olds or {}, registration.inputs)

    def create(self, name: str = "acct", opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> Deployed:
        registration, checked = self.check(name, opts=opts, **kwargs)
        assert checked.failures == [], checked.failures
        id_, outputs = self.server.create(registration.urn, checked.inputs)
        return Deployed(registration.urn, id_, checked.inputs, outputs)

    def read(self, deployed: Deployed) -> Optional[Deployed]:
        id_, outputs, _inputs = self.server.read(deployed.id, deployed.urn, deployed.outputs, deployed.inputs)
        return Deployed(deployed.urn, id_, deployed.inputs, outputs) if id_ else None

    def diff(self, deployed: Deployed, opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> DiffOutcome:
        name = deployed.urn.rsplit("::", 1)[1]
        _registration, checked = self.check(name, olds=deployed.inputs, opts=opts, **kwargs)
        assert checked.failures == [], checked.failures
        return self.server.diff(deployed.id, deployed.urn, deployed.outputs, checked.inputs)

    def update(self, deployed: Deployed, opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> Deployed:
        name = deployed.urn.rsplit("::", 1)[1]
        _registration, checked = self.check(name, olds=deployed.inputs, opts=opts, **kwargs)
        assert checked.failures == [], checked.failures
        outputs = self.server.update(deployed.id, deployed.urn, deployed.outputs, checked.inputs)
        return Deployed(deployed.urn, deployed.id, checked.inputs, outputs)

    def delete(self, deployed: Deployed) -> None:
        self.server.delete(deployed.id, deployed.urn, deployed.outputs)

    # --- what the emulator holds ---------------------------------------------------------

    def accounts(self) -> list[dict[str, Any]]:
        return self.emulator.state()["accounts"]

    def accounts_named(self, display_name: str) -> list[dict[str, Any]]:
        return [a for a in self.accounts() if a.get("DisplayName") == display_name]

    def calls(self) -> dict[str, int]:
        return dict(self.emulator.state()["calls"])


class MostInProgress:
    """Context manager: the most enrollments the emulator had in progress at once while it ran.

    Why: creates that really waited together show there (the stock provider server runs four
    calls at once). `emulator` is an Emulator or an EmulatorAdmin, sampled every `interval` s.
    """

    def __init__(self, emulator: Any, interval: float) -> None:
        self._emulator = emulator
        self._interval = interval
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self.most = 0

    def _watch(self) -> None:
        while not self._stop.is_set():
            running = sum(a["Status"] in IN_PROGRESS for a in self._emulator.state()["accounts"])
            self.most = max(self.most, running)
            self._stop.wait(self._interval)

    def __enter__(self) -> MostInProgress:
        self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._watcher.join()
