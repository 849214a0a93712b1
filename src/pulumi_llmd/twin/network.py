"""The twin's network rule: do the render's NetworkPolicies let every flow serving needs through?

A fresh cluster that enforces NetworkPolicies (GKE Dataplane V2, EKS with the vpc-cni network policy agent, kind's
kindnet) drops what no policy allows once a namespace has a default deny: the first deploy then "succeeds" and never
serves (the picker cannot watch its pool, the model server cannot download its weights, the gateway cannot reach
either). :func:`check_network` finds the flows from the rendered objects - not from the stack config - and evaluates
the rendered policies with Kubernetes semantics (kubernetes.io "Network Policies"):

* a pod selected by any policy whose ``policyTypes`` holds a direction is isolated in that direction, and then a
  connection is allowed only if some rule of some such policy allows it (policies are additive);
* a pod-to-pod connection needs the source's egress *and* the destination's ingress;
* a rule without ``from``/``to`` admits every peer, without ``ports`` every port; ``podSelector`` alone means the
  policy's namespace, ``namespaceSelector`` matches namespace labels (``kubernetes.io/metadata.name`` always set);
  ``ipBlock`` matches addresses outside the pod network (the twin never lets it match a pod: which pod traffic an
  ipBlock covers is implementation-defined); named ports resolve against the destination pod's container ports;
  ``policyTypes`` defaults to Ingress, plus Egress when the policy has egress rules.

Flows (each from rendered objects):

* gateway -> endpoint picker: every HTTPRoute's InferencePool ``endpointPickerRef`` -> its Service -> the pods it
  selects, on the Service's target port; gateway -> model servers: the pool's selector and ``targetPorts``. The
  gateway is the proxy-only subnet (first address of the ``REGIONAL_MANAGED_PROXY`` subnetwork) for GKE ``gke-l7-*``
  classes, and otherwise the proxy pods the implementation runs in the Gateway's namespace, labelled
  ``gateway.networking.k8s.io/gateway-name`` (Gateway API GEP-1762); those also need clients on every listener port
  and their control plane (Istio: istiod ``istio-system`` ``app: istiod`` TCP 15012; agentgateway: its controller in
  ``agentgateway-system`` TCP 9978). GKE's health checkers (``35.191.0.0/16``) -> model servers on the port of a
  HealthCheckPolicy that targets the pool.
* picker -> model servers on the target ports (metrics) and the KV-events port (``socketPort`` of its
  EndpointPickerConfig, or a ``kv-events`` container port); picker -> every ``http://<service>:<port>`` its config
  names (the tokenizer render Service); picker -> the Kubernetes API server (GKE private: the second address of
  ``masterIpv4CidrBlock``; EKS: an address of the VPC CIDR; other clusters: kind's control-plane node
  ``172.18.0.2:6443``; a public endpoint: a public address) on 443 (6443 off the clouds).
* every pod of a namespace with NetworkPolicies -> cluster DNS (``kube-system`` ``k8s-app: kube-dns``, UDP and TCP 53).
* a container that loads a Hugging Face model id (vLLM, the tokenizer render, the simulator with a real id) without
  ``HF_HUB_OFFLINE=1`` -> a public address on TCP 443 (:data:`PUBLIC_PROBE`, standing for huggingface.co and its CDN).
* P/D (pods of one pool with ``llm-d.ai/role`` prefill and decode): decode -> prefill on the target ports (the
  sidecar's prefill request), on the prefill's ``nixl`` port, and on a dynamic port when the pods say
  ``llm-d.ai/kv-transport: tcp`` (UCX over TCP); LeaderWorkerSet groups (size > 1): worker -> leader on
  ``--data-parallel-rpc-port`` and leader <-> worker on a dynamic port (NCCL / vLLM data-parallel ZMQ).
* monitoring: every PodMonitoring (from ``gmp-system``) and PodMonitor (from the kube-prometheus-stack release's
  namespace) to the pods and ports it scrapes.
* aggregated APIs (custom-metrics adapter): the API server -> every APIService's Service backends (on GKE from the
  Konnectivity agents in ``kube-system``, ``k8s-app: konnectivity-agent``).

Findings: rule ``network``, check ``network-policy``, one per blocked flow, naming the flow, the ports, the blocking
side and the policies that isolate it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_llmd.twin.model import Graph, PodTemplate, Resource
from pulumi_llmd.twin.rules import Finding, _namespace_labels, _selector_matches, workloads

#: An address outside every private range: huggingface.co and its CDN as NetworkPolicy sees them (it has no FQDNs).
PUBLIC_PROBE: Final = "18.160.0.10"
#: A client of a public gateway on the internet.
CLIENT_PROBE: Final = "203.0.113.10"
#: A port engines pick at run time (UCX over TCP, NCCL bootstrap, vLLM data-parallel ZMQ sockets).
DYNAMIC_PORT: Final = 40000
#: Where DNS runs (GKE kube-dns, EKS CoreDNS, kind CoreDNS).
DNS = ("kube-system", {"k8s-app": "kube-dns"}, 53)
GATEWAY_NAME_LABEL: Final = "gateway.networking.k8s.io/gateway-name"
#: GKE's control plane reaches webhooks and aggregated API servers in the cluster through these agents.
KONNECTIVITY: Final = ("kube-system", {"k8s-app": "konnectivity-agent"})
#: Gateway implementation (GatewayClass) -> its control plane: (namespace, pod labels, xDS port). Istio "Ports used
#: by Istio" (15012 xDS + CA); agentgateway controller ``grpc-xds-agw`` Service port 9978 (kgateway settings).
CONTROL_PLANES: Final[Mapping[str, tuple[str, Mapping[str, str], int]]] = {
    "istio": ("istio-system", {"app": "istiod"}, 15012),
    "agentgateway": ("agentgateway-system", {"app.kubernetes.io/name": "agentgateway"}, 9978),
}
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_URL = re.compile(r"https?://([a-z0-9-]+)(?:\.([a-z0-9-]+))?[a-z0-9.-]*:(\d+)")
_SOCKET_PORT = re.compile(r"socketPort:\s*(\d+)")


@dataclass(frozen=True)
class Endpoint:
    """One end of a flow: a pod (namespace + labels + named ports) or an address outside the pod network."""

    label: str
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str = ""
    named_ports: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_pod(self) -> bool:
        """True for a pod (selectable by pod and namespace selectors)."""
        return not self.address


@dataclass(frozen=True)
class Flow:
    """A connection serving needs: ``source`` opens ``port``/``protocol`` on ``dest``."""

    what: str
    source: Endpoint
    dest: Endpoint
    port: int
    protocol: str = "TCP"


def _pod(t: PodTemplate) -> Endpoint:
    named = {}
    for raw in [*(t.spec.get("containers") or ()), *(t.spec.get("initContainers") or ())]:
        for p in raw.get("ports") or ():
            if p.get("name") and "containerPort" in p:
                named[str(p["name"])] = int(p["containerPort"])
    return Endpoint(t.label(), t.namespace, dict(t.labels), named_ports=named)


def _first_host(cidr: str, offset: int = 1) -> str:
    net = ipaddress.ip_network(cidr, strict=False)
    return str(net.network_address + min(offset, max(net.num_addresses - 1, 0)))


class Policies:
    """The render's NetworkPolicies, evaluated with Kubernetes semantics."""

    def __init__(self, graph: Graph) -> None:
        self.by_namespace: dict[str, list[Resource]] = {}
        for r in graph.custom():
            if r.kind == "NetworkPolicy":
                self.by_namespace.setdefault(r.namespace, []).append(r)
        self.namespace_labels = _namespace_labels(graph)
        self._isolating: dict[tuple[str, tuple[tuple[str, str], ...], str], list[Resource]] = {}
        #: (namespace, direction) -> the namespace's policies of that direction with their pod selectors, in order
        self._by_direction: dict[tuple[str, str], list[tuple[Resource, Mapping[str, Any]]]] = {}
        for namespace, found in self.by_namespace.items():
            for p in found:
                selector = p.spec.get("podSelector") or {}
                for direction in self._types(p):
                    self._by_direction.setdefault((namespace, direction), []).append((p, selector))

    def _labels_of(self, namespace: str) -> Mapping[str, str]:
        return self.namespace_labels.get(namespace) or {"kubernetes.io/metadata.name": namespace}

    @staticmethod
    def _types(policy: Resource) -> set[str]:
        types = policy.spec.get("policyTypes")
        if types:
            return {str(t) for t in types}
        return {"Ingress", *(("Egress",) if policy.spec.get("egress") else ())}

    def isolating(self, pod: Endpoint, direction: str) -> list[Resource]:
        """The policies that select ``pod`` for ``direction`` (``Ingress`` / ``Egress``)."""
        if not pod.is_pod:
            return []
        key = (pod.namespace, tuple(sorted(pod.labels.items())), direction)
        cached = self._isolating.get(key)
        if cached is None:  # many flows share an end (every model's picker, gateway and servers)
            cached = [
                p
                for p, selector in self._by_direction.get((pod.namespace, direction), ())
                if _selector_matches(selector, pod.labels)
            ]
            self._isolating[key] = cached
        return cached

    def _peer(self, peer: Mapping[str, Any], policy_ns: str, other: Endpoint) -> bool:
        block = peer.get("ipBlock")
        if isinstance(block, Mapping):
            if other.is_pod:
                return False
            addr = ipaddress.ip_address(other.address)
            try:
                inside = addr in ipaddress.ip_network(str(block.get("cidr")), strict=False)
                excepted = any(addr in ipaddress.ip_network(str(e), strict=False) for e in block.get("except") or ())
            except ValueError:
                return False
            return inside and not excepted
        if not other.is_pod:
            return False
        ns_selector = peer.get("namespaceSelector")
        if ns_selector is None:
            if other.namespace != policy_ns:
                return False
        elif not _selector_matches(ns_selector, self._labels_of(other.namespace)):
            return False
        pod_selector = peer.get("podSelector")
        return pod_selector is None or _selector_matches(pod_selector, other.labels)

    @staticmethod
    def _port(entry: Mapping[str, Any], port: int, protocol: str, dest: Endpoint) -> bool:
        if str(entry.get("protocol") or "TCP") != protocol:
            return False
        want = entry.get("port")
        if want is None:
            return True
        if isinstance(want, str) and not want.isdigit():
            resolved = dest.named_ports.get(want)
            return resolved == port
        low = int(float(want))
        high = int(float(entry.get("endPort") or low))
        return low <= port <= high

    def allows(self, policy: Resource, direction: str, other: Endpoint, flow: Flow) -> bool:
        """True when one rule of ``policy`` for ``direction`` admits ``other`` on the flow's port."""
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for rule in policy.spec.get(key) or ():
            peers = rule.get(peers_key) or []
            if peers and not any(self._peer(p, policy.namespace, other) for p in peers):
                continue
            ports = rule.get("ports") or []
            if ports and not any(self._port(p, flow.port, flow.protocol, flow.dest) for p in ports):
                continue
            return True
        return False

    def blocked(self, flow: Flow) -> tuple[str, Endpoint, list[Resource]] | None:
        """None when ``flow`` gets through; else (direction, the isolated end, the policies isolating it)."""
        for direction, end, other in (("Egress", flow.source, flow.dest), ("Ingress", flow.dest, flow.source)):
            policies = self.isolating(end, direction)
            if policies and not any(self.allows(p, direction, other, flow) for p in policies):
                return direction, end, policies
        return None


