//! `extends`: a service inherits the definition of another service, in the same file
//! (`extends: web` / `extends: {service: web}`) or in another file (`extends: {file, service}`).
//!
//! Chains are followed (the base's own `extends` first); the base is merged under the extending
//! service with the multi-file merge rules (`merge::merge_service`, so `!reset`/`!override` work
//! here too); `extends` is removed from the result. Like compose-go (v2.x), every attribute is
//! inherited, `depends_on`, `volumes_from`, `network_mode: service:` and `ipc: service:` included:
//! references to services the project lacks are reported by the semantic checks, not here.
//! Another file is named relative to the directory of the file that declares the `extends`
//! and is obtained through the caller's `load` callback (already parsed, interpolated and with
//! its relative paths resolved against its own directory); each file is loaded once. Cycles are
//! errors naming the whole chain (`a.yml:web -> b.yml:other -> a.yml:web`).
//!
//! Must not read files itself nor import the other loader steps except `merge`.

// `LoadError` (shared, in error.rs) is larger than clippy's `result_large_err` threshold.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::loader::fields::Fields;
use serde_yaml::value::{Mapping, Value};

use super::error::{ErrorKind, KeyPath, LoadError};
use super::merge;

/// The callback that loads another compose file named by `extends: {file: ...}`.
pub type LoadFn<'a> = dyn FnMut(&Path) -> Result<Value, LoadError> + 'a;

/// Resolves every `extends` in `doc` (a compose document whose file is `file`), with relative
/// `extends.file` names taken from the directory of `file`.
pub fn apply_extends(doc: &mut Value, file: &Path, load: &mut LoadFn<'_>) -> Result<(), LoadError> {
    let dir = file.parent().unwrap_or_else(|| Path::new("")).to_path_buf();
    apply_extends_in(doc, file, &dir, load)
}

