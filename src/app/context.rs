//! Packs a build context into a tar archive for the engine, honouring `.dockerignore` (patterns
//! anchored at the context root, `!` exceptions, `**`, last match wins), and builds the
//! `BuildSpec` of a service (`dockerfile`, `dockerfile_inline`, `args`, `target`, `labels`; the
//! image is tagged `<project>-<service>` unless `image:` is set).
//!
//! Symlinks are archived as symlinks and never followed, so nothing outside the context leaks
//! into the archive. The Dockerfile and `.dockerignore` are always sent (the builder needs them).
//! Synchronous file I/O: call it from `spawn_blocking`. Must not import `loader` or `cli`.

use std::fs;
use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;

use crate::engine::archive::{self, Packer};
use crate::engine::{BuildContext, BuildSpec, Labels};
use crate::model::{Project, Service};

/// Name of the Dockerfile written into the archive for `dockerfile_inline` (or for a Dockerfile
/// that lives outside the context).
pub const INLINE_DOCKERFILE: &str = ".rcompose.Dockerfile";

/// A packed context: the tar bytes and the Dockerfile path inside it.
#[derive(Debug, Clone)]
pub struct PackedContext {
    pub tar: Vec<u8>,
    pub dockerfile: String,
}

/// The `.dockerignore` rules of `dir` (see [`archive::dockerignore`]).
pub(crate) fn read_dockerignore(dir: &Path) -> Result<Gitignore, String> {
    archive::dockerignore(dir)
}

/// Packs `dir`. `dockerfile` is the path given in the compose file (relative to the context, or
/// absolute); `inline` is `dockerfile_inline`. Returns the archive and the Dockerfile's path in it.
pub fn pack(dir: &Path, dockerfile: &str, inline: Option<&str>) -> Result<PackedContext, String> {
    let meta = fs::metadata(dir)
        .map_err(|e| format!("build context {} is not readable: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "build context {} is not a directory",
            dir.display()
        ));
    }
    let ignore = read_dockerignore(dir)?;
    let mut packer = Packer::new();

    // The Dockerfile: inline text, a file inside the context, or one outside it (sent as inline).
    let mut extra_dockerfile: Option<Vec<u8>> = inline.map(|t| t.as_bytes().to_vec());
    let mut dockerfile_in_tar = INLINE_DOCKERFILE.to_string();
    if extra_dockerfile.is_none() {
        let df = Path::new(dockerfile);
        let abs = if df.is_absolute() {
            df.to_path_buf()
        } else {
            dir.join(df)
        };
        let abs = crate::model::path::clean(&abs);
        let root = crate::model::path::clean(dir);
        match abs.strip_prefix(&root) {
            Ok(rel) if !rel.as_os_str().is_empty() => {
                dockerfile_in_tar = rel.to_string_lossy().replace('\\', "/");
            }
            _ => {
                let text = fs::read(&abs)
                    .map_err(|e| format!("cannot read Dockerfile {}: {e}", abs.display()))?;
                extra_dockerfile = Some(text);
            }
        }
    }
    let always: [&str; 2] = [".dockerignore", dockerfile_in_tar.as_str()];

    packer.add_tree(dir, &ignore, &always)?;
    if let Some(text) = extra_dockerfile {
        packer
            .add_file(INLINE_DOCKERFILE, &text, 0o644)
            .map_err(|e| format!("cannot archive the Dockerfile: {e}"))?;
    }
    let tar = packer
        .finish()
        .map_err(|e| format!("cannot finish the build context archive: {e}"))?;
    Ok(PackedContext {
        tar,
        dockerfile: dockerfile_in_tar,
    })
}

