"""Clusters the library does not create (kind, on-prem, CoreWeave, OpenShift): a Kubernetes provider and hand-written
accelerator pools, no cloud resources."""

from pulumi_llmd.components.cluster.existing import (
    ExistingCluster,
    ExistingPool,
    accelerator_pool,
    existing_pool_problems,
    pool_inputs,
)

__all__ = ["ExistingCluster", "ExistingPool", "accelerator_pool", "existing_pool_problems", "pool_inputs"]