# --- flows ---------------------------------------------------------------------------------------------------------


def _hf_model(t: PodTemplate) -> str | None:
    """The Hugging Face model id a pod template downloads (None: none, or offline)."""
    for c in t.containers:
        if c.env.get("HF_HUB_OFFLINE") in ("1", "true", "True"):
            continue
        candidates = [c.model, c.flag("--model")]
        if c.args and not c.args[0].startswith("-"):
            candidates.append(c.args[0])
        for cand in candidates:
            if cand and not cand.startswith("/") and _HF_ID.match(cand):
                return cand
    return None


def _api_server(graph: Graph) -> Endpoint:
    for r in graph.custom():
        if r.type == "gcp:container/cluster:Cluster":
            private = r.inputs.get("privateClusterConfig") or {}
            cidr = private.get("masterIpv4CidrBlock") if private.get("enablePrivateNodes") else None
            if cidr:
                return Endpoint("the Kubernetes API server (GKE private endpoint)", address=_first_host(cidr, 2))
            return Endpoint("the Kubernetes API server (GKE public endpoint)", address="34.118.0.2")
        if r.type == "aws:eks/cluster:Cluster":
            vpc = next((v for v in graph.custom() if v.type == "aws:ec2/vpc:Vpc"), None)
            cidr = (vpc.inputs.get("cidrBlock") if vpc else None) or ""
            if cidr:
                return Endpoint("the Kubernetes API server (EKS control-plane ENIs)", address=_first_host(cidr, 10))
            return Endpoint("the Kubernetes API server (EKS endpoint)", address="3.208.0.10")
    return Endpoint("the Kubernetes API server (kind control-plane node)", address="172.18.0.2")


