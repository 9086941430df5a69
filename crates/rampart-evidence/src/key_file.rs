//! The installation's signing key on disk: one file of 64 hexadecimal
//! digits, created with mode 0600 and refused when others may read it
//! (anyone who can read it can forge checkpoints and bundles).

use std::path::Path;

use rampart_store::checkpoint::InstallationKey;

/// Reads the key file, or creates it (mode 0600) when it does not exist.
pub fn load_or_create(path: &Path) -> Result<InstallationKey, String> {
    if path.exists() {
        return load(path);
    }
    let key = InstallationKey::generate();
    write_new(&key, path)?;
    Ok(key)
}

/// Reads an existing key file.
pub fn load(path: &Path) -> Result<InstallationKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?;
    check_private(path)?;
    InstallationKey::from_secret_hex(&text).ok_or_else(|| {
        format!(
            "signing key {} is not 64 hexadecimal digits",
            path.display()
        )
    })
}

fn write_new(key: &InstallationKey, path: &Path) -> Result<(), String> {
    use std::io::Write;
    let fail = |e: std::io::Error| format!("cannot create signing key {}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    writeln!(file, "{}", key.secret_hex()).map_err(fail)?;
    file.sync_all().map_err(fail)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "signing key {} may be read by other users (mode {:04o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_reloads() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/signing.key");
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public_hex(), again.public_hex());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        std::fs::write(&path, "hello\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.contains("not 64 hexadecimal digits"), "{err}");
    }
}
