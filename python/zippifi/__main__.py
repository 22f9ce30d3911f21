"""``python -m zippifi``: the `zippifi` command, as the console script runs it."""

from __future__ import annotations

import sys

from zippifi.cli.app import main

sys.exit(main())
