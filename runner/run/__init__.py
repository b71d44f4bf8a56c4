"""Running an app's traffic: the session (plan, consent, target, ledger partition, tokens, limiters),
the run lock, and the graduation passes, for one app or a fleet, reported as events.

This is the application wing: it takes options objects, never flags, and emits events that the
command line's handlers print; it must never write to a console itself.
"""