def _api_port(graph: Graph) -> int:
    clouds = ("gcp:container/cluster:Cluster", "aws:eks/cluster:Cluster")
    return 443 if any(r.type in clouds for r in graph.custom()) else 6443


def _service_target(service: Resource, port: int, pods: Sequence[Endpoint]) -> int | None:
    for p in service.spec.get("ports") or ():
        if int(float(p.get("port", 0))) == port:
            target = p.get("targetPort", port)
            if isinstance(target, str) and not target.isdigit():
                return next((e.named_ports[target] for e in pods if target in e.named_ports), None)
            return int(float(target))
    return None


_ENVOY_CLUSTER = re.compile(r"^outbound\|(\d+)\|\|([a-z0-9-]+)\.([a-z0-9-]+)\.svc")


def _body_router_flows(
    objects: Sequence[Resource],
    gateways: Mapping[tuple[str, str], Resource],
    services: Mapping[tuple[str, str], Resource],
    selected: Any,
    gateway_end: Any,
    api: Endpoint,
    api_port: int,
) -> Iterator[Flow]:
    """gateway -> ext_proc extension Service pods (GCPRoutingExtension backendRef, EnvoyFilter ext_proc cluster) and
    those pods -> the Kubernetes API server (the body-based router watches ConfigMaps)."""
    for r in objects:
        if r.kind not in ("GCPRoutingExtension", "EnvoyFilter"):
            continue
        targets = [
            gateways.get((r.namespace, str(t.get("name"))))
            for t in r.spec.get("targetRefs") or ()
            if t.get("kind") == "Gateway"
        ]
        sources = [e for e in (gateway_end(g) for g in targets if g is not None) if e is not None]
        backends: list[tuple[str, str, int]] = []
        if r.kind == "GCPRoutingExtension":
            for chain in r.spec.get("extensionChains") or ():
                for ext in chain.get("extensions") or ():
                    ref = ext.get("backendRef") or {}
                    if ref.get("name") and ref.get("port"):
                        backends.append((r.namespace, str(ref["name"]), int(float(ref["port"]))))
        else:
            for patch in r.spec.get("configPatches") or ():
                value = (patch.get("patch") or {}).get("value") or {}
                grpc = ((value.get("typed_config") or {}).get("grpc_service") or {}).get("envoy_grpc") or {}
                match = _ENVOY_CLUSTER.match(str(grpc.get("cluster_name", "")))
                if match:
                    backends.append((match.group(3), match.group(2), int(match.group(1))))
        for namespace, name, port in backends:
            service = services.get((namespace, name))
            if service is None or not service.spec.get("selector"):
                continue
            # A Service's selector is a plain label map; a LabelSelector needs matchLabels around it.
            ends = [e for _, e in selected(namespace, {"matchLabels": service.spec.get("selector") or {}})]
            target = _service_target(service, port, ends)
            for end in ends:
                for source in sources:
                    if target is not None:
                        yield Flow("gateway -> body-based router (ext_proc)", source, end, target)
                yield Flow("body-based router -> Kubernetes API server (ConfigMaps)", end, api, api_port)


