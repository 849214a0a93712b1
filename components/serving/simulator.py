"""llm-d inference simulators: vLLM-compatible model servers that need no accelerator (simulated-accelerators path).

``ghcr.io/llm-d/llm-d-inference-sim`` answers the OpenAI API (``/v1/completions``, ``/v1/chat/completions``,
``/v1/models``), ``/health`` and vLLM's Prometheus metrics without running a model, so the endpoint picker, the
InferencePool and the gateway can be exercised on a laptop (kind) or any CPU-only cluster. The pods carry the same
llm-d labels, port and probes as :class:`~pulumi_llmd.components.serving.ModelServer`, so an InferencePool selects
them the same way.

Sources: llm-d guides v0.5 ``simulated-accelerators`` (``ms-sim/values.yaml``: image v0.7.1, model ``random``,
``modelCommand: imageDefault`` = the image's entrypoint with ``--model``, ``--port``, ``--served-model-name``; the
probes); llm-d/llm-d-inference-sim README, docs/configuration.md and ``pkg/common/config.go`` (flags and their
defaults; latencies as Go durations since the v0.10 line; the Dockerfile runs as user 65532). The image is pinned to
v0.10.2 (what llm-d v0.9.0 pins: the active llm-d release's ``inference_sim``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.serving.model_server import (
    VLLM_PORT,
    PodResources,
    disruption_budget_manifest,
    hf_token_env,
    limit_problems,
    model_server_port,
    model_server_probes,
    quantity_problem,
    service_account_manifest,
    with_secret_env,
)

#: The llm-d guide that deploys simulators (``llm-d.ai/guide`` label value).
SIMULATED_ACCELERATORS_GUIDE = "simulated-accelerators"
#: Model name the guide's simulators serve (``modelArtifacts.name: random``).
GUIDE_MODEL = "random"
#: UID/GID the simulator image runs as (``USER 65532:65532`` in llm-d/llm-d-inference-sim's Dockerfile).
SIMULATOR_UID = 65532
#: Writable scratch directory (HOME, Hugging Face cache, working directory) on a read-only root filesystem.
CACHE_DIR = "/cache"
#: Simulator modes: ``random`` answers with pre-defined sentences, ``echo`` repeats the prompt.
MODES = ("random", "echo")
#: Token block sizes the simulator's KV-cache accepts.
BLOCK_SIZES = (8, 16, 32, 64, 128)
#: Laptop-sized pod: a few tenths of a CPU and 128-256 MiB are plenty for the Go server (``shm_size`` is unused).
SIMULATOR_RESOURCES = PodResources(cpu_request="100m", cpu_limit="500m", memory_request="128Mi", memory_limit="256Mi")


@dataclass(frozen=True)
class SimulatorSpec:
    """What one simulator serves and how fast it pretends to be. Defaults are the simulator's own (what the guide
    runs): no added latency, 5 concurrent sequences, random answers, no KV-cache simulation.

    Attributes:
        model: the "loaded" model (``--model``). A real Hugging Face id works too, but an image of the v0.7 line then
            fetches that model's tokenizer from Hugging Face (network access, and ``HF_TOKEN`` for gated models).
            Default: ``GUIDE_MODEL`` ("random", as the guide).
        served_name: name the API exposes (``--served-model-name``). Default: None (``model``).
        mode: ``random`` or ``echo``. Default: "random".
        max_num_seqs: requests processed at once; more wait in the queue (``vllm:num_requests_waiting``). Default: 5.
        max_model_len: context window in tokens. Default: None (the simulator's 1024).
        time_to_first_token_ms: simulated time to the first token, milliseconds. Default: 0 (none).
        inter_token_latency_ms: simulated time between tokens, milliseconds. Default: 0 (none).
        enable_kvcache: simulate the KV cache (block hashes, ``vllm:kv_cache_usage_perc``, KV events over ZMQ).
            Default: False.
        kv_cache_size: KV-cache size in blocks. Default: 1024.
        block_size: tokens per KV-cache block (8, 16, 32, 64 or 128). Default: 16.
        extra_args: appended verbatim. Default: none.
        extra_env: extra environment of the container. Default: none.
        secret_env: env vars read from Kubernetes Secrets: name -> ``(Secret name, key)``
            (``model_server.with_secret_env``). Default: none.
    """

    model: str = GUIDE_MODEL
    served_name: str | None = None
    mode: str = "random"
    max_num_seqs: int = 5
    max_model_len: int | None = None
    time_to_first_token_ms: int = 0
    inter_token_latency_ms: int = 0
    enable_kvcache: bool = False
    kv_cache_size: int = 1024
    block_size: int = 16
    extra_args: Sequence[str] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def args(self) -> list[str]:
        """Simulator arguments: the guide's ``--model`` / ``--port`` / ``--served-model-name``, ``--max-num-seqs``,
        then only what differs from the simulator's defaults, then ``extra_args``. Latencies are passed as Go durations
        (``--time-to-first-token=200ms``): the pinned v0.10.2 parses durations and deprecates bare integers, which
        newer images reject ("Integer format is deprecated", llm-d-inference-sim docs/configuration.md)."""
        out = [
            f"--model={self.model}",
            f"--port={VLLM_PORT}",
            f"--served-model-name={self.served_name or self.model}",
            f"--max-num-seqs={self.max_num_seqs}",
        ]
        if self.mode != "random":
            out.append(f"--mode={self.mode}")
        if self.max_model_len is not None:
            out.append(f"--max-model-len={self.max_model_len}")
        if self.time_to_first_token_ms:
            out.append(f"--time-to-first-token={self.time_to_first_token_ms}ms")
        if self.inter_token_latency_ms:
            out.append(f"--inter-token-latency={self.inter_token_latency_ms}ms")
        if self.enable_kvcache:
            out.extend(
                ["--enable-kvcache=true", f"--kv-cache-size={self.kv_cache_size}", f"--block-size={self.block_size}"]
            )
        out.extend(self.extra_args)
        return out

    def problems(self) -> list[tuple[str, object, str]]:
        """What the simulator would reject at start-up: ``(field, value, what is allowed)``."""
        found: list[tuple[str, object, str]] = []
        if not self.model or not self.model.strip():
            found.append(("model", self.model, "a non-empty model name, e.g. 'random'"))
        if self.served_name is not None and not self.served_name.strip():
            found.append(("served_name", self.served_name, "a non-empty name, or None for the model name"))
        if self.mode not in MODES:
            found.append(("mode", self.mode, f"one of {', '.join(MODES)}"))
        if self.max_num_seqs < 1:
            found.append(("max_num_seqs", self.max_num_seqs, ">= 1"))
        if self.max_model_len is not None and self.max_model_len < 1:
            found.append(("max_model_len", self.max_model_len, ">= 1, or None for the simulator's 1024"))
        for name in ("time_to_first_token_ms", "inter_token_latency_ms"):
            if getattr(self, name) < 0:
                found.append((name, getattr(self, name), ">= 0 milliseconds"))
        if self.kv_cache_size < 1:
            found.append(("kv_cache_size", self.kv_cache_size, ">= 1 blocks"))
        if self.block_size not in BLOCK_SIZES:
            found.append(("block_size", self.block_size, f"one of {', '.join(map(str, BLOCK_SIZES))}"))
        return found


def simulator_deployment(
    *,
    name: str,
    namespace: str,
    replicas: int,
    spec: SimulatorSpec,
    labels: Mapping[str, str],
    resources: PodResources,
    service_account: str,
    hf_token_secret: str | None = None,
    node_selector: Mapping[str, str] | None = None,
    tolerations: Sequence[Toleration] = (),
    image: str | None = None,
) -> dict[str, Any]:
    """The Deployment manifest of a simulator fleet (pure function; see :class:`InferenceSimulator`).

    The container runs the image's entrypoint (``/app/llm-d-inference-sim``) with :meth:`SimulatorSpec.args`, serves
    on port ``modelserver`` = 8000 like vLLM, requests only CPU and memory (no accelerator or other extended
    resource), and has the guide's probes (startup ``/v1/models`` after 15 s every 30 s, 60 tries; liveness
    ``/health``; readiness ``/v1/models``). It runs as the image's non-root user 65532 with no privilege escalation,
    every capability dropped, RuntimeDefault seccomp and a read-only root filesystem; ``/cache`` (HOME, HF_HOME and
    working directory) and ``/tmp`` are small emptyDirs. ``POD_NAME`` / ``POD_NAMESPACE`` make the simulator tag
    responses with ``x-inference-pod`` / ``x-inference-namespace`` headers, which shows where the picker routed.

    Args:
        hf_token_secret: Secret whose ``HF_TOKEN`` key the container reads. Default: None (no token).
        node_selector: The pods' ``nodeSelector``. Default: None (any node).
        tolerations: The pods' tolerations. Default: none.
        image: The simulator image. Default: None (the active llm-d release's ``inference_sim`` pin,
            :func:`~pulumi_llmd.components.versions.active_release`).
    """
    env = hf_token_env(hf_token_secret)
    env.extend(
        {"name": var, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}
        for var, path in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"))
    )
    literal = {"HOME": CACHE_DIR, "HF_HOME": f"{CACHE_DIR}/huggingface", **dict(spec.extra_env)}
    env.extend({"name": k, "value": v} for k, v in sorted(literal.items()))
    env = with_secret_env(env, spec.secret_env)
    container: dict[str, Any] = {
        "name": "modelserver",
        "image": image if image is not None else versions.active_release().inference_sim.ref,
        "imagePullPolicy": "IfNotPresent",
        "args": spec.args(),
        "env": env,
        "workingDir": CACHE_DIR,
        "ports": [model_server_port()],
        "resources": {
            "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
            "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
        },
        **model_server_probes(startup_failure_threshold=60),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": SIMULATOR_UID,
            "runAsGroup": SIMULATOR_UID,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "cache", "mountPath": CACHE_DIR}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [
            {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ],
    }
    if node_selector:
        pod_spec["nodeSelector"] = dict(sorted(node_selector.items()))
    if tolerations:
        pod_spec["tolerations"] = [t.to_k8s() for t in tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            # No scarce devices: bring the new pod up before the old one goes.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }


class InferenceSimulatorArgs(TypedDict, total=False):
    """The arguments of :class:`InferenceSimulator` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    replicas: Required[int]
    """Number of simulators (pods), >= 1 (the guide runs 3 decode pods)."""
    labels: Required[Mapping[str, str]]
    """Pod labels; use ``model_server_labels(guide=SIMULATED_ACCELERATORS_GUIDE, role="decode",
    model=...)``; what an InferencePool selects on."""
    spec: SimulatorSpec | None
    """What the simulators serve. Default: None — :class:`SimulatorSpec` (the guide's ``random`` model,
    simulator defaults)."""
    resources: PodResources | None
    """CPU / memory. Default: None — :data:`SIMULATOR_RESOURCES` (100m-500m CPU, 128-256 MiB)."""
    hf_token_secret: str | None
    """Secret with key ``HF_TOKEN``, only needed for a gated real model name. Default: None."""
    node_selector: Mapping[str, str] | None
    """Where the pods may run. Default: None (anywhere)."""
    tolerations: Sequence[Toleration]
    """Taints the pods tolerate. Default: none."""
    image: str
    """The simulator image. Default: the active llm-d release's ``inference_sim`` pin
    (:func:`~pulumi_llmd.components.versions.active_release`)."""


