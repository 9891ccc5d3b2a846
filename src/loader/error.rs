//! The loader's one error type, and the key path it uses to say *where* in a document a problem is.
//!
//! Every load error names the file, the line and column where known, the key path
//! (`services.web.ports[1]`), what is wrong and, where we can tell, what to do about it.

use std::fmt;
use std::path::PathBuf;

use crate::model::error::ModelError;
pub use crate::model::error::{KeyPath, Seg};

/// What went wrong, broadly; lets callers and tests match without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A file could not be found or read.
    Io,
    /// The YAML (or .env) text is malformed, or too large / too aliased to load safely.
    Syntax,
    /// The document does not match the Compose schema (wrong type, unknown key, ...).
    Schema,
    /// `${VAR:?msg}` on an unset variable, a malformed `${...}`, or an unset variable under `--strict`.
    Interpolation,
    /// A reference to something undefined, a cycle, a conflict between files or settings.
    Semantic,
    /// Bad options: invalid project name, no compose file found, unknown profile...
    Usage,
}

/// A load error: what, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub kind: ErrorKind,
    /// The file the problem is in, as the user named it (or as discovered).
    pub file: Option<PathBuf>,
    /// 1-based line and column in `file`, where known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key path inside the document, e.g. `services.web.ports[1]`.
    pub path: Option<KeyPath>,
    /// What is wrong, in one sentence, without the location (Display adds it).
    pub message: String,
    /// What to do about it, e.g. `did you mean "environment"?`.
    pub hint: Option<String>,
}

impl LoadError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        LoadError {
            kind,
            file: None,
            line: None,
            column: None,
            path: None,
            message: message.into(),
            hint: None,
        }
    }
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }
    /// Sets the file only if none is set yet (an inner error knows better).
    pub fn or_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }
    pub fn at(mut self, path: KeyPath) -> Self {
        self.path = Some(path);
        self
    }
    /// Puts `seg` in front of the error's key path: walks that build a path only when something
    /// fails wrap the error this way on the way back up.
    pub fn under(mut self, seg: Seg) -> Self {
        let mut p = vec![seg];
        p.extend(self.path.take().unwrap_or_default().0);
        self.path = Some(KeyPath(p));
        self
    }
    pub fn at_line(mut self, line: usize, column: Option<usize>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
            f.write_str(": ")?;
        }
        if let Some(path) = &self.path {
            if !path.is_root() {
                write!(f, "{path}: ")?;
            }
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The model's own error (a value that does not fit the typed project) is a `Schema` error at
/// the model's key path, with the same message and hint.
impl From<ModelError> for LoadError {
    fn from(e: ModelError) -> Self {
        let mut err = LoadError::new(ErrorKind::Schema, e.message).at(e.path);
        err.hint = e.hint;
        err
    }
}

/// Non-fatal findings (unset variables, obsolete `version:`...), reported once each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings(pub Vec<String>);

impl Warnings {
    /// Adds a warning unless the same text was already recorded.
    pub fn push(&mut self, w: impl Into<String>) {
        let w = w.into();
        if !self.0.contains(&w) {
            self.0.push(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_file_line_path_and_hint() {
        let e = LoadError::new(ErrorKind::Schema, "unknown key \"enviroment\"")
            .in_file("compose.yaml")
            .at_line(4, Some(5))
            .at(KeyPath::parse("services.web.enviroment"))
            .hint("did you mean \"environment\"?");
        assert_eq!(
            e.to_string(),
            "compose.yaml:4:5: services.web.enviroment: unknown key \"enviroment\"\n  hint: did you mean \"environment\"?"
        );
    }
}
