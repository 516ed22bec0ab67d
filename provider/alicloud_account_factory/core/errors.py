"""Errors the provider raises, worded for the person running `pulumi up`."""

from __future__ import annotations

import os
import re
import traceback
from typing import Callable, Iterable


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
