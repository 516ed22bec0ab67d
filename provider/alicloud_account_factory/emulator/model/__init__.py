"""State and rules of the emulated Cloud Governance Center account factory.

This package knows nothing about HTTP or signatures (like moto's ``models``): it holds the
resource directory (:mod:`.directory`), the baselines and their item catalog (:mod:`.catalog`)
and the enrollments (:mod:`.enrollments`), validates requests the way the service does (raising
:class:`GovernanceError`). :class:`GovernanceModel` puts the parts together under one lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import *  # noqa: F401,F403 - the model's public names live here
from .catalog import BaselinesMixin, Baseline, seed_baselines, start_catalog
from .item_catalog import ItemCatalog
from .common import *  # noqa: F401,F403
from .common import non_negative_seconds, new_request_id
from .directory import *  # noqa: F401,F403
from .directory import SEED_FOLDERS, SEED_MEMBERS, DirectoryMixin, Folder, MemberAccount, MASTER_ACCOUNT_UID
from .enrollments import *  # noqa: F401,F403
from .enrollments import Enrollment, EnrollmentsMixin, Outcome


# Settings the control API may change at runtime: name -> validator(value, name).
_SETTINGS: dict[str, Callable[[Any, str], float]] = {"list_lag_seconds": non_negative_seconds}


class GovernanceModel(DirectoryMixin, BaselinesMixin, EnrollmentsMixin):
    """The account factory's state, guarded by one lock (the HTTP server is multi-threaded).

    ``clock`` is injectable so the lifecycle can be tested without sleeping;
    ``enroll_seconds`` is how long one enrollment takes (recorded per enrollment);
    ``list_lag_seconds`` is how long a newly enrolled account stays out of
    ListEnrolledAccounts (the listing is eventually consistent, the point read is not;
    recorded per enrollment too, so changing it never hides an account already listed);
    ``catalog`` is the item catalog it starts with (``start_catalog``: the built-in items, and those
    of a ``--catalog`` file), which ``reset`` goes back to.
    """

    def __init__(
        self,
        enroll_seconds: float = 8.0,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        list_lag_seconds: float = 0.0,
        catalog: ItemCatalog | None = None,
    ) -> None:
        self.catalog = catalog if catalog is not None else start_catalog()
        self.enroll_seconds = non_negative_seconds(enroll_seconds, "enroll_seconds")
        self._initial_list_lag = non_negative_seconds(list_lag_seconds, "list_lag_seconds")
        self.list_lag_seconds = self._initial_list_lag
        self._clock = clock
        self._rng: random.Random = random.Random(seed) if seed is not None else random.SystemRandom()
        self._lock = threading.RLock()
        self._reset_locked()

    # ---- seeding ------------------------------------------------------------------

    def _reset_locked(self) -> None:
        self.master_account_uid = MASTER_ACCOUNT_UID
        self.folders: dict[str, Folder] = {f: Folder(f, n, p) for f, n, p in SEED_FOLDERS}
        self.accounts: dict[int, MemberAccount] = {
            uid: MemberAccount(uid, name, folder, MASTER_ACCOUNT_UID, prefix, verified)
            for uid, name, prefix, folder, verified in SEED_MEMBERS
        }
        self.baselines: dict[str, Baseline] = {
            b.baseline_id: b for b in seed_baselines()
        }
        self.enrollments: dict[int, Enrollment] = {}
        self.outcomes: list[Outcome] = []
        self._seq = 0
        self.catalog.reset()

    def reset(self) -> None:
        """Back to the seeded directory (no enrollments, created accounts or outcomes), to the
        settings it was started with and to the catalog it started with (items added since are gone)."""
        with self._lock:
            self._reset_locked()
            self.list_lag_seconds = self._initial_list_lag

    # ---- settings (control API) -----------------------------------------------------

    def settings_view(self) -> dict[str, Any]:
        with self._lock:
            return {name: getattr(self, name) for name in _SETTINGS}

    def update_settings(self, changes: Any) -> dict[str, Any]:
        """Change some settings (validated all-or-nothing); returns all of them."""
        if not isinstance(changes, Mapping):
            raise ValueError("settings must be a JSON object")
        unknown = sorted(set(changes) - set(_SETTINGS))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(map(str, unknown))}: "
                             f"known are {', '.join(_SETTINGS)}")
        parsed = {name: _SETTINGS[name](value, name) for name, value in changes.items()}
        with self._lock:
            for name, value in parsed.items():
                setattr(self, name, value)
            return self.settings_view()

    def accounts_using(self, baseline_id: str) -> list[int]:
        """The enrolled accounts whose last enrollment used that baseline (what blocks its deletion)."""
        with self._lock:
            return [e.account_uid for e in sorted(self.enrollments.values(), key=lambda e: e.seq)
                    if e.baseline_id == baseline_id]

    # ---- inspection -----------------------------------------------------------------

    def state_view(self) -> dict[str, Any]:
        """Accounts (GetEnrolledAccount-shaped) and the directory, for ``/_emulator/state``."""
        with self._lock:
            now = self._clock()
            ordered = sorted(self.enrollments.values(), key=lambda e: e.seq)
            return {
                "accounts": [self._view(e, now) for e in ordered],
                "baselines": [{**self.get_baseline(b.baseline_id), "UsedBy": self.accounts_using(b.baseline_id)}
                              for b in self.baselines.values()],
                "directory": {
                    "master_account_uid": self.master_account_uid,
                    "folders": [{"folder_id": f.folder_id, "name": f.name,
                                 "parent_folder_id": f.parent_id} for f in self.folders.values()],
                    "member_accounts": [{
                        "account_uid": a.account_uid,
                        "display_name": a.display_name,
                        "folder_id": a.folder_id,
                        "payer_account_uid": a.payer_account_uid,
                        "account_name_prefix": a.account_name_prefix,
                        "real_name_verified": a.real_name_verified,
                        "created_by_factory": a.created_by_factory,
                        "enrolled": a.account_uid in self.enrollments,
                        "enrollments": a.enrollments,
                    } for a in self.accounts.values()],
                    "baselines": [{"baseline_id": b.baseline_id, "name": b.name, "type": b.type,
                                   "default": b.is_default,
                                   "items": [it.name for it in b.items]}
                                  for b in self.baselines.values()],
                },
            }

    # ---- persistence ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to carry on after a restart (plain JSON types)."""
        with self._lock:
            return {
                "accounts": [{
                    "account_uid": a.account_uid, "display_name": a.display_name,
                    "folder_id": a.folder_id, "payer_account_uid": a.payer_account_uid,
                    "account_name_prefix": a.account_name_prefix,
                    "real_name_verified": a.real_name_verified,
                    "created_by_factory": a.created_by_factory, "enrollments": a.enrollments,
                } for a in self.accounts.values()],
                "enrollments": [{
                    "account_uid": e.account_uid, "seq": e.seq, "baseline_id": e.baseline_id,
                    "items": e.items, "inputs": e.inputs, "started_at": e.started_at,
                    "duration": e.duration, "created_at": e.created_at,
                    "min_update_second": e.min_update_second, "listed_at": e.listed_at, "outcome": e.outcome,
                    "error_request_id": e.error_request_id,
                } for e in self.enrollments.values()],
                "outcomes": [o.to_dict() for o in self.outcomes],
                "seq": self._seq,
                "baselines": [b.to_dict() for b in self.baselines.values()],
                # Items added through the control API; the start items come from their file each start.
                "catalog": [d.to_definition() for d in self.catalog.added()],
            }

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Replace the state with a :meth:`to_dict` snapshot (raises ValueError if malformed)."""
        catalog = self._catalog_of(data)
        try:
            accounts = {
                int(a["account_uid"]): MemberAccount(
                    account_uid=int(a["account_uid"]), display_name=str(a["display_name"]),
                    folder_id=str(a["folder_id"]), payer_account_uid=int(a["payer_account_uid"]),
                    account_name_prefix=str(a.get("account_name_prefix", "")),
                    real_name_verified=bool(a.get("real_name_verified", True)),
                    created_by_factory=bool(a.get("created_by_factory", False)),
                    enrollments=int(a.get("enrollments", 0)),
                ) for a in data["accounts"]
            }
            enrollments = {
                int(e["account_uid"]): Enrollment(
                    account_uid=int(e["account_uid"]), seq=int(e["seq"]),
                    baseline_id=str(e["baseline_id"]),
                    items=[{"Config": str(i["Config"]), "Name": str(i["Name"]),
                            "Skip": bool(i["Skip"]), "Version": str(i["Version"])}
                           for i in e["items"]],
                    inputs=dict(e["inputs"]), started_at=float(e["started_at"]),
                    duration=float(e["duration"]), created_at=float(e["created_at"]),
                    min_update_second=int(e["min_update_second"]),
                    listed_at=float(e.get("listed_at", e["created_at"])),
                    outcome=dict(e["outcome"]) if e.get("outcome") else None,
                    error_request_id=str(e.get("error_request_id") or new_request_id()),
                ) for e in data["enrollments"]
            }
            outcomes = [Outcome.from_spec(o, catalog) for o in data.get("outcomes", [])]
            seq = int(data.get("seq", max((e.seq for e in enrollments.values()), default=0)))
            # A state file written before baselines were kept holds only the seeded ones.
            baselines = [Baseline.from_dict(b) for b in data["baselines"]] if "baselines" in data else seed_baselines()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"malformed emulator state: {exc!r}") from exc
        for e in enrollments.values():
            if e.account_uid not in accounts:
                raise ValueError(f"malformed emulator state: enrollment of unknown account {e.account_uid}")
        _check_items_known(catalog, baselines, enrollments.values())
        with self._lock:
            self._reset_locked()
            self.catalog = catalog
            self.accounts = accounts
            self.enrollments = enrollments
            self.outcomes = outcomes
            self._seq = seq
            self.baselines = {b.baseline_id: b for b in baselines}

    def _catalog_of(self, data: Mapping[str, Any]) -> ItemCatalog:
        """The start catalog plus the items a state snapshot added (ValueError if they clash)."""
        catalog = self.catalog.started()
        try:
            catalog.add(data.get("catalog", []))
        except ValueError as exc:
            raise ValueError(f"the state's catalog items (added through the control API): {exc}") from None
        return catalog


def _check_items_known(catalog: ItemCatalog, baselines: list[Baseline], enrollments: Any) -> None:
    """A state whose baselines or enrollments use an item the catalog lacks cannot be served: say
    which, and that the catalog file defining it is missing (ValueError)."""
    used = [(f"baseline {b.baseline_id}", it.name) for b in baselines for it in b.items]
    used += [(f"the enrollment of account {e.account_uid}", it["Name"]) for e in enrollments for it in e.items]
    for where, name in used:
        if name not in catalog:
            raise ValueError(f"{where} uses baseline item {name}, which is not in the catalog: start the "
                             "emulator with the --catalog file that defines it")
