"""The YAML plan: loading it with line-numbered errors, `rcgrad check`, and writing plans from scopes
(`plan init`) or from an app's source code (`plan scan`).

This wing reads and writes plan files; it never sends a request.
"""
