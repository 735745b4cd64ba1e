//! Validation of JSON documents against the Stream OpenAPI component schemas that `cargo xtask schemas`
//! extracts into `schemas/stream.json`.
//!
//! The file maps each schema name to a small JSON-Schema-like object that uses only `type`, `format`,
//! `nullable`, `enum`, `properties`, `required`, `items`, `additionalProperties` (schema form), `$ref`
//! (`#/<Name>`), `oneOf`, `anyOf` and `allOf`. Rill's recorded deviations from the spec, such as flat custom data,
//! are already applied by the xtask, so this module checks structure only. Tests and development builds call
//! [`validate`] on every response and event Rill emits: the published schema is the outside oracle.
//!
//! Rules beyond plain JSON Schema: unknown object keys are always allowed (custom data is flat); an integer is
//! also a number; `null` is accepted where the schema says `nullable: true` and for any property that is not
//! required, because the classic wire emits `null` for unset optional fields such as `pinned_at`; `oneOf` is
//! satisfied by any matching alternative; `format: date-time` must parse as RFC 3339.

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The extracted schemas, embedded at build time.
const SCHEMA_FILE: &str = include_str!("../schemas/stream.json");

/// Bound on schema nesting while checking one document, so a `$ref` cycle cannot recurse forever.
const MAXIMUM_DEPTH: usize = 256;

/// Enum errors list at most this many allowed values.
const MAXIMUM_LISTED_ENUM_VALUES: usize = 12;

/// Checks `value` against the schema called `schema_name`.
///
/// Every error names the JSON path of the offending value, e.g. `$.message.user.id: expected string, got null`.
/// An unknown schema name is an error too.
pub fn validate(schema_name: &str, value: &Value) -> Result<(), Vec<String>> {
    let schemas = schemas().as_ref().map_err(|error| vec![error.clone()])?;
    let Some(schema) = schemas.get(schema_name) else {
        return Err(vec![format!("unknown schema `{schema_name}`")]);
    };
    let validator = Validator { schemas };
    let mut errors = Vec::new();
    validator.check(schema, value, "$", NullPolicy::Strict, 0, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The names of all schemas in the embedded file, sorted.
pub fn schema_names() -> Vec<&'static str> {
    match schemas() {
        Ok(schemas) => {
            let mut names: Vec<&'static str> = schemas.keys().map(String::as_str).collect();
            names.sort_unstable();
            names
        }
        Err(_) => Vec::new(),
    }
}

/// The embedded schemas, parsed on first use.
fn schemas() -> &'static Result<Map<String, Value>, String> {
    static SCHEMAS: OnceLock<Result<Map<String, Value>, String>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        serde_json::from_str(SCHEMA_FILE)
            .map_err(|error| format!("schemas/stream.json is not a JSON object of schemas: {error}"))
    })
}

/// Whether `null` is acceptable for a value regardless of its schema.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NullPolicy {
    /// `null` passes only if the schema is `nullable`.
    Strict,
    /// The value is an optional property, where the classic wire may emit `null` for "unset".
    Tolerated,
}

struct Validator<'a> {
    schemas: &'a Map<String, Value>,
}

