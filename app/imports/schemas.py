"""The rows of a bulk import, as the platform's files and import mutations name them.

The files (``customers``, ``subscriptions``, ``usages``) and the mutations' inputs
share one row model per kind. Where the two spell a field differently (a file's
``metadata``, an input's ``additionalMetaData``) both are read. Platform fields that
billing-sync does not implement are refused by name (``NOT_SUPPORTED``), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import json5
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.config import get_settings
from app.customers.schemas import check_customer_id, check_metadata
from app.errors import ValidationFailed
from app.models.catalog import BillingPeriod
from app.subscriptions.schemas import AddonRequest, BillableFeatureRequest
from app.validation import check_id, check_moment

# Rows one import mutation takes; a file of more is sent in several calls.
MAX_ROWS_PER_CALL = 1000
# Rows a worker applies in one transaction.
CHUNK_ROWS = 500

# Platform fields with no effect here: refused, with the reason.
_CUSTOMER_UNSUPPORTED = {"salesforceId": "billing-sync keeps no Salesforce link"}
_SUBSCRIPTION_UNSUPPORTED = {
    "salesforceId": "billing-sync keeps no Salesforce link",
    "charges": "one-off charges are not implemented",
    "entitlements": "per-subscription entitlements are not imported",
    "subscriptionEntitlements": "per-subscription entitlements are not imported",
}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    settings = get_settings()
    check_metadata(value, settings.metadata_max_keys, settings.metadata_max_value_length)
    return value


def _optional_id(value: str | None) -> str | None:
    return None if value is None else check_id(value)


class CustomerRow(_Row):
    customerId: str
    # Stored as given, as the platform's import does (its own example's address is not
    # one); Stripe is the judge of an address it is sent.
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=255)
    billingId: str | None = Field(default=None, max_length=255)
    # Forwarded to Stripe, never stored: kept out of ``stored()``.
    paymentMethodId: str | None = Field(default=None, max_length=255)
    updatedAt: datetime | None = None
    additionalMetaData: dict[str, Any] | None = None

    _customer = field_validator("customerId")(check_customer_id)
    _moment = field_validator("updatedAt")(check_moment)
    _meta = field_validator("additionalMetaData")(_metadata)
    _ids = field_validator("billingId", "paymentMethodId")(_optional_id)

    @property
    def key(self) -> str:
        return self.customerId


class SubscriptionRow(_Row):
    customerId: str
    planId: str = Field(min_length=1, max_length=255)
    subscriptionId: str | None = Field(default=None, min_length=1, max_length=255)
    resourceId: str | None = Field(default=None, min_length=1, max_length=255)
    billingPeriod: BillingPeriod | None = None
    billingId: str | None = Field(default=None, max_length=255)
    startDate: datetime | None = None
    endDate: datetime | None = None
    updatedAt: datetime | None = None
    unitQuantity: Decimal | None = Field(default=None, ge=0)
    billableFeatures: list[BillableFeatureRequest] | None = Field(default=None, max_length=100)
    addons: list[AddonRequest] | None = Field(default=None, max_length=100)
    additionalMetaData: dict[str, Any] | None = None

    _customer = field_validator("customerId")(check_customer_id)
    _moments = field_validator("startDate", "endDate", "updatedAt")(check_moment)
    _meta = field_validator("additionalMetaData")(_metadata)
    _ids = field_validator("billingId", "subscriptionId", "resourceId")(_optional_id)

    @field_validator("unitQuantity")
    @classmethod
    def _whole(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value != value.to_integral_value():
            raise ValueError("must be a whole number")
        return value

    @property
    def key(self) -> str:
        return self.subscriptionId or f"{self.customerId}/{self.resourceId or ''}/{self.planId}"


class UsageRow(_Row):
    customerId: str
    featureId: str = Field(min_length=1, max_length=255)
    resourceId: str | None = Field(default=None, min_length=1, max_length=255)
    usage: Decimal = Field(ge=0, le=Decimal("1e14"))

    _customer = field_validator("customerId")(check_customer_id)
    _ids = field_validator("featureId", "resourceId")(_optional_id)

    @property
    def key(self) -> str:
        return f"{self.customerId}/{self.resourceId or ''}/{self.featureId}"


ImportRow = CustomerRow | SubscriptionRow | UsageRow


@dataclass(frozen=True)
class RowProblem:
    """Why one row is refused: its index in the input, the field, and what is wrong."""

    index: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class ImportInvalid(ValidationFailed):
    """Rows that cannot be imported; nothing was stored. ``rows`` lists every problem."""

    code = "IMPORT_INVALID"

    def __init__(self, field: str, problems: list[RowProblem]) -> None:
        shown = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(
            f"{len({p.index for p in problems})} row(s) are invalid, nothing was imported: "
            f"{shown}{more}",
            field=field,
            rows=[p.as_dict() for p in problems],
        )
        self.problems = problems


def _renamed(data: dict[str, Any]) -> dict[str, Any]:
    """The file's spelling of a field, as the input spells it."""
    data = dict(data)
    if "metadata" in data:
        if "additionalMetaData" in data:
            raise ValueError("metadata and additionalMetaData both given; give one")
        data["additionalMetaData"] = data.pop("metadata")
    if "refId" in data and "customerId" not in data:
        data["customerId"] = data.pop("refId")
    return data


