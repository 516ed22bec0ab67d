"""200 concurrent SDK clients all succeed (threaded server, keep-alive, big backlog, one lock).

The emulator runs as a CLI process so that it does not share the clients' GIL: this
measures the server, not Python's thread scheduling inside the test process.
"""

from __future__ import annotations

import threading

from alibabacloud_governance20210120 import models as m
from alicloud_account_factory.emulator import EmulatorAdmin
from emulator_support import make_client, running

CLIENTS = 200


def test_200_concurrent_clients() -> None:
    with running("--enroll-seconds", "0.5") as (proc, endpoint):
        barrier = threading.Barrier(CLIENTS)
        errors: list[BaseException] = []
        uids: list[int] = []
        lock = threading.Lock()

        def worker(n: int) -> None:
            try:
                client = make_client(endpoint, read_timeout_ms=30_000)
                barrier.wait(timeout=30)
                uid = client.enroll_account(m.EnrollAccountRequest(
                    account_name_prefix=f"load-{n:03d}", display_name=f"Load {n}")).body.account_uid
                got = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
                assert got.display_name == f"Load {n}"
                client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=100))
                with lock:
                    uids.append(uid)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors[:3]
        assert len(set(uids)) == CLIENTS
        state = EmulatorAdmin(endpoint.endpoint).state()
        assert len(state["accounts"]) == CLIENTS
        assert state["calls_ok"] == {"EnrollAccount": CLIENTS, "GetEnrolledAccount": CLIENTS,
                                     "ListEnrolledAccounts": CLIENTS}
        code, log = proc.stop()
    assert code == 0
    assert log.count(" EnrollAccount 200 ") == CLIENTS
