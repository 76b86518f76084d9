//! Secrets named by the config: read from an environment variable or a file
//! (systemd `LoadCredential`), never written inline, never printed.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::RwLock;

/// Every secret value this process has read. Text that leaves the process —
/// a stored collect error, a log line of a pass, a queued message — goes
/// through [`scrub`] as a last line of defence, so a secret quoted by mistake
/// (a source that echoes the environment, say) never reaches a sink. Process
/// wide because it must reach every sink without being threaded through each.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Values shorter than this are not scrubbed: they would blank ordinary words.
const MIN_SCRUBBED: usize = 6;

/// Remembers a secret value for [`scrub`].
pub fn remember(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SCRUBBED {
        return;
    }
    if let Ok(mut known) = KNOWN.write()
        && !known.iter().any(|k| k == value)
    {
        known.push(value.to_string());
        // Longest first, so a secret containing another is replaced whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every remembered secret value replaced by `***`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let Ok(known) = KNOWN.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = Cow::Owned(out.replace(k.as_str(), "***"));
        }
    }
    out
}

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
                Ok(v) if !v.trim().is_empty() => {
                    remember(&v);
                    Ok(Secret(v.trim().to_string()))
                }
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
                remember(value);
                Ok(Secret(value.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_secret_is_scrubbed_wherever_it_appears() {
        remember("123456:scrub-test-token-AAAA");
        remember("abc");
        assert_eq!(
            scrub("TOKEN=123456:scrub-test-token-AAAA\0HOME=/root"),
            "TOKEN=***\0HOME=/root"
        );
        assert_eq!(
            scrub("abc is too short to be scrubbed"),
            "abc is too short to be scrubbed"
        );
    }
}
