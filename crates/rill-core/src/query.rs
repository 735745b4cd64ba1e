//! In-memory evaluation of the filter language over JSON documents, shared by QueryUsers, QueryChannels,
//! QueryMembers and Search: [`matches`] decides whether a document passes a parsed [`Filter`], [`compare`] orders
//! documents by a parsed sort.
//!
//! Documents are the objects the endpoints return (custom fields flat beside built-in ones); computed fields such
//! as a channel's `last_updated` or the acting user's `hidden` must be put into the document by the caller.
//!
//! Rules that are not obvious from the operators' names:
//! - Field names are dotted paths (`user.id`, `detail.topic`). A key that literally contains the dots wins over
//!   the path. A path that crosses an array collects the rest of the path from each element, so
//!   `mentioned_users.id` is the array of mentioned ids and `attachments.type` the array of attachment types.
//! - A JSON `null` counts as missing. A missing field matches only `$exists: false`, `$ne` and `$nin`, except
//!   that (as in MongoDB) `{"f": null}` / `$in: [null]` match a missing field, and `$ne: null` / `$nin: [null]`
//!   do not, so `null` in a query reads as "unset".
//! - Strings that both parse as RFC 3339 compare as instants, for equality as well as ordering, so `+02:00`
//!   offsets and differing fractional digits agree with the `Z` form.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use rill_protocol::filter::{Filter, Operator, SortDirection, SortField};
use serde_json::{Map, Value};

/// Whether `document` passes `filter`.
pub fn matches(filter: &Filter, document: &Map<String, Value>) -> bool {
    match filter {
        Filter::And(children) => children.iter().all(|f| matches(f, document)),
        Filter::Or(children) => children.iter().any(|f| matches(f, document)),
        Filter::Nor(children) => !children.iter().any(|f| matches(f, document)),
        Filter::Condition { field, op, value } => condition(lookup(document, field).as_deref(), *op, value),
    }
}

/// Orders two documents by `sort`: the first key that tells them apart decides. Missing (or `null`) values sort
/// after present ones in both directions; present values of different JSON types rank numbers < strings <
/// booleans < arrays < objects so that the order stays total (Rust's sort may panic on an inconsistent order).
pub fn compare(a: &Map<String, Value>, b: &Map<String, Value>, sort: &[SortField]) -> Ordering {
    for key in sort {
        let ordering = match (lookup(a, &key.field), lookup(b, &key.field)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let natural = total_cmp(&x, &y);
                match key.direction {
                    SortDirection::Ascending => natural,
                    SortDirection::Descending => natural.reverse(),
                }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Resolves a field name in a document; `None` when missing or `null`.
fn lookup<'a>(document: &'a Map<String, Value>, field: &str) -> Option<Cow<'a, Value>> {
    // A custom key may itself contain dots; the literal key takes precedence over the path reading.
    if let Some(value) = document.get(field) {
        return present(Cow::Borrowed(value));
    }
    let (head, rest) = field.split_once('.')?;
    resolve(document.get(head)?, rest)
}

fn present(value: Cow<'_, Value>) -> Option<Cow<'_, Value>> {
    if value.is_null() {
        None
    } else {
        Some(value)
    }
}

/// Walks the remaining `path` from `value`, mapping over arrays so that a path through a list of objects yields
/// the list of their values (flattened one level when those values are arrays themselves).
fn resolve<'a>(value: &'a Value, path: &str) -> Option<Cow<'a, Value>> {
    match value {
        Value::Object(map) => lookup(map, path),
        Value::Array(items) => {
            let mut collected = Vec::new();
            for item in items {
                match resolve(item, path).map(Cow::into_owned) {
                    Some(Value::Array(inner)) => collected.extend(inner),
                    Some(other) => collected.push(other),
                    None => {}
                }
            }
            if collected.is_empty() {
                None
            } else {
                Some(Cow::Owned(Value::Array(collected)))
            }
        }
        _ => None,
    }
}

/// Evaluates one condition; `field` is `None` when the document lacks the field.
fn condition(field: Option<&Value>, op: Operator, operand: &Value) -> bool {
    match op {
        Operator::Eq => equals(field, operand),
        Operator::Ne => !equals(field, operand),
        Operator::In => in_list(field, operand),
        Operator::Nin => !in_list(field, operand),
        Operator::Exists => operand.as_bool() == Some(field.is_some()),
        Operator::Gt => ordered(field, operand, Ordering::is_gt),
        Operator::Gte => ordered(field, operand, Ordering::is_ge),
        Operator::Lt => ordered(field, operand, Ordering::is_lt),
        Operator::Lte => ordered(field, operand, Ordering::is_le),
        Operator::Contains => contains(field, operand),
        Operator::Autocomplete => text_match(field, operand, autocomplete),
        Operator::Q => text_match(field, operand, full_text),
    }
}

