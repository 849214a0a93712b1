"""EndpointPickerConfig documents of llm-d's well-lit paths beyond optimized-baseline.

Each function returns the YAML text the endpoint picker reads (``--config-file``), built as data and dumped with
PyYAML so that plugin names, parameters and profiles are checked here, not in hand-written YAML. Plugin sets and
weights are the llm-d guides' (``guides/<path>/router/*.values.yaml``, llm-d router v0.9.0 / v0.10.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from pulumi_llmd.components import versions

#: Scorer weights of the prefill and decode profiles
#: (llm-d guides/pd-disaggregation/router/pd-disaggregation.values.yaml).
PD_PREFILL_SCORERS: Mapping[str, int] = {
    "prefix-cache-scorer": 3,
    "queue-scorer": 2,
    "kv-cache-utilization-scorer": 2,
}
PD_DECODE_SCORERS: Mapping[str, int] = {"active-request-scorer": 2, "prefix-cache-scorer": 3}
#: ZMQ port on which vLLM publishes KV-cache events per pod (precise-prefix-cache-routing guide: ``tcp://*:5556``).
KV_EVENTS_PORT = 5556
#: Default bytes of KV cache per token the tiered guide sizes the CPU LRU with (160 KB/token, Qwen3-32B).
TIERED_GUIDE_KV_BYTES_PER_TOKEN = 160 * 1024
#: Tokens per block the picker's approximate prefix producers hash (the guide's 16-token blocks).
APPROX_PREFIX_BLOCK_TOKENS = 16


def _document(plugins: list[dict[str, Any]], profiles: list[dict[str, Any]], **extra: Any) -> str:
    document: dict[str, Any] = {
        "apiVersion": versions.ENDPOINT_PICKER_CONFIG_API_VERSION,
        "kind": "EndpointPickerConfig",
        "plugins": plugins,
        **extra,
        "schedulingProfiles": profiles,
    }
    return yaml.safe_dump(document, sort_keys=False)


def _weighted(weights: Mapping[str, int | float]) -> list[dict[str, Any]]:
    return [{"pluginRef": plugin, "weight": weight} for plugin, weight in weights.items()]


def pd_picker_config(
    prefill_scorers: Mapping[str, int] = PD_PREFILL_SCORERS,
    decode_scorers: Mapping[str, int] = PD_DECODE_SCORERS,
    producers: tuple[str, ...] = (),
) -> str:
    """Prefill/decode disaggregation: every request gets a prefill and a decode endpoint.

    Plugins: ``disagg-headers-handler``, ``always-disagg-pd-decider``, ``disagg-profile-handler`` (with the decider),
    ``prefill-filter`` / ``decode-filter`` (on the ``llm-d.ai/role`` pod label) and the scorers; profiles ``prefill``
    (filter + prefix 3, queue 2, kv-utilisation 2) and ``decode`` (filter + active-request 2, prefix 3).
    Raises ValueError for an empty scorer mapping or a negative weight.

    Args:
        prefill_scorers: Scorer plugin -> weight of the ``prefill`` profile. Default: ``PD_PREFILL_SCORERS`` (the
            guide's prefix 3, queue 2, kv-utilisation 2).
        decode_scorers: Scorer plugin -> weight of the ``decode`` profile. Default: ``PD_DECODE_SCORERS`` (the
            guide's active-request 2, prefix 3).
        producers: Data-producer plugins registered without a profile reference, e.g. ``inflight-load-producer``
            (publishes ``llm_d_epp_inflight_tokens`` for token-aware autoscaling; llm-d guides/pd-disaggregation/
            router/pd-disaggregation.values.yaml registers it so; routing is unchanged). Default: none.
    """
    for profile, scorers in (("prefill", prefill_scorers), ("decode", decode_scorers)):
        if not scorers:
            raise ValueError(f"{profile}_scorers: at least one scorer is needed")
        for plugin, weight in scorers.items():
            if weight < 0:
                raise ValueError(f"{profile}_scorers[{plugin!r}] = {weight}: weights must be >= 0")
    all_scorers = list(dict.fromkeys([*prefill_scorers, *decode_scorers]))
    plugins: list[dict[str, Any]] = [
        {"type": "disagg-headers-handler"},
        {"type": "always-disagg-pd-decider"},
        {"type": "disagg-profile-handler", "parameters": {"deciderPluginName": "always-disagg-pd-decider"}},
        {"type": "prefill-filter"},
        {"type": "decode-filter"},
        *({"type": plugin} for plugin in all_scorers),
        *({"type": plugin} for plugin in producers),
    ]
    profiles = [
        {"name": "prefill", "plugins": [{"pluginRef": "prefill-filter"}, *_weighted(prefill_scorers)]},
        {"name": "decode", "plugins": [{"pluginRef": "decode-filter"}, *_weighted(decode_scorers)]},
    ]
    return _document(plugins, profiles)


def precise_prefix_picker_config(*, model: str, render_url: str, block_size: int) -> str:
    """Precise prefix-cache routing: the picker indexes the servers' KV-cache events and scores exact prefix hits.

    Plugins (llm-d guides/precise-prefix-cache-routing/router values): ``token-producer`` tokenizing through the
    CPU render Service at ``render_url`` for ``model``, ``endpoint-notification-source`` feeding the
    ``precise-prefix-cache-producer`` (block size ``block_size`` tokens, which must equal vLLM's ``--block-size``;
    ZMQ pod discovery on port 5556, speculative indexing), and the scorers kv-utilisation 2, queue 2,
    prefix 3 and no-hit LRU 2 reading the producer. Raises ValueError for a block size < 1 or an empty model/URL.
    """
    if block_size < 1:
        raise ValueError(f"block_size = {block_size}: must be >= 1")
    if not model or not render_url:
        raise ValueError("model and render_url must be non-empty")
    producer = "precise-prefix-cache-producer"
    plugins: list[dict[str, Any]] = [
        {"type": "token-producer", "parameters": {"modelName": model, "vllm": {"url": render_url}}},
        {"type": "endpoint-notification-source"},
        {
            "type": producer,
            "parameters": {
                "tokenProcessorConfig": {"blockSize": block_size},
                "speculativeIndexing": True,
                "indexerConfig": {"kvBlockIndexConfig": {"enableMetrics": True}},
                "kvEventsConfig": {
                    "topicFilter": "kv@",
                    "concurrency": 8,
                    "discoverPods": True,
                    "podDiscoveryConfig": {"socketPort": KV_EVENTS_PORT},
                },
            },
        },
        {"type": "prefix-cache-scorer", "parameters": {"prefixMatchInfoProducerName": producer}},
        {"type": "kv-cache-utilization-scorer"},
        {"type": "queue-scorer"},
        {"type": "no-hit-lru-scorer", "parameters": {"prefixMatchInfoProducerName": producer}},
    ]
    profiles = [
        {
            "name": "default",
            "plugins": _weighted(
                {"kv-cache-utilization-scorer": 2, "queue-scorer": 2, "prefix-cache-scorer": 3, "no-hit-lru-scorer": 2}
            ),
        }
    ]
    data_layer = {"sources": [{"pluginRef": "endpoint-notification-source", "extractors": [{"pluginRef": producer}]}]}
    return _document(plugins, profiles, dataLayer=data_layer)


def cpu_lru_blocks(cpu_bytes: int, kv_bytes_per_token: int = TIERED_GUIDE_KV_BYTES_PER_TOKEN) -> int:
    """Prefix blocks one server's CPU tier holds: ``cpu_bytes // (kv_bytes_per_token * 16)``.

    The tiered guide sizes ``lruCapacityPerServer`` this way (82,000 blocks for ~200 GB at 160 KB/token x 16-token
    blocks). Raises ValueError for non-positive inputs.

    Args:
        cpu_bytes: The CPU tier's capacity per server, bytes.
        kv_bytes_per_token: KV-cache bytes one token takes. Default: ``TIERED_GUIDE_KV_BYTES_PER_TOKEN`` (163,840:
            the guide's 160 KB/token).
    """
    if cpu_bytes < 1 or kv_bytes_per_token < 1:
        raise ValueError(f"cpu_bytes = {cpu_bytes}, kv_bytes_per_token = {kv_bytes_per_token}: both must be >= 1")
    return max(1, cpu_bytes // (kv_bytes_per_token * APPROX_PREFIX_BLOCK_TOKENS))


def tiered_prefix_picker_config(*, cpu_blocks_per_server: int) -> str:
    """Tiered prefix cache: two approximate prefix producers, one for the GPU (HBM) tier and one for the CPU tier.

    Plugins (llm-d guides/tiered-prefix-cache/router/tiered-prefix-cache-cpu.values.yaml): ``gpu-prefix-cache-producer``
    (auto-tuned) and ``cpu-prefix-cache-producer`` (``autoTune: false``, ``lruCapacityPerServer`` =
    ``cpu_blocks_per_server``, see :func:`cpu_lru_blocks`), a ``prefix-cache-scorer`` reading each, queue,
    kv-utilisation and no-hit LRU scorers, all weight 1 as in the guide. Raises ValueError for a capacity < 1.
    """
    if cpu_blocks_per_server < 1:
        raise ValueError(f"cpu_blocks_per_server = {cpu_blocks_per_server}: must be >= 1")
    plugins: list[dict[str, Any]] = [
        {"type": "no-hit-lru-scorer"},
        {"type": "approx-prefix-cache-producer", "name": "gpu-prefix-cache-producer"},
        {
            "type": "approx-prefix-cache-producer",
            "name": "cpu-prefix-cache-producer",
            "parameters": {"autoTune": False, "lruCapacityPerServer": cpu_blocks_per_server},
        },
        {"type": "queue-scorer"},
        {"type": "kv-cache-utilization-scorer"},
        {
            "type": "prefix-cache-scorer",
            "name": "gpu-prefix-cache-scorer",
            "parameters": {"prefixMatchInfoProducerName": "gpu-prefix-cache-producer"},
        },
        {
            "type": "prefix-cache-scorer",
            "name": "cpu-prefix-cache-scorer",
            "parameters": {"prefixMatchInfoProducerName": "cpu-prefix-cache-producer"},
        },
    ]
    refs = [
        "queue-scorer",
        "kv-cache-utilization-scorer",
        "gpu-prefix-cache-scorer",
        "cpu-prefix-cache-scorer",
        "no-hit-lru-scorer",
    ]
    profiles = [{"name": "default", "plugins": [{"pluginRef": ref} for ref in refs]}]
    return _document(plugins, profiles)


#: The flow-control guide's dispatch gate: requests in flight per model server before the EPP queues (the
#: ``concurrency-detector``'s ``maxConcurrency``), tuned upstream for Qwen3-32B on 16 x H100 only
#: (llm-d guides/flow-control/router/flow-control.values.yaml; ``tuning.md`` derives it for other workloads).
FLOW_CONTROL_MAX_CONCURRENCY = 132
#: The guide's scheduling profile under flow control: the optimized-baseline scorers without no-hit LRU.
FLOW_CONTROL_SCORERS: Mapping[str, int] = {
    "queue-scorer": 2,
    "kv-cache-utilization-scorer": 2,
    "prefix-cache-scorer": 3,
}
#: The guide's ``maxRequests`` per priority band (premium 100: "500", standard 0: "200", best-effort -10: "50").
FLOW_CONTROL_BAND_MAX_REQUESTS: Mapping[int, str] = {100: "500", 0: "200", -10: "50"}
#: The guide's global flow-control limits (``flowControl.maxBytes`` / ``maxRequests`` / ``defaultRequestTTL``).
FLOW_CONTROL_LIMITS: Mapping[str, str] = {"maxBytes": "10Gi", "maxRequests": "1k", "defaultRequestTTL": "60s"}


def flow_control_picker_config(priorities: list[int], *, max_concurrency: int = FLOW_CONTROL_MAX_CONCURRENCY) -> str:
    """Flow control: the endpoint picker queues requests per flow (fairness id x priority) and dispatches them while
    the pool is not saturated.

    As llm-d's guide sets it (llm-d/llm-d ``guides/flow-control/router/flow-control.values.yaml``, router v0.9.0 /
    v0.10.0): ``featureGates: [flowControl]``; plugins ``queue-scorer``, ``kv-cache-utilization-scorer``,
    ``prefix-cache-scorer`` (profile ``default`` weights 2 / 2 / 3), ``round-robin-fairness-policy``,
    ``fcfs-ordering-policy`` and ``concurrency-detector`` (``maxConcurrency`` ``max_concurrency`` requests,
    ``concurrencyMode: requests``, ``headroom: 0.0``); ``flowControl`` with ``maxBytes: 10Gi``, ``maxRequests: 1k``,
    ``defaultRequestTTL: 60s``, the detector as ``saturationDetector`` and one ``priorityBands`` entry per distinct
    priority in ``priorities`` (highest first), round-robin fairness and FCFS ordering, ``maxRequests`` the guide's
    for its priorities 100 / 0 / -10 ("500" / "200" / "50") and left to the EPP's default for others.

    Args:
        priorities: The InferenceObjectives' priorities (repeats allowed).
        max_concurrency: Requests in flight per model server before requests queue. Default:
            ``FLOW_CONTROL_MAX_CONCURRENCY`` (132, the guide's for Qwen3-32B on 16 x H100).

    Raises:
        ValueError: no priority, or ``max_concurrency`` < 1.
    """
    if not priorities:
        raise ValueError("priorities: at least one priority band is needed")
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency = {max_concurrency}: must be >= 1")
    fairness, ordering, detector = "round-robin-fairness-policy", "fcfs-ordering-policy", "concurrency-detector"
    plugins: list[dict[str, Any]] = [
        *({"type": plugin} for plugin in FLOW_CONTROL_SCORERS),
        {"type": fairness},
        {"type": ordering},
        {
            "type": detector,
            "parameters": {"maxConcurrency": max_concurrency, "concurrencyMode": "requests", "headroom": 0.0},
        },
    ]
    bands: list[dict[str, Any]] = []
    for priority in sorted(set(priorities), reverse=True):
        band: dict[str, Any] = {"priority": priority}
        if priority in FLOW_CONTROL_BAND_MAX_REQUESTS:
            band["maxRequests"] = FLOW_CONTROL_BAND_MAX_REQUESTS[priority]
        bands.append({**band, "fairnessPolicyRef": fairness, "orderingPolicyRef": ordering})
    document: dict[str, Any] = {
        "apiVersion": versions.ENDPOINT_PICKER_CONFIG_API_VERSION,
        "kind": "EndpointPickerConfig",
        "featureGates": ["flowControl"],
        "plugins": plugins,
        "schedulingProfiles": [{"name": "default", "plugins": _weighted(FLOW_CONTROL_SCORERS)}],
        "flowControl": {**FLOW_CONTROL_LIMITS, "saturationDetector": {"pluginRef": detector}, "priorityBands": bands},
    }
    return yaml.safe_dump(document, sort_keys=False)


#: The predicted-latency-routing guide's prefix window (``approx-prefix-cache-producer`` ``maxPrefixTokensToMatch``),
#: sized for 256K-context prompts; the guide: "lower it to match your max prompt length".
PREDICTED_LATENCY_MAX_PREFIX_TOKENS = 262144
#: The guide's affinity filters (``prefix-cache-affinity-filter``): name -> ``affinityThreshold``, each with
#: ``ttftSource: latencyPredictor`` and ``maxTTFTPenaltyMs: 5000``. The SLO-aware file has both; routing-only, loose.
PREDICTED_LATENCY_AFFINITY: Mapping[str, float] = {"strict-affinity-filter": 0.99, "loose-affinity-filter": 0.8}
#: The guide's ``maxTTFTPenaltyMs``: release cache affinity once a hit would cost more than 5 s of predicted TTFT.
PREDICTED_LATENCY_MAX_TTFT_PENALTY_MS = 5000


def predicted_latency_picker_config(
    *,
    slo_aware: bool = False,
    streaming_mode: bool | None = None,
    max_prefix_tokens: int = PREDICTED_LATENCY_MAX_PREFIX_TOKENS,
) -> str:
    """Predicted-latency routing: the picker predicts each endpoint's TTFT/TPOT (the latency predictor sidecars) and
    picks on predicted latency, optionally against the request's SLO headers.

    As llm-d's guide sets it (llm-d/llm-d ``guides/predicted-latency-routing/router/predicted-latency.values.yaml``
    and ``predicted-latency-slo.values.yaml``, llm-d v0.9.0): plugins ``approx-prefix-cache-producer``
    (``maxPrefixTokensToMatch``), ``predicted-latency-producer`` (``streamingMode: true`` when streaming),
    ``prefix-cache-affinity-filter`` ``loose-affinity-filter`` (0.8; with ``slo_aware`` also
    ``strict-affinity-filter`` 0.99), ``ttftSource: latencyPredictor``, ``maxTTFTPenaltyMs: 5000``,
    ``latency-scorer``, ``weighted-random-picker`` and with ``slo_aware`` ``slo-headroom-tier-filter`` and
    ``latency-slo-admitter``; profile ``default``: producer, [strict filter, SLO tier filter,] loose filter, scorer,
    picker (no weights: the latency scorer alone orders endpoints).

    Args:
        slo_aware: Admit and place requests against ``x-llm-d-slo-ttft-ms`` / ``x-llm-d-slo-tpot-ms``. Default: False
            (the guide's routing-only file).
        streaming_mode: ``predicted-latency-producer`` ``streamingMode``. Default: None (``slo_aware``: the SLO file
            sets true, the routing-only file leaves the producer's default, false).
        max_prefix_tokens: ``maxPrefixTokensToMatch``, tokens. Default: :data:`PREDICTED_LATENCY_MAX_PREFIX_TOKENS`.

    Raises:
        ValueError: ``max_prefix_tokens`` < 1.
    """
    if max_prefix_tokens < 1:
        raise ValueError(f"max_prefix_tokens = {max_prefix_tokens}: must be >= 1")
    streaming = slo_aware if streaming_mode is None else streaming_mode
    producer: dict[str, Any] = {"type": "predicted-latency-producer"}
    if streaming:
        producer["parameters"] = {"streamingMode": True}
    filters = [name for name in PREDICTED_LATENCY_AFFINITY if slo_aware or name == "loose-affinity-filter"]
    plugins: list[dict[str, Any]] = [
        {"type": "approx-prefix-cache-producer", "parameters": {"maxPrefixTokensToMatch": max_prefix_tokens}},
        producer,
        *(
            {
                "type": "prefix-cache-affinity-filter",
                "name": name,
                "parameters": {
                    "affinityThreshold": PREDICTED_LATENCY_AFFINITY[name],
                    "ttftSource": "latencyPredictor",
                    "maxTTFTPenaltyMs": PREDICTED_LATENCY_MAX_TTFT_PENALTY_MS,
                },
            }
            for name in filters
        ),
        {"type": "latency-scorer"},
        {"type": "weighted-random-picker"},
    ]
    refs = ["predicted-latency-producer", "loose-affinity-filter", "latency-scorer", "weighted-random-picker"]
    if slo_aware:
        plugins += [{"type": "slo-headroom-tier-filter"}, {"type": "latency-slo-admitter"}]
        refs[1:2] = ["strict-affinity-filter", "slo-headroom-tier-filter", "loose-affinity-filter"]
    return _document(plugins, [{"name": "default", "plugins": [{"pluginRef": ref} for ref in refs]}])
