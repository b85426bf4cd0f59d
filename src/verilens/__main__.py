"""``python -m verilens`` runs the command line."""

from .cli import main

main()
