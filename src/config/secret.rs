//! Secrets named by the config: read from an environment variable or a file
//! (systemd `LoadCredential`), never written inline, never printed.

use std::path::PathBuf;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    /// A path; a relative one is looked up in `$CREDENTIALS_DIRECTORY` when systemd
    /// sets it, else next to the config file.
    File(PathBuf),
}

/// A secret value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set or empty")]
    MissingEnv(String),
    #[error("cannot read secret file {}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
    #[error("secret file {} is empty", .0.display())]
    EmptyFile(PathBuf),
}

impl SecretRef {
    /// Reads the secret now. `base_dir` resolves relative file paths when
    /// `$CREDENTIALS_DIRECTORY` is not set.
    pub fn read(&self, base_dir: &std::path::Path) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                _ => Err(SecretError::MissingEnv(name.clone())),
            },
            SecretRef::File(path) => {
                let full = if path.is_absolute() {
                    path.clone()
                } else if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
                    PathBuf::from(dir).join(path)
                } else {
                    base_dir.join(path)
                };
                let text = std::fs::read_to_string(&full).map_err(|source| SecretError::File {
                    path: full.clone(),
                    source,
                })?;
                let value = text.trim();
                if value.is_empty() {
                    return Err(SecretError::EmptyFile(full));
                }
                Ok(Secret(value.to_string()))
            }
        }
    }
}
