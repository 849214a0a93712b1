"""Config validation: :func:`parse_stack_config` (the stack's ``llmd:`` data) and :func:`parse_config_values` (the
whole Pulumi config of a stack, secrets included) check the schema (:mod:`.config`), then every cross-field rule,
and raise one :class:`ConfigError` listing *all* problems, each naming its key (``llmd:models[0].tensorParallelSize``),
the value and what is allowed, before anything is registered.

Here: parsing, secrets and the cross-cutting rules (names, route prefixes, the gateway, pool sizes and reservations,
keys of another cloud or path, pool capacity). A target's rules live in its module and are called through
:func:`~pulumi_llmd.blueprints.targets.target_class` (:meth:`~pulumi_llmd.blueprints.targets.Target.check_config`,
``resolve_pool``, ``check_pool``); a well-lit path's in its module, called through
:func:`~pulumi_llmd.blueprints.paths.path_rules`. Imports: ``plan <- {targets, paths} <- validation <- deploy``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from pulumi_llmd.blueprints.config import (
    _IAM_MEMBER,
    _PATH_ONLY_MODEL_KEYS,
    GKE_CLASS_PUBLIC,
    IMPLEMENTED_PATHS,
    PROVISIONING_BY_CLOUD,
    SECRET_KEYS,
    SECRET_MARKER,
    SECRET_PATHS,
    STACK_KEYS,
    AuthenticationConfig,
    AwsTarget,
    ClusterConfig,
    ConfigSecrets,
    ControlPlaneConfig,
    ExistingTarget,
    GatewayConfig,
    GcpTarget,
    ModelConfig,
    ParsedStack,
    PoolConfig,
    StackConfig,
    Target,
    WellLitPath,
    _decode,
    _detach,
    _is_secret_path,
    _leaves,
    _Model,
    _namespace_issues,
    _secret_fix,
    pool_provisioning,
    workload_form_issues,
)
from pulumi_llmd.blueprints.issues import (
    CONFIG_NAMESPACE,
    ConfigError,
    ConfigIssue,
    dedupe,
    did_you_mean,
    from_validation_error,
    model_field,
    stray_booleans,
)
from pulumi_llmd.blueprints.paths import path_rules
from pulumi_llmd.blueprints.paths.routing import model_routing_issues
from pulumi_llmd.blueprints.paths.rules import Placement, accelerator_image_issues, system_pod_issues
from pulumi_llmd.blueprints.plan import size_default_resources
from pulumi_llmd.blueprints.targets import Target as TargetRules
from pulumi_llmd.blueprints.targets import target_class
from pulumi_llmd.blueprints.targets.weights_cache import weights_cache_issues
from pulumi_llmd.components import catalog
from pulumi_llmd.components.pool_rules import STACK_POOL_KEYS, pool_size_problems, reservation_problems
from pulumi_llmd.redact import looks_like_credential


def _keyed_issue(prefix: str, problem: str, values: Mapping[str, object]) -> ConfigIssue:
    """A component rule's problem (``"<key> = <value>: <message>"`` or ``"<key>: <message>"``, ``key`` one of
    ``values``) as the :class:`ConfigIssue` of ``<prefix>.<key>``."""
    for name in sorted(values, key=len, reverse=True):
        for head in (f"{name} = {values[name]!r}: ", f"{name}: "):
            if problem.startswith(head):
                value = values[name] if head.startswith(f"{name} = ") else None
                return ConfigIssue(key=f"{prefix}.{name}", value=value, message=problem.removeprefix(head))
    return ConfigIssue(key=prefix, message=problem)


def _check_pool(
    rules: type[TargetRules], index: int, pool: PoolConfig
) -> tuple[list[ConfigIssue], catalog.MachineShape | None]:
    """The pool's problems, and its machine shape when the catalog (or, on an existing cluster, the pool) gives one.

    The shape comes from the target (:meth:`~pulumi_llmd.blueprints.targets.Target.resolve_pool`); the size and
    reservation rules hold on every target.
    """
    key = f"{CONFIG_NAMESPACE}:pools[{index}]"
    issues, shape = rules.resolve_pool(key, pool)
    if shape is None:
        return issues, None
    scaling = pool.autoscaling
    max_nodes = scaling.max_nodes if scaling is not None else None
    keys = STACK_POOL_KEYS
    problems = pool_size_problems(pool.node_count, scaling.min_nodes if scaling else None, max_nodes, keys)
    provisioning = pool_provisioning(pool, shape)
    problems += reservation_problems(provisioning, pool.reservation, max_nodes, keys)
    values: dict[str, object] = {
        keys.node_count: pool.node_count,
        keys.min_nodes: scaling.min_nodes if scaling else None,
        keys.max_nodes: max_nodes,
        keys.reservation: pool.reservation,
        keys.autoscaling: None,
    }
    for problem in problems:
        issue = _keyed_issue(key, problem, values)
        if problem.startswith(f"{keys.autoscaling}: ") and pool.provisioning is None:
            issue = issue.model_copy(
                update={"message": f"{issue.message} ({shape.machine_type} defaults to flex-start)"}
            )
        issues.append(issue)
    return issues, shape


_CLOUD_ONLY_POOL_FIELDS: Mapping[str, tuple[str, ...]] = {
    # (``gpuDriverVersion`` is GKE's too, but stack files of every cloud may carry it: not refused.)
    "gcp": ("compact_placement", "boot_disk_type", "rdma", "tpu_topology"),
    "aws": ("availability_zone", "efa"),
    "existing": (
        "node_selector",
        "tolerations",
        "devices_per_node",
        "vcpus",
        "memory_gib",
        "rdma_resource",
        "rdma_devices_per_node",
    ),
}


def _check_pool_keys(cloud: str, index: int, pool: PoolConfig) -> list[ConfigIssue]:
    """The pool's provisioning model is one its target cloud offers, and it sets no key of another cloud."""
    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:pools[{index}]"
    allowed = PROVISIONING_BY_CLOUD[cloud]
    if pool.provisioning is not None and pool.provisioning not in allowed:
        issues.append(
            ConfigIssue(
                key=f"{key}.provisioning",
                value=pool.provisioning,
                message=f"not offered for target cloud '{cloud}'; allowed: {', '.join(allowed)}",
            )
        )
    set_fields = pool.model_fields_set
    for other, fields in _CLOUD_ONLY_POOL_FIELDS.items():
        if other == cloud:
            continue
        for field in fields:
            if field in set_fields:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.{to_camel(field)}",
                        message=f"applies to target cloud '{other}' only (this stack's target is '{cloud}')",
                    )
                )
    return issues


