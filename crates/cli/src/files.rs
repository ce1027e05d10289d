//! Replacing a file whole: readers see the old file or the new one, never an empty or partial
//! one (Envoy's watched directory reacts to the rename; a manifest changed `--in-place` is never
//! left empty).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to a temporary file beside `path` (flushed, with permissions `mode`), then
/// renames it over `path`.
pub fn replace(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    let tmp = sidecar(path, &format!("{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        fs::rename(&tmp, path)?;
        // The rename itself survives a crash once the directory is flushed too.
        fs::File::open(directory(path)).and_then(|d| d.sync_all())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// The permission bits of an existing file (0644 when they cannot be read).
pub fn mode_of(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = fs::metadata(path) {
            return metadata.permissions().mode() & 0o7777;
        }
    }
    0o644
}

/// `.NAME.SUFFIX` beside `path`.
pub fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    directory(path).join(format!(".{name}.{suffix}"))
}

fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether this process's standard output is the file at `path` (`cmd -f x.yaml > x.yaml`).
pub fn is_stdout(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let stdout = std::io::stdout();
        let Ok(fd) = stdout.as_fd().try_clone_to_owned() else {
            return false;
        };
        if let (Ok(out), Ok(file)) = (fs::File::from(fd).metadata(), fs::metadata(path)) {
            return out.is_file() && out.dev() == file.dev() && out.ino() == file.ino();
        }
    }
    let _ = path;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeping_the_mode_and_leaving_no_temporary_file() {
        let dir =
            std::env::temp_dir().join(format!("kubectl-maintenance-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.yaml");
        fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        replace(&path, "new", mode_of(&path)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let missing = dir.join("no/such/dir/m.yaml");
        assert!(replace(&missing, "x", 0o644)
            .unwrap_err()
            .contains("cannot write"));
        assert!(!is_stdout(&path));
        fs::remove_dir_all(&dir).unwrap();
    }
}
