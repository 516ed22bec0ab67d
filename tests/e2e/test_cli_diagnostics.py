"""What a failed `pulumi up` shows first, through the real `pulumi` CLI: the reason, never a Python
traceback first; the long traceback is kept for `--debug`."""

from __future__ import annotations

import re

from account_factory_testing.sandbox import PulumiSandbox, SandboxFactory, diagnostics_of
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-diag", "display_name": "E2E diagnostics", "folder_id": "fd-Sandbox001"}
#: Frames deep in the provider: a traceback that shows them is the long one, kept for --debug.
DEEP_FRAMES = ("enrollment.py", "waiter.py", "shared_poller.py")


def _assert_the_reason_comes_first(output: str, *reason: str, debug: bool = False) -> list[str]:
    """The resource's first diagnostic line (its first error line, after the debug lines `--debug` asked for)
    holds every part of `reason`, and no traceback precedes it."""
    block = diagnostics_of(output, "team")
    errors = [line.strip() for line in block if line.strip().startswith("error: ")]
    assert errors and (debug or block[0].strip() == errors[0]), block
    first = errors[0]
    assert "Traceback" not in first and all(part in first for part in reason), block
    return block


def test_a_failed_enrollment_shows_its_reason_first_and_the_traceback_only_with_debug(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    emulator.add_outcome({"display_name": NEW["display_name"], "status": "Failed", "times": 2,
                          "error_code": "InternalError", "error_message": "The request processing has failed."})
    sandbox.set_accounts({"team": NEW})
    failed = sandbox.up(check=False)
    assert failed.returncode != 0
    block = _assert_the_reason_comes_first(failed.stdout, "enrollment of account", "ended with status Failed",
                                           "InternalError", "The request processing has failed.")
    assert not [frame for frame in DEEP_FRAMES if frame in "\n".join(block)], block  # no long traceback
    # The resource's own line ends on the reason too (the CLI shows the first line of its error there).
    assert re.search(r"team \*\*creating failed\*\* error: (\S+: )?enrollment of account \d+ ended with status Failed",
                     failed.stdout), failed.stdout

    debugged = sandbox.up("--debug", check=False)  # the same failure, the enrollment resumed
    assert debugged.returncode != 0
    block = _assert_the_reason_comes_first(debugged.stdout, "ended with status Failed", "InternalError", debug=True)
    traceback = re.search(r"debug: [^\n]*Traceback \(most recent call last\):\n(?:.*\n)*?.*EnrollmentFailed",
                          "\n".join(block))
    assert traceback and "enrollment.py" in traceback.group(0), block


def test_a_refusal_before_any_call_shows_its_reason_first(sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    # A check failure: the engine shows the provider's reason for the property.
    sandbox = sandbox_for()
    sandbox.set_accounts({"team": {**NEW, "folder_id": 12}})
    refused = sandbox.up(check=False)
    assert refused.returncode != 0
    _assert_the_reason_comes_first(refused.stdout, "folder_id must be a string")

    # A stack configuration that cannot work (half a key pair): refused when the create starts.
    half = sandbox_for(credentials=False)
    half.set_config("alicloud:accessKey", "LTAI5tHalfAKeyPair", secret=True)
    half.set_accounts({"team": NEW})
    refused = half.up(check=False)
    assert refused.returncode != 0
    block = _assert_the_reason_comes_first(refused.stdout, "only one of alicloud:accessKey and alicloud:secretKey")
    assert "provider.py" not in "\n".join(block), block
    assert sum(emulator.state()["calls"].values()) == 0
