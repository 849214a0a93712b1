"""Register a Kubernetes manifest (a plain dict) as the matching typed ``pulumi_kubernetes`` resource.

Components build their objects as plain, testable manifests (camelCase, exactly what ``kubectl`` would see) and
register them through :func:`k8s_object`, which picks the typed resource class (``kubernetes:apps/v1:Deployment``
and so on) or a ``CustomResource`` for CRD kinds. The render, the diffs and the policies therefore see every field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): k8s.apiextensions.v1.CustomResourceDefinition,
    ("apiregistration.k8s.io/v1", "APIService"): k8s.apiregistration.v1.APIService,
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def k8s_object(resource_name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Register ``manifest`` (``apiVersion``, ``kind``, ``metadata``, and the kind's top-level fields).

    Built-in kinds become their typed class (top-level keys such as ``roleRef`` map to the ``role_ref`` argument;
    nested keys stay camelCase); any other ``apiVersion``/``kind`` becomes ``k8s.apiextensions.CustomResource``.
    ``metadata.name`` must be set (the mock engine cannot auto-name, and stable names keep renders diffable).

    Raises:
        ValueError: a manifest without ``apiVersion``, ``kind`` or ``metadata.name``.
    """
    api_version = manifest.get("apiVersion")
    kind = manifest.get("kind")
    name = (manifest.get("metadata") or {}).get("name")
    if not api_version or not kind or not name:
        raise ValueError(f"{resource_name}: a manifest needs apiVersion, kind and metadata.name")
    fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    cls = _TYPED.get((api_version, kind))
    if cls is None:
        return k8s.apiextensions.CustomResource(resource_name, api_version, kind, opts=opts, **fields)
    created: pulumi.CustomResource = cls(resource_name, opts=opts, **{_snake(k): v for k, v in fields.items()})
    return created


def child_options(parent: pulumi.Resource, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options for a component's children: parented to it, and waiting on whatever the component waits on."""
    return pulumi.ResourceOptions(parent=parent, depends_on=opts.depends_on if opts is not None else None)


def exec_kubeconfig(*, name: str, server: str, ca_data: str, exec_config: Mapping[str, Any]) -> str:
    """A one-cluster kubeconfig (YAML text) whose user runs a credential plugin (``users[].user.exec``).

    ``server`` is the API URL (``https://...``), ``ca_data`` the base64 CA bundle, ``exec_config`` the plugin
    block (``client.authentication.k8s.io/v1beta1`` is filled in). Cluster, context and user are all ``name``.
    """

    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"certificate-authority-data": ca_data, "server": server}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [
            {"name": name, "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", **exec_config}}}
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def merge_values(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Helm values ``base`` with ``overrides`` merged in, as ``helm --values`` layers files: mappings merge key by key
    (recursively), anything else - scalars and lists - is replaced; an override of ``None`` removes the key (Helm's
    ``null`` deletes a default). Pure; neither argument is changed.

    >>> merge_values({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2], "d": None}})
    {'a': {'b': 1, 'c': [2]}}
    """
    merged: dict[str, Any] = {k: v for k, v in base.items()}
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_transform(type_token: str, field: str | None, overrides: Mapping[str, Any]) -> pulumi.ResourceTransform:
    """A Pulumi resource transform that merges ``overrides`` into the input ``field`` (wire name, e.g. ``nodeConfig``;
    None: into the inputs themselves) of resources of type ``type_token`` (e.g. ``gcp:container/nodePool:NodePool``)
    with :func:`merge_values`; other resources pass unchanged. The pass-through of the node-pool and node-group
    components: a provider field the component does not model reaches the resource (Pulumi "Transforms").
    """

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != type_token:
            return None
        if field is None:
            return pulumi.ResourceTransformResult(merge_values(args.props, overrides), args.opts)
        props = dict(args.props)
        current = props.get(field)
        props[field] = merge_values(current if isinstance(current, Mapping) else {}, overrides)
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform
