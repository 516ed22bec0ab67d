"""Durations, deadlines and the waiter model."""

from __future__ import annotations

import pytest

from alicloud_account_factory.core.timeouts import DEFAULT_TIMEOUT_SECONDS, parse_duration, timeout_seconds
from alicloud_account_factory.accounts.waiter import ENROLLMENT_TERMINAL


@pytest.mark.parametrize("text, seconds", [("90m", 5400), ("1h30m", 5400), ("45s", 45), ("1.5h", 5400), ("2h0m0s", 7200)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "m", "1x", "90 m", "-5m", "0s"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_default_timeout_is_generous() -> None:
    assert DEFAULT_TIMEOUT_SECONDS >= 60 * 60
    assert timeout_seconds(None, "create") == DEFAULT_TIMEOUT_SECONDS
    assert timeout_seconds({"update": "2h"}, "create") == DEFAULT_TIMEOUT_SECONDS
    assert timeout_seconds({"create": "2h"}, "create") == 7200


def test_waiter_verdicts() -> None:
    assert ENROLLMENT_TERMINAL.verdict("Finished") == "success"
    assert ENROLLMENT_TERMINAL.verdict("Failed") == "failure"
    assert ENROLLMENT_TERMINAL.verdict("ScheduleFailed") == "failure"
    assert ENROLLMENT_TERMINAL.verdict("Running") == "retry"
    assert ENROLLMENT_TERMINAL.verdict("SomethingNew") == "retry"


def test_polling_backs_off_with_the_time_waited() -> None:
    delays = [ENROLLMENT_TERMINAL.delay(waited) for waited in (0, 10, 60, 600, 6000)]
    assert delays == sorted(delays)
    assert delays[0] == ENROLLMENT_TERMINAL.min_delay
    assert delays[-1] == ENROLLMENT_TERMINAL.max_delay


def test_the_read_timeout_setting_is_a_duration_with_a_default() -> None:
    from alicloud_account_factory.core.errors import ConfigurationError
    from alicloud_account_factory.core.settings import ProviderSettings

    def settings(read_timeout: str | None) -> ProviderSettings:
        return ProviderSettings.from_config({"alicloud-account-factory:readTimeout": read_timeout}.get, environ={})

    assert settings(None).read_timeout == settings("").read_timeout == 30.0  # empty is unset, as for every key
    assert settings("6s").read_timeout == 6.0 and settings("1m").read_timeout == 60.0
    for bad in ("6", "0s", "10m1s"):
        with pytest.raises(ConfigurationError, match="alicloud-account-factory:readTimeout"):
            settings(bad)
