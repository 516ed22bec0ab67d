"""The resource directory: the seeded master account, folders and member accounts.

Deterministic (the same ids on every start, documented in docs/emulator.md); uids are 16-digit
numbers below 2**53 so they survive float64 JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import GovernanceError, invalid_parameter

MASTER_ACCOUNT_UID = 1384629157204635
ROOT_FOLDER_ID = "r-7Hq2Wd"
PLATFORM_FOLDER_ID = "fd-Platform01"
SANDBOX_FOLDER_ID = "fd-Sandbox001"
WORKLOAD_FOLDER_ID = "fd-Workload01"
FOLDER_IDS: tuple[str, ...] = (PLATFORM_FOLDER_ID, SANDBOX_FOLDER_ID, WORKLOAD_FOLDER_ID)

UNVERIFIED_ACCOUNT_UID = 1896310574229806
"""A member account that has not passed enterprise real-name verification."""

SEED_FOLDERS: tuple[tuple[str, str, str | None], ...] = (
    (ROOT_FOLDER_ID, "Root", None),
    (PLATFORM_FOLDER_ID, "Platform", ROOT_FOLDER_ID),
    (SANDBOX_FOLDER_ID, "Sandbox", ROOT_FOLDER_ID),
    (WORKLOAD_FOLDER_ID, "Workloads", ROOT_FOLDER_ID),
)

# (uid, display name, account name prefix, folder, passed enterprise real-name verification)
SEED_MEMBERS: tuple[tuple[int, str, str, str, bool], ...] = (
    (1207465839102347, "shared-services", "shared-services", PLATFORM_FOLDER_ID, True),
    (1318502746195028, "log-archive", "log-archive", PLATFORM_FOLDER_ID, True),
    (1452067318846219, "sandbox-alice", "sandbox-alice", SANDBOX_FOLDER_ID, True),
    (1569203487561730, "sandbox-bob", "sandbox-bob", SANDBOX_FOLDER_ID, True),
    (1674820395017462, "workload-prod", "workload-prod", WORKLOAD_FOLDER_ID, True),
    (1783945120638591, "workload-dev", "workload-dev", WORKLOAD_FOLDER_ID, True),
    # Above 2^53: a float64 cannot hold it, so clients must keep it exact some other way.
    (9123456789012345, "analytics-intl", "analytics-intl", WORKLOAD_FOLDER_ID, True),
    (UNVERIFIED_ACCOUNT_UID, "unverified-member", "unverified-member", ROOT_FOLDER_ID, False),
)
MEMBER_ACCOUNT_UIDS: tuple[int, ...] = tuple(m[0] for m in SEED_MEMBERS if m[4])
"""The seeded member accounts that can be enrolled by AccountUid."""

UID_MIN = 1_000_000_000_000_000
UID_MAX = 1_999_999_999_999_999


def user_not_found() -> GovernanceError:
    return GovernanceError("InvalidUser.NotFound", "The specified user does not exist.", 404)




@dataclass
class Folder:
    folder_id: str
    name: str
    parent_id: str | None


@dataclass
class MemberAccount:
    """A member of the resource directory (enrolled or not)."""

    account_uid: int
    display_name: str
    folder_id: str
    payer_account_uid: int
    account_name_prefix: str
    real_name_verified: bool = True
    created_by_factory: bool = False
    enrollments: int = 0



class DirectoryMixin:
    """The directory's rules, for :class:`GovernanceModel` (which holds ``accounts``)."""

    master_account_uid: int
    accounts: dict[int, MemberAccount]
    _rng: Any

    def _enrollable_account(self, uid: int) -> MemberAccount:
        if uid == self.master_account_uid:
            raise invalid_parameter("AccountUid")
        account = self.accounts.get(uid)
        if account is None:
            raise user_not_found()
        if not account.real_name_verified:
            raise GovernanceError(
                "InvalidEnterpriseRealName.NotFound",
                "The specified account has not passed enterprise real name verification. "
                "Please complete the verification for the account first.", 404)
        return account


    def _known_uids(self) -> set[int]:
        return set(self.accounts) | {self.master_account_uid}

    def _new_uid(self) -> int:
        known = self._known_uids()
        while True:
            uid = self._rng.randint(UID_MIN, UID_MAX)
            if uid not in known:
                return uid