def flows(graph: Graph) -> Iterator[Flow]:
    """Every flow serving needs in the render (see the module docstring)."""
    objects = [r for r in graph.custom() if r.is_kube]
    templates = [t for _, ts in workloads(graph) for t in ts]
    pods = [(t, _pod(t)) for t in templates]
    services = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "Service"}
    pools = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "InferencePool"}
    gateways = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "Gateway"}
    configmaps = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "ConfigMap"}
    api, api_port = _api_server(graph), _api_port(graph)
    proxy_only = [
        str(r.inputs.get("ipCidrRange"))
        for r in graph.custom()
        if r.type == "gcp:compute/subnetwork:Subnetwork"
        and r.inputs.get("purpose") in ("REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY")
        and r.inputs.get("ipCidrRange")
    ]

    def selected(namespace: str, selector: Mapping[str, Any]) -> list[tuple[PodTemplate, Endpoint]]:
        return [(t, e) for t, e in pods if t.namespace == namespace and _selector_matches(selector, t.labels)]

    def gateway_end(gw: Resource) -> Endpoint | None:
        cls = str(gw.spec.get("gatewayClassName", ""))
        name = str(gw.metadata.get("name"))
        if cls.startswith("gke-"):
            if not proxy_only:
                return None
            return Endpoint(f"Gateway {name} (GKE proxy-only subnet)", address=_first_host(proxy_only[0], 2))
        return Endpoint(f"Gateway {name} proxy pods", gw.namespace, {GATEWAY_NAME_LABEL: name})

    # Gateway proxies in the cluster: clients in, control plane out, DNS.
    proxies: list[Endpoint] = []
    for gw in gateways.values():
        end = gateway_end(gw)
        cls = str(gw.spec.get("gatewayClassName", ""))
        if end is None or not end.is_pod:
            continue
        proxies.append(end)
        client = Endpoint("a client of the load balancer", address=CLIENT_PROBE)
        for listener in gw.spec.get("listeners") or ():
            yield Flow("client -> gateway listener", client, end, int(float(listener.get("port", 0))))
        if cls in CONTROL_PLANES:
            ns, labels, port = CONTROL_PLANES[cls]
            yield Flow(
                f"gateway proxy -> {cls} control plane (xDS)", end, Endpoint(f"{cls} control plane", ns, labels), port
            )

    for route in (r for r in objects if r.kind == "HTTPRoute"):
        parents = [
            gateways.get((str(p.get("namespace") or route.namespace), str(p.get("name"))))
            for p in route.spec.get("parentRefs") or ()
            if p.get("kind", "Gateway") == "Gateway"
        ]
        sources = [e for e in (gateway_end(g) for g in parents if g is not None) if e is not None]
        for rule in route.spec.get("rules") or ():
            for ref in rule.get("backendRefs") or ():
                if ref.get("kind") != "InferencePool":
                    continue
                pool = pools.get((str(ref.get("namespace") or route.namespace), str(ref.get("name"))))
                if pool is None:
                    continue
                yield from _pool_flows(pool, sources, selected, services, configmaps, api, api_port)

    # Body-based routing (components/serving/body_router.py): the gateway calls the router's ext_proc Service that a
    # GCPRoutingExtension (GKE: from the proxy-only subnet) or an EnvoyFilter ext_proc cluster (Istio: the proxy pods)
    # names; the router watches its model-mapping ConfigMaps on the API server.
    yield from _body_router_flows(objects, gateways, services, selected, gateway_end, api, api_port)

    # GKE load-balancer health checks (HealthCheckPolicy on an InferencePool) come from Google's health checkers
    # (Cloud Load Balancing "Health check firewall rules": 35.191.0.0/16, 130.211.0.0/22).
    checker = Endpoint("Google health checkers", address="35.191.0.10")
    for r in objects:
        target = r.spec.get("targetRef") or {}
        if r.kind != "HealthCheckPolicy" or target.get("kind") != "InferencePool":
            continue
        pool = pools.get((r.namespace, str(target.get("name"))))
        check = ((r.spec.get("default") or {}).get("config") or {}).get("httpHealthCheck") or {}
        if pool is None or not check.get("port"):
            continue
        for _, server in selected(pool.namespace, pool.spec.get("selector") or {}):
            yield Flow("GKE load-balancer health check -> model server", checker, server, int(float(check["port"])))

    # GKE health checks of a Service (HealthCheckPolicy on a Service: the body-based router's gRPC health port).
    for r in objects:
        target = r.spec.get("targetRef") or {}
        if r.kind != "HealthCheckPolicy" or target.get("kind") != "Service":
            continue
        service = services.get((r.namespace, str(target.get("name"))))
        config = (r.spec.get("default") or {}).get("config") or {}
        check = next((v for k, v in config.items() if k.endswith("HealthCheck") and isinstance(v, Mapping)), {})
        if service is None or not check.get("port"):
            continue
        if not service.spec.get("selector"):
            continue
        for _, server in selected(service.namespace, {"matchLabels": service.spec["selector"]}):
            yield Flow(
                "GKE load-balancer health check -> extension service", checker, server, int(float(check["port"]))
            )

    # DNS for every pod of a namespace with policies, and the gateway proxies.
    dns_ns, dns_labels, dns_port = DNS
    dns = Endpoint("cluster DNS (kube-system kube-dns)", dns_ns, dns_labels)
    policy_namespaces = {r.namespace for r in objects if r.kind == "NetworkPolicy"}
    for end in [*(e for t, e in pods if t.namespace in policy_namespaces), *proxies]:
        for protocol in ("UDP", "TCP"):
            yield Flow("pod -> DNS", end, dns, dns_port, protocol)

    # Hugging Face downloads.
    hub = Endpoint("Hugging Face (a public address on 443)", address=PUBLIC_PROBE)
    for t, end in pods:
        model = _hf_model(t)
        if model:
            yield Flow(f"download of {model} from Hugging Face", end, hub, 443)

    # Peers: P/D and LeaderWorkerSet groups.
    yield from _peer_flows(pods)

    # Monitoring scrapes.
    yield from _monitoring_flows(graph, objects, selected)

    # Aggregated APIs (APIService -> Service -> pods): the API server calls them; on GKE through the Konnectivity
    # agents in kube-system (control plane -> cluster traffic), elsewhere from its own address.
    gke = any(r.type == "gcp:container/cluster:Cluster" for r in graph.custom())
    caller = Endpoint("the API server (GKE Konnectivity agents)", *KONNECTIVITY) if gke else api
    for r in objects:
        ref = r.spec.get("service") if r.kind == "APIService" else None
        if not isinstance(ref, Mapping):
            continue
        svc = services.get((str(ref.get("namespace")), str(ref.get("name"))))
        if svc is None:
            continue
        backends = [e for _, e in selected(svc.namespace, {"matchLabels": svc.spec.get("selector") or {}})]
        target = _service_target(svc, int(float(ref.get("port", 443) or 443)), backends)
        for backend in backends:
            if target:
                yield Flow(f"API server -> aggregated API {r.metadata.get('name')}", caller, backend, target)


