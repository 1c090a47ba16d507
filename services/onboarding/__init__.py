"""Signing up an organization and giving it its industry's starting configuration."""
