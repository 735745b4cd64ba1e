//! Embeds the web app's build (`web/dist`, or `RILL_WEB_DIST`) into the crate: every file, with a gzipped copy
//! of the text ones. A checkout where the app was never built gets an empty table, so the Rust crates build and
//! test without Node; the binary then serves a page that says how to build the app.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = std::env::var_os("RILL_WEB_DIST").map(PathBuf::from).unwrap_or_else(|| manifest.join("../../web/dist"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed=RILL_WEB_DIST");
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut table = String::from("pub(crate) static EMBEDDED: &[crate::Asset] = &[\n");
    for (index, relative) in files.iter().enumerate() {
        let source = dist.join(relative);
        let body = std::fs::read(&source).expect("read a built file");
        let gzip = compressible(relative).then(|| gzip(&body)).filter(|packed| packed.len() < body.len());
        let gzip_expr = match gzip {
            Some(packed) => {
                let packed_path = out.join(format!("asset-{index}.gz"));
                std::fs::write(&packed_path, packed).expect("write a gzipped copy");
                format!("Some(include_bytes!({:?}))", packed_path.display().to_string())
            }
            None => "None".to_owned(),
        };
        let _ = writeln!(
            table,
            "    crate::Asset {{ path: {:?}, body: include_bytes!({:?}), gzip: {gzip_expr} }},",
            relative,
            source.display().to_string(),
        );
    }
    table.push_str("];\n");
    std::fs::write(out.join("assets.rs"), table).expect("write the asset table");
}

/// Every file under `dir`, as `/`-separated paths relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<String> =
                relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
            files.push(parts.join("/"));
        }
    }
}

fn compressible(path: &str) -> bool {
    [".html", ".js", ".css", ".svg", ".json", ".txt", ".map", ".webmanifest"].iter().any(|ext| path.ends_with(ext))
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}