def _check_models(
    config: StackConfig,
    shapes: Mapping[str, catalog.MachineShape],
    unchecked_pools: frozenset[str],
    rules: type[TargetRules],
) -> list[ConfigIssue]:
    """Every model: its path is available, its keys fit its path, its pool exists; then its path's own rules
    (:func:`~pulumi_llmd.blueprints.paths.path_rules`: sizing, fabric, weights), and the pools hold what the models
    on them need."""
    issues: list[ConfigIssue] = []
    pool_names = [p.name for p in config.pools]
    demand: dict[str, int] = dict.fromkeys(pool_names, 0)
    for index, model in enumerate(config.models):
        key = f"{CONFIG_NAMESPACE}:models[{index}]"
        if model.path not in IMPLEMENTED_PATHS:
            issues.append(
                ConfigIssue(
                    key=f"{key}.path",
                    value=model.path.value,
                    message=f"not available in this release; available: {[p.value for p in IMPLEMENTED_PATHS]}",
                )
            )
        if model.hugging_face_id == "random" and model.path is not WellLitPath.SIMULATED_ACCELERATORS:
            issues.append(
                ConfigIssue(
                    key=f"{key}.huggingFaceId",
                    value="random",
                    message="'random' is the simulator's model; give a Hugging Face id such as Qwen/Qwen3-32B",
                )
            )
        path = path_rules(model.path)
        missing = sorted(path.needs - rules.offers)
        if missing:
            issues.append(
                ConfigIssue(
                    key=f"{key}.path",
                    value=model.path.value,
                    message=f"needs {', '.join(missing)}, which target cloud '{config.target.cloud}' does not offer "
                    "yet; allowed here: another path",
                )
            )
        issues.extend(_check_path_keys(key, model))
        issues.extend(weights_cache_issues(config, index, model, rules))
        issues.extend(workload_form_issues(key, model))
        issues.extend(path.keys(key, model))
        issues.extend(system_pod_issues(config, key, model, path))
        if path.placement is None:
            continue  # a CPU path: no pool (its key rules refuse one)
        if not pool_names and not unchecked_pools:
            issues.append(
                ConfigIssue(
                    key=f"{key}.pool", message=f"path '{model.path.value}' needs an accelerator pool; add pools"
                )
            )
            continue
        if model.pool is None and len(config.pools) > 1:
            issues.append(
                ConfigIssue(key=f"{key}.pool", message=f"is required when the stack has several pools: {pool_names}")
            )
            continue
        if model.pool is None and not pool_names:
            continue  # the stack's only pool is invalid and already reported
        # ``pool: ''`` is no pool name (it used to fall back to the first pool here and fail after registering).
        pool_name = model.pool if model.pool is not None else pool_names[0]
        if pool_name in unchecked_pools:
            continue  # that pool is invalid and already reported
        if pool_name not in pool_names:
            issues.append(ConfigIssue(key=f"{key}.pool", value=pool_name, message=f"no such pool; pools: {pool_names}"))
            continue
        shape = shapes.get(pool_name)
        if shape is None:
            continue  # the pool itself is already reported
        placement = Placement(
            key=key,
            model=model,
            pool=config.pool(pool_name),
            shape=shape,
            cloud=config.target.cloud_enum,
            rdma_hint=rules.rdma_hint,
        )
        found, needed = path.placement(placement)
        issues.extend(found)
        issues.extend(accelerator_image_issues(placement))
        demand[pool_name] += needed
    for index, pool in enumerate(config.pools):
        shape = shapes.get(pool.name)
        if shape is None:
            continue
        capacity = pool.max_nodes * shape.accelerator_count
        if demand[pool.name] > capacity:
            size_key = "autoscaling.maxNodes" if pool.autoscaling is not None else "nodeCount"
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:pools[{index}].{size_key}",
                    value=pool.max_nodes,
                    message=(
                        f"the models on pool '{pool.name}' need {demand[pool.name]} x {shape.accelerator.name} "
                        f"(replicas x TP x PP) but {pool.max_nodes} x {shape.machine_type} hold at most {capacity}; "
                        f"allowed: at least {-(-demand[pool.name] // shape.accelerator_count)} nodes"
                    ),
                )
            )
    return issues


