"""Property-based fuzzing of check and diff: whatever a program or a state file holds, they answer.

A crash in Check or Diff is a provider traceback in the middle of `pulumi preview`, with no
hint of which input is wrong. So for arbitrary JSON-like values in every field (nested
dicts and lists, huge integers, NaN and infinities, unknowns in random places) check and diff
must never raise, check's failures must be (property, reason) texts, and valid inputs must be
stable: checking them again changes nothing, and they never differ from themselves.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alicloud_account_factory.accounts import fields
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG
from alicloud_account_factory.provider import EnrolledAccountProvider
from pulumi.dynamic import CheckResult, DiffResult
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from tests.reliability.reliability_support import record

#: Modest by default so the suite stays fast; RELIABILITY_FUZZ_EXAMPLES=5000 digs deeper.
EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPERTY_NAMES = set(fields.FIELDS_BY_NAME) | {fields.CUSTOM_TIMEOUTS, "status"}
_examples = {"count": 0, "valid": 0}

unknowns = st.sampled_from([Unknown(), UNKNOWN])
scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40) | unknowns
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
#: Values shaped like the real ones, so that the fuzzing also reaches the deeper checks.
digits = st.integers(min_value=0, max_value=10**17).map(str)
#: Digits that `str.isdigit()` accepts and `int()` may reject ('¹', '①') or read ('１'), and digit
#: strings beyond int()'s 4,300-digit limit: an account id must be ASCII digits, and short.
unicode_digits = st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=20)
huge_digits = st.integers(min_value=4290, max_value=4400).map(lambda n: "1" * n)
uids = (digits | unicode_digits | huge_digits | st.integers(min_value=10**14, max_value=10**16)
        | st.floats(min_value=1e14, max_value=1e17))
item = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["ACS-BP_ACCOUNT_FACTORY_VPC", "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE", "", "bad name"]) | json_like,
    "config": st.sampled_from(['{"VpcName": "main"}', "{", "[]", '{"a": NaN}']) | json_like,
    "skip": st.booleans() | json_like,
    "version": st.sampled_from(["1.0", 1, 1.0]) | json_like,
})
tag_keys = st.sampled_from(["env", "", "aliyun:x", ENROLLMENT_KEY_TAG, "k" * 129]) | st.text(max_size=20)
SHAPED: dict[str, Any] = {
    "account_name_prefix": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,55}", fullmatch=True),
    "display_name": st.text(max_size=60),
    "folder_id": st.sampled_from(["fd-Sandbox001", "r-7Hq2Wd", "fd-", "folder"]),
    "payer_account_uid": uids,
    "account_uid": uids,
    "baseline_id": st.sampled_from(["afb-bp1d5fq0wjz6kc8xrs4e", "afb-", "baseline"]),
    "baseline_items": st.lists(item | json_like, max_size=3),
    "tags": st.dictionaries(tag_keys, st.text(max_size=130) | json_like, max_size=22),
    "resell_account_type": st.sampled_from(["resell", "non_resell", "RESELL", ""]),
    "region_id": st.sampled_from(["cn-hangzhou", "ap-southeast-1", "Hangzhou", ""]),
    fields.CUSTOM_TIMEOUTS: st.dictionaries(st.sampled_from(["create", "update", "delete", "read"]),
                                            st.sampled_from(["90m", "1h30m", "0s", "ten", ""]) | json_like, max_size=3),
    "status": st.sampled_from(["Finished", "Failed", "ScheduleFailed", "Running"]),
}
#: Inputs as a program passes them when it gets them right: valid values, unusual but legal ones too.
VALID: dict[str, Any] = {
    "account_name_prefix": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{1,30}", fullmatch=True),
    "display_name": st.text(min_size=1, max_size=50).filter(str.strip),
    "folder_id": st.sampled_from(["fd-Sandbox001", "fd-Workload01", "r-7Hq2Wd"]),
    "payer_account_uid": st.integers(min_value=10**14, max_value=2**53) | st.from_regex(r"[1-9][0-9]{14,15}", fullmatch=True),
    "baseline_id": st.sampled_from(["afb-bp1d5fq0wjz6kc8xrs4e", "afb-bp1n7hx3vq9lm2ty0a5c"]),
    "baseline_items": st.lists(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["ACS-BP_ACCOUNT_FACTORY_VPC", "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE",
                                      "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"])},
            optional={"config": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.integers(-9, 9), max_size=3)
                      | st.sampled_from(['{"VpcName": "main"}', '{ "b": 1, "a": [1, 2] }']),
                      "skip": st.booleans(), "version": st.sampled_from(["1.0", 1, 2.0, None])}),
        max_size=3, unique_by=lambda i: i["name"]),
    "tags": st.dictionaries(st.from_regex(r"[a-z][a-z0-9\-]{0,20}", fullmatch=True), st.text(max_size=128), max_size=19),
    "resell_account_type": st.sampled_from(["resell", "non_resell"]),
    "region_id": st.sampled_from(["cn-hangzhou", "ap-southeast-1"]),
    fields.CUSTOM_TIMEOUTS: st.dictionaries(st.sampled_from(["create", "update", "delete"]),
                                            st.sampled_from(["90m", "1h30m", "45s"]), max_size=3),
}
plausible = st.fixed_dictionaries(
    {"account_name_prefix": VALID["account_name_prefix"], "display_name": VALID["display_name"]},
    optional={name: VALID[name] for name in sorted(VALID) if name not in ("account_name_prefix", "display_name")},
)
properties = st.fixed_dictionaries({}, optional={
    name: (SHAPED[name] | json_like) for name in sorted(PROPERTY_NAMES)
} | {fields.RESOURCE_URN: st.text(max_size=30) | json_like, fields.PROVIDER_KEY: st.text(max_size=30)})


def _count() -> None:
    _examples["count"] += 1


@pytest.fixture(autouse=True)
def _figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Files each property's examples in the run summary once it ran (the properties may run in
    different test processes: the summary adds their figures up)."""
    ran, valid = _examples["count"], _examples["valid"]
    yield
    ran, valid = _examples["count"] - ran, _examples["valid"] - valid
    assert ran > 0
    if request.function is test_valid_inputs_are_stable:
        # The stability property is only worth something if enough generated inputs were valid.
        assert valid >= EXAMPLES // 10, f"only {valid} of {ran} generated inputs were valid"
        record("fuzz", examples_per_property=EXAMPLES)  # once: this property runs in one process
    record("fuzz", examples_run=ran, valid_examples_checked_for_stability=valid)


