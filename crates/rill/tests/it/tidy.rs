//! Repository checks that run wherever the tests run: file headers, banned test attributes, trailing
//! whitespace, no reads of the development-only reference folder, and no Stream SDK in any lockfile.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap().to_path_buf()
}

fn files_with_extension(directory: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git" | "dist") {
                files_with_extension(&path, extension, found);
            }
        } else if name.ends_with(extension) {
            found.push(path);
        }
    }
}

fn rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["crates", "xtask"] {
        files_with_extension(&workspace_root().join(folder), ".rs", &mut files);
    }
    assert!(files.len() > 20, "found too few Rust files: {}", files.len());
    files
}

#[test]
fn every_rust_file_opens_with_a_module_comment() {
    let missing: Vec<_> = rust_files()
        .into_iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap().trim_start().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a //! module comment: {missing:?}");
}

#[test]
fn no_ignored_or_should_panic_tests_and_no_trailing_whitespace() {
    let ignore = ["#[", "ignore]"].concat();
    let should_panic = ["#[", "should_panic"].concat();
    for path in rust_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&ignore) && !text.contains(&should_panic),
            "{} disables or inverts a test",
            path.display()
        );
        for (number, line) in text.lines().enumerate() {
            assert!(
                !line.ends_with(' ') && !line.ends_with('\t'),
                "{}:{} has trailing whitespace",
                path.display(),
                number + 1
            );
        }
    }
}

#[test]
fn tests_never_read_the_reference_folder() {
    let reference = ["stream", "-openapi"].concat();
    for path in rust_files() {
        if path.starts_with(workspace_root().join("xtask")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&reference), "{} names the development-only reference folder", path.display());
    }
}

#[test]
fn no_lockfile_names_a_stream_sdk() {
    let mut lockfiles = vec![workspace_root().join("Cargo.lock")];
    let web = workspace_root().join("web");
    if web.exists() {
        files_with_extension(&web, "package-lock.json", &mut lockfiles);
    }
    let banned = [["\"stream", "-chat"].concat(), ["name = \"stream", "-chat"].concat(), ["getstream", ""].concat()];
    for lockfile in lockfiles {
        let text = std::fs::read_to_string(&lockfile).unwrap();
        for name in &banned {
            assert!(!text.contains(name.as_str()), "{} names {name}", lockfile.display());
        }
    }
}

/// A digest of `rill-protocol`'s public items (every line starting with `pub`, outside test modules), so that a
/// change to the wire surface cannot land without `docs/protocol.md` being revisited.
fn protocol_surface_hash() -> String {
    use sha2::{Digest, Sha256};
    let source = workspace_root().join("crates/rill-protocol/src");
    let mut names: Vec<PathBuf> = Vec::new();
    files_with_extension(&source, ".rs", &mut names);
    names.sort();
    let mut hasher = Sha256::new();
    for path in names {
        hasher.update(path.file_name().unwrap().to_string_lossy().as_bytes());
        let text = std::fs::read_to_string(&path).unwrap();
        let surface = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in surface.lines().map(str::trim).filter(|line| line.starts_with("pub ")) {
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
        }
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn protocol_surface_matches_its_coverage_document() {
    let expected = protocol_surface_hash();
    let document = std::fs::read_to_string(workspace_root().join("docs/protocol.md")).unwrap();
    let recorded = document
        .lines()
        .find_map(|line| line.strip_prefix("Protocol surface hash: `").and_then(|rest| rest.strip_suffix('`')))
        .unwrap_or_else(|| panic!("docs/protocol.md must record the line: Protocol surface hash: `{expected}`"));
    assert_eq!(
        recorded, expected,
        "rill-protocol's public surface changed: update docs/protocol.md for the change, then record the new hash"
    );
}

#[test]
fn the_limits_table_in_the_docs_is_the_one_the_code_enforces() {
    let document = std::fs::read_to_string(workspace_root().join("docs/protocol.md")).unwrap();
    let (start, end) = ("<!-- limits:start -->\n", "<!-- limits:end -->");
    let table = document
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .unwrap_or_else(|| panic!("docs/protocol.md must hold the limits table between {start:?} and {end:?}"));
    assert_eq!(
        table,
        rill_protocol::limits::markdown_table(),
        "docs/protocol.md's limits table differs from rill_protocol::limits::ALL: paste the new table in"
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let folder = workspace_root().join("crates/rill-core/migrations").join(backend);
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every schema change is written for SQLite and for PostgreSQL, under one name");
    let versions: Vec<i64> = postgres.iter().map(|name| name[..4].parse().unwrap()).collect();
    assert_eq!(versions, rill_core::store::postgres::migration_versions(), "the PostgreSQL backend runs every file");
    assert_eq!(versions, rill_core::store::sqlite::migration_versions(), "the SQLite backend runs every file");
}

/// Handlers write through `AppState::commit`, which writes a change's webhook jobs in its transaction and
/// publishes its notices: a bare `store().write` in a route module would commit a change without its webhooks.
/// App settings (`routes/app.rs`) change no rows that have events.
#[test]
fn route_handlers_write_through_commit() {
    let routes = workspace_root().join("crates/rill-server/src/routes");
    let mut files = Vec::new();
    files_with_extension(&routes, ".rs", &mut files);
    assert!(files.len() >= 4, "{files:?}");
    let offending: Vec<_> = files
        .into_iter()
        .filter(|path| !path.ends_with("app.rs"))
        .filter(|path| {
            let text: String = std::fs::read_to_string(path).unwrap().split_whitespace().collect();
            text.contains(".store().write(")
        })
        .collect();
    assert!(offending.is_empty(), "route modules writing around AppState::commit: {offending:?}");
}

/// The Hub reaches the engine only through the Stream protocol: `rill-hub` depends on no transport crate and
/// uses nothing of `rill-core` but `secret` (and the `error` its functions return).
#[test]
fn the_hub_uses_no_engine_internals() {
    let root = workspace_root().join("crates/rill-hub");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("rill-server"), "rill-hub must not depend on rill-server");
    let mut files = Vec::new();
    files_with_extension(&root.join("src"), "rs", &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("rill_core::") {
            let path = &text[at + "rill_core::".len()..];
            assert!(
                path.starts_with("secret") || path.starts_with("error"),
                "{} uses rill_core::{}",
                file.display(),
                path.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).next().unwrap()
            );
        }
    }
}

#[test]
fn the_hubs_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let folder = workspace_root().join("crates/rill-hub/migrations").join(backend);
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
