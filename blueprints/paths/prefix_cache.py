"""llm-d's prefix-cache paths: precise prefix-cache routing and the tiered (CPU-offloaded) prefix cache.

* precise-prefix-cache-routing (llm-d guides/precise-prefix-cache-routing): each vLLM server publishes its KV-cache
  events over ZMQ (port 5556); two endpoint pickers, active-active, subscribe to every server, index the resident
  blocks and score exact prefix hits, tokenizing prompts through a pool of CPU vLLM render pods. Upstream result:
  12,598 output tok/s on 16 x H100, Qwen3-32B.
* tiered-prefix-cache (llm-d guides/tiered-prefix-cache): vLLM offloads evicted KV blocks to host memory (the
  OffloadingConnector, or LMCache) and the picker scores GPU-tier and CPU-tier prefix hits separately. Upstream
  result at 20 QPS: +162% throughput, -98% TTFT.
"""

from __future__ import annotations

from typing import Any

import pulumi

from pulumi_llmd.blueprints.config import KvOffloadConfig, ModelConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths.optimized_baseline import SingleRolePath
from pulumi_llmd.blueprints.paths.routing import PickerSetup
from pulumi_llmd.blueprints.paths.rules import PathRules, Placement, SystemPods, single_role_placement
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.serving.model_server import VLLM_PORT
from pulumi_llmd.components.serving.picker_configs import (
    KV_EVENTS_PORT,
    cpu_lru_blocks,
    precise_prefix_picker_config,
    tiered_prefix_picker_config,
)
from pulumi_llmd.components.serving.tokenizer import RENDER_RESOURCES, TokenizerRender

#: vLLM block size of precise prefix-cache routing; the picker's tokenProcessorConfig.blockSize must match it.
PRECISE_BLOCK_SIZE = 64
#: Pickers of precise prefix-cache routing (the guide's active-active pair).
PRECISE_PICKER_REPLICAS = 2
#: LMCache: metrics directory shared by vLLM's workers (the guide's ``PROMETHEUS_MULTIPROC_DIR``).
LMCACHE_METRICS_DIR = "/tmp/lmcache_prometheus"


