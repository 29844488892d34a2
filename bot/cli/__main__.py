"""`python -m bot.cli` is `arkbot`."""

from bot.cli import main

main()
