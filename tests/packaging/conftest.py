"""The sdist and the wheel, built once for the packaging tests (a few seconds; the index serves setuptools)."""

from __future__ import annotations

import pytest

from tests.packaging.packaging_support import Dists, build_dists


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    return build_dists(tmp_path_factory.mktemp("dist"))
