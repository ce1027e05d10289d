# The plugin as an OCI image for Istio's WasmPlugin (`url: oci://REGISTRY/maintenance-mode:TAG`).
# Istio's "compat" image format: one layer holding the module as /plugin.wasm, nothing else.
# Build with `make image` (after `make build`); see docs/src/shipping.md.
FROM scratch
COPY target/wasm32-wasip1/release/maintenance_mode.wasm /plugin.wasm
