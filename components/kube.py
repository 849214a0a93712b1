"""Register a Kubernetes manifest (a plain dict) as the matching typed ``pulumi_kubernetes`` resource.

Components build their objects as plain, testable manifests (camelCase, exactly what ``kubectl`` would see) and
register them through :func:`k8s_object`, which picks the typed resource class (``kubernetes:apps/v1:Deployment``
and so on) or a ``CustomResource`` for CRD kinds. The render, the diffs and the policies therefore see every field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


#: Where the pod templates sit in each workload kind's inputs (Deployment/StatefulSet/DaemonSet/Job, LeaderWorkerSet).
_POD_TEMPLATES: dict[str, tuple[tuple[str, ...], ...]] = {
    "kubernetes:apps/v1:Deployment": (("spec", "template"),),
    "kubernetes:apps/v1:StatefulSet": (("spec", "template"),),
    "kubernetes:apps/v1:DaemonSet": (("spec", "template"),),
    "kubernetes:batch/v1:Job": (("spec", "template"),),
    "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet": (
        ("spec", "leaderWorkerTemplate", "leaderTemplate"),
        ("spec", "leaderWorkerTemplate", "workerTemplate"),
    ),
}


def patch_pod_template(template: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``template`` (a pod template: ``metadata`` + ``spec``) with ``patch`` merged in the way a Kubernetes strategic
    merge patch treats pod templates: mappings merge key by key; lists whose items are all mappings with a ``name``
    (``containers``, ``initContainers``, ``volumes``, ``env``, ``ports`` with names) merge item by item on ``name``
    (new names are appended); other lists and scalars are replaced; ``None`` deletes a key. Pure.

    >>> patch_pod_template({"spec": {"containers": [{"name": "a", "image": "x"}]}},
    ...                    {"spec": {"containers": [{"name": "a", "securityContext": {"runAsNonRoot": True}}]}})
    {'spec': {'containers': [{'name': 'a', 'image': 'x', 'securityContext': {'runAsNonRoot': True}}]}}
    """
    merged: dict[str, Any] = dict(template)
    for key, value in patch.items():
        current = merged.get(key)
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = patch_pod_template(current, value)
        elif isinstance(value, list) and isinstance(current, list) and _named(value) and _named(current):
            by_name = {item["name"]: item for item in current}
            out = [
                patch_pod_template(item, by_name_patch) if (by_name_patch := _find(value, item["name"])) else item
                for item in current
            ]
            out += [item for item in value if item["name"] not in by_name]
            merged[key] = out
        else:
            merged[key] = value
    return merged


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in items)


def _find(items: list[Any], name: str) -> Mapping[str, Any] | None:
    return next((i for i in items if i["name"] == name), None)


def pod_template_transform(patch: Mapping[str, Any]) -> pulumi.ResourceTransform:
    """A Pulumi resource transform that patches the pod template(s) of every workload it reaches (Deployment,
    StatefulSet, DaemonSet, Job, and both templates of a LeaderWorkerSet) with :func:`patch_pod_template`.

    The pod-template escape hatch of every workload component: pass it in the component's options, e.g.
    ``ModelServer(..., opts=pulumi.ResourceOptions(transforms=[pod_template_transform({"spec": {"priorityClassName":
    "inference"}})]))``; a component's transforms reach every resource under it (Pulumi "Transforms"), and the
    offline render applies them too.
    """

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        paths = _POD_TEMPLATES.get(args.type_)
        if not paths:
            return None
        props: dict[str, Any] = dict(args.props)
        for path in paths:
            node: dict[str, Any] = props
            for part in path[:-1]:
                child = node.get(part)
                if not isinstance(child, Mapping):
                    break
                node[part] = dict(child)
                node = node[part]
            else:
                template = node.get(path[-1])
                if isinstance(template, Mapping):
                    node[path[-1]] = patch_pod_template(template, patch)
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform


def with_depends_on(
    opts: pulumi.ResourceOptions | None, deps: Sequence[pulumi.Resource]
) -> pulumi.ResourceOptions | None:
    """``opts`` plus ``depends_on=deps`` (Pulumi's ``merge`` concatenates ``depends_on``); ``opts`` itself, unchanged,
    when ``deps`` is empty. How a component turns the objects it was given (a namespace, a picker, a gateway: see
    :func:`~pulumi_llmd.components.args.ref_name`) into edges Pulumi sees for it and its children."""
    if not deps:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(deps)))