def _unsupported(data: dict[str, Any], unsupported: dict[str, str], where: str) -> list[str]:
    return [
        f"{where}.{name}: not supported ({reason})"
        for name, reason in unsupported.items()
        if data.get(name) not in (None, [])
    ]


def parse_rows(
    kind: type[ImportRow], items: list[Any], where: str, environment_id: str | None = None
) -> tuple[list[tuple[int, ImportRow]], list[RowProblem]]:
    """Each item as a row, and every problem of every item that is not one."""
    unsupported = (
        _CUSTOMER_UNSUPPORTED
        if kind is CustomerRow
        else _SUBSCRIPTION_UNSUPPORTED
        if kind is SubscriptionRow
        else {}
    )
    rows: list[tuple[int, ImportRow]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.append(RowProblem(index, at, "must be an object"))
            continue
        data = dict(item)
        given_environment = data.pop("environmentId", None)
        if given_environment is not None and given_environment != environment_id:
            problems.append(
                RowProblem(index, f"{at}.environmentId", "must be the API key's environment")
            )
            continue
        refused = _unsupported(data, unsupported, at)
        if refused:
            problems.extend(RowProblem(index, p.split(":")[0], p) for p in refused)
            continue
        for name in unsupported:
            data.pop(name, None)
        try:
            row = kind.model_validate(_renamed(data))
        except ValueError as exc:
            problems.extend(_problems(index, at, exc))
            continue
        first = seen.setdefault(row.key, index)
        if first != index:
            problems.append(RowProblem(index, at, f"repeats row {first} ({row.key})"))
            continue
        rows.append((index, row))
    return rows, problems


def _problems(index: int, at: str, exc: ValueError) -> list[RowProblem]:
    if not isinstance(exc, ValidationError):
        return [RowProblem(index, at, str(exc))]
    found = []
    for error in exc.errors():
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        found.append(RowProblem(index, f"{at}{path}", message))
    return found


class FileInvalid(ValidationFailed):
    code = "IMPORT_FILE_INVALID"


def read_file(text: str, key: str, name: str) -> list[Any]:
    """The rows of an import file: a JSON5 document (comments, trailing commas) holding
    ``{key: [...]}``."""
    try:
        document = json5.loads(text)
    except ValueError as exc:
        raise FileInvalid(f"{name}: not a JSON5 document ({exc})", field=name) from None
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise FileInvalid(f'{name}: must be an object with a "{key}" list', field=name)
    unknown = sorted(set(document) - {key})
    if unknown:
        raise FileInvalid(f"{name}: unknown top-level field(s) {unknown}", field=name)
    rows: list[Any] = document[key]
    return rows


def as_input(item: Any) -> Any:
    """A file's row with the import input's names (``metadata`` is ``additionalMetaData``);
    anything else is passed on for the service to judge."""
    if not isinstance(item, dict) or "metadata" not in item or "additionalMetaData" in item:
        return item
    renamed = {k: v for k, v in item.items() if k != "metadata"}
    renamed["additionalMetaData"] = item["metadata"]
    return renamed
