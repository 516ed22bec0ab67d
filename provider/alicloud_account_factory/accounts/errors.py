"""The errors of an enrollment, worded for the person running `pulumi up` (the core's errors are
every resource's: `core.errors`)."""

from __future__ import annotations

from ..core.errors import AccountFactoryError, ApiError
from .model import Enrollment


class EnrollmentFailed(AccountFactoryError):
    def __init__(self, enrollment: Enrollment, *, retry_hint: str) -> None:
        self.enrollment = enrollment
        info = enrollment.error_info
        parts = [f"enrollment of account {enrollment.account_uid} ended with status {enrollment.status}"]
        if info is not None:
            parts.append(f"error {info.code}: {info.message}")
            if info.recommend:
                parts.append(f"recommendation: {info.recommend}")
            if info.request_id:
                parts.append(f"RequestId {info.request_id}")
        failed = enrollment.failed_items()
        if failed:
            parts.append(f"failed baseline item{'s' if len(failed) > 1 else ''}: {', '.join(failed)}")
        parts.append(retry_hint)
        super().__init__("; ".join(parts))


class EnrollmentUnconfirmed(AccountFactoryError):
    """EnrollAccount went unanswered and the deadline came before its account could be found."""

    def __init__(self, cause: ApiError) -> None:
        self.cause = cause
        super().__init__(
            f"{cause}. Whether that EnrollAccount took effect is not known, and no account turned up before "
            f"the deadline. Run `pulumi up` again: the provider looks for the account first and resumes on it "
            f"if it exists, so no second account is created."
        )


class EnrollmentNotStarted(AccountFactoryError):
    """The deadline passed before this run sent EnrollAccount (while it still looked for an
    earlier attempt, or just before sending): nothing was enrolled by this run."""

    def __init__(self, waited: str, operation: str, cause: BaseException | None = None, *,
                 waiting_for: str | None = None) -> None:
        self.cause = cause
        why = f" The last look-up failed: {cause}." if cause is not None else ""
        why += f" It waited because {waiting_for}." if waiting_for else ""
        doing = ("the provider was still looking for what an earlier attempt of this resource may have enrolled"
                 if cause is not None or waiting_for else "no time was left to wait for an enrollment")
        super().__init__(
            f"timed out after {waited} before EnrollAccount was sent: {doing}.{why} This run enrolled nothing. "
            f"Run `pulumi up` "
            f"again: the provider looks first and resumes on an earlier account if there is one, so no second "
            f"account is created; or allow more time with ResourceOptions(custom_timeouts=CustomTimeouts("
            f"{operation}='120m'))."
        )


class EnrollmentTimeout(AccountFactoryError):
    def __init__(self, account_uid: int, waited: str, last: Enrollment | None, *, resume_hint: str,
                 cause: BaseException | None = None) -> None:
        self.account_uid = account_uid
        self.last = last
        where = f"last status {last.status}, progress {last.progress_line()}" if last else "no status read yet"
        failing = f" The last attempt to read its status failed: {cause}." if cause else ""
        super().__init__(
            f"timed out after {waited} waiting for the enrollment of account {account_uid} to finish "
            f"({where}).{failing} The enrollment carries on in Alibaba Cloud. {resume_hint}"
        )


class AccountNotEnrolled(AccountFactoryError):
    """A read found no enrollment of the account: a `get` (or `id=`) of an account that is not enrolled,
    or the refresh of a managed account that the endpoint, region or credentials it asked do not know.

    Never a silent "gone": Cloud Governance Center has no API to un-enroll an account, so a managed
    account that reads as not enrolled is far more likely a wrong endpoint, region or credentials
    than a vanished account, and a refresh that dropped it would take it out of the stack.
    `managed_urn`: None for a `get`, else the URN of the resource the stack holds ("" if unknown)."""

    def __init__(self, account_uid: int, answer: ApiError, *, endpoint: str, region: str,
                 managed_urn: str | None) -> None:
        self.account_uid = account_uid
        asked = f"{answer.describe()}, asked at {endpoint} in region {region}"
        if managed_urn is None:
            text = (f"account {account_uid} is not enrolled in Account Factory ({asked}). EnrolledAccount.get reads "
                    f"an existing enrollment: check the account id, and that alicloud-account-factory:endpoint, "
                    f"alicloud:region and the credentials are those of the management account where it is enrolled. "
                    f"To enroll it, use EnrolledAccount(..., account_uid={account_uid}) instead.")
        else:
            drop = f"pulumi state delete '{managed_urn}'" if managed_urn else "pulumi state delete <its URN>"
            text = (f"account {account_uid} reads as not enrolled ({asked}), although this stack holds it. Cloud "
                    f"Governance Center has no API to un-enroll an account, so a wrong endpoint, region or credentials "
                    f"is far more likely than a vanished account: the state is left as it was. A refresh uses the "
                    f"provider configuration the last `pulumi up` stored (`pulumi refresh --run-program` the current "
                    f"one): check alicloud-account-factory:endpoint, alicloud:region and the credentials. If the account "
                    f"really left Account Factory (closed, or removed from the resource directory), remove it from the "
                    f"stack deliberately: {drop}")
        super().__init__(text)
