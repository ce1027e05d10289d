//! Prints the configuration reference of the documentation, generated from the schema's
//! declaration: `make reference` writes it to docs/src/configuration-reference.md. Native only.

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    print!("{}", maintenance_core::config::reference::markdown());
}
