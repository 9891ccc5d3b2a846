//! The model's error type and the key path it (and the loader) use to say *where* in a document a
//! problem is (`services.web.ports[1]`).
//!
//! [`ModelError`] is what reading a typed [`super::Project`] from its canonical tree reports: the key
//! path, what is wrong and, where known, what to do. The loader turns it into its `LoadError`
//! (kind `Schema`, with the file). Must not import anything else of the crate.

use std::fmt;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a document, printed as `services.web.ports[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    /// Parses `services.web.ports[1]` (keys containing dots cannot be expressed; use `key`).
    pub fn parse(s: &str) -> Self {
        let mut segs = Vec::new();
        for part in s.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(i) = rest.find('[') {
                segs.push(Seg::Key(rest[..i].to_string()));
                rest = &rest[i..];
                while let Some(stripped) = rest.strip_prefix('[') {
                    let end = stripped.find(']').unwrap_or(stripped.len());
                    if let Ok(n) = stripped[..end].parse() {
                        segs.push(Seg::Index(n));
                    }
                    rest = stripped.get(end + 1..).unwrap_or("");
                }
            } else {
                segs.push(Seg::Key(rest.to_string()));
            }
        }
        KeyPath(segs)
    }
    pub fn key(&self, k: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.into()));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// A value that does not fit the typed model, at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub path: KeyPath,
    /// What is wrong, in one sentence, without the location (Display adds it).
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl ModelError {
    pub fn new(path: KeyPath, message: impl Into<String>) -> Self {
        ModelError {
            path,
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_path_prints_dots_and_indexes() {
        let p = KeyPath::root()
            .key("services")
            .key("web")
            .key("ports")
            .index(1);
        assert_eq!(p.to_string(), "services.web.ports[1]");
        assert_eq!(KeyPath::parse("services.web.ports[1]"), p);
    }

    #[test]
    fn model_error_names_the_path_and_hint() {
        let e =
            ModelError::new(KeyPath::parse("services.web.image"), "wrong type").hint("quote it");
        assert_eq!(
            e.to_string(),
            "services.web.image: wrong type\n  hint: quote it"
        );
    }
}
