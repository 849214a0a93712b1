"""Kubernetes resource quantities ("500m", "8", "96Gi", "1.5e3") as numbers (CPU cores, bytes)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(r"^([+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def parse_quantity(text: str) -> float:
    """The value of a Kubernetes quantity: ``"500m"`` -> 0.5, ``"96Gi"`` -> 103079215104.0.

    Raises ValueError naming the text and the accepted forms (the suffixes of Kubernetes' resource.Quantity).
    """
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(
            f"'{text}' is not a Kubernetes quantity; use a number with an optional suffix "
            f"(m, k, M, G, T, Ki, Mi, Gi, Ti), e.g. 500m, 8, 96Gi"
        )
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"'{text}' is not a Kubernetes quantity") from None
    return float(number * _SUFFIXES[match.group(2) or ""])
