"""`python -m hostaudit`."""

from hostaudit.cli import main

main()
