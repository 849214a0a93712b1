"""Issue 12, policy packs: mutated renders are caught with the right policy id; valid variants are not flagged.

The cases live in ``policy_fixtures`` (``MUTATIONS``, ``VALID_VARIANTS``); each is a hand-made resource graph run
through both packs exactly as ``pulumi-llmd check`` runs them (no render, no network).
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable

import pytest
from conftest import REPO
from policy_fixtures import (
    MUTATIONS,
    VALID_VARIANTS,
    add_env,
    good_stack,
    gpu_job,
    host_path,
    server_ingress_from,
    with_parallelism,
)

from pulumi_llmd.components import catalog
from pulumi_llmd.policies import Enforcement, Resource, netpol, run_checks
from pulumi_llmd.policies.check import resources_from_render
from pulumi_llmd.policies.conformance import assess_pod_autoscaling
from pulumi_llmd.policies.graph import Graph, host_path_exposes_devices, normalize_host_path
from pulumi_llmd.policies.model import Status
from pulumi_llmd.policies.nodes import EC2_ACCELERATORS, G2_GPUS, gke_pool_nodes
from pulumi_llmd.policies.practices import chart_version_problem, mutable_tag, split_image
from pulumi_llmd.redact import REDACTED

Stack = list[Resource]
ADVISORY_BY_DESIGN = {"images-by-digest", "addon-namespace-default-deny"}


def test_the_compliant_stack_has_no_mandatory_finding() -> None:
    assert run_checks(good_stack()).mandatory == []


@pytest.mark.parametrize(("case", "policy", "make"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutated_render_is_caught_with_the_right_id(case: str, policy: str, make: Callable[[], Stack]) -> None:
    findings = [f for f in run_checks(make()).findings if f.policy == policy]
    assert findings, f"{case}: {policy} did not fire"
    expected = Enforcement.ADVISORY if policy in ADVISORY_BY_DESIGN else Enforcement.MANDATORY
    assert {f.enforcement for f in findings} == {expected}


@pytest.mark.parametrize(("case", "make"), VALID_VARIANTS, ids=[v[0] for v in VALID_VARIANTS])
def test_a_valid_variant_is_not_flagged(case: str, make: Callable[[], Stack]) -> None:
    assert [str(f) for f in run_checks(make()).mandatory] == []


def test_fixture_counts_cover_the_issue() -> None:
    """The issue measured 57 mutated renders (13 missed) and 13 valid variants (3 flagged); ours cover each class."""
    assert len(MUTATIONS) >= 57
    assert len(VALID_VARIANTS) >= 13
    assert len({m[0] for m in MUTATIONS}) == len(MUTATIONS)


# --- NetworkPolicy semantics ---------------------------------------------------------------------------------------


def test_split_cidrs_merge_into_every_address() -> None:
    pieces = [ipaddress.ip_network(f"{i * 16}.0.0.0/4") for i in range(16)]
    assert netpol.covers_every_address(pieces)
    assert not netpol.covers_every_address(pieces[:-1])
    halves = netpol.block_addresses({"cidr": "::/0", "except": ["::/1"]})
    assert [str(n) for n in halves] == ["8000::/1"]


def test_except_lists_are_subtracted_before_judging_public_addresses() -> None:
    hf = netpol.block_addresses({"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]})
    assert not netpol.covers_every_address(hf)
    assert netpol.public_addresses(hf)  # the internet: allowed only on HTTPS / DNS egress
    assert netpol.public_addresses(netpol.block_addresses({"cidr": "10.0.0.0/8"})) == []


def test_selectors_that_an_unlabelled_object_matches_select_everything() -> None:
    """Documented choice: a selector a label-less pod matches (``{}``, NotIn, DoesNotExist) admits every pod that
    does not opt out; Exists/In need a label. Namespaces always carry kubernetes.io/metadata.name."""
    assert netpol.selects_every_pod({})
    assert netpol.selects_every_pod({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]})
    assert netpol.selects_every_pod({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["a"]}]})
    assert not netpol.selects_every_pod({"matchExpressions": [{"key": "x", "operator": "Exists"}]})
    assert not netpol.selects_every_pod({"matchLabels": {"app": "gw"}})
    name_exists = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "Exists"}]}
    assert netpol.selects_every_namespace(name_exists)
    assert not netpol.selects_every_namespace({"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}})
    assert not netpol.selects_strictly_all({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]})


def test_messages_name_the_rule_and_what_it_admits() -> None:
    stack = server_ingress_from({"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}})
    messages = [f.violation.message for f in run_checks(stack).findings if f.policy == "network-policies"]
    assert any("ingress rule 3 admits any source (every address: 0.0.0.0/0)" in m for m in messages), messages


# --- hostPath ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "normalized"),
    [("/", "/"), ("//", "/"), ("/./", "/"), ("/dev/", "/dev"), ("/dev/../dev", "/dev"), ("/var/../", "/"),
     ("///dev//nvidia0", "/dev/nvidia0"), ("dev", "/dev"), ("/devel/..", "/")],
)  # fmt: skip
def test_host_paths_are_normalized(path: str, normalized: str) -> None:
    assert normalize_host_path(path) == normalized
    assert host_path_exposes_devices(path)


def test_host_path_finding_shows_the_resolved_path_and_the_conformance_pack_agrees() -> None:
    result = run_checks(host_path("/var/../dev/"))
    assert any("mounts host path /var/../dev/ (= /dev)" in f.violation.message for f in result.mandatory)
    assert any(f.policy == "secure_accelerator_access" for f in result.findings)


# --- parallelism vs. node pools ------------------------------------------------------------------------------------


def test_policy_node_tables_agree_with_the_catalog() -> None:
    """The policies cannot import the components; their instance tables must agree with the catalog."""
    for shape in catalog.machines("aws"):
        if shape.machine_type in EC2_ACCELERATORS:
            assert EC2_ACCELERATORS[shape.machine_type][1] == shape.accelerator_count, shape.machine_type
    for shape in catalog.machines("gcp"):
        if shape.tpu is not None:
            continue
        props = {"name": "p", "nodeConfig": {"machineType": shape.machine_type}}
        nodes = gke_pool_nodes(Resource("gcp:container/nodePool:NodePool", "p", "urn:p", props))
        assert nodes[0].devices == {"nvidia.com/gpu": shape.accelerator_count}, shape.machine_type
        if shape.machine_type.startswith("g2-"):
            assert G2_GPUS[shape.machine_type] == shape.accelerator_count


def test_a_pod_too_big_for_its_pool_names_the_pool() -> None:
    from policy_fixtures import eks_stack

    findings = [
        f for f in run_checks(with_parallelism(eks_stack(), 16)).mandatory if f.policy == "parallelism-fits-node"
    ]
    assert any("16 accelerators per pod exceed the 8 of one node of pool gpu" in f.violation.message for f in findings)


# --- credentials ---------------------------------------------------------------------------------------------------


def test_credential_findings_never_print_the_value() -> None:
    from policy_fixtures import HF_TOKEN_VALUE, OPENAI_KEY_VALUE, add_args

    for stack in (add_env("X", HF_TOKEN_VALUE), add_args(f"--api-key={OPENAI_KEY_VALUE}"), add_env("PWD_X", "p")):
        text = "\n".join(run_checks(stack).lines())
        assert HF_TOKEN_VALUE not in text and OPENAI_KEY_VALUE not in text
        assert REDACTED not in text  # nothing to redact: messages name where, never what


# --- tags and chart versions ---------------------------------------------------------------------------------------


def test_image_references_split_into_repository_tag_digest() -> None:
    assert split_image("registry.local:5000/a/b:v1@sha256:ab") == ("registry.local:5000/a/b", "v1", "sha256:ab")
    assert split_image("registry.local:5000/a/b") == ("registry.local:5000/a/b", None, None)
    assert mutable_tag("v0.23.0") is None and mutable_tag("3.8") is None
    assert mutable_tag("stable-cu128") and mutable_tag("V1") and not mutable_tag("nightly-2025-05-01-1a2b3c4")


@pytest.mark.parametrize("version", ["^1.2", "~1.2", ">=1", "1.x", "*", "", "1.2", "1", "1.2.3 || 1.3.0", "1.2.X"])
def test_chart_ranges_are_rejected(version: str) -> None:
    assert chart_version_problem("oci://r/kueue", version)


def test_a_chart_pinned_by_digest_needs_no_exact_version() -> None:
    assert chart_version_problem("oci://r/kueue@sha256:" + "0" * 64, "") is None


# --- autoscaling only for serving workloads ------------------------------------------------------------------------


@pytest.mark.parametrize("kind_name", ["Job", "JobSet", "CronJob"])
def test_batch_gpu_work_is_not_asked_for_an_hpa(kind_name: str) -> None:
    graph = Graph([*good_stack(), gpu_job(kind_name)])
    assessment = assess_pod_autoscaling(graph)
    assert assessment.status is Status.IMPLEMENTED, assessment.violations
    assert len(graph.kubernetes(kind_name)) == 1


def test_a_serving_deployment_without_hpa_is_still_flagged() -> None:
    from policy_fixtures import kind, without

    assessment = assess_pod_autoscaling(Graph(without(good_stack(), kind("HorizontalPodAutoscaler"))))
    assert assessment.status is Status.NOT_IMPLEMENTED


# --- the same verdicts through CrossGuard (what `pulumi preview --policy-pack policies/llm-d-practices` runs) --------


def _crossguard_ids(stack: Stack) -> set[str]:
    """Names of the llm-d-practices CrossGuard policies that report a violation on ``stack``."""
    from pulumi_policy import (
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
    )

    from pulumi_llmd.policies.crossguard import practices_policies

    opts = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
    resources = [PolicyResource(r.type, r.props, r.urn, r.name, opts, None, None, [], {}) for r in stack]
    fired: set[str] = set()
    for policy in practices_policies():
        reported: list[str] = []

        def report(message: str, urn: object = None, reported: list[str] = reported) -> None:
            reported.append(message)

        if isinstance(policy, ResourceValidationPolicy):
            for r in stack:
                args = ResourceValidationArgs(r.type, r.props, r.urn, r.name, opts, None, None, {})  # type: ignore[arg-type]
                policy.validate(args, report)  # type: ignore[arg-type]
        else:
            policy.validate(StackValidationArgs(resources, {}), report)  # type: ignore[union-attr]
        if reported:
            fired.add(policy.name)
    return fired


PRACTICE_MUTATIONS = [m for m in MUTATIONS if "_" not in m[1]]  # conformance ids have underscores


@pytest.mark.parametrize(("case", "policy", "make"), PRACTICE_MUTATIONS, ids=[m[0] for m in PRACTICE_MUTATIONS])
def test_crossguard_packs_catch_the_same_mutations(case: str, policy: str, make: Callable[[], Stack]) -> None:
    assert policy in _crossguard_ids(make())


def test_crossguard_packs_pass_the_compliant_stack() -> None:
    assert _crossguard_ids(good_stack()) <= ADVISORY_BY_DESIGN


def test_a_gpu_batch_job_running_vllm_is_not_held_to_the_serving_rules() -> None:
    """Offline inference as a Job (a copy of the flagship's decode pod template, no InferencePool, no HPA, no PDB, no
    PodMonitor) is valid: autoscaling, disruption budgets, the picker's reach and scraped metrics are serving rules."""
    entries = json.loads((REPO / "goldens" / "eks-p5-optimized-baseline" / "resources.json").read_text())
    decode = next(e for e in entries if e["type"] == "kubernetes:apps/v1:Deployment" and "decode" in e["name"])
    namespace = decode["inputs"]["metadata"]["namespace"]
    pod = copy.deepcopy(decode["inputs"]["spec"]["template"]["spec"])
    job = {
        **copy.deepcopy(decode),
        "type": "kubernetes:batch/v1:Job",
        "name": "batch-eval",
        "urn": decode["urn"].replace("apps/v1:Deployment", "batch/v1:Job").replace(decode["name"], "batch-eval"),
        "inputs": {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "batch-eval", "namespace": namespace, "labels": {"app": "batch-eval"}},
            "spec": {
                "template": {"metadata": {"labels": {"app": "batch-eval"}}, "spec": {**pod, "restartPolicy": "Never"}}
            },
        },
    }
    result = run_checks(resources_from_render([*entries, job]))
    assert [str(f) for f in result.mandatory if "batch-eval" in str(f)] == []
    assert result.mandatory == []
