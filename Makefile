# chainrv — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := gcc g++ gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf \
                iverilog qemu-system-misc gdb-multiarch device-tree-compiler liblz4-dev zlib1g-dev chromium-headless-shell ccache
JOBS ?= 2
REPORT_DIR ?= report

.PHONY: setup system-packages venv demo test regress coverage bench lint clean

setup: system-packages venv

system-packages:
	@scripts/ensure-system-packages.sh $(APT_PACKAGES)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/chainrv report --out $(REPORT_DIR)

test: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q --durations=15 tests cocotb_tests

regress: setup
	CHAINRV_RUN_SLOW=1 $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q tests cocotb_tests
	$(BIN)/python scripts/coverage_regression.py --out $(REPORT_DIR)/coverage

# the functional coverage of the lockstep tests' programs (docs/coverage.md; under a minute)
coverage: setup
	$(BIN)/python scripts/coverage_regression.py --out build/coverage

bench: setup
	$(BIN)/python benchmarks/iss_speed.py
	$(BIN)/python benchmarks/gdb_speed.py
	$(BIN)/python benchmarks/xchain_cycles.py
	$(BIN)/python benchmarks/uarch_speed.py --runs 5
	$(BIN)/python benchmarks/explore_scaling.py --runs 3
	@if [ -f benchmarks/rtl_speed.py ]; then $(BIN)/python benchmarks/rtl_speed.py; fi

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf build sim_build .pytest_cache $(REPORT_DIR)
