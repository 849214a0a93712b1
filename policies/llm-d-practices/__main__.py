"""CrossGuard pack ``llm-d-practices``: llm-d's production practices, enforced before deploy.

    pulumi preview --policy-pack policies/llm-d-practices

Accelerator requests equal limits; parallelism fits a node of the pool the pod lands on; P/D only over RDMA (or
explicit TCP); a highly available endpoint picker with leader election; images naming one release and exact chart
versions (digests advised); probes on model servers; PodDisruptionBudgets; NetworkPolicies that let only the gateway
reach the EPP and the model servers, no open rule, a default deny in every stack namespace; no privileged containers,
host namespaces, privilege escalation or hostPath to devices, capabilities limited to what RDMA needs; the HF token
and other credentials only from Secrets. Every policy is mandatory except ``images-by-digest`` and
``addon-namespace-default-deny`` (advisory); lower one with ``--policy-pack-config``.
The rules are ``pulumi_llmd.policies.practices``.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from pulumi_llmd.policies.crossguard import practices_policies

PolicyPack(
    name="llm-d-practices",
    policies=practices_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="llm-d production practices for inference stacks",
    tags=["llm-d", "kubernetes"],
)
