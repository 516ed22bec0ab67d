"""Provider settings: where the endpoint comes from (named in every "cannot reach" message), and
how long an operation that has sent nothing rides out an unreachable one."""

from __future__ import annotations

import pytest

from alicloud_account_factory.core.errors import ConfigurationError
from alicloud_account_factory.core.settings import ProviderSettings



@pytest.mark.parametrize(("config", "environ", "region", "url", "origin"), [
    ({"alicloud-account-factory:endpoint": "http://127.0.0.1:9"}, {"ALIBABA_CLOUD_GOVERNANCE_ENDPOINT": "http://x:1"},
     "cn-hangzhou", "http://127.0.0.1:9", "stack config alicloud-account-factory:endpoint"),
    ({}, {"ALIBABA_CLOUD_GOVERNANCE_ENDPOINT": "http://127.0.0.1:9"}, "cn-hangzhou", "http://127.0.0.1:9",
     "environment variable ALIBABA_CLOUD_GOVERNANCE_ENDPOINT"),
    ({"alicloud:region": "cn-shanghai"}, {"ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, "cn-shanghai",
     "https://governance.cn-shanghai.aliyuncs.com",
     "the default for region cn-shanghai, which comes from stack config alicloud:region"),
    ({}, {"ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, "cn-beijing", "https://governance.cn-beijing.aliyuncs.com",
     "the default for region cn-beijing, which comes from environment variable ALIBABA_CLOUD_REGION_ID"),
    ({}, {}, "cn-hangzhou", "https://governance.cn-hangzhou.aliyuncs.com",
     "the default for region cn-hangzhou, which comes from the built-in default region"),
    ({}, {}, "ap-southeast-1", "https://governance.ap-southeast-1.aliyuncs.com",
     "the default for region ap-southeast-1, which comes from this resource's region_id"),
])
def test_the_endpoint_names_what_set_it(config: dict[str, str], environ: dict[str, str], region: str, url: str,
                                        origin: str) -> None:
    settings = ProviderSettings.from_config(config.get, environ)
    endpoint = settings.endpoint_info(region)
    assert endpoint.url == url and endpoint.origin.startswith(origin), endpoint
    assert (endpoint.unreachable_timeout, endpoint.unreachable_seconds) == ("3m", 180.0)


def test_the_unreachable_timeout_is_a_setting_and_a_bad_one_names_its_key() -> None:
    settings = ProviderSettings.from_config({"alicloud-account-factory:unreachableTimeout": "90s"}.get, {})
    assert settings.endpoint_info("cn-hangzhou").unreachable_seconds == 90.0
    with pytest.raises(ConfigurationError, match=r"alicloud-account-factory:unreachableTimeout: 'soon' is not a duration"):
        ProviderSettings.from_config({"alicloud-account-factory:unreachableTimeout": "soon"}.get, {})
