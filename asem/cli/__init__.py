"""The ``asem`` command line: typer commands over the ``Memory`` facade, one module per group.

``app.py`` holds the root app and its global options; ``write.py`` (add, ingest),
``read.py`` (search), ``feedback.py``, ``notes.py`` (show, history, delete), ``stats.py`` and
``bench.py`` hold the commands. This package and ``asem.server`` are the only places that read
the environment.
"""