/// [`apply_extends`] with an explicit directory for `doc`'s relative `extends.file` names
/// (compose-go resolves those of the `-f` files against the project directory).
pub fn apply_extends_in(
    doc: &mut Value,
    file: &Path,
    base_dir: &Path,
    load: &mut LoadFn<'_>,
) -> Result<(), LoadError> {
    let Value::Mapping(root) = doc else {
        return Ok(());
    };
    let Some(services) = root.field_mut("services") else {
        return Ok(());
    };
    if services.is_null() {
        return Ok(());
    }
    let Value::Mapping(services) = services else {
        return Err(
            LoadError::new(ErrorKind::Schema, "services must be a mapping")
                .in_file(file)
                .at(KeyPath::root().key("services")),
        );
    };
    let file = normalize(file);
    let mut ctx = Ctx {
        load,
        cache: HashMap::new(),
        display_root: file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let names: Vec<String> = services.keys().map(merge::key_string).collect();
    for name in names {
        // A service that extends nothing stays as it is (resolving it would only copy it).
        if matches!(services.get(name.as_str()), Some(Value::Mapping(m)) if !m.has_field("extends"))
        {
            continue;
        }
        let mut chain = Vec::new();
        resolve(&mut ctx, services, &name, &file, base_dir, &mut chain)?;
    }
    Ok(())
}

struct Ctx<'l, 'a> {
    load: &'l mut LoadFn<'a>,
    /// The `services` of each other file loaded so far, by normalised path.
    cache: HashMap<PathBuf, Mapping>,
    /// File names in messages are shown relative to this directory when under it.
    display_root: PathBuf,
}

impl Ctx<'_, '_> {
    fn show(&self, file: &Path) -> String {
        file.strip_prefix(&self.display_root)
            .unwrap_or(file)
            .display()
            .to_string()
    }

    /// The services of another file, loaded once.
    fn services_of(&mut self, path: &Path, from: &Path, name: &str) -> Result<Mapping, LoadError> {
        if let Some(s) = self.cache.get(path) {
            return Ok(s.clone());
        }
        let doc = (self.load)(path).map_err(|e| {
            let mut e = e.or_file(path);
            if e.hint.is_none() {
                e.hint = Some(format!(
                    "needed by `extends` of service \"{name}\" in {}",
                    self.show(from)
                ));
            }
            e
        })?;
        let services = match doc {
            Value::Mapping(mut m) => match m.shift_remove("services") {
                Some(Value::Mapping(s)) => s,
                Some(Value::Null) | None => {
                    return Err(extends_error(
                        from,
                        name,
                        format!(
                            "cannot extend service \"{name}\": {} has no services section",
                            self.show(path)
                        ),
                    ));
                }
                Some(_) => {
                    return Err(extends_error(
                        from,
                        name,
                        format!(
                            "cannot extend service \"{name}\": services must be a mapping in {}",
                            self.show(path)
                        ),
                    ));
                }
            },
            _ => {
                return Err(extends_error(
                    from,
                    name,
                    format!(
                        "cannot extend service \"{name}\": {} has no services section",
                        self.show(path)
                    ),
                ));
            }
        };
        self.cache.insert(path.to_path_buf(), services.clone());
        Ok(services)
    }
}

fn extends_error(file: &Path, name: &str, message: String) -> LoadError {
    LoadError::new(ErrorKind::Semantic, message)
        .in_file(file)
        .at(KeyPath::root().key("services").key(name).key("extends"))
}

/// Resolves service `name` of `services` (defined in `file`, whose relative names are taken
/// from `base_dir`), writes the result back into `services` and returns it.
fn resolve(
    ctx: &mut Ctx<'_, '_>,
    services: &mut Mapping,
    name: &str,
    file: &Path,
    base_dir: &Path,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Value, LoadError> {
    let service = match services.get(name) {
        None | Some(Value::Null) => return Ok(Value::Null),
        Some(Value::Mapping(m)) => m,
        Some(_) => {
            return Err(LoadError::new(
                ErrorKind::Schema,
                format!("services.{name} must be a mapping"),
            )
            .in_file(file)
            .at(KeyPath::root().key("services").key(name)));
        }
    };
    let Some(extends) = service.field("extends") else {
        return Ok(Value::Mapping(service.clone()));
    };
    let (reference, other_file) = parse_extends(extends, file, name)?;

    let here = (file.to_path_buf(), name.to_string());
    if chain.contains(&here) {
        let mut links: Vec<String> = chain
            .iter()
            .skip_while(|link| **link != here)
            .map(|(f, s)| format!("{}:{s}", ctx.show(f)))
            .collect();
        links.push(format!("{}:{name}", ctx.show(file)));
        return Err(extends_error(
            file,
            name,
            format!("circular reference in extends: {}", links.join(" -> ")),
        )
        .hint("break the chain: a service cannot extend itself, directly or through others"));
    }
    chain.push(here);

    let base = match other_file {
        Some(rel) => {
            // Remote references (`oci://...`, git URLs) go to the callback as they are.
            let path = if rel.to_string_lossy().contains("://") {
                rel.clone()
            } else {
                normalize(&base_dir.join(&rel))
            };
            let mut other = ctx.services_of(&path, file, name)?;
            if !other.contains_key(reference.as_str()) {
                return Err(extends_error(
                    file,
                    name,
                    format!(
                        "cannot extend service \"{name}\" in {}: service \"{reference}\" not found in {}",
                        ctx.show(file),
                        ctx.show(&path)
                    ),
                )
                .hint(available(&other)));
            }
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let base = resolve(ctx, &mut other, &reference, &path, &dir, chain)?;
            ctx.cache.insert(path, other);
            base
        }
        None => {
            if !services.contains_key(reference.as_str()) {
                return Err(extends_error(
                    file,
                    name,
                    format!(
                        "cannot extend service \"{name}\" in {}: service \"{reference}\" not found",
                        ctx.show(file)
                    ),
                )
                .hint(available(services)));
            }
            resolve(ctx, services, &reference, file, base_dir, chain)?
        }
    };
    chain.pop();

    // Re-read: resolving the base may have rewritten `services` (never this entry, though).
    // Taken out, not copied: the entry is written back below (and an error ends the load).
    let mut own = match services.get_mut(name) {
        Some(Value::Mapping(m)) => std::mem::take(m),
        _ => Mapping::new(),
    };
    own.shift_remove("extends");
    let merged = if base.is_null() {
        Value::Mapping(own)
    } else {
        let mut merged =
            merge::merge_service(base, Value::Mapping(own), name).map_err(|e| e.or_file(file))?;
        if let Value::Mapping(m) = &mut merged {
            m.shift_remove("extends");
        }
        merged
    };
    services.insert(Value::String(name.to_string()), merged.clone());
    Ok(merged)
}

/// `extends: name` or `extends: {service: name, file: path}`.
fn parse_extends(
    extends: &Value,
    file: &Path,
    name: &str,
) -> Result<(String, Option<PathBuf>), LoadError> {
    let path = || KeyPath::root().key("services").key(name).key("extends");
    match extends {
        Value::String(s) => Ok((s.clone(), None)),
        Value::Mapping(m) => {
            let service = match m.field("service") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(LoadError::new(
                        ErrorKind::Schema,
                        "extends.service is required and must be a string",
                    )
                    .in_file(file)
                    .at(path())
                    .hint("name the service to extend: `extends: {service: base}`"));
                }
            };
            let other = match m.field("file") {
                None | Some(Value::Null) => None,
                Some(Value::String(f)) => Some(PathBuf::from(f)),
                Some(_) => {
                    return Err(
                        LoadError::new(ErrorKind::Schema, "extends.file must be a string")
                            .in_file(file)
                            .at(path().key("file")),
                    );
                }
            };
            Ok((service, other))
        }
        _ => Err(LoadError::new(
            ErrorKind::Schema,
            "extends must be a service name or a mapping with `service` (and optionally `file`)",
        )
        .in_file(file)
        .at(path())),
    }
}

fn available(services: &Mapping) -> String {
    let names: Vec<String> = services.keys().map(merge::key_string).collect();
    if names.is_empty() {
        "that file defines no services".to_string()
    } else {
        format!("services defined there: {}", names.join(", "))
    }
}

/// Lexically normalises a path: drops `.`, folds `dir/..`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(
                    out.components().next_back(),
                    Some(Component::RootDir | Component::Prefix(_))
                ) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.yml")),
            PathBuf::from("a/c.yml")
        );
        assert_eq!(normalize(Path::new("../x/./y")), PathBuf::from("../x/y"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
    }
}
