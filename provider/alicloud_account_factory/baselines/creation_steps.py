"""What a baseline's create does next, decided apart from doing it (as `accounts.enrollment_steps` for
enrollments): pure functions of what the last look found, the attempt record's pending window, the time
left and this run's unanswered attempt, returning a step as data that `creation.create_once` executes.

Exactly once. CreateAccountFactoryBaseline has no idempotency token, the service lets two baselines
share a name and a gateway may carry a request out after the client stopped waiting. So a create
adopts a baseline of its own (its mark, or a recorded attempt's answer) before anything else; looks
again, never creates, while an unanswered attempt may still take effect or be missing from the listing;
never adopts a same-named Custom baseline that is not its own; and sends only with time left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..core.errors import AmbiguousCallError
from ..core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES
from .errors import CREATE, name_taken, not_created


@dataclass(frozen=True)
class Found:
    """What a look for this resource's baselines found."""

    own: list[dict[str, Any]]  # carrying its mark, or answered to a recorded attempt; oldest first
    others: list[dict[str, Any]]  # Custom baselines of the same name that are not its own


@dataclass(frozen=True)
class Adopt:
    """This resource's baseline exists (an earlier attempt made it): take it, saying so."""

    baseline_id: str
    status: str | None  # said as a status line (this run's unanswered attempt made it)
    warnings: tuple[str, ...]  # said as warnings, in order


@dataclass(frozen=True)
class Look:
    """Look again after a pause: an attempt may still take effect or be missing from the listing."""

    after: float


@dataclass(frozen=True)
class Create:
    """Send CreateAccountFactoryBaseline."""


@dataclass(frozen=True)
class Fail:
    error: Exception


CreateStep = Union[Adopt, Look, Create, Fail]


def adopted(found: Found, unsure: AmbiguousCallError | None) -> Adopt:
    """The oldest of this resource's baselines; the others are named (a request carried out after
    the provider had stopped waiting for it made them)."""
    own, *extra = found.own
    own_id = str(own["BaselineId"])
    status = None
    warnings = []
    if unsure is not None:
        status = f"the unanswered {CREATE} made baseline {own_id}"
    else:  # (a targeted replace sends no old inputs and no Diff: the create cannot tell it from a retry)
        warnings.append(f"adopting baseline {own_id} ({own.get('BaselineName')!r}), which carries this resource's "
                        f"mark, instead of creating a second one; it is updated to this program's values. It was "
                        f"made for this resource by an earlier `pulumi up` that did not record it (interrupted, "
                        f"failed or timed out), or this is a create-first replacement (`pulumi up --replace`) "
                        f"of the resource that holds it, whose delete then keeps it")
    for other in extra:
        warnings.append(f"baseline {other['BaselineId']} ({other.get('BaselineName')!r}) was also created for this "
                        f"resource, by a {CREATE} carried out after the provider had stopped waiting for it, and no "
                        f"stack manages it. This resource keeps baseline {own_id}; delete "
                        f"{other['BaselineId']} in the Cloud Governance Center console.")
    return Adopt(own_id, status, tuple(warnings))


def next_create_step(found: Found, pending: float | None, *, looks: int, remaining: float,
                     unsure: AmbiguousCallError | None, waited: str, baseline_name: str, region: str) -> CreateStep:
    """The next step of a create, once it has looked for its baselines.

    `pending`: until when (wall clock) a recorded attempt may still take effect or be missing from the
    listing, if that is still to come; `looks`: how often this run has looked again so far; `remaining`:
    the seconds left before the deadline, which `waited` describes; `unsure`: this run's last
    CreateAccountFactoryBaseline went unanswered.
    """
    if found.own:
        return adopted(found, unsure)
    if pending is not None:  # an attempt may still take effect, or be missing from the listing: look, never create
        pause = AMBIGUOUS_LOOKUP_PAUSES[min(looks + 1, len(AMBIGUOUS_LOOKUP_PAUSES)) - 1]
        if remaining <= pause:
            return Fail(not_created(waited, pending, unsure))
        return Look(pause)
    if found.others:
        return Fail(name_taken(found.others[0], baseline_name, region))
    if remaining <= 0:
        return Fail(not_created(waited, None, None))
    return Create()
