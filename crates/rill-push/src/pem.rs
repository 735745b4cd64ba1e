//! A minimal PEM reader and writer (RFC 7468): the base64 between `-----BEGIN x-----` and `-----END x-----`.
//!
//! Service-account keys, APNs `.p8` keys and CA bundles are all plain PEM, so a full crate is not worth it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// One decoded block: its label (`PRIVATE KEY`, `CERTIFICATE`...) and DER bytes.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Every block in `text`, in order; text outside the blocks is ignored, as RFC 7468 allows.
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, String> {
    // Keys pasted through environment variables often arrive with literal `\n` escapes.
    let text = text.replace("\\n", "\n");
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = boundary(line, "BEGIN") else { continue };
        let mut body = String::new();
        loop {
            let Some(line) = lines.next() else { return Err(format!("PEM block {label} has no END line")) };
            if let Some(end) = boundary(line, "END") {
                if end != label {
                    return Err(format!("PEM block {label} ends with END {end}"));
                }
                break;
            }
            body.push_str(line);
        }
        let der = STANDARD.decode(body.as_bytes()).map_err(|_| format!("PEM block {label} is not valid base64"))?;
        blocks.push(Block { label: label.to_owned(), der });
    }
    Ok(blocks)
}

/// The DER of the first block labelled `label`.
pub(crate) fn decode_one(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let blocks = parse(text)?;
    let found = blocks.into_iter().find(|block| block.label == label);
    found.map(|block| block.der).ok_or_else(|| format!("no PEM block labelled {label}"))
}

/// `der` as a PEM block with 64-column lines.
#[cfg(feature = "testing")]
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn boundary<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?.strip_suffix("-----")?.strip_prefix(kind)?.strip_prefix(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_and_ignores_surrounding_text() {
        let text = "comment\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\
                    -----BEGIN PRIVATE KEY-----\\nBAU=\\n-----END PRIVATE KEY-----\\n";
        let blocks = parse(text).unwrap_or_default();
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].label.as_str(), blocks[0].der.as_slice()), ("CERTIFICATE", &[0u8, 1, 2, 3][..]));
        assert_eq!(decode_one(text, "PRIVATE KEY"), Ok(vec![4, 5]));
    }

    #[test]
    fn refuses_broken_blocks() {
        assert!(parse("-----BEGIN X-----\nAAEC\n").is_err());
        assert!(parse("-----BEGIN X-----\nAAEC\n-----END Y-----\n").is_err());
        assert!(parse("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(decode_one("no pem here", "X").is_err());
    }
}