/// `$eq`: on an array field an array operand compares as a set (the exact `members` filter) and a scalar
/// operand means "contains".
fn equals(field: Option<&Value>, operand: &Value) -> bool {
    match (field, operand) {
        (None, Value::Null) => true,
        (None, _) => false,
        (Some(Value::Array(items)), Value::Array(wanted)) => {
            items.iter().all(|x| wanted.iter().any(|w| value_eq(x, w)))
                && wanted.iter().all(|w| items.iter().any(|x| value_eq(x, w)))
        }
        (Some(Value::Array(items)), _) => items.iter().any(|x| value_eq(x, operand)),
        (Some(value), _) => value_eq(value, operand),
    }
}

/// `$in`: the field equals (in the `$eq` sense, so array fields match on any element) some listed value.
fn in_list(field: Option<&Value>, operand: &Value) -> bool {
    match operand {
        Value::Array(list) => list.iter().any(|candidate| equals(field, candidate)),
        // Parsing guarantees an array; anything else matches nothing rather than guessing.
        _ => false,
    }
}

/// `$contains`: the array field holds the value, or every value of an array operand.
fn contains(field: Option<&Value>, operand: &Value) -> bool {
    let Some(Value::Array(items)) = field else {
        return false;
    };
    let has = |w: &Value| items.iter().any(|x| value_eq(x, w));
    match operand {
        Value::Array(wanted) => wanted.iter().all(has),
        _ => has(operand),
    }
}

/// `$gt`-style operators; an array field matches when any element does (as in MongoDB).
fn ordered(field: Option<&Value>, operand: &Value, accept: fn(Ordering) -> bool) -> bool {
    match field {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|x| filter_cmp(x, operand).is_some_and(accept)),
        Some(value) => filter_cmp(value, operand).is_some_and(accept),
    }
}

fn text_match(field: Option<&Value>, operand: &Value, test: fn(&str, &str) -> bool) -> bool {
    let Some(query) = operand.as_str() else {
        return false;
    };
    match field {
        Some(Value::String(s)) => test(s, query),
        Some(Value::Array(items)) => items.iter().any(|x| x.as_str().is_some_and(|s| test(s, query))),
        _ => false,
    }
}

/// Case-insensitive word-prefix match: some word of the text (words split on non-alphanumeric characters), or
/// the whole text, starts with the query. The whole-text case lets a query with a space ("john d") match.
/// An empty query matches every string, which is what a picker with nothing typed yet wants.
fn autocomplete(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let query = query.to_lowercase();
    text.starts_with(&query) || words(&text).any(|w| w.starts_with(&query))
}

/// Case-insensitive full-text match: every word of the query begins some word of the text, which is what the
/// backends' word indexes answer (`store::selection`), so that a query runs in the index and means the same in
/// memory. A query without any word matches nothing, so an empty search box does not return everything.
fn full_text(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let query = query.to_lowercase();
    let text_words: Vec<&str> = words(&text).collect();
    let mut query_words = words(&query).peekable();
    query_words.peek().is_some() && query_words.all(|w| text_words.iter().any(|t| t.starts_with(w)))
}

/// The words of a text: its runs of alphanumeric characters.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Numbers kept exact when they are integers, so that ids and counters above 2^53 still compare correctly.
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        // JSON numbers are finite, so this is never NaN; 0.0 is an unreachable fallback.
        Num::Float(n.as_f64().unwrap_or(0.0))
    }
}

fn num_cmp(a: &serde_json::Number, b: &serde_json::Number) -> Ordering {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).reverse(),
        // `partial_cmp` rather than `total_cmp`, so that -0.0 equals 0.0; JSON has no NaN.
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// Exact integer-to-float comparison, so that sorting stays transitive for integers beyond 2^53. Rounding is
/// monotone, so a strict result on the rounded integer is the true one; a tie means `y` is integral (every float
/// that large is) and the exact integers decide.
fn int_float_cmp(x: i128, y: f64) -> Ordering {
    match (x as f64).partial_cmp(&y) {
        Some(Ordering::Equal) => x.cmp(&(y as i128)),
        Some(strict) => strict,
        None => Ordering::Equal,
    }
}

fn instant(s: &str) -> Option<DateTime<FixedOffset>> {
    // Cheap shape check first: most compared strings are names and ids, and chrono's parser is not free.
    let b = s.as_bytes();
    if b.len() >= 20 && b[4] == b'-' && b[7] == b'-' {
        DateTime::parse_from_rfc3339(s).ok()
    } else {
        None
    }
}

