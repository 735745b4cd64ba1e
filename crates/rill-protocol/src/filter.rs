//! The filter and sort language shared by QueryChannels, QueryUsers, QueryMembers, Search, bans and flags
//! (protocol notes §6 and §4): parsing the wire JSON into a [`Filter`] tree, printing it back canonically,
//! checking it against an endpoint's allowed field/operator pairs, and parsing `sort` parameters.
//!
//! Evaluation lives elsewhere (rill-core `query`); this module only decides what a filter *says*.

use serde_json::{Map, Value};

pub use crate::limits::MAX_SORT_FIELDS;
use crate::limits::{MAX_FIELD_PATH_BYTES, MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH, MAX_FILTER_VALUES};

/// A parsed filter.
///
/// `And(vec![])` is the match-all filter `{}`. Parsing never produces an empty `Or` or `Nor` because the wire form
/// rejects empty `$or`/`$nor` arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Nor(Vec<Filter>),
    Condition { field: String, op: Operator, value: Value },
}

/// A field-level comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Exists,
    Contains,
    Autocomplete,
    Q,
}

/// A filter or sort that cannot be accepted. The message always names the offending field or operator, because
/// it is shown to API clients inside a code-4 error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub message: String,
}

/// Sort direction; `1` on the wire is ascending, `-1` descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// One sort key, in the order it appeared in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortField {
    pub field: String,
    pub direction: SortDirection,
}

impl FilterError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: [Operator; 12] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::In,
        Operator::Nin,
        Operator::Exists,
        Operator::Contains,
        Operator::Autocomplete,
        Operator::Q,
    ];

    /// The wire spelling, e.g. `"$eq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "$eq",
            Operator::Ne => "$ne",
            Operator::Gt => "$gt",
            Operator::Gte => "$gte",
            Operator::Lt => "$lt",
            Operator::Lte => "$lte",
            Operator::In => "$in",
            Operator::Nin => "$nin",
            Operator::Exists => "$exists",
            Operator::Contains => "$contains",
            Operator::Autocomplete => "$autocomplete",
            Operator::Q => "$q",
        }
    }

    /// The operator with this wire spelling; `None` for anything else, including the logical operators.
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.as_str() == name)
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SortDirection {
    /// The wire value: `1` or `-1`.
    pub fn as_i32(self) -> i32 {
        match self {
            SortDirection::Ascending => 1,
            SortDirection::Descending => -1,
        }
    }
}

/// Builds a group filter from its children.
type GroupBuilder = fn(Vec<Filter>) -> Filter;

/// The three logical keys, with the group each one builds.
const LOGICAL: [(&str, GroupBuilder); 3] = [("$and", Filter::And), ("$or", Filter::Or), ("$nor", Filter::Nor)];

impl Filter {
    /// Parses a wire filter.
    ///
    /// Keys of one object are ANDed in their order; a single key yields its filter unwrapped, so `{"a":1}` is a
    /// bare `Condition`. A field whose value is an object of operators with more than one key
    /// (`{"$gte":1,"$lt":5}`) becomes an `And` of one condition per operator. An object value with no `$` keys is a
    /// literal for `$eq`; mixing `$` and plain keys is an error because neither reading is safe.
    pub fn parse(value: &Value) -> Result<Filter, FilterError> {
        let filter = match value {
            Value::Object(map) => parse_object(map)?,
            _ => return Err(FilterError::new("filter must be a JSON object")),
        };
        filter.check_bounds()?;
        Ok(filter)
    }