def _pool_flows(
    pool: Resource,
    sources: Sequence[Endpoint],
    selected: Any,
    services: Mapping[tuple[str, str], Resource],
    configmaps: Mapping[tuple[str, str], Resource],
    api: Endpoint,
    api_port: int,
) -> Iterator[Flow]:
    ns = pool.namespace
    name = str(pool.metadata.get("name"))
    servers = selected(ns, pool.spec.get("selector") or {})
    ports = [int(float(p.get("number", 0))) for p in pool.spec.get("targetPorts") or ()]
    for source in sources:
        for _, server in servers:
            for port in ports:
                yield Flow(f"gateway -> model server (InferencePool {name})", source, server, port)
    ref = pool.spec.get("endpointPickerRef") or {}
    service = services.get((ns, str(ref.get("name"))))
    if service is None:
        return
    pickers = selected(ns, {"matchLabels": service.spec.get("selector") or {}})
    picker_ends = [e for _, e in pickers]
    target = _service_target(service, int(float((ref.get("port") or {}).get("number", 0) or 0)), picker_ends)
    for source in sources:
        for picker in picker_ends:
            if target:
                yield Flow(f"gateway -> endpoint picker (InferencePool {name}, ext_proc)", source, picker, target)
    for t, picker in pickers:
        config_text = " ".join(
            str(v)
            for vol in t.spec.get("volumes") or ()
            if isinstance(vol.get("configMap"), Mapping)
            for cm in [configmaps.get((ns, str(vol["configMap"].get("name"))))]
            if cm is not None
            for v in (cm.inputs.get("data") or {}).values()
        )
        kv_ports = {int(p) for p in _SOCKET_PORT.findall(config_text)}
        for _, server in servers:
            for port in ports:
                yield Flow(f"endpoint picker -> model server metrics (InferencePool {name})", picker, server, port)
            for port in sorted(
                kv_ports | ({server.named_ports["kv-events"]} if "kv-events" in server.named_ports else set())
            ):
                yield Flow(f"endpoint picker -> model server KV events (InferencePool {name})", picker, server, port)
        for svc_name, svc_ns, port_text in _URL.findall(config_text):
            svc = services.get((svc_ns or ns, svc_name))
            if svc is None:
                continue
            backends = [e for _, e in selected(svc.namespace, {"matchLabels": svc.spec.get("selector") or {}})]
            svc_target = _service_target(svc, int(port_text), backends)
            for backend in backends:
                if svc_target:
                    yield Flow(f"endpoint picker -> Service {svc_name}", picker, backend, svc_target)
        yield Flow("endpoint picker -> Kubernetes API server (watches pods and its pool)", picker, api, api_port)


