"""Clusters hardened by default (issue 12): GKE private nodes + Cloud NAT, authorized networks, Secrets encryption
with a Cloud KMS key, a least-privilege node service account, shielded nodes; EKS endpoint access from config, IMDSv2
hop limit 1 on GPU nodes, the vpc-cni network policy agent; cloud-side checks as config errors; the twin's rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components.gcp.identity import NODE_ROLE
from pulumi_llmd.components.gcp.kms import ENCRYPTER_DECRYPTER_ROLE
from pulumi_llmd.render.engine import ProgramRun, RegisteredResource, run_program
from pulumi_llmd.twin.model import Graph
from pulumi_llmd.twin.rules import check_gke_hardening
from tests.conftest import REPO, make_valid_config

AUTHORIZED = ["203.0.113.0/24"]
SUBNET = "subnet-0a1b2c3d4e"
CIDRS = "llmd:cluster.controlPlane.authorizedCidrs"


def _gke(**cluster: Any) -> dict[str, Any]:
    config = make_valid_config()
    config["cluster"] = {"controlPlane": {"authorizedCidrs": AUTHORIZED}, **cluster}
    config["gateway"] = {"authentication": "none"} if _gateway_auth_key() else {}
    return config


def _eks(**target: Any) -> dict[str, Any]:
    return {
        "target": {"cloud": "aws", "region": "us-east-1", "availabilityZones": ["us-east-1a", "us-east-1b"], **target},
        "cluster": {"controlPlane": {"authorizedCidrs": AUTHORIZED}},
        "pools": [{"name": "gpu", "machineType": "p5.48xlarge", "nodeCount": 1}],
        "models": [{"name": "m", "huggingFaceId": "Qwen/Qwen3-8B", "tensorParallelSize": 1, "replicas": 1}],
        "gateway": {"authentication": "none"} if _gateway_auth_key() else {},
    }


def _gateway_auth_key() -> bool:
    """Whether this tree's GatewayConfig has an ``authentication`` key (another change adds it)."""
    from pulumi_llmd.blueprints.config import GatewayConfig

    return "authentication" in GatewayConfig.model_fields


def _run(config: dict[str, Any]) -> ProgramRun:
    engine = {f"llmd:{k}": json.dumps(v) for k, v in config.items()}
    return run_program(REPO / "__main__.py", project="llmd", stack="hardening", config=engine)


def _of(run: ProgramRun, type_: str) -> list[RegisteredResource]:
    return [r for r in run.resources if r.type == type_]


