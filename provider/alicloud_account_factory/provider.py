"""The dynamic provider: Pulumi's protocol on one side, the enroller on the other.

`EnrolledAccountProvider` (and `StackIdentityProvider`) is pickled BY REFERENCE into every
stack's state (as the `__provider` input), so its import path `alicloud_account_factory.provider`
and its name are part of our users' state and must never change. It keeps nothing on the instance that a
pickle would carry: settings and clients are built inside the provider process.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Mapping

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from .accounts import fields
from .accounts.client import GovernanceClient
from .accounts.enrollment import Enroller, EnrollmentKey, resource_names
from .accounts.errors import AccountNotEnrolled
from .accounts.model import ENROLLMENT_KEY_TAG, Enrollment
from .accounts.shared_listing import SharedListing
from .accounts.shared_poller import SharedStatusPoller
from .accounts.waiter import PollingWaiter, Waiter
from .baselines.catalog import items_answered_from_catalog
from .core import field_kit, replace_on_changes
from .core.context import connection, process_journal
from .core.errors import ApiError, ConfigurationError, NotEnrolledError, redact
from .core.exactly_once import Windows
from .core.journal import ANSWERED
from .core.operation import provider_call
from .core.progress import Reporter
from .core.settings import ProviderSettings
from .core.timeouts import Deadline, operation_deadline
from .dynamic.answers import read_answer, refresh_stores_inputs
from .dynamic.serving import DynamicProvider

__all__ = ["EnrolledAccountProvider", "StackIdentityProvider", "read_answer", "refresh_stores_inputs"]

READ_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class _Services:
    client: GovernanceClient
    enroller: Enroller


_services_cache: dict[tuple[ProviderSettings, str], _Services] = {}
_services_lock = threading.Lock()
#: The AccountUid each create in this process returned by URN, when that account existed before
#: the create (an `account_uid`, or one it adopted). Pulumi deletes a resource after a create of the
#: same URN only when that create replaced it: a delete whose account is the one listed here is of
#: the replaced resource, the stack still holds the account, and the delete must not call it abandoned.
_replacements: dict[str, int] = {}
#: The account each resource held when this run's Diff decided to replace it, or when this run
#: deleted it, by URN. The engine checks a replacement's inputs a second time without old inputs,
#: so its create learns that it replaces a resource, and which account, from here (the provider
#: process lives for one operation). `pulumi up --replace` sends neither old inputs nor a Diff: its
#: create learns it from the delete that comes first (delete_before_replace, the default).
_replaced_accounts: dict[str, int] = {}
_replaced_lock = threading.Lock()
#: The existing account (`account_uid`) each resource's inputs named when this run checked them, by
#: URN. A delete of a resource checked in the same run is its replacement's delete: when it holds the
#: account the replacement enrolls again, the stack keeps it (a delete-first replacement's delete
#: comes before the create that could say so).
_checked_accounts: dict[str, int] = {}


def _services(settings: ProviderSettings, region: str) -> _Services:
    """One poller and enroller per endpoint, credentials and region, per process, over its one connection."""
    journal = process_journal()
    with _services_lock:
        key = (settings, region)
        if key not in _services_cache:
            client = GovernanceClient(settings, region, connection=connection(settings, region))
            keyed = ", ".join(fields.KEYED_FIELDS[:-1]) + f" and {fields.KEYED_FIELDS[-1]}"
            windows = Windows(settings.read_timeout)
            if settings.fleet_mode:
                listing = SharedListing(client)
                waiter: Waiter = SharedStatusPoller(client, listing=listing)
                enroller = Enroller(client, waiter, listing, keyed_settings=keyed, journal=journal, windows=windows)
            else:
                enroller = Enroller(client, PollingWaiter(client), keyed_settings=keyed, journal=journal,
                                    windows=windows)
            _services_cache[key] = _Services(client, enroller)
        return _services_cache[key]


@contextmanager
def _errors_name_arguments() -> Iterator[None]:
    """An API error whose service message names a parameter (`The specified parameter FolderId is
    not valid`) also names the resource's argument it came from (`folder_id`)."""
    try:
        yield
    except ApiError as error:
        named = error.naming_arguments(fields.arguments_named_in)
        if named is error:
            raise
        raise named from None


