# The two commands a user needs (README.md): `make demo` and `make test`. Each creates the
# virtualenv, builds the wheel once (release profile) and installs it before running.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
DIST   := dist
STAMP  := $(DIST)/.built
SOURCES := $(shell find core-rs/src core-rs/benches python -type f \( -name '*.rs' -o -name '*.py' -o -name '*.pyi' -o -name '*.json' -o -name 'py.typed' \) 2>/dev/null) \
           Cargo.toml core-rs/Cargo.toml pyproject.toml README.md $(wildcard Cargo.lock)

.PHONY: demo test lint bench bench-short wheel wheel-check clean contracts contracts-check

# Each slow step first says what it does and how long it usually takes: pip and the release
# build are --quiet, and would otherwise be minutes of silence.
$(VENV)/.deps: pyproject.toml
	@echo "==> creating $(VENV) and installing dependencies (first time: ~1-2 min)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# runtime, test and lint dependencies as pyproject.toml lists them (one source of truth);
	# the package itself is installed from the wheel below
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	    extra = p['optional-dependencies']; \
	    print('\n'.join(p['dependencies'] + extra['test'] + extra['lint']))" > $(VENV)/requirements.txt
	$(PIP) install --quiet "maturin>=1.7,<2" -r $(VENV)/requirements.txt
	touch $@

# One release build of the extension, reused by the tests, the benchmarks and the wheel check.
$(STAMP): $(VENV)/.deps $(SOURCES)
	@echo "==> building the Rust extension in release mode (first time: ~5-8 min on 2 cores; later builds are incremental)"
	rm -f $(DIST)/zippifi-*.whl
	# exactly what a user's `pip wheel .` does: maturin as the PEP 517 backend, release profile
	$(PIP) wheel . --no-deps --quiet --wheel-dir $(DIST)
	@echo "==> installing the wheel into $(VENV)"
	$(PIP) install --quiet --force-reinstall --no-deps $(DIST)/zippifi-*.whl
	touch $@

# The Solidity compiler (solc-js) and the real Uniswap build artifacts the differential tests deploy.
NPM_STAMP := contracts/node_modules/.installed
$(NPM_STAMP): contracts/package.json contracts/package-lock.json
	@echo "==> installing the npm packages of contracts/ (solc-js, hardhat, the Uniswap artifacts, Chainlink's sources; first time only)"
	npm ci --prefix contracts --no-audit --no-fund --loglevel=error
	touch $@

wheel: $(STAMP)

# ZippiFi's contracts (contracts/src) -> python/zippifi/chain/artifacts/*.json, committed so the
# wheel needs no Node; contracts-check fails if the committed artifacts differ from the sources.
contracts: $(NPM_STAMP)
	node contracts/scripts/compile.js

contracts-check: $(NPM_STAMP)
	node contracts/scripts/compile.js --check

demo: $(STAMP)
	@echo "==> running zippifi demo"
	$(VENV)/bin/zippifi demo

test: $(STAMP) $(NPM_STAMP)
	cargo test --locked -p zippifi-core
	$(PY) -m pytest tests

lint: $(STAMP)
	cargo fmt --all -- --check
	cargo clippy --locked -p zippifi-core --all-targets --features python -- -D warnings
	$(VENV)/bin/ruff check python tests bench
	$(VENV)/bin/ruff format --check python tests bench
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest zippifi._core
	# the layer rule ([tool.importlinter] in pyproject.toml) on the source tree, not the wheel
	PYTHONPATH=python $(VENV)/bin/lint-imports --no-logo

bench: $(STAMP) $(NPM_STAMP)
	mkdir -p bench/.results
	cargo bench --locked -p zippifi-core --bench ecdsa
	cargo bench --locked -p zippifi-core --bench v3_swap
	$(PY) -m pytest bench --benchmark-json=bench/.results/sign.json
	$(PY) bench/report.py bench/.results/sign.json

# CI's smoke run: every benchmark executes (and checks its output), few transactions, one round.
bench-short: $(STAMP) $(NPM_STAMP)
	mkdir -p bench/.results
	ZIPPIFI_BENCH_TXS=300 ZIPPIFI_BENCH_ROUNDS=1 $(PY) -m pytest bench --benchmark-json=bench/.results/short.json
	$(PY) bench/report.py bench/.results/short.json -o bench/.results/SHORT.md

# The wheel on its own: a fresh venv outside the checkout, no source tree on the path.
wheel-check: $(STAMP)
	set -e; d=$$(mktemp -d); \
	$(PYTHON) -m venv $$d/venv; \
	$$d/venv/bin/pip install --quiet $(DIST)/zippifi-*.whl; \
	cd $$d && $$d/venv/bin/python -c "import zippifi, zippifi.sign as s; from eth_account import Account; \
	k = b'\x11' * 32; tx = {'type': 2, 'chainId': 1, 'nonce': 0, 'gas': 21000, 'maxFeePerGas': 2, 'maxPriorityFeePerGas': 1}; \
	assert 'site-packages' in zippifi.__file__, zippifi.__file__; \
	assert s.Signer(k).sign_transaction(tx).raw_transaction == bytes(Account.sign_transaction(tx, k).raw_transaction); \
	from zippifi.chain.artifacts import load; assert load('ZippiVault').bytecode; \
	print('wheel OK:', zippifi.__file__)"; \
	$$d/venv/bin/zippifi --version; rm -rf $$d

clean:
	rm -rf $(DIST) target bench/.results
