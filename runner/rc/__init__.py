"""RingCentral's facts: the endpoint catalog derived from the official spec, route matching, the
scope-inclusion table and the default rate limits.

This wing describes RingCentral; it never sends a request, reads a plan or touches the ledger.
"""