def _replaced_by(props: Mapping[str, Any]) -> int | None:
    """The account of the resource this create replaces, if this run's Diff decided to replace it."""
    with _replaced_lock:
        return _replaced_accounts.pop(str(props.get(field_kit.RESOURCE_URN) or ""), None)


def _enrolled_since(started: float, key: str, account_uid: int) -> bool:
    """Whether an EnrollAccount sent since `started` (wall clock) made this account: a new account,
    which no resource replaced in this run can hold."""
    return any(a.state == ANSWERED and a.account_uid == account_uid and a.at >= started
               for a in process_journal().attempts(key))


#: The engine then writes the state once, at the end of a run (see `StackIdentityProvider.create`).
SKIP_CHECKPOINTS_ENV = "PULUMI_SKIP_CHECKPOINTS"


def _skips_checkpoints(environ: Mapping[str, str]) -> bool:
    """As the CLI reads its boolean settings: "1" or "true" in any case."""
    value = environ.get(SKIP_CHECKPOINTS_ENV, "")
    return value == "1" or value.lower() == "true"


def _existing_account(inputs: Mapping[str, Any]) -> int | None:
    """The existing account checked inputs name (`account_uid`), when known."""
    value = inputs.get(fields.ACCOUNT_UID)
    if value is None or field_kit.is_unknown(value):
        return None
    try:
        return fields.parse_account_uid(fields.ACCOUNT_UID, value)
    except field_kit.Invalid:
        return None








def _replacement_warning(replaces: list[str], account_uid: int | None, news: Mapping[str, Any]) -> str | None:
    """What a replacement does to accounts, said when Diff decides it (in preview, before anything happens);
    None when the replacement enrolls the very account this resource holds (`account_uid=` unchanged)."""
    if account_uid is not None and _existing_account(news) == account_uid:
        return None
    named = " and ".join(replaces)
    why = ("which an account cannot take in place" if all(fields.FIELDS_BY_NAME.get(name) is not None and
           fields.FIELDS_BY_NAME[name].change is field_kit.ChangeKind.REPLACE for name in replaces)
           else "which replace_on_changes makes a replacement")
    held = f"account {account_uid}" if account_uid is not None else "the account this resource holds"
    if news.get(fields.ACCOUNT_UID) is not None:
        vends = f"enrolls the account its account_uid names in place of {held}"
    else:
        vends = "vends a new Alibaba Cloud account"
    return (f"{named} changed, {why}: `pulumi up` replaces this resource, and the replacement {vends}. "
            f"{held[0].upper()}{held[1:]} stays enrolled in Account Factory and in the resource directory, and this "
            f"stack stops managing it: Cloud Governance Center has no API to un-enroll an account. To keep "
            f"managing it, set {named} back; if it is no longer needed, close it in the Resource Directory console.")


def _managed(props: Mapping[str, Any]) -> bool:
    """Whether Read was sent a managed resource's old outputs (a refresh), not the inputs a program
    registered (`EnrolledAccount.get`, `id=`): only outputs hold what the service reported, its status."""
    return props.get("status") is not None


def _account_uid(resource_id: str) -> int:
    try:
        return fields.parse_account_uid("id", resource_id)
    except field_kit.Invalid as problem:
        raise ApiError("Read", "InvalidId", f"{problem}; an EnrolledAccount's id is its AccountUid") from None


