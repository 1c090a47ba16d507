"""The ground: database session, tenants, staff, tenant context and isolation."""
