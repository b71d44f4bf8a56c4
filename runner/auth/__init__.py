"""Tokens: the manager that logs in once and refreshes before expiry, and the rotation-safe store.

This wing never prints or logs a secret.
"""
