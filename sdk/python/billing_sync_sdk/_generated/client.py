from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from .archive_customer import ArchiveCustomer
from .async_base_client import AsyncBaseClient
from .base_model import UNSET, UnsetType
from .cancel_subscription import CancelSubscription
from .entitlements_updated import EntitlementsUpdated
from .estimate_subscription import EstimateSubscription
from .estimate_subscription_update import EstimateSubscriptionUpdate
from .get_active_subscriptions_list import GetActiveSubscriptionsList
from .get_coupons import GetCoupons
from .get_customer import GetCustomer
from .get_entitlement import GetEntitlement
from .get_entitlements import GetEntitlements
from .get_subscription import GetSubscription
from .grant_promotional_entitlements import GrantPromotionalEntitlements
from .import_customers_bulk import ImportCustomersBulk
from .import_subscriptions_bulk import ImportSubscriptionsBulk
from .input_types import (
    ArchiveCustomerInput,
    CouponFilter,
    CouponSort,
    CursorPaging,
    EntitlementsUpdatedInput,
    EstimateSubscriptionInput,
    EstimateSubscriptionUpdateInput,
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    GetActiveSubscriptionsInput,
    GetCustomerByRefIdInput,
    GetSubscriptionInput,
    GrantPromotionalEntitlementsInput,
    ImportCustomerBulkInput,
    ImportSubscriptionsBulkInput,
    ProvisionCustomerInput,
    ProvisionSubscriptionInput,
    ReportUsageInput,
    RevokePromotionalEntitlementInput,
    SubscriptionCancellationInput,
    SubscriptionMigrationInput,
    UnarchiveCustomerInput,
    UpdateCustomerInput,
    UpdateSubscriptionInput,
    UsageEventsReportInput,
)
from .migrate_subscription_to_latest import MigrateSubscriptionToLatest
from .provision_customer import ProvisionCustomer
from .provision_subscription import ProvisionSubscription
from .report_event import ReportEvent
from .report_usage import ReportUsage
from .revoke_promotional_entitlement import RevokePromotionalEntitlement
from .unarchive_customer import UnarchiveCustomer
from .update_customer import UpdateCustomer
from .update_subscription import UpdateSubscription


def gql(q: str) -> str:
    return q


