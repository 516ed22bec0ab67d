"""Write `enrolled-account-state-<release>.json`: one resource's whole state as this release writes it.

Run once per release from the repository root (a module, so that `tests.reliability` imports),
with proxies unset:
    .venv/bin/python -m tests.reliability.data.make_state
The file is the inputs and outputs the engine would keep for an `EnrolledAccount` enrolling an
existing member of the emulator's directory, plus the program's arguments; later releases must
read, diff, update and delete from it (tests/reliability/test_state_compat.py). Never regenerate
the file of a past release.
"""

from __future__ import annotations

import json
from pathlib import Path

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.engine import FakeEngine
from alicloud_account_factory import __version__
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, MEMBER_ACCOUNT_UIDS
from tests.reliability.reliability_support import register_raw, start_server


def main() -> None:
    arguments = dict(account_uid=str(MEMBER_ACCOUNT_UIDS[3]), baseline_id=CUSTOM_BASELINE_ID, tags={"env": "dev"},
                     baseline_items=[{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"VpcName": "legacy", "Mask": 16}}])
    registration = register_raw("legacy-existing", **arguments)
    with FakeEngine() as engine, emulator_for_tests(enroll_seconds=1) as emu:
        server = start_server(engine, emu.endpoint)
        try:
            checked = server.check(registration.urn, {}, registration.inputs)
            assert checked.failures == [], checked.failures
            id_, outputs = server.create(registration.urn, checked.inputs)
        finally:
            server.stop()
    out = Path(__file__).resolve().parent / f"enrolled-account-state-{__version__}.json"
    if out.exists():
        raise SystemExit(f"{out} exists: a past release's state is never regenerated")
    state = {"release": __version__, "arguments": arguments, "urn": registration.urn, "id": id_,
             "inputs": checked.inputs, "outputs": outputs}
    out.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    print(out)


if __name__ == "__main__":
    main()