    /// Refuses filters deeper than [`MAX_FILTER_DEPTH`] groups or with more than [`MAX_FILTER_CONDITIONS`]
    /// conditions: evaluation and SQL compilation cost grows with both.
    fn check_bounds(&self) -> Result<(), FilterError> {
        let mut conditions = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((filter, depth)) = stack.pop() {
            match filter {
                Filter::And(children) | Filter::Or(children) | Filter::Nor(children) => {
                    if depth + 1 > MAX_FILTER_DEPTH {
                        return Err(FilterError::new(format!(
                            "filter nests groups deeper than the limit of {MAX_FILTER_DEPTH}"
                        )));
                    }
                    stack.extend(children.iter().map(|child| (child, depth + 1)));
                }
                Filter::Condition { .. } => conditions += 1,
            }
            if conditions > MAX_FILTER_CONDITIONS {
                return Err(FilterError::new(format!(
                    "filter has more than the limit of {MAX_FILTER_CONDITIONS} conditions"
                )));
            }
        }
        Ok(())
    }

    /// Prints the filter in canonical form: every condition spelled `{field: {op: value}}` and every group spelled
    /// `{"$and"|"$or"|"$nor": [...]}`, except the match-all `And([])`, which prints as `{}`. The explicit `$eq`
    /// keeps object literals unambiguous, so `Filter::parse(&f.to_json()) == Ok(f)` for every filter `parse` can
    /// produce.
    pub fn to_json(&self) -> Value {
        let (key, children) = match self {
            Filter::Condition { field, op, value } => {
                let mut inner = Map::new();
                inner.insert(op.as_str().to_owned(), value.clone());
                let mut outer = Map::new();
                outer.insert(field.clone(), Value::Object(inner));
                return Value::Object(outer);
            }
            Filter::And(children) if children.is_empty() => return Value::Object(Map::new()),
            Filter::And(children) => ("$and", children),
            Filter::Or(children) => ("$or", children),
            Filter::Nor(children) => ("$nor", children),
        };
        let mut outer = Map::new();
        outer.insert(key.to_owned(), Value::Array(children.iter().map(Filter::to_json).collect()));
        Value::Object(outer)
    }

    /// Checks every condition against the endpoint's allowed field/operator pairs, stopping at the first refusal.
    /// Whether a field is unknown or merely lacks that operator is the caller's business; the error names both.
    pub fn validate(&self, allowed: &dyn Fn(&str, Operator) -> bool) -> Result<(), FilterError> {
        match self {
            Filter::And(children) | Filter::Or(children) | Filter::Nor(children) => {
                children.iter().try_for_each(|child| child.validate(allowed))
            }
            Filter::Condition { field, op, .. } => {
                if allowed(field, *op) {
                    Ok(())
                } else {
                    Err(FilterError::new(format!(
                        "field {} does not support operator \"{}\"",
                        quoted(field),
                        op.as_str()
                    )))
                }
            }
        }
    }
}

/// JSON-quotes a client-supplied name so that odd characters cannot garble the error message.
fn quoted(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

fn parse_object(map: &Map<String, Value>) -> Result<Filter, FilterError> {
    let mut parts = Vec::with_capacity(map.len());
    for (key, value) in map {
        parts.push(parse_entry(key, value)?);
    }
    Ok(single_or_and(parts))
}

/// One part stays unwrapped so that the canonical printing of a lone condition parses back to itself.
fn single_or_and(mut parts: Vec<Filter>) -> Filter {
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    Filter::And(parts)
}

fn parse_entry(key: &str, value: &Value) -> Result<Filter, FilterError> {
    if let Some(&(name, build)) = LOGICAL.iter().find(|(name, _)| *name == key) {
        let items = match value {
            Value::Array(items) => items,
            _ => return Err(FilterError::new(format!("\"{name}\" needs an array of filter objects"))),
        };
        // MongoDB rejects empty groups too; `{}` is the way to say "everything", and an empty `$or` is more likely
        // a client bug than a wish for no results.
        if items.is_empty() {
            return Err(FilterError::new(format!("\"{name}\" needs at least one filter")));
        }
        let mut children = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::Object(map) => children.push(parse_object(map)?),
                _ => return Err(FilterError::new(format!("\"{name}\" needs an array of filter objects"))),
            }
        }
        return Ok(build(children));
    }
    if key.starts_with('$') {
        return Err(FilterError::new(format!(
            "unknown operator {} at filter level (expected a field name, \"$and\", \"$or\" or \"$nor\")",
            quoted(key)
        )));
    }
    if key.is_empty() || key.len() > MAX_FIELD_PATH_BYTES {
        return Err(FilterError::new(format!("filter field names have 1 to {MAX_FIELD_PATH_BYTES} bytes")));
    }
    let ops = match value {
        Value::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => ops,
        // A bare value, or an object with no operator keys, is compared literally.
        _ => return Ok(condition(key, Operator::Eq, value.clone())),
    };
    if let Some(plain) = ops.keys().find(|k| !k.starts_with('$')) {
        return Err(FilterError::new(format!(
            "value of field {} mixes operators with the plain key {}",
            quoted(key),
            quoted(plain)
        )));
    }
    let mut parts = Vec::with_capacity(ops.len());
    for (name, operand) in ops {
        let op = Operator::from_name(name)
            .ok_or_else(|| FilterError::new(format!("invalid operator {} for field {}", quoted(name), quoted(key))))?;
        check_operand(key, op, operand)?;
        parts.push(condition(key, op, operand.clone()));
    }
    Ok(single_or_and(parts))
}

