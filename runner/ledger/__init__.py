"""The ledger: every call rcgrad made or imported, kept per server, app and user, on SQLite or PostgreSQL.

``ledger`` is its API and the SQL it runs (written once for both back ends), ``sqlite`` and
``postgres`` the back ends and their migrations, ``console_csv`` the Developer Console counts it
imports, ``grants`` the permissions a partition's last login saw. It stores; it never judges (that
is ``runner.verdict``) and never sends a request.
"""