def _nixl_port(t: PodTemplate) -> int | None:
    """The NIXL side-channel port of a template: its ``nixl`` container port, else vLLM's
    ``VLLM_NIXL_SIDE_CHANNEL_PORT`` (default 5600, vLLM ``envs.py``) when a container uses the NixlConnector."""
    for raw in [*(t.spec.get("containers") or ()), *(t.spec.get("initContainers") or ())]:
        for p in raw.get("ports") or ():
            if p.get("name") == "nixl" and "containerPort" in p:
                return int(p["containerPort"])
    for c in t.containers:
        if any("NixlConnector" in word for word in c.argv):
            port = c.env.get("VLLM_NIXL_SIDE_CHANNEL_PORT", "5600")
            return int(port) if port.isdigit() else 5600
    return None


def _peer_flows(pods: Sequence[tuple[PodTemplate, Endpoint]]) -> Iterator[Flow]:
    # LeaderWorkerSet groups (size > 1): worker -> leader (DP RPC), leader <-> worker (dynamic ports); a group
    # without a leader template is one template whose pods reach each other.
    groups: dict[tuple[str, str], list[tuple[PodTemplate, Endpoint]]] = {}
    for t, e in pods:
        if t.owner.kind not in ("LeaderWorkerSet", "DisaggregatedSet"):
            continue
        role = t.role.removesuffix("leader").removesuffix("worker").strip()
        groups.setdefault((t.owner.urn, role), []).append((t, e))
    for (_, role), group in sorted(groups.items(), key=lambda kv: kv[0]):
        owner = group[0][0].owner
        lwt = owner.spec.get("leaderWorkerTemplate") or {}
        if owner.kind == "DisaggregatedSet":
            role_spec = next((r.get("spec") or {} for r in owner.spec.get("roles") or () if r.get("name") == role), {})
            lwt = role_spec.get("leaderWorkerTemplate") or {}
        if int(lwt.get("size", 1) or 1) < 2:
            continue
        leaders = [(t, e) for t, e in group if t.role.endswith("leader")] or group
        workers = [(t, e) for t, e in group if t.role.endswith("worker")] or group
        for lt, leader in leaders:
            rpc = next(
                (c.flag("--data-parallel-rpc-port") for c in lt.containers if c.flag("--data-parallel-rpc-port")), None
            )
            for _, worker in workers:
                if rpc and rpc.isdigit():
                    yield Flow("LeaderWorkerSet worker -> leader (data-parallel RPC)", worker, leader, int(rpc))
                yield Flow(
                    "LeaderWorkerSet leader -> worker (NCCL / data-parallel dynamic ports)",
                    leader,
                    worker,
                    DYNAMIC_PORT,
                )
                yield Flow(
                    "LeaderWorkerSet worker -> leader (NCCL / data-parallel dynamic ports)",
                    worker,
                    leader,
                    DYNAMIC_PORT,
                )
    # P/D: decode -> prefill of the same model.
    prefill = [(t, e) for t, e in pods if t.labels.get("llm-d.ai/role") == "prefill"]
    decode = [(t, e) for t, e in pods if t.labels.get("llm-d.ai/role") == "decode"]
    for dt, d in decode:
        for pt, p in prefill:
            if pt.namespace != dt.namespace or pt.labels.get("llm-d.ai/model") != dt.labels.get("llm-d.ai/model"):
                continue
            # The sidecar sends the prefill request to the prefill's vLLM port (``--port``, vLLM's default 8000).
            for port in sorted({int(c.flag("--port") or 8000) for c in pt.containers if c.is_vllm}):
                yield Flow("P/D decode sidecar -> prefill (prefill request)", d, p, port)
            nixl = _nixl_port(pt)
            if nixl is not None:
                yield Flow("P/D decode -> prefill (NIXL side channel)", d, p, nixl)
            if "tcp" in (dt.annotations.get("llm-d.ai/kv-transport"), pt.annotations.get("llm-d.ai/kv-transport")):
                yield Flow("P/D decode -> prefill (KV transfer over TCP, dynamic ports)", d, p, DYNAMIC_PORT)


