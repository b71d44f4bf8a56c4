"""The verdict: the ledger of every call, the criteria profiles, and the top-up that computes what is
still missing.

The criteria and the top-up are pure functions of ledger rows and a clock; this wing never sends a
request.
"""