fn condition(field: &str, op: Operator, value: Value) -> Filter {
    Filter::Condition { field: field.to_owned(), op, value }
}

/// Rejects operands of the wrong JSON type up front, so that evaluation never has to guess.
fn check_operand(field: &str, op: Operator, operand: &Value) -> Result<(), FilterError> {
    let (ok, needs) = match op {
        Operator::Eq | Operator::Ne | Operator::Contains => return Ok(()),
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            (operand.is_number() || operand.is_string(), "a number or a string")
        }
        Operator::In | Operator::Nin => {
            if operand.as_array().is_some_and(|values| values.len() > MAX_FILTER_VALUES) {
                return Err(FilterError::new(format!(
                    "\"{}\" on field {} has more than the limit of {MAX_FILTER_VALUES} values",
                    op.as_str(),
                    quoted(field)
                )));
            }
            (operand.is_array(), "an array")
        }
        Operator::Exists => (operand.is_boolean(), "a boolean"),
        Operator::Autocomplete | Operator::Q => (operand.is_string(), "a string"),
    };
    if ok {
        Ok(())
    } else {
        Err(FilterError::new(format!("\"{}\" on field {} needs {needs}", op.as_str(), quoted(field))))
    }
}

/// Parses a `sort` parameter.
///
/// Accepts the canonical `[{"field":"last_message_at","direction":-1}]` (optional `type`: `""`, `"number"` or
/// `"boolean"`, checked but not needed by an evaluator that compares JSON values by their own type; `direction`
/// defaults to 1 as in the spec), the shorthand `{"field_name":-1}` (several keys keep their order) and a list of
/// shorthands `[{"field_name":-1}]`. `null` means no sort. A long-form item is recognised by a string `field`
/// key, so a custom field literally named `field` can still be sorted with the shorthand `{"field":1}`.
pub fn parse_sort(value: &Value) -> Result<Vec<SortField>, FilterError> {
    let mut out = Vec::new();
    match value {
        Value::Null => {}
        Value::Object(map) => parse_sort_item(map, &mut out)?,
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(map) => parse_sort_item(map, &mut out)?,
                    _ => return Err(sort_shape_error()),
                }
            }
        }
        _ => return Err(sort_shape_error()),
    }
    if out.len() > MAX_SORT_FIELDS {
        return Err(FilterError::new(format!("sort accepts at most {MAX_SORT_FIELDS} fields, got {}", out.len())));
    }
    Ok(out)
}

/// Prints a sort in the canonical long form, which [`parse_sort`] reads back unchanged.
pub fn sort_to_json(sort: &[SortField]) -> Value {
    Value::Array(
        sort.iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("field".to_owned(), Value::String(s.field.clone()));
                m.insert("direction".to_owned(), Value::from(s.direction.as_i32()));
                Value::Object(m)
            })
            .collect(),
    )
}

fn sort_shape_error() -> FilterError {
    FilterError::new("sort must be an array of {\"field\": name, \"direction\": 1 or -1} objects")
}