def _check_path_keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """Keys that belong to another path (:data:`~pulumi_llmd.blueprints.config._PATH_ONLY_MODEL_KEYS`), scorer
    weights outside optimized-baseline. What a path itself requires is its own rule (its module's ``RULES``)."""
    issues: list[ConfigIssue] = []
    for field in sorted(model.model_fields_set & set(_PATH_ONLY_MODEL_KEYS)):
        paths = _PATH_ONLY_MODEL_KEYS[field]
        if model.path not in paths:
            issues.append(
                ConfigIssue(
                    key=f"{key}.{to_camel(field)}",
                    message=f"applies to path {' / '.join(repr(p.value) for p in paths)} only "
                    f"(this model's path is '{model.path.value}')",
                )
            )
    if model.router.scorer_weights is not None and model.path is not WellLitPath.OPTIMIZED_BASELINE:
        issues.append(
            ConfigIssue(
                key=f"{key}.router.scorerWeights",
                message=f"applies to path 'optimized-baseline' only; path '{model.path.value}' configures its "
                "endpoint picker's plugins itself",
            )
        )
    return issues


def _check_gateway(config: StackConfig, rules: type[TargetRules]) -> list[ConfigIssue]:
    """``llmd:gateway``: ``public`` agrees with a GKE ``className``; TLS sources fit the target (``rules``: what it
    offers); authentication fits the implementation; a public gateway names its authentication (``none``
    explicitly). Never echoes a secret."""
    issues: list[ConfigIssue] = []
    gw = config.gateway
    key = f"{CONFIG_NAMESPACE}:gateway"
    implied = GKE_CLASS_PUBLIC.get(gw.class_name or "")
    if gw.public is not None and implied is not None and gw.public != implied:
        issues.append(
            ConfigIssue(
                key=f"{key}.public",
                value=gw.public,
                message=(
                    f"contradicts className {gw.class_name} (an {'external' if implied else 'internal'} load "
                    f"balancer); allowed: public: {str(implied).lower()} with that class, or drop className"
                ),
            )
        )
    tls = gw.tls
    if tls.mode == "none":
        extra = sorted(
            to_camel(f) for f in tls.model_fields_set if f not in ("mode",) and getattr(tls, f) not in (None, ())
        )
        if extra:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls.mode",
                    value="none",
                    message=f"turns HTTPS off, so {', '.join(extra)} cannot be set; allowed: https (default) or none",
                )
            )
    else:
        if tls.port == gw.port:
            issues.append(
                ConfigIssue(key=f"{key}.tls.port", value=tls.port, message=f"must differ from port ({gw.port})")
            )
        if tls.pre_shared_certificates and not rules.pre_shared_certificates:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls.preSharedCertificates",
                    value=list(tls.pre_shared_certificates),
                    message="pre-shared Compute Engine certificates exist on GKE only; allowed here: secretName, "
                    "issuer, or neither (a self-signed CA)",
                )
            )
        sources = [f for f in ("pre_shared_certificates", "secret_name", "issuer") if getattr(tls, f)]
        if len(sources) > 1:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls",
                    value=", ".join(to_camel(f) for f in sources),
                    message="name one certificate source: preSharedCertificates, secretName or issuer",
                )
            )
    auth = gw.authentication
    public = config.gateway_public
    cls = config.gateway_class
    if auth is None and public:
        issues.append(
            ConfigIssue(
                key=f"{key}.authentication",
                message=(
                    "a public gateway needs authentication: set authentication.iap (GKE) or authentication.jwt "
                    "(Istio), or 'authentication: none' to serve it open on purpose (flagged); or make it internal "
                    "(public: false)"
                ),
            )
        )
    if isinstance(auth, AuthenticationConfig):
        chosen = [name for name in ("jwt", "iap") if getattr(auth, name) is not None]
        if len(chosen) != 1:
            issues.append(
                ConfigIssue(
                    key=f"{key}.authentication",
                    value=", ".join(chosen) or "{}",
                    message="set exactly one of jwt or iap (or the string none)",
                )
            )
        if auth.jwt is not None and cls != "istio":
            issues.append(
                ConfigIssue(
                    key=f"{key}.authentication.jwt",
                    value=cls,
                    message=(
                        "JWT validation is generated for the istio gateway class only; allowed: className istio, "
                        "or authentication.iap on GKE"
                    ),
                )
            )
        if auth.iap is not None:
            iap = auth.iap
            if not rules.offers_iap:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap",
                        value=config.target.cloud,
                        message="Identity-Aware Proxy exists on GKE only; allowed here: authentication.jwt",
                    )
                )
            if tls.mode == "none":
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap",
                        value="tls.mode: none",
                        message="IAP needs an HTTPS load balancer; allowed: tls.mode https (default)",
                    )
                )
            if (iap.client_secret_name is None) == (iap.client_secret is None):
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap.clientSecretName",
                        message=(
                            "set exactly one of clientSecretName (an existing Secret with the key 'key') or "
                            "clientSecret (a Pulumi secret: pulumi config set --secret --path "
                            "'llmd:gateway.authentication.iap.clientSecret' ...)"
                        ),
                    )
                )
            for index, member in enumerate(iap.members):
                if not _IAM_MEMBER.match(member):
                    issues.append(
                        ConfigIssue(
                            key=f"{key}.authentication.iap.members[{index}]",
                            value=member,
                            message="allowed: an IAM principal such as user:alice@example.com, "
                            "group:llm-users@example.com, serviceAccount:ci@my-project.iam.gserviceaccount.com",
                        )
                    )
    return issues