class PrecisePrefixCacheRouting(SingleRolePath):
    """One model on the precise-prefix-cache-routing path. Type token ``llmd:paths:PrecisePrefixCacheRouting``.

    Besides :class:`SingleRolePath`'s children: a :class:`TokenizerRender` ``<model>-render``
    (``tokenizerReplicas`` CPU pods). vLLM gets ``--block-size`` (default 64) and ``--kv-events-config`` publishing on
    ``tcp://*:5556`` with topic ``kv@$(POD_IP):$(POD_PORT)@<model>``; the servers expose ``kv-events`` 5556 to the
    pickers; the pickers (2 unless ``router.replicas`` is set) run active-active with the guide's plugins.
    """

    TYPE = "llmd:paths:PrecisePrefixCacheRouting"
    PATH = WellLitPath.PRECISE_PREFIX_CACHE_ROUTING

    def _before_servers(
        self, model: ModelConfig, *, namespace: str, hf_token_secret: str | None, opts: pulumi.ResourceOptions
    ) -> None:
        self.render = TokenizerRender(
            f"{model.name}-render",
            namespace=namespace,
            model=model.hugging_face_id,
            replicas=model.tokenizer_replicas,
            hf_token_secret=hf_token_secret,
            opts=opts,
        )

    def _vllm(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        return {
            "block_size": model.block_size or PRECISE_BLOCK_SIZE,
            "kv_events_config": {
                "enable_kv_cache_events": True,
                "publisher": "zmq",
                "endpoint": "$(KV_EVENTS_ENDPOINT)",
                "topic": f"kv@$(POD_IP):$(POD_PORT)@{model.hugging_face_id}",
            },
        }

    def _server_extras(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        self.picker_ports = [KV_EVENTS_PORT]
        return {
            "extra_ports": [{"name": "kv-events", "containerPort": KV_EVENTS_PORT, "protocol": "TCP"}],
            "field_env": {"NAMESPACE": "metadata.namespace", "POD_IP": "status.podIP"},
            "extra_env": {
                "POD_PORT": str(VLLM_PORT),
                "KV_EVENTS_ENDPOINT": f"tcp://*:{KV_EVENTS_PORT}",
                "DO_NOT_TRACK": "1",
            },
        }

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        return PickerSetup(
            config_text=precise_prefix_picker_config(
                model=model.hugging_face_id,
                render_url=self.render.url,
                block_size=model.block_size or PRECISE_BLOCK_SIZE,
            ),
            replicas=PRECISE_PICKER_REPLICAS,
            active_active=True,
            hf_token_secret=hf_token_secret,
        )


class TieredPrefixCache(SingleRolePath):
    """One model on the tiered-prefix-cache path. Type token ``llmd:paths:TieredPrefixCache``.

    vLLM offloads KV blocks to ``kvOffload.cpuGib`` GiB of host memory per server (default sized from the node's
    memory in the catalog, see :func:`~pulumi_llmd.blueprints.config.default_offload_gib`), which the pod's memory
    request and limit include: with the native ``OffloadingConnector`` (``cpu_bytes_to_use``), or with
    ``LMCacheConnectorV1`` (``LMCACHE_MAX_LOCAL_CPU_SIZE`` in GB, a shared metrics directory). The picker scores
    GPU-tier and CPU-tier prefix hits apart, the CPU tier's index sized to the same bytes.
    """

    TYPE = "llmd:paths:TieredPrefixCache"
    PATH = WellLitPath.TIERED_PREFIX_CACHE

    def _offload_gib(self) -> int:
        """The planned CPU KV-offload size per server, GiB (:attr:`ModelPlan.offload_gib`)."""
        assert self.model_plan.offload_gib is not None
        return self.model_plan.offload_gib

    def _vllm(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        offload = model.kv_offload or KvOffloadConfig()
        cpu_bytes = self._offload_gib() * 2**30
        config: dict[str, Any]
        if offload.connector == "lmcache":
            config = {"kv_connector": "LMCacheConnectorV1", "kv_role": "kv_both"}
        else:
            config = {
                "kv_connector": "OffloadingConnector",
                "kv_role": "kv_both",
                "kv_connector_extra_config": {"cpu_bytes_to_use": cpu_bytes},
            }
        out: dict[str, Any] = {"kv_transfer_config": config}
        if model.block_size is not None:
            out["block_size"] = model.block_size
        return out

    def _server_extras(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        offload = model.kv_offload or KvOffloadConfig()
        if offload.connector != "lmcache":
            return {}
        gib = self._offload_gib()
        return {
            "extra_env": {
                "LMCACHE_MAX_LOCAL_CPU_SIZE": f"{gib * 2**30 / 1e9:.1f}",
                "PROMETHEUS_MULTIPROC_DIR": LMCACHE_METRICS_DIR,
                "PYTHONHASHSEED": "123",
            },
            "extra_volumes": [
                (
                    {"name": "lmcache-prometheus-metrics", "emptyDir": {}},
                    {"name": "lmcache-prometheus-metrics", "mountPath": LMCACHE_METRICS_DIR},
                )
            ],
        }

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        offload = model.kv_offload or KvOffloadConfig()
        cpu_bytes = self._offload_gib() * 2**30
        return PickerSetup(
            config_text=tiered_prefix_picker_config(
                cpu_blocks_per_server=cpu_lru_blocks(cpu_bytes, offload.kv_bytes_per_token)
            )
        )


def _tiered_placement(p: Placement) -> tuple[list[ConfigIssue], int]:
    """As optimized-baseline, and no TPU pool (vLLM TPU offloads through its own TPUOffloadConnector)."""
    return single_role_placement(p, tpu=False)


#: These paths' config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`): one fleet of decode servers.
def _render_pods(model: ModelConfig) -> SystemPods:
    """The tokenizer render pods (no nodeSelector; accelerator nodes are tainted, so they land on the system pool):
    one container of :data:`~pulumi_llmd.components.serving.tokenizer.RENDER_RESOURCES` each."""
    return SystemPods(pods=(("the tokenizer render pod", ({"resources": RENDER_RESOURCES},)),))


RULES = {
    WellLitPath.PRECISE_PREFIX_CACHE_ROUTING: PathRules(placement=single_role_placement, system_pods=_render_pods),
    WellLitPath.TIERED_PREFIX_CACHE: PathRules(placement=_tiered_placement),
}