def _issues(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    return [str(i) for i in caught.value.issues]


# --- GKE ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gke_run() -> ProgramRun:
    config = _gke()
    config["pools"].append({"name": "tpu", "machineType": "ct6e-standard-4t", "nodeCount": 1})
    config["models"][0]["pool"] = "h100"
    run = _run(config)
    assert run.error is None, repr(run.error)
    return run


def test_gke_cluster_has_private_nodes_authorized_networks_encryption_and_shielded_nodes(gke_run: ProgramRun) -> None:
    (cluster,) = _of(gke_run, "gcp:container/cluster:Cluster")
    inputs = cluster.inputs
    assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert inputs["privateClusterConfig"]["enablePrivateEndpoint"] is False  # authorized CIDRs use the public one
    assert inputs["masterAuthorizedNetworksConfig"] == {
        "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "authorized-0"}],
        "gcpPublicCidrsAccessEnabled": False,
    }
    (key,) = _of(gke_run, "gcp:kms/cryptoKey:CryptoKey")
    assert inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": f"{key.name}-id"}
    assert key.inputs["rotationPeriod"] == "7776000s" and key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    (ring,) = _of(gke_run, "gcp:kms/keyRing:KeyRing")
    assert ring.inputs["location"] == "us-central1" and "name" not in ring.inputs  # auto-named: rings outlive stacks
    assert inputs["enableShieldedNodes"] is True
    assert inputs["workloadIdentityConfig"] == {"workloadPool": "my-gcp-project.svc.id.goog"}


def test_gke_service_agent_may_use_the_key_before_the_cluster_is_created(gke_run: ProgramRun) -> None:
    (cluster,) = _of(gke_run, "gcp:container/cluster:Cluster")
    (grant,) = _of(gke_run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert grant.inputs["role"] == ENCRYPTER_DECRYPTER_ROLE == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    # the mock engine answers gcp.organizations.getProject with the number 000000000000
    assert (
        grant.inputs["member"] == "serviceAccount:service-000000000000@container-engine-robot.iam.gserviceaccount.com"
    )
    assert grant.urn in cluster.options.dependencies
    services = {r.inputs["service"]: r for r in _of(gke_run, "gcp:projects/service:Service")}
    assert "cloudkms.googleapis.com" in services
    (ring,) = _of(gke_run, "gcp:kms/keyRing:KeyRing")
    assert services["cloudkms.googleapis.com"].urn in ring.options.dependencies


def test_every_gke_node_pool_runs_as_the_least_privilege_node_account(gke_run: ProgramRun) -> None:
    (account,) = _of(gke_run, "gcp:serviceaccount/account:Account")
    email = f"{account.inputs['accountId']}@my-gcp-project.iam.gserviceaccount.com"
    (binding,) = [r for r in _of(gke_run, "gcp:projects/iAMMember:IAMMember") if r.inputs["role"] == NODE_ROLE]
    assert NODE_ROLE == "roles/container.defaultNodeServiceAccount"
    assert binding.inputs["member"] == f"serviceAccount:{email}"
    pools = _of(gke_run, "gcp:container/nodePool:NodePool")
    assert {p.name for p in pools} == {"llm-d-system", "h100", "tpu"}
    for pool in pools:
        node = pool.inputs["nodeConfig"]
        assert node["serviceAccount"] == email, pool.name
        assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    (cluster,) = _of(gke_run, "gcp:container/cluster:Cluster")
    assert cluster.inputs["nodeConfig"]["serviceAccount"] == email  # the short-lived default pool too


def test_private_nodes_get_cloud_nat_and_the_pools_wait_for_it(gke_run: ProgramRun) -> None:
    (router,) = _of(gke_run, "gcp:compute/router:Router")
    (nat,) = _of(gke_run, "gcp:compute/routerNat:RouterNat")
    assert nat.inputs["router"] == router.inputs["name"]
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    for pool in _of(gke_run, "gcp:container/nodePool:NodePool"):
        assert nat.urn in pool.options.dependencies, pool.name
    graph = Graph.build([_entry(r) for r in gke_run.resources])
    assert list(check_gke_hardening(graph)) == []


def test_empty_authorized_cidrs_make_the_gke_endpoint_private() -> None:
    run = _run(_gke(controlPlane={"authorizedCidrs": []}))
    assert run.error is None, repr(run.error)
    (cluster,) = _of(run, "gcp:container/cluster:Cluster")
    assert cluster.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster.inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"] == []


def test_a_secrets_key_of_your_own_is_used_and_granted() -> None:
    key = "projects/kms-project/locations/us-central1/keyRings/ring/cryptoKeys/gke"
    run = _run(_gke(secretsKmsKey=key))
    assert run.error is None, repr(run.error)
    assert _of(run, "gcp:kms/keyRing:KeyRing") == [] and _of(run, "gcp:kms/cryptoKey:CryptoKey") == []
    (cluster,) = _of(run, "gcp:container/cluster:Cluster")
    assert cluster.inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key}
    (grant,) = _of(run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert grant.inputs["cryptoKeyId"] == key


# --- the twin ------------------------------------------------------------------------------------------------------


def _entry(r: RegisteredResource) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "custom": r.custom,
        "inputs": r.inputs,
        "dependencies": list(r.options.dependencies),
        "provider": r.options.provider,
    }


def test_twin_fails_private_nodes_without_cloud_nat(gke_run: ProgramRun) -> None:
    without_nat = [_entry(r) for r in gke_run.resources if r.type != "gcp:compute/routerNat:RouterNat"]
    findings = list(check_gke_hardening(Graph.build(without_nat)))
    assert [f.check for f in findings] == ["private-nodes-nat"]
    assert "docker.io" in findings[0].message and "Cloud NAT" in findings[0].fix


def test_twin_fails_a_cluster_that_does_not_wait_for_the_kms_grant(gke_run: ProgramRun) -> None:
    (grant,) = _of(gke_run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    entries = []
    for r in gke_run.resources:
        entry = _entry(r)
        if r.type == "gcp:container/cluster:Cluster":
            entry["dependencies"] = [d for d in entry["dependencies"] if d != grant.urn]
        entries.append(entry)
    findings = list(check_gke_hardening(Graph.build(entries)))
    assert [f.check for f in findings] == ["kms-grant"]


# --- EKS ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eks_run() -> ProgramRun:
    run = _run(_eks())
    assert run.error is None, repr(run.error)
    return run


def test_eks_endpoint_is_public_only_for_the_authorized_cidrs(eks_run: ProgramRun) -> None:
    (cluster,) = _of(eks_run, "aws:eks/cluster:Cluster")
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == AUTHORIZED


def test_eks_empty_authorized_cidrs_is_a_private_endpoint_only() -> None:
    config = _eks()
    config["cluster"] = {"controlPlane": {"authorizedCidrs": []}}
    run = _run(config)
    assert run.error is None, repr(run.error)
    (cluster,) = _of(run, "aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster.inputs["vpcConfig"]


def test_eks_gpu_nodes_require_imdsv2_with_hop_limit_1(eks_run: ProgramRun) -> None:
    (template,) = _of(eks_run, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }


def test_eks_vpc_cni_enforces_network_policies(eks_run: ProgramRun) -> None:
    addons = {r.inputs["addonName"]: r.inputs for r in _of(eks_run, "aws:eks/addon:Addon")}
    assert json.loads(addons["vpc-cni"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert "configurationValues" not in addons["coredns"]


def test_control_plane_is_private_when_the_stack_file_says_nothing() -> None:
    gke = _run({**make_valid_config(), "cluster": {}})
    (cluster,) = _of(gke, "gcp:container/cluster:Cluster")
    assert cluster.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster.inputs["masterAuthorizedNetworksConfig"].get("cidrBlocks", []) == []
    eks = _run({**_eks(), "cluster": {}})
    (eks_cluster,) = _of(eks, "aws:eks/cluster:Cluster")
    assert eks_cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False


# --- config errors (exit 2, nothing registered) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "fragment"),
    [
        (
            _gke(controlPlane={"authorizedCidrs": ["10.0.0.1/8"]}),
            f"{CIDRS}[0]",
            "IPv4",
        ),
        (
            _gke(controlPlane={"authorizedCidrs": ["2001:db8::/32"]}),
            f"{CIDRS}[0]",
            "IPv4",
        ),
        (_gke(secretsKmsKey="my-key"), "llmd:cluster.secretsKmsKey", "not a Cloud KMS key name"),
        (
            _gke(secretsKmsKey="projects/p-12345/locations/europe-west4/keyRings/r/cryptoKeys/k"),
            "llmd:cluster.secretsKmsKey",
            "'us-central1'",
        ),
        (_eks(adminPrincipalArns=["*"]), "llmd:target.adminPrincipalArns[0]", "no wildcards"),
        (
            _eks(adminPrincipalArns=["arn:aws:iam::123456789012:role/*"]),
            "llmd:target.adminPrincipalArns[0]",
            "no wildcards",
        ),
        (
            _eks(adminPrincipalArns=["arn:aws-cn:iam::123456789012:role/admin"]),
            "llmd:target.adminPrincipalArns[0]",
            "allowed: 'aws'",
        ),
        (_eks(availabilityZones=["us-east-1a"]), "llmd:target.availabilityZones", "at least two availability zones"),
        (_eks(availabilityZones=["us-east-1a", "us-west-2b"]), "llmd:target.availabilityZones", "several regions"),
        (_eks(availabilityZones=["us-west-2a", "us-west-2b"]), "llmd:target.availabilityZones", "not zones of region"),
        (_eks(availabilityZones=["us-east-1a", "us-east-1a"]), "llmd:target.availabilityZones", "more than once"),
        (_eks(vpc={"cidr": "10.0.0.0/8"}), "llmd:target.vpc.cidr", "/16 to /28"),
        (_eks(vpc={"cidr": "10.0.0.0/27"}), "llmd:target.vpc.cidr", "too small"),
        (_eks(vpc={"existingVpcId": "vpc-1"}), "llmd:target.vpc.existingVpcId", "vpc-0123456789abcdef0"),
        (
            _eks(vpc={"existingVpcId": "vpc-0123456789abcdef0", "existingPrivateSubnets": {"us-east-1a": "subnet-x"}}),
            "llmd:target.vpc.existingPrivateSubnets",
            "not subnet ids",
        ),
        (
            _eks(vpc={"existingVpcId": "vpc-0123456789abcdef0", "existingPrivateSubnets": {"us-east-1a": SUBNET}}),
            "llmd:target.vpc.existingPrivateSubnets",
            "same zones as availabilityZones",
        ),
        (
            {**_eks(), "cluster": {"controlPlane": {"authorizedCidrs": []}, "privateNodes": False}},
            "llmd:cluster.privateNodes",
            "'gcp' only",
        ),
    ],
    ids=[
        "host-bits",
        "ipv6",
        "kms-key-malformed",
        "kms-key-elsewhere",
        "wildcard-principal",
        "wildcard-role-name",
        "principal-partition",
        "one-az",
        "az-two-regions",
        "az-other-region",
        "az-twice",
        "vpc-cidr-prefix",
        "vpc-cidr-too-small",
        "vpc-id",
        "subnet-id",
        "subnets-other-zones",
        "private-nodes-on-eks",
    ],
)
def test_cloud_side_checks_are_config_errors_before_anything_registers(
    config: dict[str, Any], key: str, fragment: str
) -> None:
    issues = _issues(config)
    assert any(i.startswith(key) and fragment in i for i in issues), issues
    run = _run(config)
    assert run.resources == []
    assert run.error is not None and key in str(run.error)


def test_an_empty_model_pool_is_a_config_error_before_anything_registers() -> None:
    config = _gke()
    config["models"][0]["pool"] = ""
    issues = _issues(config)
    assert any(i.startswith("llmd:models[0].pool = ''") and "no such pool" in i for i in issues), issues
    run = _run(config)
    assert run.resources == []


def test_an_existing_vpc_with_matching_zones_is_accepted() -> None:
    config = _eks(
        vpc={
            "existingVpcId": "vpc-0123456789abcdef0",
            "existingPrivateSubnets": {"us-east-1a": "subnet-0a1b2c3d4e", "us-east-1b": "subnet-0a1b2c3d4f"},
        }
    )
    parse_stack_config(config)
    run = _run(config)
    assert run.error is None, repr(run.error)
    assert _of(run, "aws:ec2/vpc:Vpc") == []
    (cluster,) = _of(run, "aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["subnetIds"] == ["subnet-0a1b2c3d4e", "subnet-0a1b2c3d4f"]


def test_cluster_keys_do_not_apply_to_an_existing_cluster() -> None:
    config = {
        "target": {"cloud": "existing"},
        "cluster": {"controlPlane": {"authorizedCidrs": AUTHORIZED}},
        "models": [{"name": "m", "huggingFaceId": "random", "path": "simulated-accelerators"}],
    }
    issues = _issues(config)
    assert any(i.startswith("llmd:cluster.controlPlane") and "existing cluster" in i for i in issues), issues


# --- explicit insecure choices are flagged --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        ({"controlPlane": {"authorizedCidrs": ["0.0.0.0/0"]}}, {"llmd:cluster.controlPlane.authorizedCidrs"}),
        (
            {"controlPlane": {"authorizedCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}},
            {"llmd:cluster.controlPlane.authorizedCidrs"},
        ),
        ({"controlPlane": {"authorizedCidrs": AUTHORIZED}, "privateNodes": False}, {"llmd:cluster.privateNodes"}),
        ({"controlPlane": {"authorizedCidrs": AUTHORIZED}}, set()),
        ({"controlPlane": {"authorizedCidrs": []}}, set()),
    ],
    ids=["open-world", "open-world-split", "public-nodes", "restricted", "private"],
)
def test_insecure_cluster_choices_are_flagged(cluster: dict[str, Any], expected: set[str]) -> None:
    from pulumi_llmd.blueprints.posture import insecure_choices

    config = _gke(**cluster)
    flagged = {c.key for c in insecure_choices(parse_stack_config(config)) if c.key.startswith("llmd:cluster.")}
    assert flagged == expected