def gateway_issues(config: StackConfig) -> list[ConfigIssue]:
    """Every ``llmd:gateway`` rule, the one home of the gateway's rules for a stack file and for
    :class:`~pulumi_llmd.blueprints.inference.LlmdPlatform` (which reports them under its arguments' names): the
    class is one the target offers, then :func:`_check_gateway` (public vs a GKE class, TLS, authentication)."""
    rules = target_class(config.target.cloud)
    issues: list[ConfigIssue] = []
    gateway_class = config.gateway.class_name
    if gateway_class is not None and gateway_class not in rules.gateway_classes:
        issues.append(
            ConfigIssue(
                key=f"{CONFIG_NAMESPACE}:gateway.className",
                value=gateway_class,
                message=f"not available for target cloud '{config.target.cloud}'; "
                f"allowed: {', '.join(rules.gateway_classes)}",
            )
        )
    issues.extend(_check_gateway(config, rules))
    return issues


def _check_system_pool(config: StackConfig, rules: type[TargetRules]) -> list[ConfigIssue]:
    """``llmd:cluster.systemPool``: ``minNodes`` <= ``maxNodes``; ``machineType`` a system machine of the target's
    cloud, listed in the catalog (:func:`~pulumi_llmd.components.catalog.system_machine`), and refused on an existing
    cluster, whose nodes the stack does not create. Whether the pickers fit one of its nodes is
    :func:`~pulumi_llmd.blueprints.paths.rules.system_pod_issues` (per model)."""
    issues: list[ConfigIssue] = []
    pool = config.cluster.system_pool
    key = f"{CONFIG_NAMESPACE}:cluster.systemPool"
    if pool.min_nodes > pool.max_nodes:
        issues.append(
            ConfigIssue(key=f"{key}.minNodes", value=pool.min_nodes, message=f"must be <= maxNodes ({pool.max_nodes})")
        )
    if pool.machine_type is None:
        return issues
    if not rules.creates_cluster:
        issues.append(
            ConfigIssue(
                key=f"{key}.machineType",
                value=pool.machine_type,
                message="applies to a cluster the stack creates (target cloud gcp or aws); an existing cluster's "
                "nodes are its own: leave systemPool.machineType out",
            )
        )
        return issues
    try:
        catalog.system_machine(config.target.cloud_enum, pool.machine_type)
    except catalog.CatalogError as exc:
        issues.append(ConfigIssue(key=f"{key}.machineType", value=pool.machine_type, message=str(exc)))
    return issues


