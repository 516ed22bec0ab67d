"""A local emulator of Alibaba Cloud Cloud Governance Center's account factory API.

The real SDK (``alibabacloud_governance20210120``) talks to it over HTTP exactly as it talks
to the service, so providers and scripts can be tested without a cloud account. Importing
this package starts nothing. See docs/emulator.md.
"""

from .admin import EmulatorAdmin, EmulatorAdminError
from .model import (
    CUSTOM_BASELINE_ID,
    DEFAULT_BASELINE_ID,
    FOLDER_IDS,
    MASTER_ACCOUNT_UID,
    MEMBER_ACCOUNT_UIDS,
    ROOT_FOLDER_ID,
    UNVERIFIED_ACCOUNT_UID,
)
from .server import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, StateFileError

__all__ = [
    "CUSTOM_BASELINE_ID",
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "DEFAULT_BASELINE_ID",
    "FOLDER_IDS",
    "MASTER_ACCOUNT_UID",
    "MEMBER_ACCOUNT_UIDS",
    "ROOT_FOLDER_ID",
    "UNVERIFIED_ACCOUNT_UID",
    "Emulator",
    "EmulatorAdmin",
    "EmulatorAdminError",
    "StateFileError",
]
