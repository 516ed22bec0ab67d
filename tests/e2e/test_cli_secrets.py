"""Credentials set with `pulumi config set --secret`, and secrets in baseline item configs, appear
nowhere the CLI writes or prints, also when the service stops answering."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.sandbox import (
    PROGRAMS,
    SPECIAL_VALUE_SIGNATURE,
    PulumiSandbox,
    Run,
    SandboxFactory,
    diagnostics_of,
)
from account_factory_testing.secrets import where_found
from alicloud_account_factory.emulator import Emulator

#: At -v=9 the Pulumi engine itself logs the plaintext inputs of every provider's Configure call,
#: whatever the provider: the one place outside our reach (docs/configuration.md: do not share such logs).
ENGINE_CONFIGURE_LOG = re.compile(r'"msg":"Marshaling property for RPC\[Provider\[0x[0-9a-f]+\]\.Configure\(\)\.inputs\]')
#: Likewise every property the engine (un)marshals on any RPC, resource inputs included: secret item configs
#: in clear in the engine's own -v=9 lines, whatever the provider does.
ENGINE_PROPERTY_LOG = re.compile(r'"msg":"(?:Un)?[Mm]arshaling property for RPC\[')

NEW = {"account_name_prefix": "e2e-secret", "display_name": "E2E secret", "folder_id": "fd-Sandbox001"}
#: Where the engine keeps the stack's config in the state (docs/configuration.md): the default provider of
#: dynamic resources, whose inputs and outputs are the whole stack config.
DEFAULT_PROVIDER = "::pulumi:providers:pulumi-python::default"


def test_the_secret_key_is_nowhere_in_state_outputs_files_or_verbose_logs(sandbox: PulumiSandbox,
                                                                          emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    # Verbose engine and provider logs to stderr, flowed to the plugins too.
    up = sandbox.pulumi("up", "--yes", "--logtostderr", "--logflow", "-v=9")
    assert "Finished" in up.output and emulator.state()["accounts"], up.output
    refresh = sandbox.pulumi("refresh", "--yes", "--logtostderr", "--logflow", "-v=9")
    destroy = sandbox.pulumi("destroy", "--yes", "--logtostderr", "--logflow", "-v=9")

    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    seen = {
        "up output and logs": _without_engine_configure_log(up.output),
        "refresh output and logs": _without_engine_configure_log(refresh.output),
        "destroy output and logs": _without_engine_configure_log(destroy.output),
        "stack export": sandbox.pulumi("stack", "export").stdout,
        "stack output --show-secrets": sandbox.pulumi("stack", "output", "--json", "--show-secrets").stdout,
        "files under the backend, PULUMI_HOME and the project": sandbox.files_text(),
    }
    assert len(up.output) > 100_000, "the verbose run logged much less than expected: were the logs captured?"
    leaked = [where for where, text in seen.items() if SECRET in text]
    assert leaked == [], f"the AccessKey secret leaked into: {leaked}"


def _without_engine_configure_log(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not ENGINE_CONFIGURE_LOG.search(line))


def test_the_state_holds_config_credentials_only_encrypted_and_only_in_the_default_provider(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    """What docs/configuration.md says is stored where: keys set with `pulumi config set --secret` are in
    the state only as ciphertext, in the default provider's inputs and outputs; credentials from the
    environment are nowhere in it."""
    sandbox = sandbox_for()
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    stored = sandbox.export()["deployment"]["resources"]
    decrypted = json.loads(sandbox.pulumi("stack", "export", "--show-secrets").stdout)["deployment"]["resources"]

    assert _holding(stored, SECRET) == [] and _holding(stored, ACCESS_KEY_ID) == []
    assert _holding(decrypted, SECRET) == [DEFAULT_PROVIDER]  # decrypted, it is there and nowhere else
    [provider] = [r for r in stored if r["urn"].endswith(DEFAULT_PROVIDER)]
    [plain] = [r for r in decrypted if r["urn"].endswith(DEFAULT_PROVIDER)]
    for side in ("inputs", "outputs"):
        for key in ("alicloud:accessKey", "alicloud:secretKey"):
            assert set(provider[side][key]) == {SPECIAL_VALUE_SIGNATURE, "ciphertext"}, provider[side][key]
            assert provider[side][key]["ciphertext"].startswith("v1:")
        assert json.loads(plain[side]["alicloud:secretKey"]["plaintext"]) == SECRET
        # The rest of the stack config is there as it was set: in plaintext.
        assert provider[side]["alicloud-account-factory:endpoint"] == emulator.endpoint

    from_environment = sandbox_for(credentials=False)
    from_environment.env.update(ALIBABA_CLOUD_ACCESS_KEY_ID=ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET)
    from_environment.set_accounts({"team": {**NEW, "account_name_prefix": "e2e-secret-env"}})
    from_environment.up()
    decrypted = json.loads(from_environment.pulumi("stack", "export", "--show-secrets").stdout)
    assert _holding(decrypted["deployment"]["resources"], SECRET) == []


def _holding(resources: list[dict[str, Any]], text: str) -> list[str]:
    """The resources (URN ends from "::type::name") whose state holds `text` anywhere."""
    return ["::" + r["urn"].split("::", 2)[2] for r in resources if text in json.dumps(r)]


# --- a secret item config, when the service stops answering ----------------------------------

#: Set with `pulumi config set --secret`: the CLI masks it, but only spelt as it was set.
CONFIG_TOKEN = 'wh-Config-Token+not/LEAKED "quoted" &k=v 41'
#: Read from a file and wrapped with `pulumi.Output.secret(...)`: the CLI does not know it at all.
FILE_KEY = "file-Signing-Key+not/LEAKED=&s 93 é"
#: What a transport failure must never name: the resource's arguments, and the API parameters they travel in.
ARGUMENT_NAMES = ("account_name_prefix", "display_name", "baseline_items", "tags", "region_id", "folder_id",
                  "baseline_name", "description", "AccountNamePrefix", "DisplayName", "BaselineItems", "Tag",
                  "RegionId", "FolderId", "BaselineName", "Description", "Check this resource")
#: The operations' custom timeout: a refused connection is retried (nothing was sent) until then.
TRANSPORT_TIMEOUT = "10s"


@pytest.fixture
def secret_items(sandbox_for: SandboxFactory, tmp_path: Path) -> Callable[[str], PulumiSandbox]:
    """secret_items("account" | "baseline"): a sandbox of the secret_items program, whose item config
    holds CONFIG_TOKEN and FILE_KEY; the SDK's HTTP debug log on (DEBUG=sdk), as someone chasing a
    failure would turn it on, and every run verbose (engine and provider logs in the output)."""
    def make(resource: str) -> PulumiSandbox:
        key_file = tmp_path / f"{resource}-signing-key"
        key_file.write_text(FILE_KEY, encoding="utf-8")
        sandbox = sandbox_for(PROGRAMS / "secret_items", resource=resource, itemFile=str(key_file),
                              timeout=TRANSPORT_TIMEOUT)
        sandbox.set_config("token", CONFIG_TOKEN, secret=True)
        sandbox.env["DEBUG"] = "sdk"
        return sandbox

    return make


def _verbose_up(sandbox: PulumiSandbox, *extra: str, check: bool) -> Run:
    return sandbox.pulumi("up", "--yes", "--skip-preview", *extra, "--logtostderr", "--logflow", "-v=9", check=check)


def _up_while_the_service_stops_after(sandbox: PulumiSandbox, emulator: Emulator, look: str, call: str,
                                      *extra: str) -> Run:
    """`pulumi up` while the service answers the next `look`, then stops answering (the emulator's
    outage fault, armed by action): the `call` that follows cannot connect, and never reached it."""
    emulator.set_faults([{"action": look, "kind": "outage", "after_processing": True, "times": 1}])
    run = _verbose_up(sandbox, *extra, check=False)
    assert emulator.requests()[-1]["action"] == look and call not in emulator.state()["calls"], emulator.requests()
    return run


def _error_of(run: Run, resource: str) -> tuple[str, str]:
    """The resource's diagnostics as the CLI shows them, lines joined (its warnings, and the dynamic
    provider server's error text), and the message of its error: the first error line, the reason."""
    block = diagnostics_of(run.stdout, resource)
    first = next(line.strip() for line in block if line.strip().startswith("error: "))
    return " ".join(" ".join(block).split()), re.sub(r"^error: (alicloud_account_factory\.\w+\.\w+: )?", "", first)


