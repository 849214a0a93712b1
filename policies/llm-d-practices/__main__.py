"""CrossGuard pack ``llm-d-practices``: llm-d's production practices, enforced before deploy.

    pulumi preview --policy-pack policies/llm-d-practices

Accelerator requests equal limits; parallelism fits the node; P/D only over RDMA (or explicit TCP); a highly
available endpoint picker with leader election; pinned images and charts; probes on model servers;
PodDisruptionBudgets; NetworkPolicies that let only the gateway reach the EPP and the model servers; no privileged
containers, no hostPath to devices, capabilities limited to what RDMA needs; the HF token only from a Secret.
Every policy is mandatory (lower one with ``--policy-pack-config``). The rules are ``pulumi_llmd.policies.practices``.
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
