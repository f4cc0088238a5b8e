"""`python -m kit` runs the leakkit command line."""

from kit.cli import main

main()
