"""Sending traffic: the engine, the client-side rate limiter, the retry policy, the 4xx budget and
the give-up rule.

This wing sends requests and hands each record to its caller; it never judges them (that is
``runner.verdict``), never stores them (``runner.ledger``), and never reads command-line flags or
writes to a console (``runner.commands`` and the handlers in ``runner.report``).
"""
