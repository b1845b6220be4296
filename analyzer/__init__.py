"""obs-lint: static conformance checks for ML/LLM observability conventions.

The source lives in ``analyzer/`` in the repository and is installed as the import package
``obs_lint`` (see ``pyproject.toml``), so no generic top-level name lands in site-packages.
"""

__version__ = "0.1.0"
