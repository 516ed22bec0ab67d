"""`make demo`: run the quickstart with the Pulumi CLI against the local emulator.

Starts the emulator on the port the `dev` stack points at (Pulumi.dev.yaml), runs
`pulumi up --yes` with a local file backend under .demo/, prints the stack outputs and stops
the emulator. Credentials are the emulator's documented test pair, given to the provider
through the Alibaba default credential chain (environment variables).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / ".demo"
EMULATOR_PORT = 18790
STACK = "dev"


def main() -> int:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print(
            "make demo needs the Pulumi CLI, which is not on PATH.\n"
            "Install it (https://www.pulumi.com/docs/iac/download-install/), then run `make demo` again.\n"
            "Everything else is ready in .venv; `make test` exercises the provider without the CLI.",
            file=sys.stderr,
        )
        return 2

    from alicloud_account_factory.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET

    DEMO_DIR.mkdir(exist_ok=True)
    (DEMO_DIR / "state").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({
        "PULUMI_BACKEND_URL": (DEMO_DIR / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": env.get("PULUMI_CONFIG_PASSPHRASE", ""),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    })
    emulator = subprocess.Popen(
        [sys.executable, "-m", "alicloud_account_factory.emulator", "--port", str(EMULATOR_PORT),
         "--enroll-seconds", "6", "--state-file", str(DEMO_DIR / "emulator-state.json")],
        stdout=subprocess.PIPE, stderr=open(DEMO_DIR / "emulator.log", "a"), text=True, env=env,
    )
    try:
        endpoint = emulator.stdout.readline().strip() if emulator.stdout else ""
        if not endpoint:
            print(f"the emulator did not start (is port {EMULATOR_PORT} free?); see .demo/emulator.log", file=sys.stderr)
            return 1
        print(f"emulator listening on {endpoint}")

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([pulumi, *args, "--stack", STACK, "--non-interactive"], cwd=REPO, env=env,
                                  text=True, check=False, capture_output=args[0] == "stack")

        subprocess.run([pulumi, "stack", "select", STACK, "--create", "--non-interactive"], cwd=REPO, env=env, check=True)
        if run("up", "--yes").returncode != 0:
            return 1
        outputs = run("stack", "output", "--json")
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
