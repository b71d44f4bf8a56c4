"""What a person or a tool reads: a ``Verdict`` rendered (``console``, ``json``, ``junit``, ``html``,
``markdown``, the ``fleet`` table, the window's ``history``), and a run's events as they happen
(``live`` lines, ``progress`` bars, the ``next_step`` after a verdict).

A verdict holds counts and endpoint templates only, so no report can carry a secret; renderers must
never add anything from the environment, the plan's credentials or a token store, and everything
written passes the redactor.
"""