def _monitoring_flows(graph: Graph, objects: Sequence[Resource], selected: Any) -> Iterator[Flow]:
    prometheus_ns = next(
        (str(r.inputs.get("namespace")) for r in graph.custom() if r.chart == "kube-prometheus-stack"), "monitoring"
    )
    for r in objects:
        if r.kind == "PodMonitoring":
            source = Endpoint(
                "GKE managed Prometheus collectors", "gmp-system", {"app.kubernetes.io/name": "collector"}
            )
            ports = [e.get("port") for e in r.spec.get("endpoints") or ()]
        elif r.kind == "PodMonitor":
            source = Endpoint("Prometheus", prometheus_ns, {"app.kubernetes.io/name": "prometheus"})
            ports = [e.get("port") for e in r.spec.get("podMetricsEndpoints") or ()]
        else:
            continue
        for _, target in selected(r.namespace, r.spec.get("selector") or {}):
            for port in ports:
                number = target.named_ports.get(str(port)) if isinstance(port, str) and not port.isdigit() else port
                if number is not None:
                    yield Flow(
                        f"metrics scrape ({r.kind} {r.metadata.get('name')})", source, target, int(float(number))
                    )


def check_network(graph: Graph) -> Iterator[Finding]:
    """Every flow serving needs gets through the render's NetworkPolicies (see the module docstring)."""
    policies = Policies(graph)
    if not policies.by_namespace:
        return
    blocked: dict[tuple[str, str, str, str, str], tuple[list[str], list[str]]] = {}
    for flow in flows(graph):
        verdict = policies.blocked(flow)
        if verdict is None:
            continue
        direction, isolated, isolating = verdict
        key = (flow.what, flow.source.label, flow.dest.label, direction, isolated.label)
        ports, names = blocked.setdefault(key, ([], sorted(str(p.metadata.get("name")) for p in isolating)))
        text = f"{flow.port}/{flow.protocol}"
        if text not in ports:
            ports.append(text)
    for (what, source, dest, direction, side), (ports, names) in sorted(blocked.items()):
        yield Finding(
            "network",
            "network-policy",
            side,
            f"blocks {what}: {source} -> {dest} on {', '.join(ports)} ({direction.lower()} of {side} is isolated by "
            f"NetworkPolicy {', '.join(names)} and none allows it)",
            "add a NetworkPolicy allow for this flow (components/platform/network_policy.py)",
        )