impl Validator<'_> {
    /// Checks `value` at `path` against `schema`, appending one message per problem to `errors`.
    fn check(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        null_policy: NullPolicy,
        depth: usize,
        errors: &mut Vec<String>,
    ) {
        if depth > MAXIMUM_DEPTH {
            errors.push(format!("{path}: schema nesting deeper than {MAXIMUM_DEPTH} levels"));
            return;
        }
        let schema = match schema {
            Value::Object(schema) => schema,
            // Boolean schemas: `true` accepts everything, `false` nothing.
            Value::Bool(true) => return,
            Value::Bool(false) => {
                errors.push(format!("{path}: no value is allowed here"));
                return;
            }
            _ => {
                errors.push(format!("{path}: invalid schema (not an object)"));
                return;
            }
        };

        if value.is_null()
            && (null_policy == NullPolicy::Tolerated || schema.get("nullable") == Some(&Value::Bool(true)))
        {
            return;
        }

        if let Some(reference) = schema.get("$ref") {
            match self.resolve(reference) {
                Ok(target) => self.check(target, value, path, null_policy, depth + 1, errors),
                Err(message) => errors.push(format!("{path}: {message}")),
            }
            // In OpenAPI 3.0 the siblings of `$ref` are ignored.
            return;
        }

        if let Some(Value::Array(parts)) = schema.get("allOf") {
            for part in parts {
                self.check(part, value, path, null_policy, depth + 1, errors);
            }
        }
        // `oneOf` and `anyOf`: the value must match at least one alternative.
        for keyword in ["oneOf", "anyOf"] {
            let Some(Value::Array(alternatives)) = schema.get(keyword) else {
                continue;
            };
            let mut closest: Option<Vec<String>> = None;
            for alternative in alternatives {
                let mut alternative_errors = Vec::new();
                self.check(alternative, value, path, null_policy, depth + 1, &mut alternative_errors);
                if alternative_errors.is_empty() {
                    closest = None;
                    break;
                }
                if closest.as_ref().is_none_or(|closest| alternative_errors.len() < closest.len()) {
                    closest = Some(alternative_errors);
                }
            }
            if let Some(closest) = closest {
                errors.push(format!("{path}: matches none of the {} alternatives of {keyword}", alternatives.len()));
                // The errors of the nearest alternative usually point at the actual mistake.
                errors.extend(closest);
            }
        }

        if let Some(expected_type) = schema.get("type") {
            if !type_matches(expected_type, value) {
                errors.push(format!(
                    "{path}: expected {}, got {}",
                    describe_type(expected_type),
                    json_type_name(value)
                ));
                return;
            }
        }

        if let Some(Value::Array(allowed)) = schema.get("enum") {
            if !allowed.contains(value) {
                errors.push(format!("{path}: expected one of {}, got {value}", list_enum_values(allowed)));
            }
        }

        if let (Some("date-time"), Value::String(text)) = (schema.get("format").and_then(Value::as_str), value) {
            if chrono::DateTime::parse_from_rfc3339(text).is_err() {
                errors.push(format!("{path}: expected an RFC 3339 date-time, got {value}"));
            }
        }

        match value {
            Value::Object(object) => self.check_object(schema, object, path, depth, errors),
            Value::Array(elements) => {
                if let Some(items) = schema.get("items") {
                    for (index, element) in elements.iter().enumerate() {
                        let element_path = format!("{path}[{index}]");
                        self.check(items, element, &element_path, NullPolicy::Strict, depth + 1, errors);
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks `required`, `properties` and `additionalProperties` of an object value.
    fn check_object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &str,
        depth: usize,
        errors: &mut Vec<String>,
    ) {
        let required: Vec<&str> = match schema.get("required") {
            Some(Value::Array(required)) => required.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for field in &required {
            if !object.contains_key(*field) {
                errors.push(format!("{}: missing required field", child_path(path, field)));
            }
        }

        let properties = match schema.get("properties") {
            Some(Value::Object(properties)) => Some(properties),
            _ => None,
        };
        let additional = schema.get("additionalProperties");
        for (key, field_value) in object {
            let field_path = child_path(path, key);
            if let Some(property_schema) = properties.and_then(|properties| properties.get(key)) {
                let null_policy =
                    if required.contains(&key.as_str()) { NullPolicy::Strict } else { NullPolicy::Tolerated };
                self.check(property_schema, field_value, &field_path, null_policy, depth + 1, errors);
            } else if let Some(additional_schema) = additional {
                // Unknown keys are allowed; only a map's declared value schema constrains them.
                self.check(additional_schema, field_value, &field_path, NullPolicy::Strict, depth + 1, errors);
            }
        }
    }

    /// Looks up a `#/<Name>` reference.
    fn resolve(&self, reference: &Value) -> Result<&Value, String> {
        let Some(reference) = reference.as_str() else {
            return Err(format!("invalid schema reference {reference}"));
        };
        reference
            .strip_prefix("#/")
            .and_then(|name| self.schemas.get(name))
            .ok_or_else(|| format!("unknown schema reference `{reference}`"))
    }
}

/// Whether `value` has the JSON Schema type `expected` (a name or a list of names).
fn type_matches(expected: &Value, value: &Value) -> bool {
    match expected {
        Value::String(name) => value_has_type(name, value),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(|name| value_has_type(name, value)),
        // An unreadable type constrains nothing.
        _ => true,
    }
}

fn value_has_type(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" => is_integer(value),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        // Unknown type names constrain nothing.
        _ => true,
    }
}

/// Integers include floats with no fractional part, as in JSON Schema.
fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(number) => {
            number.is_i64()
                || number.is_u64()
                || number.as_f64().is_some_and(|float| float.is_finite() && float.fract() == 0.0)
        }
        _ => false,
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn describe_type(expected: &Value) -> String {
    match expected {
        Value::String(name) => name.clone(),
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        other => other.to_string(),
    }
}

fn list_enum_values(allowed: &[Value]) -> String {
    let mut listed: Vec<String> = allowed.iter().take(MAXIMUM_LISTED_ENUM_VALUES).map(Value::to_string).collect();
    if allowed.len() > MAXIMUM_LISTED_ENUM_VALUES {
        listed.push(format!("... ({} in all)", allowed.len()));
    }
    format!("[{}]", listed.join(", "))
}

/// `$.a.b` for plain keys, `$["odd key"]` for keys that would be ambiguous after a dot.
fn child_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|character| character.is_ascii_alphanumeric() || character == '_' || character == '-');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::schema::{schema_names, schemas, validate, NullPolicy, Validator};

    fn user() -> serde_json::Value {
        json!({
            "id": "alice",
            "role": "user",
            "teams": [],
            "language": "",
            "created_at": "2026-06-24T11:44:49.394479Z",
            "updated_at": "2026-06-24T11:44:49.394479Z",
            "banned": false,
            "online": true,
            "blocked_user_ids": [],
            "shadow_banned": false,
            "invisible": false,
            "nickname": "Al"
        })
    }

    fn message() -> serde_json::Value {
        json!({
            "id": "m1",
            "text": "hello",
            "html": "<p>hello</p>\n",
            "type": "regular",
            "user": user(),
            "attachments": [],
            "latest_reactions": [],
            "own_reactions": [],
            "reaction_counts": {},
            "reaction_scores": {},
            "reply_count": 0,
            "deleted_reply_count": 0,
            "cid": "messaging:general",
            "created_at": "2026-06-24T11:44:49.394479Z",
            "updated_at": "2026-06-24T11:44:49Z",
            "shadowed": false,
            "mentioned_users": [],
            "mentioned_channel": false,
            "mentioned_here": false,
            "silent": false,
            "pinned": false,
            "pinned_at": null,
            "pinned_by": null,
            "pin_expires": null,
            "restricted_visibility": [],
            "project_id": "p9"
        })
    }

    fn api_error() -> serde_json::Value {
        json!({
            "code": 16,
            "message": "GetMessage failed with error: \"message abc does not exist\"",
            "StatusCode": 404,
            "duration": "0.00ms",
            "more_info": "https://rill.example/errors",
            "details": []
        })
    }

    fn errors(schema_name: &str, value: &serde_json::Value) -> Vec<String> {
        validate(schema_name, value).err().unwrap_or_default()
    }

    #[test]
    fn valid_api_error_passes() {
        assert_eq!(validate("APIError", &api_error()), Ok(()));
    }

    #[test]
    fn missing_required_field_is_named_by_path() {
        let mut value = api_error();
        value.as_object_mut().unwrap().remove("code");
        assert_eq!(errors("APIError", &value), ["$.code: missing required field"]);
    }

    #[test]
    fn wrong_type_is_reported() {
        let mut value = api_error();
        value["StatusCode"] = json!("404");
        assert_eq!(errors("APIError", &value), ["$.StatusCode: expected integer, got string"]);
        value["StatusCode"] = json!(404.5);
        assert_eq!(errors("APIError", &value), ["$.StatusCode: expected integer, got number"]);
    }

    #[test]
    fn required_null_fails_unless_nullable() {
        let mut value = api_error();
        value["code"] = json!(null);
        assert_eq!(errors("APIError", &value), ["$.code: expected integer, got null"]);
    }

    #[test]
    fn optional_null_passes() {
        let mut value = api_error();
        value["exception_fields"] = json!(null);
        value["unrecoverable"] = json!(null);
        assert_eq!(validate("APIError", &value), Ok(()));
    }

    #[test]
    fn message_with_flat_custom_key_passes() {
        assert_eq!(validate("MessageResponse", &message()), Ok(()));
    }

    #[test]
    fn nested_custom_object_is_accepted_too() {
        let mut value = message();
        value["custom"] = json!({"project_id": "p9"});
        assert_eq!(validate("MessageResponse", &value), Ok(()));
    }

    #[test]
    fn references_resolve_and_nested_errors_carry_the_full_path() {
        let mut value = json!({"message": message(), "duration": "0.01ms"});
        assert_eq!(validate("SendMessageResponse", &value), Ok(()));
        value["message"]["user"]["id"] = json!(null);
        value["message"]["latest_reactions"] = json!([{"type": "like"}]);
        let found = errors("SendMessageResponse", &value);
        assert!(found.contains(&"$.message.user.id: expected string, got null".to_owned()), "{found:?}");
        assert!(
            found.contains(&"$.message.latest_reactions[0].message_id: missing required field".to_owned()),
            "{found:?}"
        );
    }

    #[test]
    fn every_reference_in_the_file_resolves() {
        fn walk(value: &serde_json::Value, unresolved: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, child) in map {
                        if key == "$ref" {
                            let name = child.as_str().unwrap_or_default().trim_start_matches("#/");
                            if !schema_names().contains(&name) {
                                unresolved.push(child.to_string());
                            }
                        } else {
                            walk(child, unresolved);
                        }
                    }
                }
                serde_json::Value::Array(values) => values.iter().for_each(|child| walk(child, unresolved)),
                _ => {}
            }
        }
        let mut unresolved = Vec::new();
        for schema in schemas().as_ref().unwrap().values() {
            walk(schema, &mut unresolved);
        }
        assert_eq!(unresolved, Vec::<String>::new());
    }

    #[test]
    fn bad_date_time_and_enum_values_fail() {
        let mut value = message();
        value["created_at"] = json!("yesterday");
        assert_eq!(
            errors("MessageResponse", &value),
            ["$.created_at: expected an RFC 3339 date-time, got \"yesterday\""]
        );
        let channel = json!({
            "id": "general",
            "type": "messaging",
            "cid": "messaging:general",
            "created_at": "2026-06-24T11:44:49+02:00",
            "updated_at": "2026-06-24T11:44:49Z",
            "frozen": false,
            "disabled": false,
            "own_capabilities": ["send-message", "fly"]
        });
        let found = errors("ChannelResponse", &channel);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("$.own_capabilities[1]: expected one of ["), "{found:?}");
    }

    #[test]
    fn events_validate() {
        let health_check = json!({
            "type": "health.check",
            "connection_id": "c1",
            "cid": "*",
            "created_at": "2026-06-24T11:44:49.394479123Z"
        });
        assert_eq!(validate("HealthCheckEvent", &health_check), Ok(()));
        let message_new = json!({
            "type": "message.new",
            "cid": "messaging:general",
            "channel_id": "general",
            "channel_type": "messaging",
            "message_id": "m1",
            "message": message(),
            "user": user(),
            "watcher_count": 1,
            "created_at": "2026-06-24T11:44:49.394479Z",
            "channel_custom": {"project_id": "p9"}
        });
        assert_eq!(validate("MessageNewEvent", &message_new), Ok(()));
    }

    #[test]
    fn unknown_schema_name_is_an_error() {
        assert_eq!(errors("NoSuchSchema", &json!({})), ["unknown schema `NoSuchSchema`"]);
    }

    #[test]
    fn schema_names_are_sorted_and_include_the_named_roots() {
        let names = schema_names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for name in ["APIError", "HealthCheckEvent", "MessageResponse", "Response", "UserWatchingStopEvent"] {
            assert!(names.contains(&name), "{name} missing");
        }
    }

    #[test]
    fn combinators_and_maps() {
        let schemas = json!({
            "Text": {"type": "string"},
            "Count": {"type": "integer"},
            "Either": {"oneOf": [{"$ref": "#/Text"}, {"$ref": "#/Count"}]},
            "Both": {"allOf": [{"type": "object", "required": ["a"]}, {"type": "object", "required": ["b"]}]},
            "Counts": {"type": "object", "additionalProperties": {"$ref": "#/Count"}},
            "Loop": {"$ref": "#/Loop"}
        });
        let schemas = schemas.as_object().unwrap();
        let validator = Validator { schemas };
        let check = |name: &str, value: serde_json::Value| {
            let mut found = Vec::new();
            validator.check(&schemas[name], &value, "$", NullPolicy::Strict, 0, &mut found);
            found
        };
        assert_eq!(check("Either", json!("x")), Vec::<String>::new());
        assert_eq!(check("Either", json!(3.0)), Vec::<String>::new());
        assert_eq!(
            check("Either", json!(true)),
            ["$: matches none of the 2 alternatives of oneOf", "$: expected string, got boolean"]
        );
        assert_eq!(check("Both", json!({"a": 1})), ["$.b: missing required field"]);
        assert_eq!(
            check("Counts", json!({"like": 2, "odd key": "x"})),
            ["$[\"odd key\"]: expected integer, got string"]
        );
        assert_eq!(check("Loop", json!(1)), ["$: schema nesting deeper than 256 levels"]);
    }
}
