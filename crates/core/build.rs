//! Embeds the commit the plugin and the CLI are built from (`maintenance_core::VERSION`: the
//! start log line, `--version`): `git rev-parse --short=12 HEAD` when the source is a git
//! checkout, `unknown` otherwise. No time stamp, so builds of one commit are byte-identical; a
//! fixed length, so shallow and full clones agree.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// Watches a git file, when it exists (a missing one would make Cargo run this script every build).
fn watch(path: &str) {
    if let Some(file) = git(&["rev-parse", "--path-format=absolute", "--git-path", path]) {
        if std::path::Path::new(&file).exists() {
            println!("cargo:rerun-if-changed={file}");
        }
    }
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MAINTENANCE_COMMIT={commit}");
    // Build again when HEAD moves: HEAD itself (a checkout) and the branch it points to (a commit).
    watch("HEAD");
    watch("packed-refs");
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(&branch);
    }
    println!("cargo:rerun-if-changed=build.rs");
}