/// Strings compare as instants when both are RFC 3339 dates, otherwise by bytes (which is code-point order).
fn str_cmp(a: &str, b: &str) -> Ordering {
    match (instant(a), instant(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Ordering for `$gt`-style filters: numbers with numbers, strings with strings, nothing else.
fn filter_cmp(value: &Value, operand: &Value) -> Option<Ordering> {
    match (value, operand) {
        (Value::Number(a), Value::Number(b)) => Some(num_cmp(a, b)),
        (Value::String(a), Value::String(b)) => Some(str_cmp(a, b)),
        _ => None,
    }
}

/// Equality on JSON values: numbers by value (`1 == 1.0`), dates by instant, booleans only with booleans,
/// arrays in order and objects by key set.
fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y).is_eq(),
        (Value::String(x), Value::String(y)) => x == y || str_cmp(x, y).is_eq(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        _ => false,
    }
}

fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Number(_) => 1,
        Value::String(_) => 2,
        Value::Bool(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// A total order for sorting. Dates rank before other strings here, because comparing a date with a non-date by
/// bytes while comparing dates by instant could be intransitive once offsets are involved.
fn total_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y),
        (Value::String(x), Value::String(y)) => match (instant(x), instant(y)) {
            (Some(p), Some(q)) => p.cmp(&q),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => x.cmp(y),
        },
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = total_cmp(p, q);
                if o.is_ne() {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        // Objects are rarely sorted on; their printed form gives a consistent, if arbitrary, order.
        (Value::Object(_), Value::Object(_)) => a.to_string().cmp(&b.to_string()),
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    fn m(filter: Value, document: Value) -> bool {
        let f = Filter::parse(&filter).expect("test filter parses");
        matches(&f, &doc(document))
    }

    fn sort(v: Value) -> Vec<SortField> {
        rill_protocol::filter::parse_sort(&v).expect("test sort parses")
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert!(m(json!({}), json!({})));
        assert!(m(json!({}), json!({"a": 1})));
    }

    #[test]
    fn eq_and_ne_on_scalars() {
        let d = json!({"type": "team", "n": 3, "frozen": false, "f": 2.5});
        assert!(m(json!({"type": "team"}), d.clone()));
        assert!(!m(json!({"type": "Team"}), d.clone()));
        assert!(m(json!({"n": 3}), d.clone()));
        assert!(m(json!({"n": 3.0}), d.clone()));
        assert!(m(json!({"f": 2.5}), d.clone()));
        assert!(!m(json!({"n": "3"}), d.clone()));
        assert!(m(json!({"frozen": false}), d.clone()));
        // Booleans equal booleans only.
        assert!(!m(json!({"frozen": 0}), d.clone()));
        assert!(!m(json!({"frozen": "false"}), d.clone()));
        assert!(m(json!({"frozen": {"$ne": true}}), d.clone()));
        assert!(!m(json!({"frozen": {"$ne": false}}), d.clone()));
        assert!(m(json!({"n": {"$ne": "3"}}), d));
    }

    #[test]
    fn big_integers_stay_exact() {
        let d = json!({"n": 9_007_199_254_740_993_u64});
        assert!(m(json!({"n": 9_007_199_254_740_993_u64}), d.clone()));
        assert!(!m(json!({"n": 9_007_199_254_740_992_u64}), d.clone()));
        assert!(m(json!({"n": {"$gt": 9_007_199_254_740_992_u64}}), d.clone()));
        assert!(m(json!({"n": {"$gt": -1}}), json!({"n": u64::MAX})));
        assert!(m(json!({"n": {"$lt": 0.5}}), json!({"n": 0})));
        // 2^53 + 1 rounds to the float 2^53 but is still greater than it.
        assert!(m(json!({"n": {"$gt": 9_007_199_254_740_992.0}}), d.clone()));
        assert!(!m(json!({"n": 9_007_199_254_740_992.0}), d));
        assert!(m(json!({"n": -0.0}), json!({"n": 0})));
        assert!(m(json!({"n": -0.0}), json!({"n": 0.0})));
    }

    #[test]
    fn missing_fields() {
        let d = json!({"a": 1, "z": null});
        for field in ["b", "z"] {
            let with = |op: &str, v: Value| {
                let mut ops = Map::new();
                ops.insert(op.to_owned(), v);
                let mut f = Map::new();
                f.insert(field.to_owned(), Value::Object(ops));
                m(Value::Object(f), d.clone())
            };
            assert!(!with("$eq", json!(1)));
            assert!(with("$ne", json!(1)));
            assert!(!with("$in", json!([1, 2])));
            assert!(with("$nin", json!([1, 2])));
            assert!(!with("$gt", json!(0)));
            assert!(!with("$lte", json!("z")));
            assert!(!with("$contains", json!(1)));
            assert!(!with("$autocomplete", json!("")));
            assert!(!with("$q", json!("a")));
            assert!(with("$exists", json!(false)));
            assert!(!with("$exists", json!(true)));
            // null in a query means "unset".
            assert!(with("$eq", Value::Null));
            assert!(!with("$ne", Value::Null));
            assert!(with("$in", json!([null])));
            assert!(!with("$nin", json!([5, null])));
        }
        assert!(m(json!({"a": {"$exists": true}}), d.clone()));
        assert!(!m(json!({"a": null}), d.clone()));
        assert!(m(json!({"a": {"$ne": null}}), d));
    }

    #[test]
    fn dotted_paths() {
        let d = json!({
            "user": {"id": "alice", "name": "Alice"},
            "detail": {"topic": "rust", "deep": {"n": 4}},
            "odd.key": 1,
            "mentioned_users": [{"id": "bob"}, {"id": "carol"}, {"name": "no id"}],
            "attachments": [{"type": "image"}, {"type": "file", "tags": ["x", "y"]}],
        });
        assert!(m(json!({"user.id": "alice"}), d.clone()));
        assert!(!m(json!({"user.id": "bob"}), d.clone()));
        assert!(m(json!({"detail.topic": {"$in": ["go", "rust"]}}), d.clone()));
        assert!(m(json!({"detail.deep.n": {"$gte": 4}}), d.clone()));
        assert!(m(json!({"odd.key": 1}), d.clone()));
        assert!(!m(json!({"user.id.x": {"$exists": true}}), d.clone()));
        assert!(!m(json!({"user.missing": {"$exists": true}}), d.clone()));
        assert!(m(json!({"mentioned_users.id": {"$contains": "carol"}}), d.clone()));
        assert!(!m(json!({"mentioned_users.id": {"$contains": "dave"}}), d.clone()));
        assert!(m(json!({"attachments.type": {"$in": ["file"]}}), d.clone()));
        assert!(m(json!({"attachments.tags": "y"}), d.clone()));
        assert!(m(json!({"attachments": {"$exists": true}}), d.clone()));
        assert!(!m(json!({"attachments.size": {"$exists": true}}), d.clone()));
        assert!(!m(json!({"attachments": {"$exists": true}}), json!({"x": 1})));
    }

    #[test]
    fn array_fields() {
        let d = json!({"members": ["alice", "bob", "carol"], "teams": ["acme"], "none": []});
        // $eq with an array is set equality, in any order.
        assert!(m(json!({"members": ["carol", "alice", "bob"]}), d.clone()));
        assert!(m(json!({"members": {"$eq": ["bob", "carol", "alice", "bob"]}}), d.clone()));
        assert!(!m(json!({"members": ["alice", "bob"]}), d.clone()));
        assert!(!m(json!({"members": ["alice", "bob", "carol", "dave"]}), d.clone()));
        assert!(m(json!({"none": []}), d.clone()));
        // $eq with a scalar means "contains".
        assert!(m(json!({"members": "bob"}), d.clone()));
        assert!(!m(json!({"members": "dave"}), d.clone()));
        assert!(m(json!({"members": {"$ne": "dave"}}), d.clone()));
        assert!(!m(json!({"members": {"$ne": "bob"}}), d.clone()));
        // $in: any element listed; $nin: none listed.
        assert!(m(json!({"members": {"$in": ["dave", "alice"]}}), d.clone()));
        assert!(!m(json!({"members": {"$in": ["dave"]}}), d.clone()));
        assert!(!m(json!({"members": {"$in": []}}), d.clone()));
        assert!(!m(json!({"none": {"$in": ["a"]}}), d.clone()));
        assert!(m(json!({"members": {"$nin": ["dave"]}}), d.clone()));
        assert!(!m(json!({"members": {"$nin": ["dave", "carol"]}}), d.clone()));
        assert!(m(json!({"members": {"$nin": []}}), d.clone()));
        // $contains.
        assert!(m(json!({"teams": {"$contains": "acme"}}), d.clone()));
        assert!(!m(json!({"teams": {"$contains": "other"}}), d.clone()));
        assert!(m(json!({"members": {"$contains": ["bob", "alice"]}}), d.clone()));
        assert!(!m(json!({"members": {"$contains": ["bob", "dave"]}}), d.clone()));
        assert!(!m(json!({"name": {"$contains": "a"}}), json!({"name": "alice"})));
    }

    #[test]
    fn ordering_operators() {
        let d = json!({"n": 10, "name": "mike", "created_at": "2026-03-01T10:00:00.123456Z", "scores": [1, 50]});
        assert!(m(json!({"n": {"$gt": 9}}), d.clone()));
        assert!(!m(json!({"n": {"$gt": 10}}), d.clone()));
        assert!(m(json!({"n": {"$gte": 10}}), d.clone()));
        assert!(m(json!({"n": {"$lt": 10.5}}), d.clone()));
        assert!(m(json!({"n": {"$lte": 10}}), d.clone()));
        assert!(!m(json!({"n": {"$lt": 10}}), d.clone()));
        // Numbers are numeric, not lexicographic.
        assert!(m(json!({"n": {"$gt": 9.99}}), d.clone()));
        assert!(m(json!({"name": {"$gt": "l"}}), d.clone()));
        assert!(m(json!({"name": {"$lt": "mikf"}}), d.clone()));
        assert!(!m(json!({"name": {"$gte": "n"}}), d.clone()));
        // A number against a string never matches, either way round.
        assert!(!m(json!({"n": {"$gt": "1"}}), d.clone()));
        assert!(!m(json!({"n": {"$lt": "1"}}), d.clone()));
        assert!(!m(json!({"name": {"$gt": 1}}), d.clone()));
        assert!(!m(json!({"name": {"$lt": 1}}), d.clone()));
        // Any element of an array field.
        assert!(m(json!({"scores": {"$gt": 40}}), d.clone()));
        assert!(!m(json!({"scores": {"$gt": 50}}), d.clone()));
        // Combined range.
        assert!(m(json!({"n": {"$gte": 1, "$lt": 11}}), d.clone()));
        assert!(!m(json!({"n": {"$gte": 1, "$lt": 10}}), d.clone()));
        // Booleans have no order.
        assert!(!m(json!({"b": {"$gt": 0}}), json!({"b": true})));
    }

    #[test]
    fn dates_compare_as_instants() {
        let d = json!({"created_at": "2026-03-01T10:00:00.123456Z"});
        assert!(m(json!({"created_at": {"$gte": "2026-01-01T00:00:00Z"}}), d.clone()));
        assert!(!m(json!({"created_at": {"$gt": "2026-03-01T10:00:01Z"}}), d.clone()));
        // 11:00+01:00 is 10:00Z: the stored value is later, though it sorts lower as text.
        assert!(m(json!({"created_at": {"$gt": "2026-03-01T11:00:00+01:00"}}), d.clone()));
        assert!(!m(json!({"created_at": {"$lte": "2026-03-01T11:00:00+01:00"}}), d.clone()));
        // 08:00-03:00 is 11:00Z: later, though it sorts lower as text.
        assert!(m(json!({"created_at": {"$lt": "2026-03-01T08:00:00-03:00"}}), d.clone()));
        // Equality by instant, whatever the spelling.
        assert!(m(json!({"created_at": "2026-03-01T12:00:00.123456+02:00"}), d.clone()));
        assert!(m(json!({"t": "2026-03-01T10:00:00.000Z"}), json!({"t": "2026-03-01T10:00:00Z"})));
        assert!(m(json!({"t": {"$in": ["2026-03-01T10:00:00+00:00"]}}), json!({"t": "2026-03-01T10:00:00Z"})));
        // A date against a non-date string falls back to text order.
        assert!(m(json!({"created_at": {"$gt": "2026"}}), d));
    }

    #[test]
    fn exists() {
        let d = json!({"project_id": "p9", "empty": "", "zero": 0, "f": false, "list": []});
        for field in ["project_id", "empty", "zero", "f", "list"] {
            let mut f = Map::new();
            f.insert(field.to_owned(), json!({"$exists": true}));
            assert!(m(Value::Object(f.clone()), d.clone()), "{field}");
            f.insert(field.to_owned(), json!({"$exists": false}));
            assert!(!m(Value::Object(f), d.clone()), "{field}");
        }
        assert!(m(json!({"other": {"$exists": false}}), d));
    }

    #[test]
    fn autocomplete_and_q() {
        let d = json!({"name": "Alice O'Brien-Smith", "text": "Hello, World! Ünïcode works.", "tags": ["Red Fox", "blue"], "n": 5});
        let ac = |q: &str, field: &str| {
            let mut f = Map::new();
            f.insert(field.to_owned(), json!({"$autocomplete": q}));
            m(Value::Object(f), d.clone())
        };
        assert!(ac("al", "name"));
        assert!(ac("AL", "name"));
        assert!(ac("bri", "name"));
        assert!(ac("smi", "name"));
        assert!(ac("o", "name"));
        assert!(ac("alice o'b", "name"));
        assert!(!ac("lice", "name"));
        assert!(!ac("x", "name"));
        assert!(ac("", "name"));
        assert!(ac("ünï", "text"));
        assert!(ac("ÜNÏ", "text"));
        assert!(ac("fo", "tags"));
        assert!(!ac("5", "n"));
        let q = |q: &str, field: &str| {
            let mut f = Map::new();
            f.insert(field.to_owned(), json!({"$q": q}));
            m(Value::Object(f), d.clone())
        };
        assert!(q("hello", "text"));
        assert!(q("WORLD hello", "text"));
        // Words begin with the query's words; a piece from inside a word is not one.
        assert!(q("wor", "text"));
        assert!(!q("orl", "text"));
        assert!(q("world!", "text"));
        assert!(q("hello, world", "text"));
        assert!(!q("hello mars", "text"));
        assert!(q("ünïCODE", "text"));
        assert!(!q("", "text"));
        assert!(!q("  ,, ", "text"));
        assert!(q("red fox", "tags"));
        assert!(!q("red blue", "tags"));
        assert!(!q("5", "n"));
    }

    #[test]
    fn logical_operators() {
        let d = json!({"id": "a", "role": "user", "n": 2});
        assert!(m(json!({"$or": [{"id": "b"}, {"role": "user"}]}), d.clone()));
        assert!(!m(json!({"$or": [{"id": "b"}, {"role": "admin"}]}), d.clone()));
        assert!(m(json!({"$and": [{"id": "a"}, {"n": {"$gt": 1}}]}), d.clone()));
        assert!(!m(json!({"$and": [{"id": "a"}, {"n": {"$gt": 2}}]}), d.clone()));
        assert!(m(json!({"$nor": [{"id": "b"}, {"role": "admin"}]}), d.clone()));
        assert!(!m(json!({"$nor": [{"id": "b"}, {"role": "user"}]}), d.clone()));
        assert!(m(json!({"id": "a", "$or": [{"$nor": [{"n": 3}]}, {"x": 1}]}), d.clone()));
        assert!(!m(json!({"$nor": [{}]}), d.clone()));
        assert!(m(json!({"$or": [{}]}), d));
    }

    #[test]
    fn object_literal_equality() {
        let d = json!({"detail": {"topic": "x", "n": 1}});
        assert!(m(json!({"detail": {"n": 1.0, "topic": "x"}}), d.clone()));
        assert!(!m(json!({"detail": {"topic": "x"}}), d.clone()));
        assert!(!m(json!({"detail": {"topic": "x", "n": 1, "m": 2}}), d));
    }

    #[test]
    fn sort_basics() {
        let a = doc(json!({"id": "a", "n": 2, "t": "2026-01-01T00:00:00Z", "b": true}));
        let b = doc(json!({"id": "b", "n": 10, "t": "2026-01-01T01:30:00+02:00", "b": false}));
        let c = doc(json!({"id": "c", "n": 2}));
        assert_eq!(compare(&a, &b, &sort(json!({"n": 1}))), Ordering::Less);
        assert_eq!(compare(&a, &b, &sort(json!({"n": -1}))), Ordering::Greater);
        assert_eq!(compare(&a, &c, &sort(json!({"n": 1}))), Ordering::Equal);
        // Ties fall through to the next key.
        assert_eq!(compare(&a, &c, &sort(json!([{"n": 1}, {"id": -1}]))), Ordering::Greater);
        // 01:30+02:00 is 23:30Z the day before.
        assert_eq!(compare(&a, &b, &sort(json!({"t": 1}))), Ordering::Greater);
        // Missing sorts last in both directions.
        assert_eq!(compare(&a, &c, &sort(json!({"t": 1}))), Ordering::Less);
        assert_eq!(compare(&a, &c, &sort(json!({"t": -1}))), Ordering::Less);
        assert_eq!(compare(&c, &a, &sort(json!({"t": -1}))), Ordering::Greater);
        assert_eq!(compare(&c, &c, &sort(json!({"t": -1}))), Ordering::Equal);
        // false < true.
        assert_eq!(compare(&a, &b, &sort(json!({"b": 1}))), Ordering::Greater);
        assert_eq!(compare(&a, &b, &sort(json!({"b": -1}))), Ordering::Less);
        assert_eq!(compare(&a, &b, &[]), Ordering::Equal);
    }

    #[test]
    fn sort_a_list() {
        let mut docs: Vec<Map<String, Value>> = [
            json!({"id": "u1", "name": "bob", "last_active": "2026-01-02T00:00:00Z"}),
            json!({"id": "u2", "name": "alice"}),
            json!({"id": "u3", "name": "carol", "last_active": "2026-01-03T00:00:00Z"}),
            json!({"id": "u4", "name": "alice", "last_active": null}),
            json!({"id": "u5", "name": "dave", "last_active": "2026-01-01T00:00:00Z"}),
        ]
        .into_iter()
        .map(doc)
        .collect();
        let ids = |docs: &[Map<String, Value>]| -> Vec<String> {
            docs.iter().map(|d| d["id"].as_str().unwrap_or_default().to_owned()).collect()
        };
        let s = sort(json!([{"field": "last_active", "direction": -1}, {"field": "id", "direction": 1}]));
        docs.sort_by(|a, b| compare(a, b, &s));
        assert_eq!(ids(&docs), ["u3", "u1", "u5", "u2", "u4"]);
        let s = sort(json!([{"name": 1}, {"id": -1}]));
        docs.sort_by(|a, b| compare(a, b, &s));
        assert_eq!(ids(&docs), ["u4", "u2", "u1", "u3", "u5"]);
    }

    /// xorshift64: deterministic, dependency-free randomness for the property tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const WORDS: [&str; 5] = ["ant", "bee", "cat", "Cow", "dog"];

    /// The model the brute-force check evaluates natively, independently of JSON.
    #[derive(Debug)]
    struct Model {
        n: Option<i64>,
        s: Option<&'static str>,
        tags: Option<Vec<&'static str>>,
        deep: Option<i64>,
        flag: Option<bool>,
    }

    impl Model {
        fn random(rng: &mut Rng) -> Model {
            let maybe = |rng: &mut Rng| rng.below(5) != 0;
            Model {
                n: maybe(rng).then(|| rng.below(7) as i64 - 3),
                s: maybe(rng).then(|| WORDS[rng.below(WORDS.len())]),
                tags: maybe(rng).then(|| (0..rng.below(4)).map(|_| WORDS[rng.below(WORDS.len())]).collect()),
                deep: maybe(rng).then(|| rng.below(5) as i64),
                flag: maybe(rng).then(|| rng.below(2) == 0),
            }
        }

        fn to_doc(&self, rng: &mut Rng) -> Map<String, Value> {
            let mut d = Map::new();
            // Missing fields are sometimes spelled as explicit nulls, which must behave the same.
            let mut put = |d: &mut Map<String, Value>, k: &str, v: Option<Value>| match v {
                Some(v) => {
                    d.insert(k.to_owned(), v);
                }
                None if rng.below(2) == 0 => {
                    d.insert(k.to_owned(), Value::Null);
                }
                None => {}
            };
            put(&mut d, "n", self.n.map(Value::from));
            put(&mut d, "s", self.s.map(Value::from));
            put(&mut d, "tags", self.tags.clone().map(Value::from));
            put(&mut d, "flag", self.flag.map(Value::from));
            if let Some(deep) = self.deep {
                d.insert("obj".to_owned(), json!({"deep": deep, "other": 1}));
            } else if rng.below(2) == 0 {
                d.insert("obj".to_owned(), json!({"other": 1}));
            }
            d
        }
    }

    /// The native meaning of a filter over a [`Model`].
    type Expect = Box<dyn Fn(&Model) -> bool>;

    /// A filter together with its native meaning.
    struct Case {
        filter: Filter,
        expect: Expect,
    }

    fn cond(field: &str, op: Operator, value: Value) -> Filter {
        Filter::Condition { field: field.to_owned(), op, value }
    }

    fn random_case(rng: &mut Rng) -> Case {
        let k = rng.below(7) as i64 - 3;
        let w = WORDS[rng.below(WORDS.len())];
        let list: Vec<&'static str> = (0..rng.below(3)).map(|_| WORDS[rng.below(WORDS.len())]).collect();
        let nums: Vec<i64> = (0..rng.below(3)).map(|_| rng.below(7) as i64 - 3).collect();
        let b = rng.below(2) == 0;
        let (filter, expect): (Filter, Expect) = match rng.below(19) {
            0 => (cond("n", Operator::Eq, k.into()), Box::new(move |m| m.n == Some(k))),
            1 => (cond("n", Operator::Ne, k.into()), Box::new(move |m| m.n != Some(k))),
            2 => (cond("n", Operator::Gt, k.into()), Box::new(move |m| m.n.is_some_and(|n| n > k))),
            3 => (cond("n", Operator::Lte, k.into()), Box::new(move |m| m.n.is_some_and(|n| n <= k))),
            4 => (
                cond("n", Operator::In, nums.clone().into()),
                Box::new(move |m| m.n.is_some_and(|n| nums.contains(&n))),
            ),
            5 => (
                cond("n", Operator::Nin, nums.clone().into()),
                Box::new(move |m| !m.n.is_some_and(|n| nums.contains(&n))),
            ),
            6 => (cond("s", Operator::Gte, w.into()), Box::new(move |m| m.s.is_some_and(|s| s >= w))),
            7 => (
                cond("s", Operator::Autocomplete, w[..2].to_lowercase().into()),
                Box::new(move |m| m.s.is_some_and(|s| s.to_lowercase().starts_with(&w[..2].to_lowercase()))),
            ),
            8 => (
                cond("tags", Operator::Contains, w.into()),
                Box::new(move |m| m.tags.as_ref().is_some_and(|t| t.contains(&w))),
            ),
            9 => (
                cond("tags", Operator::Eq, w.into()),
                Box::new(move |m| m.tags.as_ref().is_some_and(|t| t.contains(&w))),
            ),
            10 => (
                cond("tags", Operator::Eq, list.clone().into()),
                Box::new(move |m| {
                    m.tags
                        .as_ref()
                        .is_some_and(|t| t.iter().all(|x| list.contains(x)) && list.iter().all(|x| t.contains(x)))
                }),
            ),
            11 => (
                cond("tags", Operator::In, list.clone().into()),
                Box::new(move |m| m.tags.as_ref().is_some_and(|t| t.iter().any(|x| list.contains(x)))),
            ),
            12 => (
                cond("tags", Operator::Nin, list.clone().into()),
                Box::new(move |m| !m.tags.as_ref().is_some_and(|t| t.iter().any(|x| list.contains(x)))),
            ),
            13 => (cond("obj.deep", Operator::Lt, k.into()), Box::new(move |m| m.deep.is_some_and(|d| d < k))),
            14 => (cond("obj.deep", Operator::Exists, b.into()), Box::new(move |m| m.deep.is_some() == b)),
            15 => (cond("flag", Operator::Eq, b.into()), Box::new(move |m| m.flag == Some(b))),
            16 => (
                cond("s", Operator::Q, w.to_uppercase().into()),
                Box::new(move |m| m.s.is_some_and(|s| s.eq_ignore_ascii_case(w))),
            ),
            17 => (
                // Type mismatches never match.
                cond("s", Operator::Gt, k.into()),
                Box::new(|_| false),
            ),
            _ => (cond("tags", Operator::Exists, b.into()), Box::new(move |m| m.tags.is_some() == b)),
        };
        Case { filter, expect }
    }

    fn random_tree(rng: &mut Rng, depth: u32) -> Case {
        if depth == 0 || rng.below(2) == 0 {
            return random_case(rng);
        }
        let children: Vec<Case> = (0..1 + rng.below(3)).map(|_| random_tree(rng, depth - 1)).collect();
        let filters: Vec<Filter> = children.iter().map(|c| c.filter.clone()).collect();
        let expects: Vec<Expect> = children.into_iter().map(|c| c.expect).collect();
        match rng.below(3) {
            0 => Case { filter: Filter::And(filters), expect: Box::new(move |m| expects.iter().all(|e| e(m))) },
            1 => Case { filter: Filter::Or(filters), expect: Box::new(move |m| expects.iter().any(|e| e(m))) },
            _ => Case { filter: Filter::Nor(filters), expect: Box::new(move |m| !expects.iter().any(|e| e(m))) },
        }
    }

    #[test]
    fn matches_agrees_with_brute_force() {
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        let models: Vec<Model> = (0..60).map(|_| Model::random(&mut rng)).collect();
        let docs: Vec<Map<String, Value>> = models.iter().map(|m| m.to_doc(&mut rng)).collect();
        let (mut hits, mut total) = (0, 0);
        for i in 0..600 {
            let case = random_tree(&mut rng, 3);
            // Evaluate through the wire form, so parsing and evaluation are checked together.
            let filter = Filter::parse(&case.filter.to_json()).expect("generated filter parses");
            for (model, document) in models.iter().zip(&docs) {
                let got = matches(&filter, document);
                assert_eq!(
                    got,
                    (case.expect)(model),
                    "case {i}: filter {} on {model:?} / {document:?}",
                    filter.to_json()
                );
                hits += usize::from(got);
                total += 1;
            }
        }
        // Guard against a degenerate generator where everything (or nothing) matches.
        assert!(hits > total / 10 && hits < total * 9 / 10, "{hits}/{total}");
    }

    fn random_value(rng: &mut Rng) -> Option<Value> {
        Some(match rng.below(9) {
            0 => return None,
            1 => Value::Null,
            2 => Value::from(rng.below(5) as i64 - 2),
            3 => Value::from(rng.below(5) as f64 / 2.0),
            4 => Value::from(WORDS[rng.below(WORDS.len())]),
            5 => Value::from(
                [
                    "2026-01-01T00:00:00Z",
                    "2026-01-01T01:00:00+02:00",
                    "2026-01-01T00:00:00.5Z",
                    "2025-12-31T22:30:00-01:00",
                    "2026-01-01T00:00:00 not a date",
                ][rng.below(5)],
            ),
            6 => Value::Bool(rng.below(2) == 0),
            7 => json!([rng.below(3), WORDS[rng.below(2)]]),
            _ => json!({"k": rng.below(3)}),
        })
    }

    #[test]
    fn compare_is_a_total_order() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let docs: Vec<Map<String, Value>> = (0..40)
            .map(|_| {
                let mut d = Map::new();
                for key in ["a", "b"] {
                    if let Some(v) = random_value(&mut rng) {
                        d.insert(key.to_owned(), v);
                    }
                }
                d
            })
            .collect();
        for s in [
            sort(json!({"a": 1})),
            sort(json!({"a": -1})),
            sort(json!([{"a": 1}, {"b": -1}])),
            sort(json!([{"b": -1}, {"a": -1}])),
        ] {
            for x in &docs {
                assert_eq!(compare(x, x, &s), Ordering::Equal);
                for y in &docs {
                    let xy = compare(x, y, &s);
                    assert_eq!(xy, compare(y, x, &s).reverse(), "antisymmetry {x:?} {y:?}");
                    for z in &docs {
                        if xy.is_le() && compare(y, z, &s).is_le() {
                            assert!(compare(x, z, &s).is_le(), "transitivity {x:?} {y:?} {z:?}");
                        }
                    }
                }
            }
            // Missing values come last whichever the direction.
            let mut sorted = docs.clone();
            sorted.sort_by(|x, y| compare(x, y, &s));
            let field = &s[0].field;
            let first_missing =
                sorted.iter().position(|d| d.get(field).is_none_or(Value::is_null)).unwrap_or(sorted.len());
            assert!(sorted[first_missing..].iter().all(|d| d.get(field).is_none_or(Value::is_null)));
        }
    }

    #[test]
    fn ne_and_nin_are_negations() {
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let mut d = Map::new();
            if let Some(v) = random_value(&mut rng) {
                d.insert("a".to_owned(), v);
            }
            let operand = random_value(&mut rng).unwrap_or(Value::Null);
            let eq = matches(&cond("a", Operator::Eq, operand.clone()), &d);
            assert_eq!(matches(&cond("a", Operator::Ne, operand.clone()), &d), !eq);
            let list = Value::Array(vec![operand, json!(99)]);
            let inn = matches(&cond("a", Operator::In, list.clone()), &d);
            assert_eq!(matches(&cond("a", Operator::Nin, list), &d), !inn);
        }
    }
}
