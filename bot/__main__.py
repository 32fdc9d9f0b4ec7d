"""`python -m bot` is the same as the `sopbot` command."""

import sys

from bot.cli import main

sys.exit(main())
