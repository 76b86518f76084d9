//! A watched folder: one file per unit, report and period, found by a path
//! template with `{unit}`, `{report}`, `{period}`.
//!
//! Only regular files are read, and only inside the source's folder (the
//! template's part before its first placeholder): a symlink may point within
//! it, never out of it (to `/dev/zero`, `/proc/self/environ`, …). The file is
//! opened without following a last symlink and without blocking (a FIFO is
//! refused, not waited on), the size limit holds on the bytes actually read,
//! and the read has a time limit.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Fetched;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is larger than {limit} bytes ([collection] max_body_bytes)", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{} is not a regular file (a FIFO, a device or a folder); only regular files are read", path.display())]
    NotAFile { path: PathBuf },
    #[error("{} leads out of the source's folder {}; a symlink may only point inside it", path.display(), root.display())]
    Outside { path: PathBuf, root: PathBuf },
    #[error("reading {} took longer than {} s", path.display(), limit.as_secs())]
    Timeout { path: PathBuf, limit: Duration },
}

/// The folder a path template reads from: its part before the first
/// placeholder, up to the last separator (the file's folder when it has none).
pub fn root_of(template: &Path) -> PathBuf {
    let text = template.to_string_lossy();
    let fixed = match text.find('{') {
        Some(i) => &text[..i],
        None => &text,
    };
    match fixed.rfind('/') {
        Some(0) => PathBuf::from("/"),
        Some(i) => PathBuf::from(&fixed[..i]),
        None => PathBuf::from("."),
    }
}

/// Reads the file if it exists; `Ok(None)` when it does not (not yet sent).
pub async fn fetch(path: &Path, root: &Path, max_bytes: u64, timeout: Duration) -> Result<Option<Fetched>, FileError> {
    let (p, r) = (path.to_path_buf(), root.to_path_buf());
    let read = tokio::task::spawn_blocking(move || read_inside(&p, &r, max_bytes));
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(FileError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::other(join.to_string()),
        }),
        Err(_) => Err(FileError::Timeout {
            path: path.to_path_buf(),
            limit: timeout,
        }),
    }
}

fn read_inside(path: &Path, root: &Path, max_bytes: u64) -> Result<Option<Fetched>, FileError> {
    let read_err = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let real = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling symlink is a unit's mistake worth showing, not "not sent".
            return match std::fs::symlink_metadata(path) {
                Ok(_) => Err(read_err(e)),
                Err(_) => Ok(None),
            };
        }
        Err(e) => return Err(read_err(e)),
    };
    let real_root = std::fs::canonicalize(root).map_err(read_err)?;
    if !real.starts_with(&real_root) {
        return Err(FileError::Outside {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&real)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    // The size the file reports is not trusted: the limit holds on what is read.
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes).map_err(read_err)?;
    if bytes.len() as u64 > max_bytes {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit: max_bytes,
        });
    }
    let modified = meta.modified().ok().map(DateTime::<Utc>::from);
    Ok(Some(Fetched {
        bytes,
        modified,
        location: path.display().to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_folder_before_the_first_placeholder() {
        assert_eq!(
            root_of(Path::new("/srv/data/{unit}/{report}.json")),
            PathBuf::from("/srv/data")
        );
        assert_eq!(root_of(Path::new("/srv/data/{unit}.json")), PathBuf::from("/srv/data"));
        assert_eq!(root_of(Path::new("/srv/bao-cao-{unit}.json")), PathBuf::from("/srv"));
        assert_eq!(root_of(Path::new("/srv/data/fixed.json")), PathBuf::from("/srv/data"));
        assert_eq!(root_of(Path::new("/{unit}.json")), PathBuf::from("/"));
    }
}
