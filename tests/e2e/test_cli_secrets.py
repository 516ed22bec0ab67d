"""Credentials set with `pulumi config set --secret` appear nowhere the CLI writes or prints."""

from __future__ import annotations

import json
import re
from typing import Any

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.sandbox import PulumiSandbox, SandboxFactory
from alicloud_account_factory.emulator import Emulator

#: At -v=9 the Pulumi engine itself logs the plaintext inputs of every provider's Configure call,
#: whatever the provider: the one place outside our reach (README says not to share such logs).
ENGINE_CONFIGURE_LOG = re.compile(r'"msg":"Marshaling property for RPC\[Provider\[0x[0-9a-f]+\]\.Configure\(\)\.inputs\]')

NEW = {"account_name_prefix": "e2e-secret", "display_name": "E2E secret", "folder_id": "fd-Sandbox001"}
#: Where the engine keeps the stack's config in the state (README, Configuration): the default provider of
#: dynamic resources, whose inputs and outputs are the whole stack config.
DEFAULT_PROVIDER = "::pulumi:providers:pulumi-python::default"
#: How Pulumi marks a secret value in a state file.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


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
    """What README's Configuration says is stored where: keys set with `pulumi config set --secret` are in
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
            assert set(provider[side][key]) == {SECRET_SIGNATURE, "ciphertext"}, provider[side][key]
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
