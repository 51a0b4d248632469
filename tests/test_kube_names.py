"""kube/names: the DNS-1123 subdomain rule, decided once and used for label-key prefixes and for the
API groups kube/schemas turns into file names."""

from __future__ import annotations

import pytest

from omegen.kube import schemas
from omegen.kube.names import is_dns1123_subdomain, label_key_problem


@pytest.mark.parametrize(
    "name,ok",
    [("apps", True), ("leaderworkerset.x-k8s.io", True), ("a" * 63 + "." + "b" * 63, True), ("a" * 254, False),
     ("a..b", False), ("-a.b", False), ("a.b-", False), ("A.b", False), ("", False), ("../x", False)],
)
def test_subdomain(name, ok):
    assert is_dns1123_subdomain(name) is ok


def test_label_key_prefix_is_a_subdomain():
    assert label_key_problem("app.kubernetes.io/name") is None
    assert label_key_problem("a..b/name") == 'key prefix "a..b" must be a DNS-1123 subdomain of at most 253 characters'
    assert label_key_problem("x" * 254 + "/name").startswith("key prefix")


def test_an_api_group_that_is_no_subdomain_has_no_schema():
    assert schemas.schema_for("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", "1.33") is not None
    assert schemas.schema_for("leaderworkerset..x-k8s.io/v1", "LeaderWorkerSet", "1.33") is None