class GeneratedClient(AsyncBaseClient):
    async def provision_customer(
        self, input: ProvisionCustomerInput, **kwargs: Any
    ) -> ProvisionCustomer:
        query = gql("""
            mutation ProvisionCustomer($input: ProvisionCustomerInput!) {
              provisionCustomer(input: $input) {
                customer {
                  ...CustomerFields
                }
                subscriptionDecisionStrategy
                subscription {
                  ...SlimSubscriptionFields
                }
              }
            }

            fragment CustomerFields on Customer {
              id
              customerId
              refId
              name
              email
              createdAt
              updatedAt
              billingId
              crmId
              hasPaymentMethod
              excludeFromExperiment
              additionalMetaData
              billingSyncError
              billingSyncErrorCode
              coupon {
                refId
                name
              }
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="ProvisionCustomer",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ProvisionCustomer.model_validate(data)

    async def update_customer(
        self, input: UpdateCustomerInput, **kwargs: Any
    ) -> UpdateCustomer:
        query = gql("""
            mutation UpdateCustomer($input: UpdateCustomerInput!) {
              updateCustomer: updateOneCustomer(input: $input) {
                ...CustomerFields
              }
            }

            fragment CustomerFields on Customer {
              id
              customerId
              refId
              name
              email
              createdAt
              updatedAt
              billingId
              crmId
              hasPaymentMethod
              excludeFromExperiment
              additionalMetaData
              billingSyncError
              billingSyncErrorCode
              coupon {
                refId
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="UpdateCustomer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return UpdateCustomer.model_validate(data)

    async def get_customer(
        self, input: GetCustomerByRefIdInput, **kwargs: Any
    ) -> GetCustomer:
        query = gql("""
            query GetCustomer($input: GetCustomerByRefIdInput!) {
              getCustomer: getCustomerByRefId(input: $input) {
                ...CustomerFields
                promotionalEntitlements {
                  ...PromotionalEntitlementFields
                }
              }
            }

            fragment CustomerFields on Customer {
              id
              customerId
              refId
              name
              email
              createdAt
              updatedAt
              billingId
              crmId
              hasPaymentMethod
              excludeFromExperiment
              additionalMetaData
              billingSyncError
              billingSyncErrorCode
              coupon {
                refId
                name
              }
            }

            fragment PromotionalEntitlementFields on PromotionalEntitlement {
              id
              featureId
              status
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              resetPeriod
              period
              startDate
              endDate
              isVisible
              description
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="GetCustomer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetCustomer.model_validate(data)

    async def archive_customer(
        self, input: ArchiveCustomerInput, **kwargs: Any
    ) -> ArchiveCustomer:
        query = gql("""
            mutation ArchiveCustomer($input: ArchiveCustomerInput!) {
              archiveCustomer(input: $input) {
                ...CustomerFields
              }
            }

            fragment CustomerFields on Customer {
              id
              customerId
              refId
              name
              email
              createdAt
              updatedAt
              billingId
              crmId
              hasPaymentMethod
              excludeFromExperiment
              additionalMetaData
              billingSyncError
              billingSyncErrorCode
              coupon {
                refId
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="ArchiveCustomer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ArchiveCustomer.model_validate(data)

    async def unarchive_customer(
        self, input: UnarchiveCustomerInput, **kwargs: Any
    ) -> UnarchiveCustomer:
        query = gql("""
            mutation UnarchiveCustomer($input: UnarchiveCustomerInput!) {
              unarchiveCustomer(input: $input) {
                ...CustomerFields
              }
            }

            fragment CustomerFields on Customer {
              id
              customerId
              refId
              name
              email
              createdAt
              updatedAt
              billingId
              crmId
              hasPaymentMethod
              excludeFromExperiment
              additionalMetaData
              billingSyncError
              billingSyncErrorCode
              coupon {
                refId
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="UnarchiveCustomer",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return UnarchiveCustomer.model_validate(data)

    async def import_customers_bulk(
        self, input: ImportCustomerBulkInput, **kwargs: Any
    ) -> ImportCustomersBulk:
        query = gql("""
            mutation ImportCustomersBulk($input: ImportCustomerBulkInput!) {
              importCustomersBulk(input: $input)
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="ImportCustomersBulk",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ImportCustomersBulk.model_validate(data)

    async def get_entitlement(
        self, query: FetchEntitlementQuery, **kwargs: Any
    ) -> GetEntitlement:
        _query = gql("""
            query GetEntitlement($query: FetchEntitlementQuery!) {
              entitlement(query: $query) {
                ...EntitlementFields
              }
            }

            fragment EntitlementFields on Entitlement {
              isGranted
              accessDeniedReason
              customerId
              resourceId
              currentUsage
              requestedUsage
              requestedValues
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              usagePeriodAnchor
              usagePeriodStart
              usagePeriodEnd
              nextResetDate
              resetPeriod
              feature {
                id
                refId
                displayName
                description
                featureType
                meterType
                featureUnits
                featureUnitsPlural
                additionalMetaData
              }
            }
            """)
        variables: dict[str, object] = {"query": query}
        response = await self.execute(
            query=_query, operation_name="GetEntitlement", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetEntitlement.model_validate(data)

    async def get_entitlements(
        self, query: FetchEntitlementsQuery, **kwargs: Any
    ) -> GetEntitlements:
        _query = gql("""
            query GetEntitlements($query: FetchEntitlementsQuery!) {
              entitlements: cachedEntitlements(query: $query) {
                ...EntitlementFields
              }
            }

            fragment EntitlementFields on Entitlement {
              isGranted
              accessDeniedReason
              customerId
              resourceId
              currentUsage
              requestedUsage
              requestedValues
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              usagePeriodAnchor
              usagePeriodStart
              usagePeriodEnd
              nextResetDate
              resetPeriod
              feature {
                id
                refId
                displayName
                description
                featureType
                meterType
                featureUnits
                featureUnitsPlural
                additionalMetaData
              }
            }
            """)
        variables: dict[str, object] = {"query": query}
        response = await self.execute(
            query=_query,
            operation_name="GetEntitlements",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetEntitlements.model_validate(data)

    async def report_usage(self, input: ReportUsageInput, **kwargs: Any) -> ReportUsage:
        query = gql("""
            mutation ReportUsage($input: ReportUsageInput!) {
              reportUsage(input: $input) {
                id
                customerId
                featureId
                resourceId
                value
                currentUsage
                usagePeriodStart
                usagePeriodEnd
                nextResetDate
                timestamp
                createdAt
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="ReportUsage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ReportUsage.model_validate(data)

    async def report_event(
        self, events: UsageEventsReportInput, **kwargs: Any
    ) -> ReportEvent:
        query = gql("""
            mutation ReportEvent($events: UsageEventsReportInput!) {
              reportEvent(events: $events)
            }
            """)
        variables: dict[str, object] = {"events": events}
        response = await self.execute(
            query=query, operation_name="ReportEvent", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ReportEvent.model_validate(data)

    async def grant_promotional_entitlements(
        self, input: GrantPromotionalEntitlementsInput, **kwargs: Any
    ) -> GrantPromotionalEntitlements:
        query = gql("""
            mutation GrantPromotionalEntitlements($input: GrantPromotionalEntitlementsInput!) {
              grantPromotionalEntitlements(input: $input) {
                ...PromotionalEntitlementFields
              }
            }

            fragment PromotionalEntitlementFields on PromotionalEntitlement {
              id
              featureId
              status
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              resetPeriod
              period
              startDate
              endDate
              isVisible
              description
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="GrantPromotionalEntitlements",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GrantPromotionalEntitlements.model_validate(data)

    async def revoke_promotional_entitlement(
        self, input: RevokePromotionalEntitlementInput, **kwargs: Any
    ) -> RevokePromotionalEntitlement:
        query = gql("""
            mutation RevokePromotionalEntitlement($input: RevokePromotionalEntitlementInput!) {
              revokePromotionalEntitlement(input: $input) {
                ...PromotionalEntitlementFields
              }
            }

            fragment PromotionalEntitlementFields on PromotionalEntitlement {
              id
              featureId
              status
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              resetPeriod
              period
              startDate
              endDate
              isVisible
              description
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="RevokePromotionalEntitlement",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return RevokePromotionalEntitlement.model_validate(data)

    async def entitlements_updated(
        self, input: EntitlementsUpdatedInput, **kwargs: Any
    ) -> AsyncIterator[EntitlementsUpdated]:
        query = gql("""
            subscription EntitlementsUpdated($input: EntitlementsUpdatedInput!) {
              entitlementsUpdated(input: $input) {
                customerId
                resourceId
                entitlements {
                  ...EntitlementFields
                }
              }
            }

            fragment EntitlementFields on Entitlement {
              isGranted
              accessDeniedReason
              customerId
              resourceId
              currentUsage
              requestedUsage
              requestedValues
              usageLimit
              hasUnlimitedUsage
              hasSoftLimit
              enumValues
              usagePeriodAnchor
              usagePeriodStart
              usagePeriodEnd
              nextResetDate
              resetPeriod
              feature {
                id
                refId
                displayName
                description
                featureType
                meterType
                featureUnits
                featureUnitsPlural
                additionalMetaData
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        async for data in self.execute_ws(
            query=query,
            operation_name="EntitlementsUpdated",
            variables=variables,
            **kwargs,
        ):
            yield EntitlementsUpdated.model_validate(data)

    async def provision_subscription(
        self, input: ProvisionSubscriptionInput, **kwargs: Any
    ) -> ProvisionSubscription:
        query = gql("""
            mutation ProvisionSubscription($input: ProvisionSubscriptionInput!) {
              provisionSubscription: provisionSubscriptionV2(input: $input) {
                id
                status
                checkoutUrl
                checkoutBillingId
                subscription {
                  ...SubscriptionFields
                }
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }

            fragment SubscriptionFields on CustomerSubscription {
              ...SlimSubscriptionFields
              cancellationDate
              effectiveEndDate
              wasInTrial
              createdAt
              additionalMetaData
              billingId
              billingSyncError
              billingSyncErrorCode
              checkoutUrl
              checkoutBillingId
              paymentCollection
              prices {
                billingModel
                featureId
                usageLimit
                price {
                  id
                  billingModel
                  billingPeriod
                  billingCountryCode
                  price {
                    ...MoneyFields
                  }
                  feature {
                    refId
                    displayName
                    featureType
                    meterType
                    featureUnits
                    featureUnitsPlural
                  }
                }
              }
              totalPrice {
                subTotal {
                  ...MoneyFields
                }
                total {
                  ...MoneyFields
                }
                addonsTotal {
                  ...MoneyFields
                }
              }
              latestInvoice {
                billingId
                status
                createdAt
                updatedAt
                requiresAction
                paymentUrl
                paymentSecret
                errorMessage
                amountDue
                total
                currency
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="ProvisionSubscription",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ProvisionSubscription.model_validate(data)

    async def update_subscription(
        self, input: UpdateSubscriptionInput, **kwargs: Any
    ) -> UpdateSubscription:
        query = gql("""
            mutation UpdateSubscription($input: UpdateSubscriptionInput!) {
              updateSubscription: updateOneSubscription(input: $input) {
                ...SubscriptionFields
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }

            fragment SubscriptionFields on CustomerSubscription {
              ...SlimSubscriptionFields
              cancellationDate
              effectiveEndDate
              wasInTrial
              createdAt
              additionalMetaData
              billingId
              billingSyncError
              billingSyncErrorCode
              checkoutUrl
              checkoutBillingId
              paymentCollection
              prices {
                billingModel
                featureId
                usageLimit
                price {
                  id
                  billingModel
                  billingPeriod
                  billingCountryCode
                  price {
                    ...MoneyFields
                  }
                  feature {
                    refId
                    displayName
                    featureType
                    meterType
                    featureUnits
                    featureUnitsPlural
                  }
                }
              }
              totalPrice {
                subTotal {
                  ...MoneyFields
                }
                total {
                  ...MoneyFields
                }
                addonsTotal {
                  ...MoneyFields
                }
              }
              latestInvoice {
                billingId
                status
                createdAt
                updatedAt
                requiresAction
                paymentUrl
                paymentSecret
                errorMessage
                amountDue
                total
                currency
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="UpdateSubscription",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return UpdateSubscription.model_validate(data)

    async def cancel_subscription(
        self, input: SubscriptionCancellationInput, **kwargs: Any
    ) -> CancelSubscription:
        query = gql("""
            mutation CancelSubscription($input: SubscriptionCancellationInput!) {
              cancelSubscription(input: $input) {
                ...SubscriptionFields
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }

            fragment SubscriptionFields on CustomerSubscription {
              ...SlimSubscriptionFields
              cancellationDate
              effectiveEndDate
              wasInTrial
              createdAt
              additionalMetaData
              billingId
              billingSyncError
              billingSyncErrorCode
              checkoutUrl
              checkoutBillingId
              paymentCollection
              prices {
                billingModel
                featureId
                usageLimit
                price {
                  id
                  billingModel
                  billingPeriod
                  billingCountryCode
                  price {
                    ...MoneyFields
                  }
                  feature {
                    refId
                    displayName
                    featureType
                    meterType
                    featureUnits
                    featureUnitsPlural
                  }
                }
              }
              totalPrice {
                subTotal {
                  ...MoneyFields
                }
                total {
                  ...MoneyFields
                }
                addonsTotal {
                  ...MoneyFields
                }
              }
              latestInvoice {
                billingId
                status
                createdAt
                updatedAt
                requiresAction
                paymentUrl
                paymentSecret
                errorMessage
                amountDue
                total
                currency
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="CancelSubscription",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CancelSubscription.model_validate(data)

    async def get_active_subscriptions_list(
        self, input: GetActiveSubscriptionsInput, **kwargs: Any
    ) -> GetActiveSubscriptionsList:
        query = gql("""
            query GetActiveSubscriptionsList($input: GetActiveSubscriptionsInput!) {
              getActiveSubscriptions(input: $input) {
                ...SlimSubscriptionFields
              }
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="GetActiveSubscriptionsList",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetActiveSubscriptionsList.model_validate(data)

    async def get_subscription(
        self, input: GetSubscriptionInput, **kwargs: Any
    ) -> GetSubscription:
        query = gql("""
            query GetSubscription($input: GetSubscriptionInput!) {
              getSubscription(input: $input) {
                ...SubscriptionFields
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment SlimSubscriptionFields on CustomerSubscription {
              id
              subscriptionId
              refId
              status
              pricingType
              startDate
              endDate
              trialEndDate
              currentBillingPeriodStart
              currentBillingPeriodEnd
              billingPeriod
              customerId
              resourceId
              plan {
                id
                refId
                displayName
                versionNumber
              }
              addons {
                quantity
                addon {
                  id
                  refId
                  displayName
                }
              }
            }

            fragment SubscriptionFields on CustomerSubscription {
              ...SlimSubscriptionFields
              cancellationDate
              effectiveEndDate
              wasInTrial
              createdAt
              additionalMetaData
              billingId
              billingSyncError
              billingSyncErrorCode
              checkoutUrl
              checkoutBillingId
              paymentCollection
              prices {
                billingModel
                featureId
                usageLimit
                price {
                  id
                  billingModel
                  billingPeriod
                  billingCountryCode
                  price {
                    ...MoneyFields
                  }
                  feature {
                    refId
                    displayName
                    featureType
                    meterType
                    featureUnits
                    featureUnitsPlural
                  }
                }
              }
              totalPrice {
                subTotal {
                  ...MoneyFields
                }
                total {
                  ...MoneyFields
                }
                addonsTotal {
                  ...MoneyFields
                }
              }
              latestInvoice {
                billingId
                status
                createdAt
                updatedAt
                requiresAction
                paymentUrl
                paymentSecret
                errorMessage
                amountDue
                total
                currency
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="GetSubscription", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetSubscription.model_validate(data)

    async def migrate_subscription_to_latest(
        self, input: SubscriptionMigrationInput, **kwargs: Any
    ) -> MigrateSubscriptionToLatest:
        query = gql("""
            mutation MigrateSubscriptionToLatest($input: SubscriptionMigrationInput!) {
              migrateSubscriptionToLatest(input: $input) {
                subscriptionId
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="MigrateSubscriptionToLatest",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return MigrateSubscriptionToLatest.model_validate(data)

    async def estimate_subscription(
        self, input: EstimateSubscriptionInput, **kwargs: Any
    ) -> EstimateSubscription:
        query = gql("""
            mutation EstimateSubscription($input: EstimateSubscriptionInput!) {
              estimateSubscription(input: $input) {
                ...PreviewFields
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment PreviewFields on SubscriptionPreview {
              subTotal {
                ...MoneyFields
              }
              total {
                ...MoneyFields
              }
              totalExcludingTax {
                ...MoneyFields
              }
              discountAmount {
                ...MoneyFields
              }
              tax {
                ...MoneyFields
              }
              billingPeriodRange {
                start
                end
              }
              proration {
                prorationDate
                credit {
                  ...MoneyFields
                }
                debit {
                  ...MoneyFields
                }
                netAmount {
                  ...MoneyFields
                }
                hasProrations
              }
              lines {
                priceId
                quantity
                unitAmount {
                  ...MoneyFields
                }
                amount {
                  ...MoneyFields
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="EstimateSubscription",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return EstimateSubscription.model_validate(data)

    async def estimate_subscription_update(
        self, input: EstimateSubscriptionUpdateInput, **kwargs: Any
    ) -> EstimateSubscriptionUpdate:
        query = gql("""
            mutation EstimateSubscriptionUpdate($input: EstimateSubscriptionUpdateInput!) {
              estimateSubscriptionUpdate(input: $input) {
                ...PreviewFields
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }

            fragment PreviewFields on SubscriptionPreview {
              subTotal {
                ...MoneyFields
              }
              total {
                ...MoneyFields
              }
              totalExcludingTax {
                ...MoneyFields
              }
              discountAmount {
                ...MoneyFields
              }
              tax {
                ...MoneyFields
              }
              billingPeriodRange {
                start
                end
              }
              proration {
                prorationDate
                credit {
                  ...MoneyFields
                }
                debit {
                  ...MoneyFields
                }
                netAmount {
                  ...MoneyFields
                }
                hasProrations
              }
              lines {
                priceId
                quantity
                unitAmount {
                  ...MoneyFields
                }
                amount {
                  ...MoneyFields
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="EstimateSubscriptionUpdate",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return EstimateSubscriptionUpdate.model_validate(data)

    async def import_subscriptions_bulk(
        self, input: ImportSubscriptionsBulkInput, **kwargs: Any
    ) -> ImportSubscriptionsBulk:
        query = gql("""
            mutation ImportSubscriptionsBulk($input: ImportSubscriptionsBulkInput!) {
              importSubscriptionsBulk(input: $input)
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="ImportSubscriptionsBulk",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ImportSubscriptionsBulk.model_validate(data)

    async def get_coupons(
        self,
        filter_: Union[Optional[CouponFilter], UnsetType] = UNSET,
        sorting: Union[Optional[list[CouponSort]], UnsetType] = UNSET,
        paging: Union[Optional[CursorPaging], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> GetCoupons:
        query = gql("""
            query GetCoupons($filter: CouponFilter, $sorting: [CouponSort!], $paging: CursorPaging) {
              coupons(filter: $filter, sorting: $sorting, paging: $paging) {
                totalCount
                pageInfo {
                  hasNextPage
                  endCursor
                }
                edges {
                  node {
                    id
                    refId
                    name
                    description
                    type
                    discountValue
                    percentOff
                    amountsOff {
                      ...MoneyFields
                    }
                    durationInMonths
                    status
                    additionalMetaData
                    billingId
                    createdAt
                    updatedAt
                  }
                }
              }
            }

            fragment MoneyFields on Money {
              amount
              currency
            }
            """)
        variables: dict[str, object] = {
            "filter": filter_,
            "sorting": sorting,
            "paging": paging,
        }
        response = await self.execute(
            query=query, operation_name="GetCoupons", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetCoupons.model_validate(data)