/// The build of `service` (which must have `build:`): context packed, tagged with the image name.
pub fn build_spec(project: &Project, service: &Service) -> Result<BuildSpec, String> {
    let build = service.build.clone().ok_or_else(|| {
        format!(
            "service {} has no build section; set `image:` or add `build:`",
            service.name
        )
    })?;
    let base = project
        .working_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let context = build.context.clone().unwrap_or_else(|| ".".to_string());
    if context.contains("://") || context.starts_with("git@") {
        return Err(format!(
            "services.{}.build.context: remote contexts ({context}) are not supported",
            service.name
        ));
    }
    let dir = if Path::new(&context).is_absolute() {
        PathBuf::from(&context)
    } else {
        crate::model::path::clean(&base.join(&context))
    };
    let dockerfile = build
        .dockerfile
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "Dockerfile".to_string());
    let packed = pack(&dir, &dockerfile, build.dockerfile_inline.as_deref())
        .map_err(|e| format!("services.{}.build: {e}", service.name))?;
    let image = service.image_name(&project.name);
    let mut spec = BuildSpec::new(BuildContext::Tar(packed.tar.into()), &image);
    spec.dockerfile = packed.dockerfile;
    spec.args = build.args.clone().into_iter().collect();
    spec.target = build.target.clone().filter(|t| !t.is_empty());
    let mut labels: Labels = build.labels.clone().into_iter().collect();
    labels.insert(
        crate::plan::labels::PROJECT.to_string(),
        project.name.clone(),
    );
    labels.insert(
        crate::plan::labels::SERVICE.to_string(),
        service.name.clone(),
    );
    labels.insert(
        crate::plan::labels::VERSION.to_string(),
        crate::plan::labels::COMPOSE_VERSION.to_string(),
    );
    spec.labels = labels;
    for t in &build.tags {
        if !spec.tags.contains(t) {
            spec.tags.push(t.clone());
        }
    }
    spec.no_cache = build.no_cache;
    spec.pull = build.pull;
    spec.network = build.network.clone().filter(|n| !n.is_empty());
    spec.extra_hosts = build
        .extra_hosts
        .iter()
        .map(|h| match h.split_once('=') {
            Some((host, ip)) => format!("{host}:{ip}"),
            None => h.clone(),
        })
        .collect();
    spec.shm_size = (build.shm_size.0 != 0).then_some(build.shm_size.0);
    spec.memory = build.memory.filter(|m| *m > 0);
    spec.cache_from = build.cache_from.clone();
    spec.platform = service.platform.clone().filter(|p| !p.is_empty());
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn names(tar_bytes: &[u8]) -> Vec<String> {
        let mut a = tar::Archive::new(tar_bytes);
        let mut out = Vec::new();
        if let Ok(entries) = a.entries() {
            for e in entries.flatten() {
                if let Ok(p) = e.path() {
                    out.push(p.to_string_lossy().trim_end_matches('/').to_string());
                }
            }
        }
        out.sort();
        out
    }

    fn file(tar_bytes: &[u8], name: &str) -> Option<String> {
        let mut a = tar::Archive::new(tar_bytes);
        for mut e in a.entries().ok()?.flatten() {
            if e.path().ok()?.to_string_lossy() == name {
                let mut s = String::new();
                e.read_to_string(&mut s).ok()?;
                return Some(s);
            }
        }
        None
    }

    #[test]
    fn dockerignore_is_honoured_and_dockerfile_always_sent() -> Result<(), String> {
        let d = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = d.path();
        let w = |p: &str, t: &str| {
            let path = root.join(p);
            if let Some(parent) = path.parent() {
                let _ = fs::create_dir_all(parent);
            }
            let _ = fs::write(path, t);
        };
        w("Dockerfile", "FROM scratch\n");
        w(
            ".dockerignore",
            "*.log\nnode_modules\nDockerfile\nsecret/**\n!secret/keep.txt\n",
        );
        w("app.txt", "a");
        w("debug.log", "x");
        w("sub/debug.log", "kept: root-anchored pattern");
        w("node_modules/x.js", "x");
        w("secret/key", "k");
        w("secret/keep.txt", "k");
        let p = pack(root, "Dockerfile", None)?;
        let n = names(&p.tar);
        assert!(n.contains(&"Dockerfile".to_string()), "{n:?}");
        assert!(n.contains(&".dockerignore".to_string()), "{n:?}");
        assert!(n.contains(&"app.txt".to_string()), "{n:?}");
        assert!(n.contains(&"sub/debug.log".to_string()), "{n:?}");
        assert!(n.contains(&"secret/keep.txt".to_string()), "{n:?}");
        assert!(!n.contains(&"debug.log".to_string()), "{n:?}");
        assert!(!n.iter().any(|x| x.starts_with("node_modules")), "{n:?}");
        assert!(!n.contains(&"secret/key".to_string()), "{n:?}");
        assert_eq!(p.dockerfile, "Dockerfile");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_archived_as_links_never_followed() -> Result<(), String> {
        let outside = tempfile::tempdir().map_err(|e| e.to_string())?;
        let _ = fs::write(outside.path().join("passwd"), "TOP SECRET");
        let d = tempfile::tempdir().map_err(|e| e.to_string())?;
        let _ = fs::write(d.path().join("Dockerfile"), "FROM scratch\n");
        std::os::unix::fs::symlink(outside.path().join("passwd"), d.path().join("link"))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(outside.path(), d.path().join("dirlink"))
            .map_err(|e| e.to_string())?;
        let p = pack(d.path(), "Dockerfile", None)?;
        let text = String::from_utf8_lossy(&p.tar);
        assert!(!text.contains("TOP SECRET"));
        let n = names(&p.tar);
        assert!(n.contains(&"link".to_string()) && n.contains(&"dirlink".to_string()));
        assert!(!n.iter().any(|x| x.starts_with("dirlink/")), "{n:?}");
        Ok(())
    }

    #[test]
    fn inline_and_outside_dockerfiles_are_added() -> Result<(), String> {
        let d = tempfile::tempdir().map_err(|e| e.to_string())?;
        let p = pack(d.path(), "Dockerfile", Some("FROM busybox\n"))?;
        assert_eq!(p.dockerfile, INLINE_DOCKERFILE);
        assert_eq!(
            file(&p.tar, INLINE_DOCKERFILE).as_deref(),
            Some("FROM busybox\n")
        );
        let other = tempfile::tempdir().map_err(|e| e.to_string())?;
        let df = other.path().join("Build.df");
        let _ = fs::write(&df, "FROM scratch\n");
        let p = pack(d.path(), &df.to_string_lossy(), None)?;
        assert_eq!(
            file(&p.tar, INLINE_DOCKERFILE).as_deref(),
            Some("FROM scratch\n")
        );
        Ok(())
    }

    #[test]
    fn missing_context_is_an_error() {
        assert!(pack(Path::new("/nonexistent/ctx"), "Dockerfile", None).is_err());
    }
}
