"""Every object the chart renders, the operators' resources included, sent to a real kube-apiserver as
a server-side dry run (server-side apply, dryRun=All, unknown fields refused), after the operators'
CRDs from deploy/k8s/crds (copied unchanged from ../shared/k8s-crds): what a cluster with CloudNativePG, Strimzi and the Keycloak operator
would accept, checked without one."""

from __future__ import annotations

import copy

import pytest

from tests.charts.apiserver import ApiServer, DryRunRefused
from tests.charts.chart import NAMESPACE, VALUE_SETS, find, render, render_set

# Not served by this API server: the Prometheus operator's CRD is not among deploy/k8s/crds.
NOT_SERVED = {"monitoring.coreos.com/v1"}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_object_passes_a_server_side_dry_run(api_server: ApiServer, name: str) -> None:
    objects = [obj for obj in render_set(name) if obj["apiVersion"] not in NOT_SERVED]
    refused, warned = [], []
    for obj in objects:
        try:
            warnings = api_server.dry_run(obj, NAMESPACE)
        except DryRunRefused as error:
            refused.append(str(error))
            continue
        warned += [f"{obj['kind']}/{obj['metadata']['name']}: {warning}" for warning in warnings]
    assert not refused, "\n".join(refused)
    assert not warned, "\n".join(warned)
    kinds = {obj["kind"] for obj in objects}
    if name != "external":
        assert {"Cluster", "Pooler", "Database", "Kafka", "KafkaNodePool", "KafkaTopic", "Keycloak"} <= kinds
        assert "KeycloakRealmImport" in kinds


def test_a_string_for_a_topics_partitions_is_refused_by_the_api_server(api_server: ApiServer) -> None:
    objects = render(set_json=['kafka.topics.partitions="6"'], extra=["--skip-schema-validation"])
    topic = find(objects, "KafkaTopic", "xinyi-kafka-tenant-events-v1")
    with pytest.raises(DryRunRefused, match=r"\.spec\.partitions: expected numeric \(int or float\), got string"):
        api_server.dry_run(topic, NAMESPACE)


def test_a_field_the_operators_schema_does_not_know_is_refused(api_server: ApiServer) -> None:
    """Unknown fields are errors (fieldValidation=Strict), in the operators' resources too."""
    kafka = copy.deepcopy(find(render_set("default"), "Kafka", "xinyi-kafka"))
    kafka["spec"]["kafka"]["listeners"][0]["tsl"] = False
    with pytest.raises(DryRunRefused, match=r"\.spec\.kafka\.listeners\[0\]\.tsl: field not declared in schema"):
        api_server.dry_run(kafka, NAMESPACE)


def test_a_container_that_would_run_as_root_is_refused_by_pod_security(api_server: ApiServer) -> None:
    """The namespace enforces the restricted standard: the dry run of a weakened Deployment warns, and
    its pods would not be admitted. (The chart's own pass without a warning, above.)"""
    objects = render(set_json=['default={"podSecurityContext": {"runAsNonRoot": false, "runAsUser": 0}}'])
    deployment = find(objects, "Deployment", "xinyi-ledger")
    warnings = api_server.dry_run(deployment, NAMESPACE)
    assert any("restricted" in warning and "runAsUser=0" in warning for warning in warnings), warnings
