"""On-demand list prices of the machine types the reference stacks and the catalog use, and the throughput llm-d
publishes per well-lit path and hardware: the facts behind the render summary's cost lines.

Every price has a region, a source and the date it was read; a machine type no source gave a price for has
``usd_per_hour=None`` and shows as "unknown" (never a guessed number). Prices are on-demand (no Spot, committed-use,
Savings Plans, reservations, Capacity Blocks, DWS flex-start), USD per node-hour, excluding the cluster fee, disks,
network and taxes. Imports nothing of ours.

The clouds' own pricing pages render their tables client-side and were not in the reference corpora, so most numbers
come from public catalogs generated from the clouds' price APIs (SkyPilot's catalog, Cyclenerd's GCP calculator, a
dated dataset), each named by repository, path and commit, with a second record where one was found; conflicts are
recorded in the entry's note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: The date the prices below were read (ISO 8601).
READ_ON: Final = "2026-11-30"
_NO_SOURCE: Final = (
    "no sourced price (searched cloud.google.com/compute/vm-instance-pricing, cloud.google.com/tpu/pricing, "
    "aws.amazon.com/ec2/pricing/on-demand and vendored price catalogs through the reference search tools)"
)


@dataclass(frozen=True)
class MachinePrice:
    """The on-demand list price of one machine type in one region.

    Attributes:
        cloud: ``gcp`` or ``aws``.
        machine_type: The cloud's machine / instance type name.
        region: The region the price is for.
        usd_per_hour: USD per node-hour, on demand; None when unknown.
        source: Where the number was read (URL), or why it is unknown.
        read_on: The date it was read (ISO 8601).
        note: How the source got the number, caveats. Default: "".
    """

    cloud: str
    machine_type: str
    region: str
    usd_per_hour: float | None
    source: str
    read_on: str
    note: str = ""

    @property
    def known(self) -> bool:
        """True when a sourced price exists."""
        return self.usd_per_hour is not None


def _unknown(cloud: str, machine_type: str, region: str, note: str = "") -> MachinePrice:
    return MachinePrice(cloud, machine_type, region, None, _NO_SOURCE, READ_ON, note)


#: Price catalogs read (public repositories that vendor the clouds' price lists; each entry names its file and commit).
#: SkyPilot's catalogs are generated from the AWS Price List API and the Google Cloud Billing Catalog API; GCP rows
#: split a GPU machine into a host row (vCPU + memory, no GPU) and an accelerator row, so a G2/A3 price below is
#: host row + accelerator row of the same region. The index does not expose the commit dates of these files.
_SKY_AWS: Final = (
    "https://github.com/skypilot-org/skypilot-catalog/blob/00148f2af3672e2229b4f7bf8157d5a3f36e3c35/"
    "catalogs/v8/aws/vms.csv"
)
_SKY_GCP: Final = (
    "https://github.com/skypilot-org/skypilot-catalog/blob/006059e0f18acb1341e22a27751e9f80df6ba92f/"
    "catalogs/v8/gcp/vms.csv"
)
_SKY_GCP_V7: Final = "skypilot-org/skypilot-catalog catalogs/v7/gcp/vms.csv @ 017e2502fb63c7a28757acd94002b2d6099d3e3d"
_CYCLENERD: Final = (
    "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator/blob/"
    "0166a59ebba7c36f2cc8c931d9f258dcebc44776/pricing.yml"
)
_DATARECEIPTS: Final = (
    "datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json (retrieved 2026-11-09, AWS us-east-1 rows)"
)
_AWS_ROW: Final = "SkyPilot AWS catalog, us-east-1 on-demand Price column (Linux, shared tenancy)"
_G2_NOTE: Final = "SkyPilot GCP catalog, us-central1: host row {host} + {n} x L4 accelerator row {gpu}"
_TPU_NOTE: Final = "SkyPilot GCP catalog row {row} in {region}: {per_chip} USD per chip-hour x {chips} chips"


def _aws(machine_type: str, usd: float, note: str = "") -> MachinePrice:
    return MachinePrice("aws", machine_type, "us-east-1", usd, _SKY_AWS, READ_ON, f"{_AWS_ROW}. {note}".strip())


def _g2(n: int, host: float, gpus: int, gpu_row: float) -> MachinePrice:
    note = _G2_NOTE.format(host=host, n=gpus, gpu=gpu_row)
    return MachinePrice("gcp", f"g2-standard-{n}", "us-central1", round(host + gpu_row, 5), _SKY_GCP, READ_ON, note)


def _tpu(machine_type: str, region: str, row: str, per_chip: float, chips: int) -> MachinePrice:
    note = _TPU_NOTE.format(row=row, region=region, per_chip=per_chip, chips=chips) + (
        f"; the same rate is in {_SKY_GCP_V7} (cross-check)"
    )
    return MachinePrice("gcp", machine_type, region, round(per_chip * chips, 5), _SKY_GCP, READ_ON, note)


def _e2(n: int, usd: float) -> MachinePrice:
    return MachinePrice(
        "gcp", f"e2-standard-{n}", "us-central1", usd, _SKY_GCP, READ_ON, "SkyPilot GCP catalog, us-central1 row"
    )


#: (cloud, machine type) -> price. Region: the reference stacks' (us-central1 / us-east5 on GCP, us-east-1 on AWS).
PRICES: Final[dict[tuple[str, str], MachinePrice]] = {
    (p.cloud, p.machine_type): p
    for p in (
        MachinePrice(
            "aws",
            "p5en.48xlarge",
            "us-east-1",
            63.296,
            "https://github.com/dstackai/dstack/pull/4110",
            READ_ON,
            "dstack's `dstack offer -b aws --instance-type p5en.48xlarge` listing (AWS price list; on-demand row "
            f"us-east-1 $63.296), PR of 2026-08-06; cross-check: {_SKY_AWS} has the same us-east-1 price",
        ),
        _aws(
            "p5.48xlarge",
            55.04,
            "After AWS's June 2025 P5 price cut (older third-party figures: $98.32). "
            f"Cross-check: {_DATARECEIPTS} has $55.04.",
        ),
        _unknown(
            "aws",
            "p5e.48xlarge",
            "us-east-1",
            f"{_SKY_AWS} lists p5e.48xlarge with no on-demand Price in any region and no us-east-1 row "
            "(offered through Capacity Blocks)",
        ),
        _aws("p4d.24xlarge", 21.957642, f"Cross-check: {_DATARECEIPTS} has $21.957642."),
        _aws("g6e.xlarge", 1.861),
        _aws("g6e.2xlarge", 2.24208),
        _aws("g6e.4xlarge", 3.00424),
        _aws("g6e.8xlarge", 4.52856),
        _aws("g6e.12xlarge", 10.49264),
        _aws("g6e.16xlarge", 7.57719),
        _aws("g6e.24xlarge", 15.06559),
        _aws("g6e.48xlarge", 30.13118),
        _aws("m6i.2xlarge", 0.384, "The EKS system node group's default instance type."),
        MachinePrice(
            "gcp",
            "a3-highgpu-8g",
            "us-central1",
            88.49,
            _CYCLENERD,
            READ_ON,
            "Cyclenerd pricing.yml (generated 2025-03-06 from the Cloud Billing Catalog API), us-central1 `hour`, "
            "includes the bundled 6,000 GB Local SSD. Cross-check: SkyPilot GCP catalog us-east4 H100 x8 row "
            "78.37241 + host row 9.46006 = 87.83 without the SSD (its us-central1 H100 row, 33.60609, is "
            "inconsistent with every other US region and was not used); third-party figures $87.68 / $88.49",
        ),
        MachinePrice(
            "gcp",
            "a3-megagpu-8g",
            "us-central1",
            92.21427,
            _SKY_GCP,
            READ_ON,
            "SkyPilot GCP catalog, us-central1: H100-MEGA x8 accelerator row 82.75421 + host row 9.46006; excludes "
            f"the bundled Local SSD. Cross-check: {_CYCLENERD} has no us-central1 row; its us-east4 price "
            "(92.94, with Local SSD) matches SkyPilot's us-east4 92.21 plus the SSD",
        ),
        MachinePrice(
            "gcp",
            "a3-ultragpu-8g",
            "us-central1",
            83.492,
            "https://huggingface.co/datasets/tanod/cloud-gpu-list-prices",
            READ_ON,
            "Dataset snapshot 2026-10-13 (source: Google Cloud Billing Catalog API), us-central1 a3-ultragpu-8g "
            "od_per_gpu_h 10.4365 (instance share) x 8 GPUs. Conflicting older record: SkyPilot GCP catalog "
            f"({_SKY_GCP}) H200 x8 row 74.49392 + host row 12.266 = 86.75992; the more recent figure is used",
        ),
        _unknown(
            "gcp",
            "a4-highgpu-8g",
            "us-central1",
            f"{_SKY_GCP} has a4-highgpu-8g host rows priced 0.0 (no price); one third-party figure ($148.21 per "
            "hour), region not stated",
        ),
        _g2(4, 0.14679, 1, 0.56004),
        _g2(8, 0.29358, 1, 0.56004),
        _g2(12, 0.44038, 1, 0.56004),
        _g2(16, 0.58717, 1, 0.56004),
        _g2(24, 0.88075, 2, 1.12008),
        _g2(32, 1.17434, 1, 0.56004),
        _g2(48, 1.7615, 4, 2.24016),
        _g2(96, 3.52301, 8, 4.48032),
        _tpu("ct5lp-hightpu-1t", "us-central1", "tpu-v5litepod-1", 1.2, 1),
        _tpu("ct5lp-hightpu-4t", "us-central1", "tpu-v5litepod-4", 1.2, 4),
        _tpu("ct5lp-hightpu-8t", "us-central1", "tpu-v5litepod-8", 1.2, 8),
        *(_tpu(f"ct5p-hightpu-{n}t", "us-east5", "tpu-v5p-12288 (6,144 chips, 25804.8/h)", 4.2, n) for n in (1, 2, 4)),
        _tpu("ct6e-standard-1t", "us-east5", "tpu-v6e-1", 2.7, 1),
        _tpu("ct6e-standard-4t", "us-east5", "tpu-v6e-4", 2.7, 4),
        _tpu("ct6e-standard-8t", "us-east5", "tpu-v6e-8", 2.7, 8),
        _unknown(
            "gcp",
            "tpu7x-standard-4t",
            "us-central1",
            "no public on-demand rate was found (Cloud TPU7x docs: access through the Google Cloud account team)",
        ),
        _e2(2, 0.06701),
        _e2(4, 0.13402),
        _e2(8, 0.26805),
        _e2(16, 0.53609),
        _unknown("gcp", "e2-standard-32", "us-central1", "its row was not read"),
        *(_unknown("gcp", f"n2-standard-{n}", "us-central1", "its rows were not read") for n in (2, 4, 8, 16, 32)),
    )
}


def price(cloud: str, machine_type: str) -> MachinePrice | None:
    """The table's entry for ``machine_type`` on ``cloud`` (``gcp`` / ``aws``), or None when the table lacks it
    (shown as unknown, like an entry without a price)."""
    return PRICES.get((cloud, machine_type))


@dataclass(frozen=True)
class PublishedThroughput:
    """Output-token throughput llm-d published for one well-lit path on one hardware setup (measured upstream).

    Attributes:
        path: The well-lit path (``optimized-baseline`` ...).
        accelerator: The catalog's accelerator name (``nvidia-h100-80gb``).
        accelerators: How many accelerators the measurement used.
        output_tokens_per_second: Output tokens per second of the whole setup.
        model: The model measured.
        source: Where it is published.
    """

    path: str
    accelerator: str
    accelerators: int
    output_tokens_per_second: float
    model: str
    source: str


#: llm-d's headline results (llm-d/llm-d guides and release notes, as summarised in the project's reference facts,
#: "Headline results"): only the ones that state output throughput and hardware.
PUBLISHED_THROUGHPUT: Final[tuple[PublishedThroughput, ...]] = (
    PublishedThroughput(
        "optimized-baseline",
        "nvidia-h100-80gb",
        16,
        13163.0,
        "Qwen/Qwen3-32B",
        "llm-d optimized-baseline guide results: 13,163 output tok/s on 16 x H100 (vs 5,722 round-robin)",
    ),
    PublishedThroughput(
        "wide-ep",
        "nvidia-h200-141gb",
        32,
        50299.0,
        "deepseek-ai/DeepSeek-R1-0528",
        "llm-d wide-EP results: 50,299 output tok/s on 32 x H200",
    ),
)


def published_throughput(path: str, accelerator: str) -> PublishedThroughput | None:
    """llm-d's published throughput for ``path`` on ``accelerator``, or None where none is published."""
    for entry in PUBLISHED_THROUGHPUT:
        if entry.path == path and entry.accelerator == accelerator:
            return entry
    return None


def usd_per_million_output_tokens(usd_per_accelerator_hour: float, throughput: PublishedThroughput) -> float:
    """Estimated USD per million output tokens: the benchmark's accelerators at ``usd_per_accelerator_hour`` divided
    by its tokens per hour (``accelerators x price / (tok/s x 3600) x 1e6``); an estimate at full, steady load."""
    per_hour = usd_per_accelerator_hour * throughput.accelerators
    return per_hour / (throughput.output_tokens_per_second * 3600.0) * 1_000_000.0
