"""billing-sync: a self-hostable customer, subscription and entitlement API kept in Stripe."""
