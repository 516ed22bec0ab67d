"""What the enroller does next, decided apart from doing it.

`enrollment.Enroller` carries the decisions out (API calls, the journal, waiting, messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import EnrollmentFailed, EnrollmentNotStarted, EnrollmentTimeout
from .model import Enrollment

#: The resource operation an enrollment runs for, as `CustomTimeouts` names its timeout.
Operation = Literal["create", "update"]


@dataclass(frozen=True)
class Wording:
    """What one create or update tells the user to do when it stops short: which custom timeout to
    lengthen, after how long it gave up, and which settings keep the next run on the same account."""

    operation: Operation
    waited: str  # the deadline, as the user spelt it (`Deadline.describe`)
    keyed_settings: str  # the settings that make up the settings half of the enrollment key

    def not_started(self, cause: BaseException | None = None, *,
                    waiting_for: str | None = None) -> EnrollmentNotStarted:
        """The deadline came before EnrollAccount was sent."""
        return EnrollmentNotStarted(self.waited, self.operation, cause, waiting_for=waiting_for)

    def timed_out(self, account_uid: int, last: Enrollment | None, cause: BaseException | None) -> EnrollmentTimeout:
        """The deadline came while the enrollment of `account_uid` was still running."""
        return EnrollmentTimeout(account_uid, self.waited, last, cause=cause, resume_hint=(
            f"Run `pulumi up` again to resume waiting on account {account_uid} (no second account is "
            f"created as long as {self.keyed_settings} stay as they are), or allow more time with "
            f"ResourceOptions(custom_timeouts=CustomTimeouts({self.operation}='120m'))."))

    def failed(self, account_uid: int, final: Enrollment) -> EnrollmentFailed:
        """The enrollment of `account_uid` ended in a failure status."""
        return EnrollmentFailed(final, retry_hint=(
            f"Run `pulumi up` again to retry: the provider resumes on account {account_uid} "
            f"(it enrolls that same account again, or keeps waiting) and never creates a second account, "
            f"as long as {self.keyed_settings} stay as they are."))
