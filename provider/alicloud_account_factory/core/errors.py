"""Errors the provider raises, worded for the person running `pulumi up`."""

from __future__ import annotations

import os
import re
import traceback
from typing import Callable, Iterable

from ..accounts.model import Enrollment


class AccountFactoryError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigurationError(AccountFactoryError):
    """Stack configuration or credentials that cannot work."""


class ApiError(AccountFactoryError):
    """The API answered with an error (or could not be reached)."""

    def __init__(self, action: str, code: str, message: str, *, request_id: str | None = None,
                 recommend: str | None = None, status_code: int | None = None,
                 arguments: tuple[str, ...] = (), retryable: bool = False) -> None:
        self.action = action
        self.code = code
        self.message = message
        self.request_id = request_id
        self.recommend = recommend
        self.status_code = status_code
        #: The resource's arguments the service's message is about (it names API parameters).
        self.arguments = arguments
        #: Whether trying again later may work (throttling, 5xx, a lost connection), as the client judged.
        self.retryable = retryable
        super().__init__(self.describe())

    def about(self, arguments: tuple[str, ...]) -> "ApiError":
        """The same error, saying which of the resource's arguments it concerns."""
        return type(self)(self.action, self.code, self.message, request_id=self.request_id,
                          recommend=self.recommend, status_code=self.status_code, arguments=arguments,
                          retryable=self.retryable)

    def naming_arguments(self, arguments_named_in: Callable[[str], tuple[str, ...]]) -> "ApiError":
        """The error, also naming the resource's arguments whose API parameters the service's message
        names (`The specified parameter FolderId is not valid` -> `folder_id`). Only the service's own
        answer is read so (it came with an HTTP status): a failure on the way there is about no argument."""
        if self.arguments or self.status_code is None:
            return self
        arguments = arguments_named_in(self.message)
        return self.about(arguments) if arguments else self

    def describe(self) -> str:
        text = f"{self.action} failed: {self.code}: {self.message}"
        if self.status_code:
            text += f" (HTTP {self.status_code}"
            text += f", RequestId {self.request_id})" if self.request_id else ")"
        elif self.request_id:
            text += f" (RequestId {self.request_id})"
        if self.recommend:
            text += f". Recommendation: {self.recommend}"
        if self.arguments:
            text += f". Check this resource's {' and '.join(self.arguments)}"
        return text


class ClientFailure(AccountFactoryError):
    """The SDK failed with neither an answer nor a transport failure (a bug, here or in the SDK).

    Named by its type and the place it was raised only: the SDK's texts can quote the request's
    parameters, a secret item config among them."""

    def __init__(self, action: str, endpoint: str, raised: BaseException) -> None:
        self.action = action
        frames = traceback.extract_tb(raised.__traceback__) if raised.__traceback__ else []
        where = ""
        if frames:
            last = frames[-1]
            where = f" in {os.path.basename(os.path.dirname(last.filename))}/{os.path.basename(last.filename)}" \
                    f":{last.lineno} ({last.name})"
        super().__init__(f"{action} to {endpoint} failed inside the Alibaba Cloud SDK: {type(raised).__name__}{where}; "
                         f"its text is not shown because it can quote the request's parameters. Whether the call "
                         f"reached the service is not known; please report this failure.")


def is_transient(error: BaseException) -> bool:
    """Whether a failed call may work if tried again later (a timeout, or what the client marked so)."""
    return isinstance(error, TimeoutError) or (isinstance(error, ApiError) and error.retryable)


class AmbiguousCallError(ApiError):
    """The call may or may not have taken effect (connection lost, server error).

    Retrying a non-idempotent call such as EnrollAccount blindly could enroll a second
    account, so the caller must look before it retries.
    """


class UnansweredCallError(AmbiguousCallError):
    """No answer came in time (a read timeout, a gateway timeout): the service may still be
    working on the call, and may carry it out later. Other ambiguous failures (a connection
    reset after sending, a 500) come after whatever the service did."""


class NotEnrolledError(ApiError):
    """GetEnrolledAccount answered 404: the account is not enrolled (or does not exist)."""


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


class EndpointUnreachable(AccountFactoryError):
    """Nothing but connection failures for `unreachableTimeout`, before the operation sent anything."""


class OperationCancelled(AccountFactoryError):
    """The engine cancelled (the first Ctrl-C) an operation that had sent nothing yet."""


class ProviderCallFailed(AccountFactoryError):
    """What the provider server's error text ends with. The reason is the exception it is raised
    from, which the server's traceback prints first (without a traceback of its own)."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Remove every known secret from a text before anyone sees it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "****")
    return text


#: A URL's query string: `?` then a `name=value` run up to whitespace, a quote or an angle bracket.
_QUERY_STRING = re.compile(r"\?[^\s\"'<>?]*=[^\s\"'<>]*")


def without_query_strings(text: str) -> str:
    """The text with every URL query string taken out: an RPC request's parameters travel in it."""
    return _QUERY_STRING.sub("?(parameters withheld)", text)


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
