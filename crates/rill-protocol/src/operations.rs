//! The operations of Stream's public API (method, path pattern, operation id), as `cargo xtask schemas` lists
//! them from the OpenAPI files into `schemas/stream-operations.json`, and the matching of a request path
//! against their patterns. A server uses them to answer an operation it does not serve with a 404 of its own
//! rather than let a broader route of its own take the request (`POST /messages/history` is not an update of a
//! message called "history").

use std::sync::OnceLock;

/// The list, embedded at build time.
const OPERATIONS_FILE: &str = include_str!("../schemas/stream-operations.json");

/// One operation of the public API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    /// With `{name}` for each parameter segment.
    pub path: String,
    pub operation: String,
}

/// Every operation of the public API, sorted by path and method.
pub fn all() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let rows: Vec<serde_json::Value> = serde_json::from_str(OPERATIONS_FILE).unwrap_or_default();
        rows.iter()
            .filter_map(|row| {
                Some(Operation {
                    method: row.get("method")?.as_str()?.to_owned(),
                    path: row.get("path")?.as_str()?.to_owned(),
                    operation: row.get("operation")?.as_str()?.to_owned(),
                })
            })
            .collect()
    })
}

/// Whether a path pattern's segment is a parameter (`{id}`).
fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Whether `path` (a request path) matches `pattern`: as many segments, equal where the pattern's is static, and
/// non-empty where it is a parameter.
pub fn matches(pattern: &str, path: &str) -> bool {
    let (mut patterns, mut segments) = (pattern.split('/'), path.split('/'));
    loop {
        match (patterns.next(), segments.next()) {
            (None, None) => return true,
            (Some(expected), Some(segment)) if is_parameter(expected) && !segment.is_empty() => {}
            (Some(expected), Some(segment)) if expected == segment => {}
            _ => return false,
        }
    }
}

/// Whether pattern `a` is more specific than pattern `b` for paths both match: at the first segment where one
/// is static and the other a parameter, the static one wins (as routers match).
pub fn more_specific(a: &str, b: &str) -> bool {
    for (left, right) in a.split('/').zip(b.split('/')) {
        match (is_parameter(left), is_parameter(right)) {
            (false, true) => return true,
            (true, false) => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_the_api() {
        let operations = all();
        assert!(operations.len() > 100, "{} operations", operations.len());
        assert!(operations.iter().any(|op| op.method == "POST" && op.path == "/messages/history"));
        assert!(operations.iter().any(|op| op.operation == "SendMessage"));
    }

    #[test]
    fn patterns_match_segment_by_segment_and_static_segments_win() {
        assert!(matches("/messages/{id}", "/messages/history"));
        assert!(matches("/messages/history", "/messages/history"));
        assert!(!matches("/messages/{id}", "/messages/"));
        assert!(!matches("/messages/{id}", "/messages/a/b"));
        assert!(!matches("/messages/history", "/messages/other"));
        assert!(more_specific("/messages/history", "/messages/{id}"));
        assert!(!more_specific("/messages/{id}", "/messages/history"));
        assert!(!more_specific("/messages/{id}", "/messages/{message_id}"));
        assert!(more_specific("/channels/{type}/query", "/channels/{type}/{id}"));
    }
}