def _has_unknown(value: Any) -> bool:
    return fields.is_unknown(value)


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    return False


@FUZZ
@given(news=properties)
def test_check_never_raises_and_reports_property_reason_texts(news: dict[str, Any]) -> None:
    _count()
    inputs, failures = fields.check(news)
    assert isinstance(inputs, dict)
    for failure in failures:
        assert isinstance(failure, tuple) and len(failure) == 2
        prop, reason = failure
        assert isinstance(prop, str) and isinstance(reason, str) and reason
        assert prop in PROPERTY_NAMES, failure
    result = EnrolledAccountProvider().check({}, news)
    assert isinstance(result, CheckResult)
    assert [(f.property, f.reason) for f in result.failures or []] == failures


@FUZZ
@given(olds=properties, news=properties)
# Found by this test once, kept as regressions: state holding what a provider never writes.
@example(olds={"status": []}, news={})
@example(olds={"baseline_items": [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"": Unknown()}}]}, news={})
def test_diff_never_raises_and_names_only_fields(olds: dict[str, Any], news: dict[str, Any]) -> None:
    _count()
    changes = fields.diff(olds, news)
    assert all(change.field in PROPERTY_NAMES for change in changes)
    result = EnrolledAccountProvider().diff("1207465839102347", olds, news)
    assert isinstance(result, DiffResult)
    assert result.changes == bool(changes)
    assert set(result.replaces or []) <= set(fields.FIELDS_BY_NAME)


@FUZZ
@given(news=plausible | properties)
def test_valid_inputs_are_stable(news: dict[str, Any]) -> None:
    """What passes Check passes again unchanged, and never shows a diff against itself."""
    _count()
    inputs, failures = fields.check(news)
    if failures or _has_unknown(inputs) or _has_nan(inputs):
        return
    _examples["valid"] += 1
    again, failures_again = fields.check(inputs)
    assert failures_again == [] and again == inputs
    olds = {k: v for k, v in inputs.items() if k != "status"}  # a Failed status always differs, on purpose
    assert fields.diff(olds, inputs) == []


@FUZZ
@given(value=uids | json_like)
@example(value="\u00b9\u00b2\u00b34444444444444")
@example(value="\u2460111111111111111")
@example(value="1" * 4301)
def test_an_account_id_is_ascii_digits_or_a_clear_failure(value: Any) -> None:
    """account_uid and payer_account_uid: an exact int from ASCII digits, or a failure naming the field."""
    _count()
    for name in ("account_uid", "payer_account_uid"):
        news = {name: value} if name == "account_uid" else {"account_name_prefix": "team-a", "display_name": "A", name: value}
        inputs, failures = fields.check(news)
        mine = [reason for prop, reason in failures if prop == name]
        if value is None or fields.is_unknown(value):
            continue
        if mine:
            assert all(name in reason for reason in mine), mine
            continue
        accepted = inputs[name]
        assert isinstance(accepted, int) or (isinstance(accepted, str) and accepted.isascii() and accepted.isdigit()), accepted
        if isinstance(value, str):
            assert value.strip().isascii(), f"{value!r} was accepted as an account id"
        changes = EnrolledAccountProvider().diff("1207465839102347", {name: value}, {name: value})
        assert isinstance(changes, DiffResult)