def _assert_told_what_failed(run: Run, resource: str, call: str, endpoint: str) -> None:
    """The message says which call failed, where and why, and names no argument; neither it nor the
    traceback quotes the HTTP library (whose texts carry the request's URL, parameters included)."""
    assert run.returncode != 0, run.output
    diagnostic, message = _error_of(run, resource)
    named = [name for name in ARGUMENT_NAMES if name in message]
    assert named == [], f"the transport error names {named}: {message}"
    quoted = [text for text in ("?", "HTTPConnectionPool", "Max retries", "RetryError", "urllib3", "requests.")
              if text in diagnostic.split(endpoint, 1)[-1]]
    assert quoted == [], f"the error quotes the HTTP library ({quoted}): {diagnostic}"
    assert f"{call} failed" in message and endpoint in message and "connection refused" in message, diagnostic
    # Nothing chained but the reason, printed first, to the provider's pointer to it (no SDK exception).
    assert "During handling of the above exception" not in diagnostic and diagnostic.count("direct cause") == 1
    assert "ProviderCallFailed: " in diagnostic.split("direct cause", 1)[1], diagnostic


def _assert_no_secret_anywhere(sandbox: PulumiSandbox, *runs: Run) -> None:
    seen = {f"`pulumi {' '.join(run.args[:1])}` #{n} output and logs":
            "\n".join(line for line in run.output.splitlines() if not ENGINE_PROPERTY_LOG.search(line))
            for n, run in enumerate(runs)}
    seen["stack export"] = sandbox.pulumi("stack", "export").stdout
    seen["files under the backend, PULUMI_HOME and the project"] = sandbox.files_text()
    leaks = {f"{where} ({label})": found for where, text in seen.items()
             for label, secret in (("config secret", CONFIG_TOKEN), ("file secret", FILE_KEY))
             if (found := where_found(text, secret))}
    assert leaks == {}, f"a secret item config leaked: {leaks}"


