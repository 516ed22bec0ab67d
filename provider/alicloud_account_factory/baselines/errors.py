"""The errors of a baseline's create and delete, worded for the person running `pulumi up`."""

from __future__ import annotations

from typing import Any, Mapping

from ..core.errors import AccountFactoryError, AmbiguousCallError
from ..core.operation import clock_time

CREATE = "CreateAccountFactoryBaseline"


class BaselineInUse(AccountFactoryError):
    """Delete refused by the service because enrolled accounts still use the baseline."""


class BaselineNameTaken(AccountFactoryError):
    """A Custom baseline of this name exists and is not this resource's: it is never adopted
    unasked (it may be another stack's), and a second one of the name would be ambiguous."""


class BaselineNotCreated(AccountFactoryError):
    """The deadline came while an unanswered CreateAccountFactoryBaseline may still take effect."""


def name_taken(other: Mapping[str, Any], baseline_name: str, region: str) -> BaselineNameTaken:
    """The refusal of a create whose name a baseline that is not this resource's (`other`) holds."""
    baseline_id = other.get("BaselineId")
    return BaselineNameTaken(
        f"a baseline named {baseline_name!r} already exists in {region} ({baseline_id}, created "
        f"{other.get('CreateTime') or 'at an unknown time'}) and it is not this resource's: it does not carry this "
        f"resource's mark (it was made in the console, by another stack, or by a build of this provider that did not "
        f"mark its baselines). Baseline names tell baselines apart, so this resource neither creates a second one "
        f"nor takes that one over unasked. Give this resource another baseline_name; or, to manage {baseline_id} from "
        f"this resource (`pulumi import` cannot bring in a dynamic resource), add baseline_id='{baseline_id}' to it: "
        f"it is then updated to this program's values, and deleted with the resource unless retain_on_delete=True; "
        f"or, to use it as it is, pass '{baseline_id}' to EnrolledAccount(baseline_id=...) instead.")


def not_created(waited: str, pending: float | None, unsure: AmbiguousCallError | None) -> BaselineNotCreated:
    """The deadline came before a baseline was made (`waited`: the deadline, described), while an attempt
    was `pending` until then (or `unsure`: this run's went unanswered), or with no time left to send."""
    until = f" until {clock_time(pending)}" if pending is not None else ""
    if unsure is not None:
        what = (f"{CREATE} went unanswered ({unsure}) and the service may still carry it out{until}: whether it made "
                f"a baseline is not known, and none turned up before the create timed out after {waited}.")
    elif pending is not None:
        what = (f"timed out after {waited} before {CREATE} was sent: an earlier {CREATE} of this resource "
                f"went unanswered and may still take effect or show up in the listing{until}. This run created nothing.")
    else:
        what = f"timed out after {waited} before {CREATE} was sent. This run created nothing."
    return BaselineNotCreated(
        f"{what} Run `pulumi up` again: the provider looks for this resource's baseline first (on this machine it waits "
        f"as long as an unanswered request may still take effect) and adopts it, so no second baseline is created; "
        f"or allow more time with ResourceOptions(custom_timeouts=CustomTimeouts(create='30m')).")