class EnrolledAccountProvider(DynamicProvider):
    """Creates, reads, updates and forgets Account Factory enrollments."""

    # --- configuration (`DynamicProvider`) -----------------------------------------------

    def _context(self, props: Mapping[str, Any]) -> tuple[str, _Services, Reporter]:
        settings = self._settings()
        region = props.get("region_id") or settings.region
        return region, _services(settings, region), self._reporter(props, settings.credentials.secrets())

    # --- the Pulumi protocol -------------------------------------------------------------

    @provider_call("check")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        urn = str(news.get(field_kit.RESOURCE_URN) or "")
        inputs, failures = fields.check(news)
        existing = _existing_account(inputs) if not failures else None
        with _replaced_lock:  # a new step of this resource: what an earlier create of it returned is history
            _replacements.pop(urn, None)
            _checked_accounts.pop(urn, None)
            if existing is not None:
                _checked_accounts[urn] = existing
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    @provider_call("diff")
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = fields.diff(olds, news)
        replaces = replace_on_changes.replacing(((change.field, change.replaces) for change in changes), olds, news,
                                                fields.FIELDS_BY_NAME)
        if replaces:
            try:
                replaced = fields.parse_account_uid("id", id_)
            except field_kit.Invalid:
                replaced = None
            if replaced is not None:
                with _replaced_lock:
                    _replaced_accounts[str(news.get(field_kit.RESOURCE_URN) or "")] = replaced
            # Diff runs in preview: the one place to say, before anything happens, that an account is left behind.
            warning = _replacement_warning(replaces, replaced, news)
            if warning is not None:
                self._reporter(news, self._known_secrets()).warn(warning)
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    @provider_call("create")
    @items_answered_from_catalog
    def create(self, props: dict[str, Any]) -> CreateResult:
        checked, props = props, fields.normalized(props)  # (the inputs as the state holds them, and as used)
        region, services, reporter = self._context(props)
        deadline = operation_deadline(props.get(field_kit.CUSTOM_TIMEOUTS), "create")
        replaced = _replaced_by(props)
        with _errors_name_arguments():
            if props.get(fields.ACCOUNT_UID) is not None:
                request = fields.enroll_request(props)
                assert request.account_uid is not None
                final = services.enroller.converge(request.account_uid, request, deadline, reporter, operation="create")
            else:
                # A replacement's key records the account it replaces (its generation): the chain of a
                # resource's accounts is in their keys, whichever machine replaced them. A create that
                # knows of none (no Diff, no delete in this run) follows that chain to the resource's
                # current account (`Enroller.create_new`).
                def key_replacing(account: int | None) -> EnrollmentKey:
                    return self._key(props, None if account is None else fields.replacement_generation(account))

                request = fields.enroll_request(props, extra_tags={ENROLLMENT_KEY_TAG: str(key_replacing(replaced))})
                started = time.time()
                final = services.enroller.create_new(request, deadline, reporter, aliases=self._names(props),
                                                     replacement=replaced is not None,
                                                     key_replacing=key_replacing if replaced is None else None)
                key = final.input_tags.get(ENROLLMENT_KEY_TAG) or request.tags[ENROLLMENT_KEY_TAG]
                if _enrolled_since(started, key, final.account_uid):
                    reporter.finish(final.status_line())  # its row's last line: `Finished (account ...)`
                    return CreateResult(str(final.account_uid), self._outputs(final, props, region, inputs=checked))
        with _replaced_lock:  # an account that existed before: the resource this one replaces may hold it
            # (under its alias URNs too: renamed, the replaced resource is deleted under its old URN)
            for urn in (str(props.get(field_kit.RESOURCE_URN) or ""), *field_kit.alias_urns(props)):
                _replacements[urn] = final.account_uid
        reporter.finish(final.status_line())
        return CreateResult(str(final.account_uid), self._outputs(final, props, region, inputs=checked))

    @provider_call("read")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        region, services, _reporter = self._context(props)
        account_uid = _account_uid(id_)
        try:
            enrollment = services.client.get(account_uid, Deadline.after(READ_TIMEOUT_SECONDS), missing_raises=True)
        except NotEnrolledError as answer:  # never "gone": see AccountNotEnrolled
            raise AccountNotEnrolled(
                account_uid, answer, endpoint=redact(services.client.endpoint.url, self._settings().credentials.secrets()),
                region=region, managed_urn=str(props.get(field_kit.RESOURCE_URN) or "") if _managed(props) else None,
            ) from None
        assert enrollment is not None
        return read_answer(str(enrollment.account_uid), self._outputs(enrollment, props, region, inputs=None), props,
                           lambda recorded: fields.inputs_after_read(recorded, enrollment))

    @provider_call("update")
    @items_answered_from_catalog
    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        checked, news = news, fields.normalized(news)
        region, services, reporter = self._context(news)
        account_uid = _account_uid(id_)
        deadline = operation_deadline(news.get(field_kit.CUSTOM_TIMEOUTS), "update")
        if news.get(fields.ACCOUNT_UID) is not None:
            request = fields.enroll_request(news)
        else:
            request = fields.enroll_request(news, account_uid=account_uid,
                                            extra_tags={ENROLLMENT_KEY_TAG: str(self._key(news))})
        with _errors_name_arguments():
            final = services.enroller.converge(account_uid, request, deadline, reporter, operation="update",
                                               aliases=self._names(news))
        reporter.finish(final.status_line())
        return UpdateResult(self._outputs(final, news, region, inputs=checked))

    @provider_call("delete")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # No API call, so no settings either: a broken configuration must not block `pulumi destroy`.
        reporter = self._reporter(props, self._known_secrets())
        try:
            account_uid = _account_uid(id_)
        except ApiError:
            account_uid = None
        urn = str(props.get(field_kit.RESOURCE_URN) or "")
        with _replaced_lock:
            kept = account_uid is not None and account_uid in (_replacements.get(urn), _checked_accounts.get(urn))
        if kept:
            # A replacement in this same run holds it: it enrolls that existing account_uid again, or,
            # created before this delete (delete_before_replace=False), it could not tell a `pulumi up
            # --replace` from the retry of an interrupted create and adopted the account.
            reporter.status(f"account {id_} is kept by this resource's replacement, which holds it from now on")
            return
        if account_uid is not None:  # (the outputs always hold account_uid: it tells no existing account apart)
            process_journal().release(account_uid)  # a later create of this resource must not adopt it
            process_journal().warn_of_problems(reporter.warn)  # (a release that could not be recorded, once)
            with _replaced_lock:  # a create of this URN in this run replaces it (delete_before_replace)
                _replaced_accounts.setdefault(str(props.get(field_kit.RESOURCE_URN) or ""), account_uid)
        reporter.warn(
            f"account {id_} stays enrolled in Account Factory and stays in the resource directory: "
            f"Cloud Governance Center has no API to un-enroll an account, so removing this resource only "
            f"stops managing it. Remove or close the account in the Resource Directory console if it is no longer needed."
        )

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _key(props: Mapping[str, Any], generation: int | None = None) -> EnrollmentKey:
        """The resource's enrollment key; `generation`: a replacement's (else the inputs' own, 0 since 0.2)."""
        return EnrollmentKey.derive(props.get(field_kit.RESOURCE_URN), field_kit.stack_identity(props),
                                    {name: props.get(name) for name in fields.KEYED_FIELDS},
                                    fields.generation(props) if generation is None else generation)

    @staticmethod
    def _names(props: Mapping[str, Any]) -> frozenset[str]:
        """The `resource` parts this resource's keys may carry: its URN's and its aliases', as written
        now and as builds before rename-proof keys wrote them (`resource_names`)."""
        urns = (str(props.get(field_kit.RESOURCE_URN) or ""), *field_kit.alias_urns(props))
        return resource_names(urns, field_kit.stack_identity(props))

    @staticmethod
    def _outputs(enrollment: Enrollment, props: Mapping[str, Any], region: str, *,
                 inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        """Every output; with the record of the `inputs` the state holds from now on (create, update)."""
        outs = fields.outputs(enrollment, {**props, "region_id": props.get("region_id") or region})
        if inputs is not None:
            outs[field_kit.INPUTS_RECORD] = field_kit.input_record(inputs)
        return outs


class StackIdentityProvider(ResourceProvider):
    """Vends the random value that tells a stack apart from every other stack of the same project
    and name (in another organization or backend). Pickled by reference into users' state like
    `EnrolledAccountProvider`: its import path and name never change."""

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        pass

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(dict(news), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False, replaces=[], stables=[], delete_before_replace=False)

    @provider_call("create")
    def create(self, props: dict[str, Any]) -> CreateResult:
        if _skips_checkpoints(os.environ):
            raise ConfigurationError(
                f"{SKIP_CHECKPOINTS_ENV} is set on this stack's first `pulumi up` with EnrolledAccounts or baselines: the "
                f"engine would write the state only at the end, and a run interrupted before then would lose "
                f"this stack's identity (the alicloud-account-factory-stack-identity resource), which every "
                f"account's enrollment key holds. The next `up` could then not find the accounts this one "
                f"enrolled, and would enroll new ones. Run this first `up` without {SKIP_CHECKPOINTS_ENV}; "
                f"later ones may use it."
            )
        value = secrets.token_hex(16)
        return CreateResult(value, {field_kit.STACK_IDENTITY_VALUE: value})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, {**props, field_kit.STACK_IDENTITY_VALUE: props.get(field_kit.STACK_IDENTITY_VALUE) or id_})

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({field_kit.STACK_IDENTITY_VALUE: id_})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        pass
