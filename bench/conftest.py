from __future__ import annotations

import os

# The workload is 10,000 transactions; CI's short mode sets fewer.
N_TXS = int(os.environ.get("ZIPPIFI_BENCH_TXS", "10000"))
ROUNDS = int(os.environ.get("ZIPPIFI_BENCH_ROUNDS", "5"))

# The AMM benchmarks' batch sizes (100,000 quotes, 100,000 fills) are multiplied by this. It
# follows the short mode's ZIPPIFI_BENCH_TXS unless set: TXS=300 makes it 0.03 (3,000 quotes).
SCALE = float(os.environ.get("ZIPPIFI_BENCH_SCALE", N_TXS / 10_000))


def scaled(n: int) -> int:
    """``n`` items times ZIPPIFI_BENCH_SCALE, at least one."""
    return max(1, round(n * SCALE))


# Store ingest (bench/test_store_bench.py): ticks per insert call. The goal is stated at 100,000
# (ZIPPIFI_BENCH_SCALE=1); short mode scales it down like the other batch sizes.
N_TICKS = int(os.environ.get("ZIPPIFI_BENCH_TICKS", scaled(100_000)))
