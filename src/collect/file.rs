//! A watched folder: one file per unit, report and period, found by a path
//! template with `{unit}`, `{report}`, `{period}`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Fetched;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
}

/// Reads the file if it exists; `Ok(None)` when it does not (not yet sent).
pub async fn fetch(path: &Path, max_bytes: u64) -> Result<Option<Fetched>, FileError> {
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(FileError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if meta.len() > max_bytes {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit: max_bytes,
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let modified = meta.modified().ok().map(DateTime::<Utc>::from);
    Ok(Some(Fetched {
        bytes,
        modified,
        location: path.display().to_string(),
    }))
}
