"""``deploy(config)``: a validated StackConfig in, a cluster with llm-d serving out.

The one program behind ``pulumi up`` and the offline render: ``__main__.py`` calls :func:`main`, which reads the
``llmd:`` config once, validates it (nothing is registered if it fails) and deploys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config, get_config_env, get_config_secret_keys_env, is_config_secret

from pulumi_llmd.blueprints.config import (
    AuthenticationConfig,
    ConfigSecrets,
    ParsedStack,
    StackConfig,
    WellLitPath,
    stack_data,
)
from pulumi_llmd.blueprints.endpoint import GatewayEndpoint, authenticate_gateway, prepare_endpoint
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigError
from pulumi_llmd.blueprints.paths import PathContext, ServedModel, build_path
from pulumi_llmd.blueprints.paths.routing import use_model_routing
from pulumi_llmd.blueprints.plan import ModelPlan, StackPlan, plan_stack
from pulumi_llmd.blueprints.pod_security import stack_pod_security
from pulumi_llmd.blueprints.targets import Target, TargetPlatform, target_for
from pulumi_llmd.blueprints.targets.weights_cache import cache_options, resolve_weights_cache
from pulumi_llmd.blueprints.validation import parse_config_values
from pulumi_llmd.components.base import HF_TOKEN_KEY, HF_TOKEN_SECRET, AcceleratorPool, Cluster
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform import (
    GatewayApiCrds,
    InferenceGateway,
    Kueue,
    KueueQueues,
    LeaderWorkerSetController,
    ServingNetworkPolicies,
    StackNamespace,
    StackNetworkPolicies,
)
from pulumi_llmd.components.platform.pod_security import PodSecurity
from pulumi_llmd.components.serving.body_router import BODY_ROUTER_NAME, BodyBasedRouter
from pulumi_llmd.components.serving.model_server import VLLM_PORT, vllm_image
from pulumi_llmd.components.serving.tokenizer import RENDER_PORT, render_network_policy
from pulumi_llmd.components.serving.weights_cache import use_weights_cache
from pulumi_llmd.components.versions import use_release


@dataclass
class Deployment:
    """What :func:`deploy` built: the cluster (with its provider and pools), namespace, gateway and served models."""

    config: StackConfig
    cluster: Cluster
    namespace: StackNamespace
    gateway: InferenceGateway
    #: The plan every derived fact was read from.
    plan: StackPlan
    #: What each model's well-lit path built, by model name. Default: none (filled by :func:`deploy`).
    models: dict[str, ServedModel] = field(default_factory=dict)


def _current_config() -> tuple[dict[str, Any], set[str]]:
    """Every config key of the current stack (all namespaces) with its value as Pulumi hands it over, and the keys
    Pulumi lists as secrets (``pulumi.runtime.config``: set in-process, or ``PULUMI_CONFIG`` /
    ``PULUMI_CONFIG_SECRET_KEYS`` from the language host)."""
    keys = {*CONFIG.get(), *get_config_env()}
    values = {k: get_config(k) for k in sorted(keys)}
    env_secret = set(get_config_secret_keys_env())
    return values, {k for k in keys if is_config_secret(k) or k in env_secret}


def read_config() -> ParsedStack:
    """The current stack's config, validated: the plain :class:`StackConfig` and the secrets read beside it.

    Secret values (``llmd:hfToken``, ``llmd:models[i].hfToken``, ``llmd:gateway.authentication.iap.clientSecret``)
    are never read with plain ``Config.get`` into the StackConfig (the detached ones are removed from it, the IAP
    client secret stays a pydantic ``SecretStr``); :func:`secret_outputs` turns them into Pulumi secrets. Raises
    :class:`ConfigError` (see :func:`parse_config_values`: misspelled namespaces, secrets in plain text, secrets
    where none belong, and every StackConfig check).
    """
    values, secret_keys = _current_config()
    return parse_config_values(values, secret_keys)


def read_stack_config() -> dict[str, Any]:
    """The ``llmd:`` keys of the current stack's config as plain data (structured values decoded from JSON),
    without any secret: ``llmd:hfToken`` and every ``llmd:models[i].hfToken`` are left out (read them with
    :func:`read_config`). Not validated."""
    values, _ = _current_config()
    return stack_data(values)


def secret_outputs(secrets: ConfigSecrets) -> dict[str, pulumi.Output[str]]:
    """Each secret config value as a Pulumi secret Output, by config path (``llmd:models[0].hfToken``)."""
    return {path: pulumi.Output.secret(value) for path, value in sorted(secrets.values.items())}


def read_hf_token() -> pulumi.Output[str] | None:
    """The Hugging Face token (``llmd:hfToken``) as a Pulumi secret, or None when the stack has none (or has it in
    plain text, which :func:`read_config` reports as an error)."""
    values, secret_keys = _current_config()
    key = f"{CONFIG_NAMESPACE}:hfToken"
    raw = values.get(key)
    if key not in secret_keys or not isinstance(raw, str) or not raw:
        return None
    return pulumi.Output.secret(raw)


def _model_hf_token_secrets(
    config: StackConfig,
    namespace: StackNamespace,
    tokens: Mapping[str, pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> dict[str, str]:
    """A Secret ``llm-d-hf-token-<model>`` (key ``HF_TOKEN``) for each model with its own ``hfToken``; returns
    model name -> Secret name. The tokens are Pulumi secrets and written only into these Secrets."""
    names: dict[str, str] = {}
    for model in config.models:
        token = tokens.get(model.name)
        if token is None:
            continue
        secret_name = f"{HF_TOKEN_SECRET}-{model.name}"
        k8s_object(
            f"{config.namespace}-{model.name}-hf-token",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": secret_name, "namespace": config.namespace},
                "type": "Opaque",
                "stringData": {HF_TOKEN_KEY: pulumi.Output.secret(token)},
            },
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
        )
        names[model.name] = secret_name
    return names


@dataclass
class PlatformAddons:
    """What every stack installs beyond its target's add-ons: Kueue and the LeaderWorkerSet controller, and what the
    target installed (:class:`~pulumi_llmd.blueprints.targets.TargetPlatform`)."""

    kueue: Kueue
    lws: LeaderWorkerSetController
    target: TargetPlatform

    @property
    def admission(self) -> list[pulumi.Resource]:
        """Releases whose fail-closed webhooks intercept objects of the stack namespace: Kueue (LeaderWorkerSets and
        Jobs anywhere; see ``components/platform/scheduling.py``) and LWS (LeaderWorkerSets, their pods and, with
        ``enableDisaggregatedSet``, DisaggregatedSets: ``vdisaggregatedset.kb.io``, ``failurePolicy=fail`` in
        kubernetes-sigs/lws ``pkg/webhooks/disaggregatedset/disaggregatedset_webhook.go``)."""
        return [self.kueue.release, self.lws.release]


def platform_addons(target: Target, cluster: Cluster, *, parent: pulumi.Resource | None = None) -> PlatformAddons:
    """What the AI-conformance MUSTs ask of every stack beyond serving (see ``policies/``, ``pulumi-llmd check``).

    Kueue (``gang_scheduling``; its queues come with :func:`kueue_queues` once the namespace exists), the
    LeaderWorkerSet operator (``robust_controller``), and the target's add-ons (:meth:`Target.platform`): the gateway
    implementation where the cloud brings none, device plugins, and the metrics path for the model servers' HPAs
    (``pod_autoscaling``, ``ai_service_metrics``). Kueue manages only the stack namespace; the target's Helm releases
    wait for it (their hook Jobs go through Kueue's cluster-wide fail-closed Job webhook). ``parent``: the component
    Kueue and LWS belong to. Default: None (a stack: no parent).
    """
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready), parent=parent)
    kueue = Kueue(namespaces=[target.config.namespace], opts=k8s_opts)
    # A model built as a DisaggregatedSet (P/D, wide-EP: llmd:models[i].workloadForm) needs the LWS chart's
    # DisaggregatedSet webhook and ClusterRoles (``enableDisaggregatedSet=true``, as llm-d's guides install LWS); the
    # webhook is fail-closed, and the namespace (so every DisaggregatedSet in it) waits for this release
    # (:attr:`PlatformAddons.admission`).
    lws = LeaderWorkerSetController(
        enable_disaggregated_set=any(m.uses_disaggregated_set for m in target.config.models), opts=k8s_opts
    )
    installed = target.platform(cluster, after=[kueue.release], parent=parent)
    if target.internal_ca is not None and any(m.keda_autoscaled for m in target.config.models):
        # The cluster-internal CA (HTTPS Prometheus, Target.prometheus): when KEDA reads Prometheus, the stack
        # namespace waits for its ClusterIssuer, so KEDA's client Certificate there is issued as soon as it is
        # created. Without KEDA nothing in the namespace needs the CA, and the models do not wait for it.
        installed.crds.extend(target.internal_ca.ready)
    if any(m.path is WellLitPath.FLOW_CONTROL for m in target.config.models):
        # flow-control's InferenceObjectives are llm-d.ai/v1alpha2 objects; the guide installs the llm-d.ai CRDs from
        # the router release (llm-d/llm-d guides/flow-control/README.md). No cloud serves them (GKE serves GAIE's
        # InferencePool only), so the stack installs the carried CRD once, and its namespace waits for it.
        installed.crds.append(GatewayApiCrds("llm-d-ai-crds", include=("inference-objective",), opts=k8s_opts))
    if any(m.keda_autoscaled for m in target.config.models):
        # workload-autoscaling's ScaledObjects (one fleet, or per role for P/D) need KEDA (llm-d/llm-d
        # guides/workload-autoscaling/README.md
        # "Installing KEDA (Recommended)"): its chart brings the keda.sh CRDs and the ScaledObject webhook, so the
        # stack namespace waits for the release; the release waits for Kueue (its fail-closed Deployment webhook).
        from pulumi_llmd.components.platform.keda import Keda

        keda_prometheus = target.keda_prometheus()
        keda = Keda(
            "keda",
            gcp_project=keda_prometheus.workload_identity_project if keda_prometheus is not None else None,
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[kueue.release])),
        )
        installed.crds.append(keda.release)
    return PlatformAddons(kueue=kueue, lws=lws, target=installed)


def observe_model(
    target: Target,
    model: ModelPlan,
    served: ServedModel,
    opts: pulumi.ResourceOptions,
    *,
    platform: TargetPlatform,
    endpoint: GatewayEndpoint | None = None,
) -> None:
    """Per model: metrics scraping (vLLM, EPP and the tokenizer render pods) and NetworkPolicies, and what the
    target's load balancer needs (:meth:`Target.serving_policies`: on GKE the GCPBackendPolicy with the endpoint's
    IAP settings). ``opts``: parent (the path's component) and what the objects wait for (the namespace).
    ``endpoint``: the stack's :class:`GatewayEndpoint` (IAP settings for the load balancer's policies). Default: None
    (no endpoint settings)."""
    config = target.config
    name = model.name
    target.serving_policies(name, served.pool_name, opts, endpoint)
    target.monitor(
        f"{name}-decode", selector=served.server_selector, port=served.metrics_ports, opts=opts, platform=platform
    )
    target.monitor(f"{name}-epp", selector=served.picker.selector, port="metrics", opts=opts, platform=platform)
    render = served.render
    if render is not None:
        target.monitor(f"{name}-render", selector=render.labels, port="render-http", opts=opts, platform=platform)
        k8s_object(
            f"{name}-render-networkpolicy",
            render_network_policy(
                name=f"{name}-render",
                namespace=config.namespace,
                labels=render.labels,
                client_labels=served.picker.selector,
                monitoring_namespaces=target.monitoring_namespaces,
            ),
            opts,
        )
    api_server_cidrs, api_server_ports = target.api_server()
    ServingNetworkPolicies(
        name,
        namespace=config.namespace,
        api_server_cidrs=api_server_cidrs,
        api_server_ports=api_server_ports,
        # The simulator's guide model ``random`` loads nothing; every real model id is fetched from Hugging Face.
        hugging_face=model.config.hugging_face_id != "random",
        render_labels=render.labels if render is not None else None,
        render_port=RENDER_PORT if render is not None else None,
        model_server_labels=served.server_selector,
        model_server_port=VLLM_PORT,
        extra_model_server_ports=[p for p in served.server_ports if p != VLLM_PORT],
        peer_ports=served.peer_ports,
        picker_to_server_ports=served.picker_ports,
        picker_labels=served.picker.selector,
        picker_ports=[served.picker.port, served.picker.health_port],
        picker_metrics_port=served.picker.metrics_port,
        gateway_cidrs=target.gateway_cidrs,
        gateway_pod_labels=target.gateway_pod_labels,
        monitoring_namespaces=target.monitoring_namespaces,
        opts=opts,
    )


def kueue_queues(
    config: StackConfig,
    cluster: Cluster,
    addons: PlatformAddons,
    namespace: StackNamespace,
    *,
    parent: pulumi.Resource | None = None,
) -> None:
    """Kueue's flavors, ClusterQueue and LocalQueue for the accelerator pools (none without pools), after the Kueue
    release (its CRDs and webhooks) and the namespace (the LocalQueue lives there). ``parent``: the component the
    queues belong to. Default: None (a stack: no parent)."""
    if cluster.pools:
        KueueQueues(
            config.namespace,
            namespace=config.namespace,
            pools=list(cluster.pools.values()),
            opts=pulumi.ResourceOptions(
                provider=cluster.provider, depends_on=[addons.kueue.release, namespace], parent=parent
            ),
        )


def _iap_client_secret(config: StackConfig) -> pulumi.Output[str] | None:
    """``llmd:gateway.authentication.iap.clientSecret`` as a Pulumi secret (None when not set).

    :func:`read_config` keeps it out of plain config reads and hands it over as a pydantic ``SecretStr`` (never
    printed, never echoed by a config error); here it goes straight into ``Output.secret`` and stays one.
    """
    auth = config.gateway.authentication
    if isinstance(auth, AuthenticationConfig) and auth.iap is not None and auth.iap.client_secret is not None:
        return pulumi.Output.secret(auth.iap.client_secret.get_secret_value())
    return None


@dataclass
class BuiltPlatform:
    """What :func:`build_platform` registered: the add-ons (Kueue, LWS, the target's), the namespace, the endpoint
    (certificate, load-balancer annotations, IAP) and the Gateway every model routes through."""

    addons: PlatformAddons
    namespace: StackNamespace
    endpoint: GatewayEndpoint
    gateway: InferenceGateway


def build_platform(
    target: Target,
    cluster: Cluster,
    *,
    pod_security: PodSecurity,
    hf_token: pulumi.Output[str] | None = None,
    iap_client_secret: pulumi.Output[str] | None = None,
    parent: pulumi.Resource | None = None,
) -> BuiltPlatform:
    """Everything a stack (or an :class:`~pulumi_llmd.blueprints.inference.LlmdPlatform`) installs once per cluster,
    in this order: :func:`platform_addons`, the namespace, Kueue's queues, the endpoint (``blueprints/endpoint.py``),
    the Gateway, its authentication and the namespace's default-deny NetworkPolicies.

    Args:
        pod_security: The namespace's Pod Security level (see ``blueprints/pod_security.py``).
        hf_token: A Pulumi secret for the Secret ``llm-d-hf-token``. Default: None (no Secret: public models).
        iap_client_secret: A Pulumi secret for the IAP OAuth client Secret (see :func:`prepare_endpoint`).
            Default: None (no such Secret).
        parent: The component everything here belongs to, the target's add-ons and the endpoint's objects
            included. Default: None (a stack: the stacks' URNs stay as they are).
    """
    config, plan = target.config, target.plan
    addons = platform_addons(target, cluster, parent=parent)
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, parent=parent)
    # The namespace (so everything in it) waits for the fail-closed admission webhooks that intercept its objects
    # and for the Gateway API / InferencePool CRDs its routes and pools are instances of where the stack installs
    # them. Its Pod Security level follows what its pods need (blueprints/pod_security.py).
    namespace = StackNamespace(
        config.namespace,
        hf_token=hf_token,
        pod_security=pod_security,
        admission=[*addons.admission, *addons.target.crds],
        opts=k8s_opts,
    )
    kueue_queues(config, cluster, addons, namespace, parent=parent)
    # The endpoint (blueprints/endpoint.py): internal or public load balancer, the HTTPS certificate (cert-manager
    # after Kueue, whose Job webhook intercepts its startupapicheck Job), IAP's OAuth Secret and grants.
    endpoint = prepare_endpoint(
        config,
        cluster,
        namespace=namespace,
        after=[addons.kueue.release],
        iap_client_secret=iap_client_secret,
        cert_manager=target.cert_manager,
        parent=parent,
    )
    gateway_ready = addons.target.gateway_ready
    gateway = InferenceGateway(
        config.gateway.name,
        namespace=config.namespace,
        class_name=plan.gateway_class,
        port=config.gateway.port,
        labels=addons.target.gateway_labels,
        annotations=endpoint.annotations,
        infrastructure_annotations=endpoint.infrastructure_annotations,
        tls=endpoint.tls,
        opts=pulumi.ResourceOptions(
            provider=cluster.provider, depends_on=[namespace, *gateway_ready, *endpoint.depends_on], parent=parent
        ),
    )
    authenticate_gateway(
        config,
        cluster,
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace, *gateway_ready], parent=parent),
    )
    # Default deny (ingress and egress) in the stack namespace, DNS for every pod and, for an in-cluster gateway, its
    # proxy's listeners and control plane; each model adds its own allows (observe_model).
    in_cluster_gateway = target.in_cluster_gateway
    StackNetworkPolicies(
        config.namespace,
        namespace=config.namespace,
        gateway=config.gateway.name if in_cluster_gateway else None,
        gateway_implementation=plan.gateway_class if in_cluster_gateway else None,
        # The Gateway's listeners: the HTTP port (served or redirecting) and the HTTPS port with TLS.
        listener_ports=sorted({config.gateway.port, *([endpoint.tls.port] if endpoint.tls is not None else [])}),
        # Part of the namespace component; waits for the Namespace object only.
        opts=pulumi.ResourceOptions(provider=cluster.provider, parent=namespace, depends_on=[namespace.namespace]),
    )
    return BuiltPlatform(addons=addons, namespace=namespace, endpoint=endpoint, gateway=gateway)


def build_body_router(target: Target, cluster: Cluster, platform: BuiltPlatform) -> BodyBasedRouter:
    """The gateway's body-based router (``llmd:gateway.modelRouting: body``; llm-d/llm-d
    ``guides/multi-model-routing``, :mod:`pulumi_llmd.components.serving.body_router`), wired into the stack's
    Gateway for its class, with NetworkPolicies that let only the gateway reach it. Waits for the namespace and the
    Gateway (the GKE extension / Istio filter target it)."""
    api_server_cidrs, api_server_ports = target.api_server()
    return BodyBasedRouter(
        BODY_ROUTER_NAME,
        namespace=platform.namespace,
        gateway=platform.gateway,
        gateway_class=target.plan.gateway_class,
        gateway_cidrs=target.gateway_cidrs,
        gateway_pod_labels=target.gateway_pod_labels,
        api_server_cidrs=api_server_cidrs,
        api_server_ports=api_server_ports,
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready)),
    )


def serve_model(
    target: Target,
    plan: StackPlan,
    model: ModelPlan,
    cluster: Cluster,
    platform: BuiltPlatform,
    *,
    hf_token_secret: str | None,
    parent: pulumi.Resource | None = None,
) -> ServedModel:
    """Serve one planned ``model`` of ``plan`` on ``platform``: its well-lit path (:func:`build_path`, the path's
    component under ``parent``) with the target's autoscaling metric, then :func:`observe_model` (monitoring,
    NetworkPolicies, the load balancer's per-model policies) under the path's component. ``hf_token_secret``: the
    Secret the servers read the Hugging Face token from (None: public models only). ``parent``: the component the
    path's component belongs to. Default: None (a stack: no parent)."""
    pool = cluster.pools[model.pool.name] if model.pool is not None else None
    namespace = platform.namespace
    pool_ready = cluster.pool_ready.get(pool.name, []) if pool is not None else []
    # The weights cache (blueprints/targets/weights_cache.py): filled once by a loader Job on the pool's nodes; the
    # servers mount it read-only and wait for it (it joins what they wait for: pool_ready).
    cache_kind = resolve_weights_cache(plan.config, model.config, type(target))
    cache = None
    if cache_kind != "none" and pool is not None:
        cache = target.weights_cache(
            model.config,
            kind=cache_kind,
            namespace=plan.config.namespace,
            pool=pool,
            image=vllm_image(pool, model.config.image),
            hf_token_secret=hf_token_secret,
            opts=cache_options(
                pulumi.ResourceOptions(
                    provider=cluster.provider, depends_on=[namespace, *cluster.ready], parent=parent
                ),
                pool_ready,
            ),
        )
        pool_ready = [*pool_ready, *cache.ready]
    with use_weights_cache(cache):
        served = _build_served(target, plan, model, platform, pool, pool_ready, hf_token_secret, cluster, parent)
    observe_model(
        target,
        model,
        served,
        pulumi.ResourceOptions(parent=served.component, depends_on=[namespace]),
        platform=platform.addons.target,
        endpoint=platform.endpoint,
    )
    return served


def _build_served(
    target: Target,
    plan: StackPlan,
    model: ModelPlan,
    platform: BuiltPlatform,
    pool: AcceleratorPool | None,
    pool_ready: Sequence[pulumi.Resource],
    hf_token_secret: str | None,
    cluster: Cluster,
    parent: pulumi.Resource | None,
) -> ServedModel:
    namespace = platform.namespace
    return build_path(
        PathContext(
            plan=plan,
            model=model,
            namespace=plan.config.namespace,
            gateway=platform.gateway.name,
            gateway_listener=platform.gateway.route_listener,
            pool=pool,
            hf_token_secret=hf_token_secret,
            autoscaling_metric=target.autoscaling_metric(),
            keda=target.keda_prometheus(),
            # Only the model servers wait for the accelerator pool (7-9 min on GKE) and the weights cache; the
            # picker, InferencePool, HTTPRoute, HPA and PDBs wait for the namespace and the system nodes.
            pool_ready=pool_ready,
            opts=pulumi.ResourceOptions(
                provider=cluster.provider, depends_on=[namespace, *cluster.ready], parent=parent
            ),
        )
    )


def deploy(
    config: StackConfig,
    *,
    hf_token: pulumi.Output[str] | None = None,
    model_hf_tokens: Mapping[str, pulumi.Output[str]] | None = None,
) -> Deployment:
    """Deploy ``config``: cluster and accelerator pools, namespace, gateway, then each model on its well-lit path,
    every image and chart pinned by the llm-d release ``config.release`` selects (``llmd:release``; the program runs
    inside :func:`~pulumi_llmd.components.versions.use_release`).

    Returns the :class:`Deployment`.

    Args:
        config: The validated stack.
        hf_token: A Pulumi secret; it becomes the Secret ``llm-d-hf-token``. Default: None (public models).
        model_hf_tokens: Model name -> Pulumi secret (from ``llmd:models[i].hfToken``): a model's own Secret
            ``llm-d-hf-token-<model>`` in place of the stack's. Default: None (none).
    """
    plan = plan_stack(config)
    # Every component reads its images and charts from the active llm-d release while it is constructed
    # (components/versions.py active_release): the whole program runs inside the stack's release (llmd:release).
    with use_release(plan.release):
        return _deploy(plan, hf_token=hf_token, model_hf_tokens=model_hf_tokens)


def _deploy(
    plan: StackPlan,
    *,
    hf_token: pulumi.Output[str] | None,
    model_hf_tokens: Mapping[str, pulumi.Output[str]] | None,
) -> Deployment:
    """:func:`deploy`'s program for ``plan``, run inside ``use_release(plan.release)``."""
    config = plan.config
    target = target_for(plan)
    cluster = target.build_cluster()
    platform = build_platform(
        target,
        cluster,
        pod_security=stack_pod_security(config, cluster.pools),
        hf_token=hf_token,
        iap_client_secret=_iap_client_secret(config),
    )
    namespace, gateway, endpoint = platform.namespace, platform.gateway, platform.endpoint
    deployment = Deployment(config=config, cluster=cluster, namespace=namespace, gateway=gateway, plan=plan)
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider)
    model_token_secrets = _model_hf_token_secrets(config, namespace, model_hf_tokens or {}, k8s_opts)
    if config.model_routing == "body":
        build_body_router(target, cluster, platform)
    with use_model_routing(config.model_routing):
        for model in plan.models:
            deployment.models[model.name] = serve_model(
                target,
                plan,
                model,
                cluster,
                platform,
                hf_token_secret=model_token_secrets.get(model.name, namespace.hf_token_secret),
            )
    # The operations view in the stack namespace (GKE: managed-Prometheus Rules and a Cloud Monitoring dashboard).
    target.observe_stack(namespace, k8s_opts)
    pulumi.export("cluster", cluster.name)
    pulumi.export("namespace", config.namespace)
    pulumi.export(
        "gateway",
        {
            "name": gateway.name,
            "className": plan.gateway_class,
            "public": plan.gateway_public,
            "https": gateway.route_listener is not None,
            "modelRouting": config.model_routing,
        },
    )
    if endpoint.managed_certificate is not None:
        # Publish this CNAME in the hostname's DNS zone; the certificate stays PROVISIONING until it resolves.
        pulumi.export("gatewayCertificateDnsRecord", endpoint.managed_certificate.dns_record)
    pulumi.export(
        "models",
        {
            name: {"servedName": p.served_name, "inferencePool": p.pool_name, "routePath": p.route_path}
            for name, p in deployment.models.items()
        },
    )
    return deployment


def main() -> Deployment:
    """The Pulumi program: read and validate the stack config, then :func:`deploy` it.

    Raises ``pulumi.RunError`` with every configuration problem listed (no traceback) before any resource is
    registered.
    """
    try:
        parsed = read_config()
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    outputs = secret_outputs(parsed.secrets)
    model_tokens = {
        model.name: outputs[f"{CONFIG_NAMESPACE}:models[{index}].hfToken"]
        for index, model in enumerate(parsed.config.models)
        if f"{CONFIG_NAMESPACE}:models[{index}].hfToken" in outputs
    }
    return deploy(
        parsed.config, hf_token=outputs.get(f"{CONFIG_NAMESPACE}:hfToken"), model_hf_tokens=model_tokens or None
    )
