//! The web app's files: embedded at build time from `web/dist` (see `build.rs`), or read from a directory
//! (`rill serve --web-dir`) while developing the app, so a rebuilt app needs no rebuilt binary.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// One built file.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Relative to the app's root, `/`-separated: `index.html`, `assets/index-1a2b3c.js`.
    pub path: &'static str,
    pub body: &'static [u8],
    /// A gzipped copy, for clients that accept it (text files only, when it is smaller).
    pub gzip: Option<&'static [u8]>,
}

/// A file as served: its bytes, perhaps gzipped, and its type.
#[derive(Debug, Clone)]
pub struct Served {
    pub body: Cow<'static, [u8]>,
    pub gzipped: bool,
    pub content_type: &'static str,
}

/// Where the app's files come from.
#[derive(Debug, Clone, Default)]
pub enum WebAssets {
    /// Built into the binary.
    #[default]
    Embedded,
    /// Read from this directory on every request (development).
    Directory(PathBuf),
}

impl WebAssets {
    /// Whether the app is there at all (a checkout where `web/` was never built has no index.html).
    pub fn is_built(&self) -> bool {
        self.file("index.html", false).is_some()
    }

    /// The file at `path` (relative, `/`-separated), gzipped when `accept_gzip` and a smaller copy exists.
    /// Paths that are not plain relative paths (`..`, absolute, empty parts) are refused.
    pub fn file(&self, path: &str, accept_gzip: bool) -> Option<Served> {
        let safe = safe_relative(path)?;
        let content_type = content_type(path);
        match self {
            WebAssets::Embedded => {
                let asset = EMBEDDED.iter().find(|asset| asset.path == path)?;
                Some(match asset.gzip.filter(|_| accept_gzip) {
                    Some(packed) => Served { body: Cow::Borrowed(packed), gzipped: true, content_type },
                    None => Served { body: Cow::Borrowed(asset.body), gzipped: false, content_type },
                })
            }
            WebAssets::Directory(root) => {
                let full = root.join(safe);
                let body = std::fs::read(full).ok()?;
                Some(Served { body: Cow::Owned(body), gzipped: false, content_type })
            }
        }
    }
}

/// `path` as a relative path of plain parts only.
fn safe_relative(path: &str) -> Option<&Path> {
    if path.is_empty() || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let candidate = Path::new(path);
    let plain = candidate.components().all(|part| matches!(part, Component::Normal(_)));
    plain.then_some(candidate)
}

/// The `Content-Type` for a file name; unknown types are served as bytes (with `nosniff`).
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, extension)| extension).unwrap_or_default();
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_table_is_a_whole_app_or_nothing() {
        let paths: Vec<&str> = EMBEDDED.iter().map(|asset| asset.path).collect();
        assert!(paths.is_empty() || paths.contains(&"index.html"), "{paths:?}");
        assert!(paths.iter().all(|path| safe_relative(path).is_some()), "{paths:?}");
        assert_eq!(WebAssets::Embedded.is_built(), !paths.is_empty());
    }

    use super::*;

    #[test]
    fn paths_that_leave_the_root_are_refused() {
        for path in ["../secret.key", "assets/../../x", "/etc/passwd", "", "a\\b", "./index.html", "a/\0"] {
            assert!(safe_relative(path).is_none(), "{path:?} was accepted");
        }
        assert!(safe_relative("assets/index-1.js").is_some());
    }

    #[test]
    fn a_directory_serves_its_files_and_nothing_outside_it() {
        let root = std::env::temp_dir().join(format!("rill-web-test-{}", std::process::id()));
        std::fs::create_dir_all(root.join("assets")).unwrap();
        std::fs::write(root.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(root.join("assets/app.js"), "console.log(1)").unwrap();
        let web = WebAssets::Directory(root.join(""));
        assert!(web.is_built());
        let script = web.file("assets/app.js", true).unwrap();
        assert_eq!((&*script.body, script.content_type), (&b"console.log(1)"[..], "text/javascript; charset=utf-8"));
        assert!(web.file("../rill-web-test-outside", false).is_none());
        assert!(web.file("assets/missing.js", false).is_none());
        std::fs::remove_dir_all(root).unwrap();
    }
}
