"""What applying a catalog did, kind by kind, as the CLI prints it."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models.catalog import PackageKind


@dataclass
class Changes:
    """What applying did to one kind of item."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)


@dataclass(frozen=True)
class NewVersion:
    kind: PackageKind
    ref_id: str
    version_number: int


@dataclass
class ApplyReport:
    products: Changes = field(default_factory=Changes)
    features: Changes = field(default_factory=Changes)
    plans: Changes = field(default_factory=Changes)
    addons: Changes = field(default_factory=Changes)
    coupons: Changes = field(default_factory=Changes)
    tax_rates: Changes = field(default_factory=Changes)
    promotion_codes: Changes = field(default_factory=Changes)
    # Every package version inserted, first versions included.
    new_versions: list[NewVersion] = field(default_factory=list)

    def by_kind(self) -> dict[str, Changes]:
        return {
            "products": self.products,
            "features": self.features,
            "plans": self.plans,
            "addons": self.addons,
            "coupons": self.coupons,
            "promotionCodes": self.promotion_codes,
            "taxRates": self.tax_rates,
        }

    @property
    def changed(self) -> bool:
        return any(changes.changed for changes in self.by_kind().values())

    def summary(self) -> str:
        if not self.changed:
            return "catalog is up to date: nothing changed"
        lines = [
            f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.archived} archived"
            for kind, c in self.by_kind().items()
        ]
        if self.new_versions:
            versions = ", ".join(
                f"{v.kind} {v.ref_id} v{v.version_number}" for v in self.new_versions
            )
            lines.append(f"new versions: {versions}")
        return "\n".join(lines)