class InferenceSimulator(pulumi.ComponentResource):
    """A fleet of llm-d inference simulators standing in for vLLM servers (no GPU).

    Type token ``llmd:serving:InferenceSimulator``. Registers a ServiceAccount (no API token), the Deployment from
    :func:`simulator_deployment` and a PodDisruptionBudget (at most one simulator voluntarily down), like
    :class:`~pulumi_llmd.components.serving.ModelServer`. Outputs: ``deployment``, ``labels`` (what an InferencePool
    selects on), ``name``.

    Arguments: :class:`InferenceSimulatorArgs`; the Deployment is ``<name>``.

    Raises:
        ValueError: before anything registers: replicas < 1, a spec the simulator would reject (see
            :meth:`SimulatorSpec.problems`), a quantity that does not parse, or a limit below its request.
    """

    @overload
    def __init__(self, name: str, args: InferenceSimulatorArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[InferenceSimulatorArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: InferenceSimulatorArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(InferenceSimulatorArgs, "InferenceSimulator", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "InferenceSimulator", "namespace")
        replicas = a["replicas"]
        labels = a["labels"]
        spec = a.get("spec", None)
        resources = a.get("resources", None)
        hf_token_secret = a.get("hf_token_secret", None)
        node_selector = a.get("node_selector", None)
        tolerations = a.get("tolerations", ())
        image = a.get("image", versions.active_release().inference_sim.ref)
        opts = with_depends_on(opts, [*namespace_deps])
        spec = spec or SimulatorSpec()
        resources = resources or SIMULATOR_RESOURCES
        where = f"InferenceSimulator {name}"
        if replicas < 1:
            raise ValueError(f"{where}: replicas = {replicas}: must be >= 1")
        spec_problems = spec.problems()
        if spec_problems:
            raise ValueError(f"{where}: " + "; ".join(f"spec.{f} = {v!r}: allowed: {a}" for f, v, a in spec_problems))
        bad = quantity_problem(where, resources, ("cpu_request", "cpu_limit", "memory_request", "memory_limit"))
        if bad:
            raise ValueError(bad)
        limits = limit_problems(resources)
        if limits:
            raise ValueError(f"{where}: " + "; ".join(f"resources.{f} = {v!r}: {m}" for f, v, m in limits))
        super().__init__("llmd:serving:InferenceSimulator", name, None, opts)
        child = child_options(self, opts)
        sa_name = f"{name}-modelserver"
        k8s_object(f"{name}-sa", service_account_manifest(sa_name, namespace, labels), child)
        self.deployment = k8s_object(
            f"{name}-deployment",
            simulator_deployment(
                name=name,
                namespace=namespace,
                replicas=replicas,
                spec=spec,
                labels=labels,
                resources=resources,
                service_account=sa_name,
                hf_token_secret=hf_token_secret,
                node_selector=node_selector,
                tolerations=tolerations,
                image=image,
            ),
            child,
        )
        k8s_object(f"{name}-pdb", disruption_budget_manifest(name, namespace, labels), child)
        self.name = name
        self.labels = dict(labels)
        self.register_outputs({"name": name, "replicas": replicas, "model": spec.served_name or spec.model})