def _check_stack(config: StackConfig, unchecked_pools: frozenset[str] = frozenset()) -> list[ConfigIssue]:
    """Every cross-field rule: the target's own (:func:`~pulumi_llmd.blueprints.targets.target_class`), names and
    route prefixes once, the gateway, the pools (shape, size, the target's pool rules) and the models (the paths'
    rules)."""
    issues: list[ConfigIssue] = []
    target = config.target
    rules = target_class(target.cloud)
    issues.extend(rules.check_config(config))
    for field, values in (
        ("pools", [p.name for p in config.pools]),
        ("models", [m.name for m in config.models]),
    ):
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                issues.append(
                    ConfigIssue(key=f"{CONFIG_NAMESPACE}:{field}[{index}].name", value=value, message="duplicate name")
                )
            seen.add(value)
    prefixes: dict[str, str] = {}
    # Body-based routing reaches every model at / by its 'model' field (blueprints/paths/routing.py).
    for index, model in enumerate(config.models if config.model_routing == "path" else ()):
        other = prefixes.setdefault(model.route_path_prefix, model.name)
        if other != model.name:
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:models[{index}].routePathPrefix",
                    value=model.route_path_prefix,
                    message=f"already routes to model '{other}'; give each model its own prefix",
                )
            )
    issues.extend(gateway_issues(config))
    issues.extend(model_routing_issues(config))
    issues.extend(_check_system_pool(config, rules))
    shapes: dict[str, catalog.MachineShape] = {}
    for index, pool in enumerate(config.pools):
        pool_issues, shape = _check_pool(rules, index, pool)
        issues.extend(pool_issues)
        issues.extend(_check_pool_keys(target.cloud, index, pool))
        issues.extend(rules.check_pool(config, index, pool, shape))
        if shape is not None:
            shapes[pool.name] = shape
    issues.extend(_check_models(config, shapes, unchecked_pools, rules))
    return issues


def _valid_items(model: type[_Model], raw: Any) -> list[tuple[int, Any]]:
    """``(index, parsed item)`` for the items of a raw list that validate on their own."""
    if not isinstance(raw, list):
        return []
    out: list[tuple[int, Any]] = []
    for index, item in enumerate(raw):
        with contextlib.suppress(ValidationError):
            out.append((index, model.model_validate(item)))
    return out


_TARGET: TypeAdapter[GcpTarget | AwsTarget | ExistingTarget] = TypeAdapter(Target)


