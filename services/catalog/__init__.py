"""The tenant's units (departments) and complaint categories."""
