"""`make demo`: the real `pulumi up` of the quickstart against the local emulator.

Starts the emulator on the port the `dev` stack points at (Pulumi.dev.yaml), runs the Pulumi CLI
that `make pulumi` provides (first on PATH) on a local file backend under .demo/ with passphrase
secrets and no network, prints the stack outputs and stops the emulator. The emulator keeps its
state in .demo/ too, so a second `make demo` finds the account and shows no changes.
Credentials are the emulator's documented test pair, given to the provider through the Alibaba
default credential chain (environment variables).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Where the demo keeps its backend, Pulumi home and emulator state (tests point it elsewhere).
DEMO_DIR = Path(os.environ.get("ALICLOUD_ACCOUNT_FACTORY_DEMO_DIR") or REPO / ".demo")
EMULATOR_PORT = 18790
STACK = "dev"
#: The passphrase of the demo stack's secrets; Pulumi.dev.yaml's encryptionsalt was made with it.
PASSPHRASE = "demo"


def demo_environment(base: dict[str, str]) -> dict[str, str]:
    """The CLI offline, on the demo's own backend and home; the SDK without a proxy."""
    from alicloud_account_factory.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET

    env = {k: v for k, v in base.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({
        "PULUMI_BACKEND_URL": (DEMO_DIR / "state").as_uri(),
        "PULUMI_HOME": str(DEMO_DIR / "pulumi-home"),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    })
    env.pop("PULUMI_ACCESS_TOKEN", None)
    return env


def main() -> int:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print(
            "make demo needs the Pulumi CLI, which is not on PATH.\n"
            "`make demo` provides it (`make pulumi` builds it from its Go modules); or install it from\n"
            "https://www.pulumi.com/docs/iac/download-install/ and run `make demo` again.",
            file=sys.stderr,
        )
        return 2
    for directory in ("state", "pulumi-home"):
        (DEMO_DIR / directory).mkdir(parents=True, exist_ok=True)
    env = demo_environment(dict(os.environ))
    with open(DEMO_DIR / "emulator.log", "a") as emulator_log:
        emulator = subprocess.Popen(
            [sys.executable, "-m", "alicloud_account_factory.emulator", "--port", str(EMULATOR_PORT),
             "--enroll-seconds", "6", "--state-file", str(DEMO_DIR / "emulator-state.json")],
            stdout=subprocess.PIPE, stderr=emulator_log, text=True, env=env,
        )
    try:
        endpoint = emulator.stdout.readline().strip() if emulator.stdout else ""
        if not endpoint:
            print(f"the emulator did not start (is port {EMULATOR_PORT} free?); see .demo/emulator.log", file=sys.stderr)
            return 1
        print(f"emulator listening on {endpoint}", flush=True)

        def pulumi_run(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
            return subprocess.run([pulumi, *args, "--stack", STACK, "--non-interactive"], cwd=REPO, env=env,
                                  text=True, check=False, capture_output=capture)

        selected = subprocess.run([pulumi, "stack", "select", STACK, "--create", "--non-interactive"],
                                  cwd=REPO, env=env, check=False)
        if selected.returncode != 0:
            return 1
        if pulumi_run("up", "--yes").returncode != 0:
            return 1
        outputs = pulumi_run("stack", "output", "--json", capture=True)
        if outputs.returncode != 0:
            print(f"`pulumi stack output` failed:\n{outputs.stderr}", file=sys.stderr)
            return 1
        print("\nstack outputs:")
        print(json.dumps(json.loads(outputs.stdout or "{}"), indent=2))
        return 0
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
