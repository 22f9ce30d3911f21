from __future__ import annotations

import os

# The workload is 10,000 transactions; CI's short mode sets fewer.
N_TXS = int(os.environ.get("ZIPPIFI_BENCH_TXS", "10000"))
ROUNDS = int(os.environ.get("ZIPPIFI_BENCH_ROUNDS", "5"))