fn parse_sort_item(map: &Map<String, Value>, out: &mut Vec<SortField>) -> Result<(), FilterError> {
    let Some(Value::String(field)) = map.get("field") else {
        for (field, direction) in map {
            out.push(sort_field(field, Some(direction))?);
        }
        return Ok(());
    };
    if let Some(other) = map.keys().find(|k| !matches!(k.as_str(), "field" | "direction" | "type")) {
        return Err(FilterError::new(format!(
            "unexpected key {} in sort item for field {}",
            quoted(other),
            quoted(field)
        )));
    }
    match map.get("type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if matches!(t.as_str(), "" | "number" | "boolean") => {}
        Some(_) => {
            return Err(FilterError::new(format!(
                "sort type for field {} must be \"number\", \"boolean\" or empty",
                quoted(field)
            )))
        }
    }
    out.push(sort_field(field, map.get("direction"))?);
    Ok(())
}

fn sort_field(field: &str, direction: Option<&Value>) -> Result<SortField, FilterError> {
    if field.is_empty() {
        return Err(FilterError::new("sort field name must not be empty"));
    }
    let direction = match direction.map(|d| (d, d.as_i64())) {
        None | Some((Value::Null, _)) | Some((_, Some(1))) => SortDirection::Ascending,
        Some((_, Some(-1))) => SortDirection::Descending,
        Some(_) => return Err(FilterError::new(format!("sort direction for field {} must be 1 or -1", quoted(field)))),
    };
    Ok(SortField { field: field.to_owned(), direction })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(field: &str, op: Operator, value: Value) -> Filter {
        condition(field, op, value)
    }

    fn err(value: Value) -> String {
        match Filter::parse(&value) {
            Ok(f) => panic!("expected an error for {value}, got {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn operator_names_round_trip() {
        for op in Operator::ALL {
            assert_eq!(Operator::from_name(op.as_str()), Some(op));
            assert_eq!(op.to_string(), op.as_str());
        }
        assert_eq!(Operator::from_name("$and"), None);
        assert_eq!(Operator::from_name("eq"), None);
    }

    #[test]
    fn bare_value_is_eq() {
        assert_eq!(Filter::parse(&json!({"type": "team"})), Ok(cond("type", Operator::Eq, json!("team"))));
        assert_eq!(Filter::parse(&json!({"n": null})), Ok(cond("n", Operator::Eq, Value::Null)));
        assert_eq!(
            Filter::parse(&json!({"members": ["a", "b"]})),
            Ok(cond("members", Operator::Eq, json!(["a", "b"])))
        );
    }

    #[test]
    fn empty_object_matches_all() {
        assert_eq!(Filter::parse(&json!({})), Ok(Filter::And(vec![])));
        assert_eq!(Filter::And(vec![]).to_json(), json!({}));
    }

    #[test]
    fn each_operator_parses() {
        let cases = [
            ("$eq", json!("x"), Operator::Eq),
            ("$eq", json!({"a": 1}), Operator::Eq),
            ("$ne", json!(true), Operator::Ne),
            ("$gt", json!(3), Operator::Gt),
            ("$gte", json!("2026-01-01T00:00:00Z"), Operator::Gte),
            ("$lt", json!(2.5), Operator::Lt),
            ("$lte", json!("m"), Operator::Lte),
            ("$in", json!(["a", 1]), Operator::In),
            ("$in", json!([]), Operator::In),
            ("$nin", json!(["a"]), Operator::Nin),
            ("$exists", json!(false), Operator::Exists),
            ("$contains", json!("acme"), Operator::Contains),
            ("$autocomplete", json!("al"), Operator::Autocomplete),
            ("$q", json!("alice"), Operator::Q),
        ];
        for (name, operand, op) in cases {
            let mut ops = Map::new();
            ops.insert(name.to_owned(), operand.clone());
            let mut filter = Map::new();
            filter.insert("f".to_owned(), Value::Object(ops));
            let parsed = Filter::parse(&Value::Object(filter));
            assert_eq!(parsed, Ok(cond("f", op, operand)), "{name}");
        }
    }

    #[test]
    fn object_literal_is_eq_value() {
        assert_eq!(
            Filter::parse(&json!({"detail": {"topic": "x", "n": 1}})),
            Ok(cond("detail", Operator::Eq, json!({"topic": "x", "n": 1})))
        );
        assert_eq!(Filter::parse(&json!({"detail": {}})), Ok(cond("detail", Operator::Eq, json!({}))));
    }

    #[test]
    fn several_operators_become_and() {
        assert_eq!(
            Filter::parse(&json!({"n": {"$gte": 1, "$lt": 5}})),
            Ok(Filter::And(vec![cond("n", Operator::Gte, json!(1)), cond("n", Operator::Lt, json!(5)),]))
        );
    }

    #[test]
    fn several_keys_are_anded_in_order() {
        assert_eq!(
            Filter::parse(&json!({"type": "team", "members": {"$in": ["alice"]}, "frozen": false})),
            Ok(Filter::And(vec![
                cond("type", Operator::Eq, json!("team")),
                cond("members", Operator::In, json!(["alice"])),
                cond("frozen", Operator::Eq, json!(false)),
            ]))
        );
    }

    #[test]
    fn logical_nesting() {
        let parsed = Filter::parse(&json!({
            "$or": [
                {"id": "a"},
                {"name": {"$autocomplete": "a"}},
                {"$nor": [{"role": "admin"}, {"$and": [{"x": 1}, {}]}]}
            ],
            "banned": false
        }));
        assert_eq!(
            parsed,
            Ok(Filter::And(vec![
                Filter::Or(vec![
                    cond("id", Operator::Eq, json!("a")),
                    cond("name", Operator::Autocomplete, json!("a")),
                    Filter::Nor(vec![
                        cond("role", Operator::Eq, json!("admin")),
                        Filter::And(vec![cond("x", Operator::Eq, json!(1)), Filter::And(vec![])]),
                    ]),
                ]),
                cond("banned", Operator::Eq, json!(false)),
            ]))
        );
    }

    #[test]
    fn dotted_fields_are_plain_names() {
        assert_eq!(Filter::parse(&json!({"user.id": {"$in": ["a"]}})), Ok(cond("user.id", Operator::In, json!(["a"]))));
    }

    #[test]
    fn errors_name_the_culprit() {
        assert_eq!(err(json!({"name": {"$foo": 1}})), "invalid operator \"$foo\" for field \"name\"");
        assert_eq!(err(json!({"members": {"$in": "alice"}})), "\"$in\" on field \"members\" needs an array");
        assert_eq!(err(json!({"members": {"$nin": {"a": 1}}})), "\"$nin\" on field \"members\" needs an array");
        assert_eq!(err(json!({"x": {"$exists": "yes"}})), "\"$exists\" on field \"x\" needs a boolean");
        assert_eq!(err(json!({"name": {"$autocomplete": 3}})), "\"$autocomplete\" on field \"name\" needs a string");
        assert_eq!(err(json!({"text": {"$q": ["a"]}})), "\"$q\" on field \"text\" needs a string");
        assert_eq!(err(json!({"n": {"$gt": true}})), "\"$gt\" on field \"n\" needs a number or a string");
        assert_eq!(err(json!({"n": {"$lte": null}})), "\"$lte\" on field \"n\" needs a number or a string");
        assert!(err(json!({"n": {"$gt": 1, "a": 2}})).contains("\"n\""));
        assert!(err(json!({"n": {"$and": []}})).contains("\"$and\""));
        assert!(err(json!({"$foo": 1})).contains("\"$foo\""));
        assert!(err(json!({"$eq": 1})).contains("\"$eq\""));
        assert_eq!(err(json!({"$or": {"a": 1}})), "\"$or\" needs an array of filter objects");
        assert_eq!(err(json!({"$and": [1]})), "\"$and\" needs an array of filter objects");
        assert_eq!(err(json!({"$nor": []})), "\"$nor\" needs at least one filter");
        assert!(err(json!({"$or": []})).contains("\"$or\""));
        assert!(err(json!({"": 1})).contains("1 to 255 bytes"));
        assert_eq!(err(json!([])), "filter must be a JSON object");
        assert_eq!(err(json!("x")), "filter must be a JSON object");
        // Errors deep inside groups still surface.
        assert!(err(json!({"$or": [{"a": 1}, {"$and": [{"b": {"$in": 1}}]}]})).contains("\"b\""));
        // Odd characters in names are escaped, not echoed raw.
        assert_eq!(err(json!({"na\"me": {"$bad": 1}})), "invalid operator \"$bad\" for field \"na\\\"me\"");
    }

    #[test]
    fn bounds_are_enforced() {
        let mut deep = json!({"a": 1});
        for _ in 0..=MAX_FILTER_DEPTH {
            deep = json!({"$or": [deep, {"b": 2}]});
        }
        assert!(err(deep).contains("deeper than the limit of 6"));
        let many: Map<String, Value> = (0..=MAX_FILTER_CONDITIONS).map(|n| (format!("f{n}"), json!(n))).collect();
        assert!(err(Value::Object(many)).contains("limit of 100 conditions"));
        let values: Vec<Value> = (0..=MAX_FILTER_VALUES).map(Value::from).collect();
        assert!(err(json!({"id": {"$in": values}})).contains("limit of 1000 values"));
        let mut shallow = json!({"a": 1});
        for _ in 0..MAX_FILTER_DEPTH {
            shallow = json!({"$or": [shallow, {"b": 2}]});
        }
        assert!(Filter::parse(&shallow).is_ok());
    }

    #[test]
    fn to_json_is_canonical() {
        let f = Filter::parse(&json!({"a": 1, "b": {"$gt": 2, "$lt": 9}, "$or": [{"c": {"k": 1}}]}));
        assert_eq!(
            f.map(|f| f.to_json()),
            Ok(json!({"$and": [
                {"a": {"$eq": 1}},
                {"$and": [{"b": {"$gt": 2}}, {"b": {"$lt": 9}}]},
                {"$or": [{"c": {"$eq": {"k": 1}}}]}
            ]}))
        );
    }

    #[test]
    fn eq_of_operator_looking_object_round_trips() {
        let f = cond("x", Operator::Eq, json!({"$gt": 1}));
        assert_eq!(f.to_json(), json!({"x": {"$eq": {"$gt": 1}}}));
        assert_eq!(Filter::parse(&f.to_json()), Ok(f));
    }

    #[test]
    fn validate_uses_the_callers_table() {
        let allowed = |field: &str, op: Operator| match field {
            "name" => matches!(op, Operator::Eq | Operator::In | Operator::Autocomplete | Operator::Q),
            "id" => true,
            _ => false,
        };
        let ok = Filter::parse(&json!({"$or": [{"id": {"$gt": "a"}}, {"name": {"$q": "x"}}]}));
        assert_eq!(ok.map(|f| f.validate(&allowed)), Ok(Ok(())));
        let bad = Filter::parse(&json!({"$or": [{"id": "a"}, {"$nor": [{"name": {"$gt": "x"}}]}]}));
        assert_eq!(
            bad.map(|f| f.validate(&allowed)),
            Ok(Err(FilterError::new("field \"name\" does not support operator \"$gt\"")))
        );
        let unknown = Filter::parse(&json!({"secret": 1}));
        assert_eq!(
            unknown.map(|f| f.validate(&allowed)),
            Ok(Err(FilterError::new("field \"secret\" does not support operator \"$eq\"")))
        );
        assert_eq!(Filter::And(vec![]).validate(&allowed), Ok(()));
    }

    fn sf(field: &str, direction: SortDirection) -> SortField {
        SortField { field: field.to_owned(), direction }
    }

    #[test]
    fn sort_forms() {
        use SortDirection::{Ascending as Asc, Descending as Desc};
        assert_eq!(parse_sort(&Value::Null), Ok(vec![]));
        assert_eq!(parse_sort(&json!([])), Ok(vec![]));
        assert_eq!(parse_sort(&json!({})), Ok(vec![]));
        assert_eq!(
            parse_sort(&json!([{"field": "last_message_at", "direction": -1}])),
            Ok(vec![sf("last_message_at", Desc)])
        );
        assert_eq!(
            parse_sort(&json!([
                {"field": "a", "direction": 1, "type": "number"},
                {"field": "b"},
                {"field": "c", "direction": null, "type": ""}
            ])),
            Ok(vec![sf("a", Asc), sf("b", Asc), sf("c", Asc)])
        );
        assert_eq!(parse_sort(&json!({"created_at": -1, "id": 1})), Ok(vec![sf("created_at", Desc), sf("id", Asc)]));
        assert_eq!(
            parse_sort(&json!([{"created_at": -1}, {"field": "id", "direction": -1}])),
            Ok(vec![sf("created_at", Desc), sf("id", Desc)])
        );
        assert_eq!(parse_sort(&json!({"field": "x", "direction": -1})), Ok(vec![sf("x", Desc)]));
        // A custom field named "field" is reachable through the shorthand.
        assert_eq!(parse_sort(&json!({"field": -1})), Ok(vec![sf("field", Desc)]));
    }

    #[test]
    fn sort_errors() {
        let e = |v: Value| parse_sort(&v).map_err(|e| e.message);
        assert_eq!(
            e(json!([{"field": "a", "direction": 2}])),
            Err("sort direction for field \"a\" must be 1 or -1".to_owned())
        );
        assert_eq!(e(json!({"a": "desc"})), Err("sort direction for field \"a\" must be 1 or -1".to_owned()));
        assert_eq!(e(json!({"a": 1.0})), Err("sort direction for field \"a\" must be 1 or -1".to_owned()));
        assert_eq!(
            e(json!([{"a": 1}, {"b": 1}, {"c": 1}, {"d": 1}, {"e": 1}, {"f": -1}])),
            Err("sort accepts at most 5 fields, got 6".to_owned())
        );
        assert!(e(json!([{"a": 1}, {"b": 1}, {"c": 1}, {"d": 1}, {"e": 1}])).is_ok());
        assert!(e(json!("created_at")).is_err());
        assert!(e(json!([1])).is_err());
        assert!(e(json!([{"field": ""}])).is_err());
        assert!(e(json!({"": 1})).is_err());
        assert!(e(json!([{"field": "a", "type": "date"}])).is_err_and(|m| m.contains("\"a\"")));
        assert!(e(json!([{"field": "a", "dir": 1}])).is_err_and(|m| m.contains("\"dir\"")));
    }

    #[test]
    fn sort_round_trips() {
        let sort = vec![sf("a", SortDirection::Descending), sf("b.c", SortDirection::Ascending)];
        assert_eq!(parse_sort(&sort_to_json(&sort)), Ok(sort));
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

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const FIELDS: [&str; 8] = ["id", "name", "members", "user.id", "detail.topic", "a.b.c", "created_at", "ünï code"];

    fn gen_string(rng: &mut Rng) -> String {
        rng.pick(&["", "a", "alice", "Bob Smith", "$gt", "2026-01-01T00:00:00Z", "x.y", "\"q\""]).to_string()
    }

    fn gen_scalar(rng: &mut Rng) -> Value {
        match rng.below(6) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::from(rng.below(2000) as i64 - 1000),
            // Multiples of 1/8 print and re-parse exactly, so the text round trip cannot blur them.
            3 => Value::from((rng.below(2000) as f64 - 1000.0) / 8.0),
            4 => Value::from(u64::MAX - rng.below(3) as u64),
            _ => Value::String(gen_string(rng)),
        }
    }

    fn gen_value(rng: &mut Rng, depth: u32) -> Value {
        if depth == 0 {
            return gen_scalar(rng);
        }
        match rng.below(5) {
            0 => Value::Array((0..rng.below(4)).map(|_| gen_value(rng, depth - 1)).collect()),
            1 => {
                let mut m = Map::new();
                for _ in 0..rng.below(4) {
                    // Keys that look like operators must survive too: `$eq` wraps them.
                    m.insert(gen_string(rng), gen_value(rng, depth - 1));
                }
                Value::Object(m)
            }
            _ => gen_scalar(rng),
        }
    }

    fn gen_condition(rng: &mut Rng) -> Filter {
        let op = *rng.pick(&Operator::ALL);
        let value = match op {
            Operator::Eq | Operator::Ne | Operator::Contains => gen_value(rng, 2),
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
                if rng.below(2) == 0 {
                    Value::from(rng.below(100) as i64 - 50)
                } else {
                    Value::String(gen_string(rng))
                }
            }
            Operator::In | Operator::Nin => Value::Array((0..rng.below(4)).map(|_| gen_scalar(rng)).collect()),
            Operator::Exists => Value::Bool(rng.below(2) == 0),
            Operator::Autocomplete | Operator::Q => Value::String(gen_string(rng)),
        };
        let field: &&str = rng.pick(&FIELDS);
        cond(field, op, value)
    }

    /// Generates only filters `parse` can produce: groups are non-empty except the match-all `And([])`.
    fn gen_filter(rng: &mut Rng, depth: u32) -> Filter {
        if depth == 0 || rng.below(3) == 0 {
            return gen_condition(rng);
        }
        let kind = rng.below(4);
        if kind == 3 && rng.below(4) == 0 {
            return Filter::And(vec![]);
        }
        let children = (0..1 + rng.below(4)).map(|_| gen_filter(rng, depth - 1)).collect();
        match kind {
            0 => Filter::Or(children),
            1 => Filter::Nor(children),
            _ => Filter::And(children),
        }
    }

    #[test]
    fn round_trip_property() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..5000 {
            let f = gen_filter(&mut rng, 4);
            let json = f.to_json();
            assert_eq!(Filter::parse(&json).as_ref(), Ok(&f), "case {i}: {json}");
            // The wire carries text, so the round trip must survive printing and re-reading too.
            let text = json.to_string();
            let reread: Value = serde_json::from_str(&text).expect("printed JSON parses");
            assert_eq!(Filter::parse(&reread), Ok(f), "case {i} via text: {text}");
        }
    }

    /// Random raw wire filters in all the shorthand forms; whatever parses must be a fixed point of
    /// print-then-parse.
    fn gen_raw(rng: &mut Rng, depth: u32) -> Value {
        let mut m = Map::new();
        for _ in 0..rng.below(4) {
            let key = if depth > 0 && rng.below(4) == 0 {
                rng.pick(&["$and", "$or", "$nor"]).to_string()
            } else {
                rng.pick(&FIELDS).to_string()
            };
            let value = if key.starts_with('$') {
                Value::Array((0..rng.below(3)).map(|_| gen_raw(rng, depth - 1)).collect())
            } else if rng.below(2) == 0 {
                gen_value(rng, 2)
            } else {
                let mut ops = Map::new();
                for _ in 0..1 + rng.below(3) {
                    let Filter::Condition { op, value, .. } = gen_condition(rng) else {
                        unreachable!("gen_condition makes conditions")
                    };
                    ops.insert(op.as_str().to_owned(), value);
                }
                Value::Object(ops)
            };
            m.insert(key, value);
        }
        Value::Object(m)
    }

    #[test]
    fn parse_then_print_is_a_fixed_point() {
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        let mut parsed = 0;
        for i in 0..5000 {
            let raw = gen_raw(&mut rng, 3);
            if let Ok(f) = Filter::parse(&raw) {
                parsed += 1;
                assert_eq!(Filter::parse(&f.to_json()), Ok(f), "case {i}: {raw}");
            }
        }
        // Guard against a generator that only ever produces errors.
        assert!(parsed > 2000, "only {parsed} raw filters parsed");
    }
}
