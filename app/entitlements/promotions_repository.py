"""Queries of promotional entitlements. Every lookup is scoped to one customer."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.models import Feature, PromotionalEntitlement


def grants_of_customer(
    session: Session, customer_pk: str
) -> list[tuple[PromotionalEntitlement, Feature]]:
    """Every grant of the customer, expired ones too, with its feature, by feature ref id."""
    found = session.exec(_OF_CUSTOMER, params={"customer_pk": customer_pk})
    return [(grant, feature) for grant, feature in found]


# Built once: building a statement costs as much as running it on the hot reads.
_OF_CUSTOMER = (
    select(PromotionalEntitlement, Feature)
    .join(Feature, col(Feature.id) == col(PromotionalEntitlement.feature_id))
    .where(PromotionalEntitlement.customer_id == bindparam("customer_pk"))
    .order_by(col(Feature.ref_id))
)


def grants_by_feature(
    session: Session, customer_pk: str, feature_pks: Collection[str]
) -> dict[str, PromotionalEntitlement]:
    """The customer's grants of these features, by feature id."""
    if not feature_pks:
        return {}
    query = select(PromotionalEntitlement).where(
        PromotionalEntitlement.customer_id == customer_pk,
        col(PromotionalEntitlement.feature_id).in_(list(feature_pks)),
    )
    return {grant.feature_id: grant for grant in session.exec(query)}


def grant_of_feature_ref(
    session: Session, customer_pk: str, feature_ref: str
) -> tuple[PromotionalEntitlement, Feature] | None:
    """The customer's grant of the feature with this ref id (archived features too: a
    grant outlives its feature's archiving and must still be revocable)."""
    query = (
        select(PromotionalEntitlement, Feature)
        .join(Feature, col(Feature.id) == col(PromotionalEntitlement.feature_id))
        .where(PromotionalEntitlement.customer_id == customer_pk, Feature.ref_id == feature_ref)
    )
    row = session.exec(query).first()
    return None if row is None else (row[0], row[1])


def delete(session: Session, grant: PromotionalEntitlement) -> None:
    session.delete(grant)
    session.flush()
