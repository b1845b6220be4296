"""``python -m obs_lint``: same as the ``obs-lint`` console script."""

from .cli import main

main(prog_name="obs-lint")
