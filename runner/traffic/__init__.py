"""Sending traffic: the engine, the client-side rate limiter, the retry policy, the 4xx budget, the
run lock and the session that ties them to a target.

This wing sends requests and records them; it never judges them (that is `runner.verdict`) and
never reads command-line flags or writes to a console (that is `runner.commands`).
"""
