"""`python -m hostaudit`."""

from hostaudit.console import main

main()
