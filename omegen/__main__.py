"""`python -m omegen`: the same as the `omegen` command."""

from omegen.commands.main import main

main()
