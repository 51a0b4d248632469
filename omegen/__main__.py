"""`python -m omegen`: the same as the `omegen` command."""

from omegen.commands.cli import main

main()
