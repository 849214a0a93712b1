"""CrossGuard pack ``kubernetes-ai-conformance``: one policy per CNCF Kubernetes AI Conformance requirement.

    pulumi preview --policy-pack policies/kubernetes-ai-conformance
    pulumi preview --policy-pack policies/kubernetes-ai-conformance \\
        --policy-pack-config policies/kubernetes-ai-conformance/config/v1.36.json

Checklist v1.37 (the newest carried) by default; the ``karVersion`` policy config (1.33-1.37; the files in
``config/`` set it together with each requirement's enforcement level for that version) or ``LLMD_KAR_VERSION`` at
start-up select another. MUST -> mandatory, SHOULD -> advisory; conditional MUSTs and requirements the graph
cannot show report "not applicable" with the reason. Each policy carries
``PolicyComplianceFramework(name="cncf-k8s-ai-conformance", version, reference=KAR id)``.
The rules are ``pulumi_llmd.policies`` (the same code ``pulumi-llmd check`` runs offline).
"""

import os

from pulumi_policy import EnforcementLevel, PolicyPack

from pulumi_llmd.policies.crossguard import conformance_policies
from pulumi_llmd.policies.requirements import DEFAULT_VERSION

PolicyPack(
    name="kubernetes-ai-conformance",
    policies=conformance_policies(os.environ.get("LLMD_KAR_VERSION", DEFAULT_VERSION)),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Kubernetes AI Conformance (CNCF k8s-ai-conformance checklists) for llm-d stacks",
    tags=["ai-conformance", "kubernetes", "llm-d"],
)
