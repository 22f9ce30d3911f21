"""``python -m zippifi.cli``: the `zippifi` command."""

from __future__ import annotations

import sys

from zippifi.cli.app import main

sys.exit(main())