def test_an_enrollment_the_service_stops_answering_names_the_call_and_cause_and_no_secret(
        secret_items: Callable[[str], PulumiSandbox], emulator: Emulator) -> None:
    sandbox = secret_items("account")
    endpoint = emulator.endpoint
    up = _up_while_the_service_stops_after(sandbox, emulator, "ListEnrolledAccounts", "EnrollAccount")  # the look
    assert [r["action"] for r in emulator.requests()] == ["ListEnrolledAccounts"]
    _assert_told_what_failed(up, "secret-account", "EnrollAccount", endpoint)
    _assert_no_secret_anywhere(sandbox, up)


def test_a_baseline_create_and_update_the_service_stops_answering_name_the_call_and_cause_and_no_secret(
        secret_items: Callable[[str], PulumiSandbox], emulator: Emulator) -> None:
    sandbox = secret_items("baseline")
    endpoint = emulator.endpoint
    create = _up_while_the_service_stops_after(sandbox, emulator, "ListAccountFactoryBaselines",
                                               "CreateAccountFactoryBaseline")  # the create's look
    assert [r["action"] for r in emulator.requests()] == ["ListAccountFactoryBaselines"]
    _assert_told_what_failed(create, "secret-baseline", "CreateAccountFactoryBaseline", endpoint)

    emulator.start()  # the service is back (same port): the baseline is made, DEBUG=sdk logging its request
    made = _verbose_up(sandbox, check=True)
    sandbox.set_config("vpcName", "changed")  # an update of the items, after the refresh's read
    update = _up_while_the_service_stops_after(sandbox, emulator, "GetAccountFactoryBaseline",
                                               "UpdateAccountFactoryBaseline", "--refresh")
    _assert_told_what_failed(update, "secret-baseline", "UpdateAccountFactoryBaseline", endpoint)
    _assert_no_secret_anywhere(sandbox, create, made, update)


# --- debug output: each API call, never a parameter -----------------------------------------------

#: A debug line of one API call: action, endpoint host, attempt, the answer's HTTP status (and code),
#: its RequestId and how long it took.
API_CALL_LINE = re.compile(r"debug: API call (\w+) to (\S+) \(attempt (\d+)\): HTTP (\d{3})\b[^,]*, "
                           r"RequestId ([\w-]+), \d+ ms")


def test_debug_output_names_each_api_call_with_its_request_id_and_no_secret(
        secret_items: Callable[[str], PulumiSandbox], emulator: Emulator) -> None:
    sandbox = secret_items("account")
    up = sandbox.pulumi("up", "--yes", "--skip-preview", "--debug")
    logged = API_CALL_LINE.findall(up.stdout)
    host = emulator.endpoint.split("://", 1)[1]
    assert logged and {line[1] for line in logged} == {host}, up.stdout
    received = [(r["action"], r["request_id"]) for r in emulator.requests()]
    assert len(set(received)) == len(received) and "EnrollAccount" in {action for action, _ in received}
    # (the CLI shows a debug line on the resource's row and again under Diagnostics: each once here)
    assert {(action, request_id) for action, _host, _attempt, _status, request_id in logged} == set(received)
    _assert_no_secret_anywhere(sandbox, up)
    assert where_found(up.output, SECRET) == []
