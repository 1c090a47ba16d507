"""Signing in beyond the password: second factors, the organization's two-factor policy, its own identity provider."""
