"""Model catalog: what a Hugging Face model weighs on disk and in accelerator memory.

One :class:`ModelSpec` per model the reference stacks, tests and llm-d guides serve, plus common open models, so
config validation can check before anything is deployed that the weights fit the accelerators (TP x PP shards) and
the node's ephemeral storage (every pod downloads the weights into its own emptyDir), and the first-start estimate
(:mod:`pulumi_llmd.components.startup`) can size the awaits.

Units: ``parameters`` is a count; ``weights_gib`` is the size of the checkpoint's weight files in GiB (2**30 bytes);
``bytes_per_parameter`` is what the checkpoint stores per parameter on average (2 for BF16, ~1 for FP8, ~0.55 for
MXFP4 / INT4 with BF16 attention and scales).

Sources: each entry names its Hugging Face repository; ``weights_gib`` is the ``metadata.total_size`` of the repo's
``model.safetensors.index.json`` (bytes, converted to GiB and rounded to 0.1), parameters and dtype are the model
card's, KV-cache facts are ``config.json``'s ``num_hidden_layers``, ``num_key_value_heads`` and ``head_dim`` (or
``hidden_size / num_attention_heads``). The values were transcribed from those files (not fetched at run time: the
library never reaches the network); give ``weightsGiB`` on a model to override a figure.

Models not in the catalog get an estimate from a size in the id (``-32B`` -> 32e9 parameters x 2 bytes, BF16),
flagged ``estimated``; an id without a size has no spec (the weight checks are skipped, and the first-start estimate
uses :data:`UNKNOWN_WEIGHTS_GIB`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

__all__ = [
    "HF_CACHE_PATH",
    "MODELS",
    "SCRATCH_GIB",
    "UNKNOWN_WEIGHTS_GIB",
    "ModelSpec",
    "cache_gib",
    "model_spec",
    "pod_ephemeral_gib",
]

_GIB = 2**30
#: What the first-start estimate assumes for a model with no spec (no size in its id): a 70B BF16 checkpoint.
UNKNOWN_WEIGHTS_GIB = 131.5


@dataclass(frozen=True)
class ModelSpec:
    """Facts about one model's checkpoint.

    Attributes:
        hf_id: Hugging Face repository id (``Qwen/Qwen3-32B``).
        parameters: parameter count (total, not active, for MoE models).
        dtype: weight format of the checkpoint (``bf16``, ``fp8``, ``mxfp4``, ``int4``).
        bytes_per_parameter: average bytes per parameter on disk (``weights_gib * 2**30 / parameters``).
        weights_gib: size of the weight files, GiB.
        moe: a mixture-of-experts model (wide expert parallelism shards its experts over the EP ranks).
            Default: False.
        layers: ``num_hidden_layers``. Default: None (not recorded).
        kv_heads: ``num_key_value_heads`` (1 for MLA models, see ``head_dim``). Default: None (not recorded).
        head_dim: per-head dimension of the cached K and V (for MLA models: the compressed latent + RoPE width,
            cached once per token instead of K and V). Default: None (not recorded).
        mla: multi-head latent attention (DeepSeek-V3 family, Kimi-K2): one latent vector per token and layer.
            Default: False.
        source: where the figures come from. Default: "" (empty).
        estimated: True when derived from the id (no catalog entry, no override). Default: False.
    """

    hf_id: str
    parameters: float
    dtype: str
    bytes_per_parameter: float
    weights_gib: float
    moe: bool = False
    layers: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    mla: bool = False
    source: str = ""
    estimated: bool = False

    def kv_bytes_per_token(self, kv_cache_bytes: int = 2) -> int | None:
        """KV-cache bytes one token takes across all layers (BF16 cache by default), or None without the facts.

        ``2 x layers x kv_heads x head_dim x bytes`` (K and V), or ``layers x head_dim x bytes`` for MLA.
        E.g. Qwen3-32B: 2 x 64 x 8 x 128 x 2 = 262,144 bytes.

        Args:
            kv_cache_bytes: Bytes per cached element (2 for a BF16/FP16 cache, 1 for FP8). Default: 2.
        """
        if self.layers is None or self.kv_heads is None or self.head_dim is None:
            return None
        factor = 1 if self.mla else 2
        return factor * self.layers * self.kv_heads * self.head_dim * kv_cache_bytes


def _hf(repo: str, *extra: str) -> str:
    return "; ".join((f"huggingface.co/{repo} (model card, config.json, model.safetensors.index.json)", *extra))


def _spec(
    hf_id: str,
    parameters: float,
    dtype: str,
    weights_gb: float,
    *,
    moe: bool = False,
    kv: tuple[int, int, int] | None = None,
    mla: bool = False,
    source: str | None = None,
) -> ModelSpec:
    """One entry; ``weights_gb`` is the safetensors total in decimal GB (as the Hub shows it)."""
    weights_gib = round(weights_gb * 1e9 / _GIB, 1)
    layers, kv_heads, head_dim = kv if kv is not None else (None, None, None)
    return ModelSpec(
        hf_id=hf_id,
        parameters=parameters,
        dtype=dtype,
        bytes_per_parameter=round(weights_gb * 1e9 / parameters, 3),
        weights_gib=weights_gib,
        moe=moe,
        layers=layers,
        kv_heads=kv_heads,
        head_dim=head_dim,
        mla=mla,
        source=source or _hf(hf_id),
    )


_DEEPSEEK_MLA = (61, 1, 576)  # 61 layers; kv_lora_rank 512 + qk_rope_head_dim 64 cached per token (MLA)

_ENTRIES: tuple[ModelSpec, ...] = (
    # --- Qwen3 (dense and MoE, BF16; FP8 variants) --------------------------------------------------------------------
    _spec("Qwen/Qwen3-0.6B", 0.6e9, "bf16", 1.5, kv=(28, 8, 128)),
    _spec("Qwen/Qwen3-1.7B", 1.7e9, "bf16", 4.1, kv=(28, 8, 128)),
    _spec("Qwen/Qwen3-4B", 4.0e9, "bf16", 8.1, kv=(36, 8, 128)),
    _spec("Qwen/Qwen3-8B", 8.2e9, "bf16", 16.4, kv=(36, 8, 128)),
    _spec("Qwen/Qwen3-14B", 14.8e9, "bf16", 29.5, kv=(40, 8, 128)),
    _spec("Qwen/Qwen3-32B", 32.8e9, "bf16", 65.5, kv=(64, 8, 128)),
    _spec("Qwen/Qwen3-32B-FP8", 32.8e9, "fp8", 34.0, kv=(64, 8, 128)),
    _spec("Qwen/Qwen3-30B-A3B", 30.5e9, "bf16", 61.1, moe=True, kv=(48, 4, 128)),
    _spec("Qwen/Qwen3-235B-A22B", 235e9, "bf16", 470.2, moe=True, kv=(94, 4, 128)),
    _spec("Qwen/Qwen3-235B-A22B-FP8", 235e9, "fp8", 236.5, moe=True, kv=(94, 4, 128)),
    _spec("Qwen/Qwen3-Coder-480B-A35B-Instruct", 480e9, "bf16", 960.2, moe=True, kv=(62, 8, 128)),
    _spec("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", 480e9, "fp8", 482.0, moe=True, kv=(62, 8, 128)),
    # --- Llama 3.x (BF16; Meta's FP8 405B) ----------------------------------------------------------------------------
    _spec("meta-llama/Llama-3.1-8B", 8.03e9, "bf16", 16.1, kv=(32, 8, 128)),
    _spec("meta-llama/Llama-3.1-8B-Instruct", 8.03e9, "bf16", 16.1, kv=(32, 8, 128)),
    _spec("meta-llama/Llama-3.1-70B", 70.6e9, "bf16", 141.1, kv=(80, 8, 128)),
    _spec("meta-llama/Llama-3.1-70B-Instruct", 70.6e9, "bf16", 141.1, kv=(80, 8, 128)),
    _spec("meta-llama/Llama-3.3-70B-Instruct", 70.6e9, "bf16", 141.1, kv=(80, 8, 128)),
    _spec("meta-llama/Llama-3.1-405B", 405.9e9, "bf16", 812.0, kv=(126, 8, 128)),
    _spec("meta-llama/Llama-3.1-405B-Instruct", 405.9e9, "bf16", 812.0, kv=(126, 8, 128)),
    _spec("meta-llama/Llama-3.1-405B-Instruct-FP8", 405.9e9, "fp8", 410.1, kv=(126, 8, 128)),
    # --- DeepSeek V3 / R1 (FP8 block-quantised, 671B + 14B MTP, MLA) --------------------------------------------------
    _spec("deepseek-ai/DeepSeek-V3", 671e9, "fp8", 688.6, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    _spec("deepseek-ai/DeepSeek-V3-0324", 671e9, "fp8", 688.6, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    _spec("deepseek-ai/DeepSeek-R1", 671e9, "fp8", 688.6, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    _spec("deepseek-ai/DeepSeek-R1-0528", 671e9, "fp8", 688.6, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    # --- OpenAI gpt-oss (MXFP4 experts, BF16 attention) ---------------------------------------------------------------
    _spec("openai/gpt-oss-20b", 21e9, "mxfp4", 13.8, moe=True, kv=(24, 8, 64)),
    _spec("openai/gpt-oss-120b", 117e9, "mxfp4", 65.3, moe=True, kv=(36, 8, 64)),
    # --- Mistral / Mixtral ------------------------------------------------------------------------------------------
    _spec("mistralai/Mistral-7B-Instruct-v0.3", 7.25e9, "bf16", 14.5, kv=(32, 8, 128)),
    _spec("mistralai/Mistral-Small-3.1-24B-Instruct-2503", 24e9, "bf16", 48.0, kv=(40, 8, 128)),
    _spec("mistralai/Mistral-Large-Instruct-2411", 123e9, "bf16", 245.2, kv=(88, 8, 128)),
    _spec("mistralai/Mixtral-8x7B-Instruct-v0.1", 46.7e9, "bf16", 93.4, moe=True, kv=(32, 8, 128)),
    _spec("mistralai/Mixtral-8x22B-Instruct-v0.1", 141e9, "bf16", 281.2, moe=True, kv=(56, 8, 128)),
    # --- Gemma 3 (BF16) ---------------------------------------------------------------------------------------------
    _spec("google/gemma-3-1b-it", 1.0e9, "bf16", 2.0, kv=(26, 1, 256)),
    _spec("google/gemma-3-4b-it", 4.3e9, "bf16", 8.6, kv=(34, 4, 256)),
    _spec("google/gemma-3-12b-it", 12.2e9, "bf16", 24.4, kv=(48, 8, 256)),
    _spec("google/gemma-3-27b-it", 27.4e9, "bf16", 54.9, kv=(62, 16, 128)),
    # --- Kimi K2 (FP8 block-quantised, 1T MoE, MLA as DeepSeek-V3) -------------------------------------------------
    _spec("moonshotai/Kimi-K2-Instruct", 1.04e12, "fp8", 1029.0, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    _spec("moonshotai/Kimi-K2-Instruct-0905", 1.04e12, "fp8", 1029.0, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    _spec("moonshotai/Kimi-K2-Thinking", 1.04e12, "int4", 594.0, moe=True, kv=_DEEPSEEK_MLA, mla=True),
    # --- GLM 4.5 / 4.6 (Zhipu AI; BF16 and FP8) ----------------------------------------------------------------------
    _spec("zai-org/GLM-4.5", 355e9, "bf16", 716.7, moe=True, kv=(92, 8, 128)),
    _spec("zai-org/GLM-4.5-FP8", 355e9, "fp8", 361.5, moe=True, kv=(92, 8, 128)),
    _spec("zai-org/GLM-4.5-Air", 106e9, "bf16", 220.7, moe=True, kv=(46, 8, 128)),
    _spec("zai-org/GLM-4.6", 357e9, "bf16", 716.7, moe=True, kv=(92, 8, 128)),
    _spec("zai-org/GLM-4.6-FP8", 357e9, "fp8", 361.5, moe=True, kv=(92, 8, 128)),
)

#: Catalog by Hugging Face id, case-insensitively (keys are lower case).
MODELS: Mapping[str, ModelSpec] = MappingProxyType({s.hf_id.lower(): s for s in _ENTRIES})

#: ``-32B``, ``-0.6B``, ``_8b``, ``-480B-A35B`` (total first): a size in billions in a model id.
_SIZE = re.compile(r"(?:^|[-_/.])(\d+(?:\.\d+)?)\s*([bBtT])(?=$|[-_.])")
#: ``8x7B`` (Mixtral-style expert count x expert size).
_EXPERTS = re.compile(r"(?:^|[-_/.])(\d+)x(\d+(?:\.\d+)?)[bB](?=$|[-_.])")
_FP8 = re.compile(r"(?i)(?:^|[-_.])fp8(?:$|[-_.])")


def _estimate(hf_id: str) -> ModelSpec | None:
    name = hf_id.rsplit("/", 1)[-1]
    experts = _EXPERTS.search(name)
    if experts is not None:
        # Mixtral 8x7B has 46.7B parameters, not 56B: shared attention; the plain product is a safe upper bound.
        parameters = int(experts.group(1)) * float(experts.group(2)) * 1e9
    else:
        match = _SIZE.search(name)
        if match is None:
            return None
        parameters = float(match.group(1)) * (1e12 if match.group(2) in "tT" else 1e9)
    fp8 = bool(_FP8.search(name))
    per_param = 1.0 if fp8 else 2.0
    return ModelSpec(
        hf_id=hf_id,
        parameters=parameters,
        dtype="fp8" if fp8 else "bf16",
        bytes_per_parameter=per_param,
        weights_gib=round(parameters * per_param / _GIB, 1),
        source=f"estimated from the size in the id '{hf_id}' ({per_param:g} bytes per parameter)",
        estimated=True,
    )


def model_spec(hf_id: str, *, weights_gib_override: float | None = None) -> ModelSpec | None:
    """What ``hf_id`` weighs: ``weights_gib_override`` (config ``weightsGiB``) > the catalog > an estimate from a size
    in the id (``-32B`` -> 32e9 x 2 bytes; ``-FP8`` -> 1 byte; ``estimated=True``) > None.

    The catalog lookup ignores case. The simulator's ``random`` model has no spec. Raises ValueError for an override
    that is not a positive finite number.

    Args:
        hf_id: Hugging Face repository id.
        weights_gib_override: Size of the weight files, GiB. Default: None (the catalog's, else the estimate).
    """
    if weights_gib_override is not None and (not math.isfinite(weights_gib_override) or weights_gib_override <= 0):
        raise ValueError(f"weightsGiB = {weights_gib_override!r}: must be a positive number of GiB")
    spec = MODELS.get(hf_id.lower())
    if spec is None and hf_id != "random":
        spec = _estimate(hf_id)
    if weights_gib_override is None:
        return spec
    if spec is None:
        return ModelSpec(
            hf_id=hf_id,
            parameters=0,
            dtype="unknown",
            bytes_per_parameter=0,
            weights_gib=weights_gib_override,
            source="config weightsGiB",
        )
    return replace(spec, weights_gib=weights_gib_override, source="config weightsGiB", estimated=False)


# --- weights placement ------------------------------------------------------------------------------------------------

#: Where model servers keep the Hugging Face cache they download the weights into: a dedicated emptyDir
#: (``HF_HUB_CACHE``; llm-d guides: ``HF_HUB_CACHE=/var/cache/huggingface``, FACTS "Model weights and cold start").
HF_CACHE_PATH = "/var/cache/huggingface"
#: Ephemeral storage a model-server pod uses besides its weights cache, GiB: torch.compile / Triton / vLLM JIT caches,
#: logs and the container's writable layer (assumption, generous: compile caches are a few GiB).
SCRATCH_GIB = 20


#: Pod-template annotation carrying the checkpoint size the server was sized for, GiB (the catalog's figure or the
#: config's ``weightsGiB``), so a reader of the render (the first-deploy twin) sees the same size.
WEIGHTS_ANNOTATION = "llm-d.ai/weights-gib"


def weights_annotations(weights_gib: float | None) -> dict[str, str]:
    """``{WEIGHTS_ANNOTATION: "<GiB>"}`` for a known size (``%g``, e.g. ``"61"``), else ``{}``."""
    return {} if weights_gib is None else {WEIGHTS_ANNOTATION: f"{weights_gib:g}"}


def cache_gib(weights_gib: float) -> int:
    """``sizeLimit`` of a pod's weights cache, whole GiB: the checkpoint + 10% + 5 GiB (tokenizer and config files,
    Hub metadata, files in flight), rounded up. E.g. Qwen3-32B (61.0 GiB) -> 73 GiB."""
    return math.ceil(weights_gib * 1.1 + 5)


def pod_ephemeral_gib(weights_gib: float) -> int:
    """The ``ephemeral-storage`` request of a model-server pod, whole GiB: :func:`cache_gib` + :data:`SCRATCH_GIB`
    (the scheduler then places the pod only on a node with that much allocatable ephemeral storage left)."""
    return cache_gib(weights_gib) + SCRATCH_GIB
