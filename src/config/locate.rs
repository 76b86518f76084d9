//! Maps a key path (`reports[1].collect`) to its line and column in the TOML
//! text, and a byte span back to the deepest key path that contains it, so
//! every config error can name the file, line and key.

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path such as `reports[1].due.time`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The byte offset where `path` is written: the key itself when it names a
/// table entry, the element for an array index. Falls back to the deepest
/// ancestor that exists (a missing key is reported at its table).
pub fn offset_of(text: &str, path: &KeyPath) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut best = None;
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut array: Option<&toml::de::DeArray<'_>> = None;
    for seg in &path.0 {
        let value = match seg {
            Seg::Key(k) => {
                let t = table?;
                let (key, value) = t.iter().find(|(key, _)| key.get_ref() == k)?;
                best = Some(key.span().start);
                value
            }
            Seg::Index(i) => {
                let value = array?.get(*i)?;
                best = Some(value.span().start);
                value
            }
        };
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a),
            _ => {}
        }
    }
    best
}

/// The deepest key path whose key or value span contains `offset`. Container
/// spans are not trusted (an array of tables spans only its headers), so
/// every branch is searched.
pub fn path_at(text: &str, offset: usize) -> KeyPath {
    let Ok(doc) = DeTable::parse(text) else {
        return KeyPath::root();
    };
    let mut path = KeyPath::root();
    search_table(doc.get_ref(), offset, &mut path);
    path
}

fn search_table(table: &DeTable<'_>, offset: usize, path: &mut KeyPath) -> bool {
    for (key, value) in table.iter() {
        path.0.push(Seg::Key(key.get_ref().to_string()));
        if search_value(value.get_ref(), offset, path) {
            return true;
        }
        if key.span().contains(&offset) || value.span().contains(&offset) {
            return true;
        }
        path.0.pop();
    }
    false
}

fn search_value(value: &DeValue<'_>, offset: usize, path: &mut KeyPath) -> bool {
    match value {
        DeValue::Table(t) => search_table(t, offset, path),
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.0.push(Seg::Index(i));
                if search_value(v.get_ref(), offset, path) || v.span().contains(&offset) {
                    return true;
                }
                path.0.pop();
            }
            false
        }
        _ => false,
    }
}