def _partial_checks(payload: Mapping[str, Any]) -> list[ConfigIssue]:
    """Cross-field checks over the parts of an invalid config that do validate, keyed by their original index.

    So one run reports a typo in ``models[0]`` together with, say, a TP size of ``models[1]`` that does not fit.
    """
    try:
        target = _TARGET.validate_python(payload.get("target"))
    except ValidationError:
        return []  # without a valid target no catalog check can run
    try:
        cluster = ClusterConfig.model_validate(payload.get("cluster", {}))
    except ValidationError:
        # The cluster section is already reported; do not also report its control plane as missing.
        cluster = ClusterConfig(control_plane=ControlPlaneConfig(authorized_cidrs=()))
    pools = _valid_items(PoolConfig, payload.get("pools"))
    models = _valid_items(ModelConfig, payload.get("models"))
    raw = payload.get("pools")
    raw_pools: list[Any] = raw if isinstance(raw, list) else []
    valid_names = {p.name for _, p in pools}
    invalid_names = frozenset(
        str(item.get("name"))
        for item in raw_pools
        if isinstance(item, Mapping) and str(item.get("name")) not in valid_names
    )
    partial = StackConfig.model_construct(
        target=target,
        cluster=cluster,
        namespace="llm-d",
        pools=tuple(p for _, p in pools),
        models=tuple(m for _, m in models),
        gateway=GatewayConfig(),
    )
    index_maps = {"pools": [i for i, _ in pools], "models": [i for i, _ in models]}

    def remap(match: re.Match[str]) -> str:
        field, index = match.group(1), int(match.group(2))
        return f"{field}[{index_maps[field][index]}]"

    issues = []
    for issue in _check_stack(partial, invalid_names):
        key = re.sub(r"(pools|models)\[(\d+)\]", remap, issue.key)
        issues.append(issue.model_copy(update={"key": key}))
    return issues


def parse_stack_config(data: Mapping[str, Any]) -> StackConfig:
    """Validate ``data`` (the ``llmd:`` keys without the namespace, camelCase) into a :class:`StackConfig`.

    Raises :class:`ConfigError` listing every problem: unknown or missing keys, values out of range, booleans where
    numbers or strings belong, and the catalog checks (accelerator offered on the cloud, TP x PP fits one node,
    replicas fit the pool's maximum). Secret keys (``hfToken``) are not read here: see :func:`parse_config_values`.
    """
    allowed_top = STACK_KEYS + SECRET_KEYS
    unknown = sorted(set(data) - set(STACK_KEYS) - set(SECRET_KEYS))
    issues = [
        ConfigIssue(
            key=f"{CONFIG_NAMESPACE}:{k}",
            value=data[k] if isinstance(data[k], str) else None,
            message=f"unknown key{did_you_mean(str(k), allowed_top)}; allowed: {', '.join(allowed_top)}",
        )
        for k in unknown
    ]
    payload = {k: v for k, v in data.items() if k in STACK_KEYS}
    for k, v in payload.items():
        found = model_field(StackConfig, k)
        if found is not None:
            issues.extend(stray_booleans(found[1], v, f"{CONFIG_NAMESPACE}:{found[0]}"))
    try:
        config = StackConfig.model_validate(payload)
    except ValidationError as exc:
        field_issues = from_validation_error(exc, StackConfig)
        raise ConfigError(dedupe(issues + field_issues + _partial_checks(payload))) from None
    if issues:  # booleans pydantic's lax mode accepted
        raise ConfigError(issues)
    config = size_default_resources(config)
    issues.extend(_check_stack(config))
    if issues:
        raise ConfigError(issues)
    return config


