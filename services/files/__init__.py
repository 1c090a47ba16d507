"""Attachments: content checks and storage."""