def parse_config_values(
    values: Mapping[str, Any],
    secret_keys: Collection[str] = (),
    secret_paths: Collection[str] | None = None,
) -> ParsedStack:
    """Validate the whole Pulumi config of a stack: every key as Pulumi hands it to the program.

    Args:
        values: fully qualified key (``llmd:models``, ``gcp:project`` ...) -> value; strings as Pulumi passes them
            (structured values JSON-encoded), or already decoded values.
        secret_keys: the keys Pulumi lists as secrets (``pulumi.runtime.config`` ``_SECRET_KEYS``): a key whose value
            is or contains a ``secure:`` value (pulumi/pulumi ``sdk/go/common/resource/config/value.go``).
            Default: none.
        secret_paths: when known (the offline render reads the stack file: :class:`pulumi_llmd.stackfile.StackFile`),
            the exact config paths of the ``secure:`` values; Pulumi itself only says which top-level key holds
            one and hands the program decrypted values (pulumi/pulumi PR #3342). Default: None (the paths of the
            ``[secret]`` markers in a secret key's value, when it has any).

    Returns a :class:`ParsedStack`. Raises :class:`ConfigError` listing every problem, never showing a secret:
    a key without a namespace or under a misspelled ``llmd`` namespace (``llmdd:``, ``llm-d:``, ``LLMD:``); a
    :data:`SECRET_PATHS` value set in plain text (the message says the ``pulumi config set --secret`` command); a
    secret anywhere else; and everything :func:`parse_stack_config` reports.
    """
    issues = _namespace_issues(values)
    prefix = CONFIG_NAMESPACE + ":"
    secret = set(secret_keys)
    data: dict[str, Any] = {}
    found: dict[str, Any] = {}
    for full_key, raw in values.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        value = _decode(key, raw)
        leaves = _leaves(value, full_key)
        if full_key in secret:
            # The offline render marks every secure value, which gives the exact paths (pulumi_llmd.stackfile).
            marked = [p for p, v in leaves if v == SECRET_MARKER]
            exact = secret_paths if secret_paths is not None else (marked or None)
            if exact is not None:
                misplaced = sorted(
                    p
                    for p in exact
                    if (p == full_key or p.startswith((full_key + ".", full_key + "["))) and not _is_secret_path(p)
                )
            else:
                misplaced = [] if any(_is_secret_path(p) for p, _ in leaves) else [full_key]
            issues.extend(
                ConfigIssue(
                    key=p,
                    message="holds a secret value, but only "
                    + ", ".join(SECRET_PATHS)
                    + " may be secrets (pass other credentials through models[i].secretEnv, an env var read "
                    "from a Kubernetes Secret); set it in plain text or remove it",
                )
                for p in misplaced
            )
        else:
            issues.extend(
                ConfigIssue(
                    key=p,
                    message=f"must be a secret: it is stored in plain text in the stack file; remove it "
                    f"(pulumi config rm{' --path' if p != full_key else ''} '{p}') and set it with {_secret_fix(p)}",
                )
                for p, v in leaves
                if _is_secret_path(p) and v not in (None, "")
            )
        issues.extend(_credential_shaped(leaves))
        if key == "hfToken":
            found[full_key] = value
            continue
        data[key] = _detach(value, full_key, found)
    secrets: dict[str, str] = {}
    for path, value in sorted(found.items()):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            issues.append(ConfigIssue(key=path, message="must be a string (a token set with --secret)"))
            continue
        secrets[path] = value
    # SecretStr leaves that stay in the config are secrets too (for redaction and for read_secrets()).
    for full_key in sorted(secret & set(values)):
        if full_key.startswith(prefix) and full_key[len(prefix) :] in data:
            for path, value in _leaves(data[full_key[len(prefix) :]], full_key):
                if _is_secret_path(path) and isinstance(value, str) and value:
                    secrets[path] = value
    try:
        config = parse_stack_config(data)
    except ConfigError as exc:
        raise ConfigError(dedupe(issues + exc.issues)) from None
    if issues:
        raise ConfigError(issues)
    return ParsedStack(config=config, secrets=ConfigSecrets(values=secrets))


def _credential_shaped(leaves: list[tuple[str, Any]]) -> list[ConfigIssue]:
    """Plain values (and mapping keys) outside :data:`SECRET_PATHS` shaped like a credential
    (:func:`pulumi_llmd.redact.looks_like_credential`: ``hf_...``, ``sk-...``, ``AKIA...``, a JWT, a PEM key ...): they
    would be written into manifests, the Pulumi state and logs. ``extraEnv`` / ``extraArgs`` values have their own,
    more specific messages (:class:`ModelConfig`)."""
    issues = []
    for path, value in leaves:
        if _is_secret_path(path):
            continue
        name = path.rsplit(".", 1)[-1]
        if looks_like_credential(name.split("[", 1)[0]):
            issues.append(ConfigIssue(key=path.rsplit(".", 1)[0], message="has a key shaped like a credential"))
        elif (
            isinstance(value, str)
            and looks_like_credential(value)
            and not re.search(r"\.(extraEnv|extraArgs)(\.|\[|$)", path)
        ):
            issues.append(
                ConfigIssue(
                    key=path,
                    value=value,
                    message="looks like a credential and would be written in plain text into the manifests and the "
                    "Pulumi state; allowed: a secret at " + ", ".join(SECRET_PATHS) + " (pulumi config set --secret "
                    "--path), or an env var read from a Kubernetes Secret (models[i].secretEnv)",
                )
            )
    return issues
