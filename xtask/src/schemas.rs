//! `cargo xtask schemas`: extract the Stream OpenAPI component schemas that Rill validates against.
//!
//! Reads `chat-openapi.json` (server-side) and `chat-openapi-clientside.json` (client-side) from
//! `$RILL_OPENAPI_DIR`, or else from `../shared/reference/stream-openapi/` next to the workspace root. It takes the
//! component schemas named in [`ROOT_SCHEMAS`] with their full `$ref` closure, looking each name up in the
//! server-side file first and in the client-side file only for names that exist there alone (the WebSocket events
//! such as `HealthCheckEvent`). Each schema keeps only its structure (`type`, `format`, `nullable`, `enum`,
//! `properties`, `required`, `items`, `additionalProperties` in schema form, `$ref`, `oneOf`, `anyOf`, `allOf`);
//! descriptions, titles, examples, defaults, limits and `x-*` keys are dropped. References are rewritten from
//! `#/components/schemas/<Name>` to `#/<Name>`. Rill's recorded deviations ([`DEVIATIONS`] and
//! [`DROPPED_REQUIRED_FIELDS`]) are applied, and the result is written to `crates/rill-protocol/schemas/stream.json`
//! as one object keyed by schema name.
//!
//! The output is deterministic: schemas and properties are sorted by name and every schema writes its keys in a
//! fixed order. The reference files live outside the repository and are for development only: without them the
//! command says so and changes nothing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

/// Environment variable naming the folder that holds the two OpenAPI files.
const OPENAPI_DIR_VARIABLE: &str = "RILL_OPENAPI_DIR";
/// Default folder of the OpenAPI files, relative to the workspace root.
const DEFAULT_OPENAPI_DIR: &str = "../shared/reference/stream-openapi";
const SERVER_SIDE_FILE: &str = "chat-openapi.json";
const CLIENT_SIDE_FILE: &str = "chat-openapi-clientside.json";
/// Output file, relative to the workspace root.
const OUTPUT_FILE: &str = "crates/rill-protocol/schemas/stream.json";
const OPERATIONS_FILE: &str = "crates/rill-protocol/schemas/stream-operations.json";
const SPEC_REFERENCE_PREFIX: &str = "#/components/schemas/";
const OUTPUT_REFERENCE_PREFIX: &str = "#/";

/// The schemas Rill's tests name. Everything they reference is extracted as well.
///
/// `Response` is the spec's name for the body that holds only `duration` (hide, show and similar calls).
const ROOT_SCHEMAS: &[&str] = &[
    // Errors and REST responses (server-side file).
    "APIError",
    "ChannelConfigWithInfo",
    "ChannelMemberResponse",
    "ChannelResponse",
    "ChannelStateResponse",
    "DeleteChannelResponse",
    "DeleteMessageResponse",
    "DeleteReactionResponse",
    "EventResponse",
    "FileUploadResponse",
    "ImageUploadResponse",
    "UploadChannelFileResponse",
    "ListDevicesResponse",
    "ListPushProvidersResponse",
    "CreateGuestResponse",
    "CreateChannelTypeResponse",
    "UpdateChannelTypeResponse",
    "ListBlockListResponse",
    "CreateBlockListResponse",
    "UpsertPushProviderResponse",
    "CheckPushResponse",
    "DeviceResponse",
    "FullUserResponse",
    "GetApplicationResponse",
    "GetChannelTypeResponse",
    "GetManyMessagesResponse",
    "GetPinnedMessagesResponse",
    "GetRateLimitsResponse",
    "ListChannelTypesResponse",
    "MuteUserResponse",
    "QueryBannedUsersResponse",
    "QueryFutureChannelBansResponse",
    "MuteChannelResponse",
    "FlagMessageResponse",
    "QueryMessageFlagsResponse",
    "UnmuteUserResponse",
    "GetMessageResponse",
    "GetReactionsResponse",
    "GetRepliesResponse",
    "MarkReadResponse",
    "MembersResponse",
    "MessageResponse",
    "MessageWithChannelResponse",
    "OwnUserResponse",
    "QueryChannelsResponse",
    "QueryUsersResponse",
    "ReactionResponse",
    "ReadStateResponse",
    "Response",
    "SearchResponse",
    "SendMessageResponse",
    "SendReactionResponse",
    "UpdateChannelPartialResponse",
    "UpdateChannelResponse",
    "UpdateMessagePartialResponse",
    "UpdateMessageResponse",
    "UpdateUsersResponse",
    "UserResponse",
    // WebSocket events present in the server-side file.
    "ChannelCreatedEvent",
    "ChannelDeletedEvent",
    "UserDeactivatedEvent",
    "UserReactivatedEvent",
    "ChannelFrozenEvent",
    "ChannelUnFrozenEvent",
    "ChannelHiddenEvent",
    "ChannelTruncatedEvent",
    "ChannelUpdatedEvent",
    "ChannelVisibleEvent",
    "MemberAddedEvent",
    "MemberRemovedEvent",
    "MemberUpdatedEvent",
    "MessageDeletedEvent",
    "MessageNewEvent",
    "MessageReadEvent",
    "MessageUpdatedEvent",
    "ReactionDeletedEvent",
    "ReactionNewEvent",
    "ReactionUpdatedEvent",
    "UserUpdatedEvent",
    // WebSocket events present only in the client-side file.
    "HealthCheckEvent",
    "NotificationAddedToChannelEvent",
    "NotificationChannelDeletedEvent",
    "NotificationMarkReadEvent",
    "NotificationMarkUnreadEvent",
    "NotificationMutesUpdatedEvent",
    "UserBannedEvent",
    "NotificationChannelMutesUpdatedEvent",
    "MessageFlaggedEvent",
    "UserUnbannedEvent",
    "NotificationNewMessageEvent",
    "NotificationRemovedFromChannelEvent",
    "TypingStartEvent",
    "TypingStopEvent",
    "UserPresenceChangedEvent",
    "UserWatchingStartEvent",
    "UserWatchingStopEvent",
];

/// One recorded difference between the published spec and what Rill validates, with the reason for it.
struct Deviation {
    name: &'static str,
    reason: &'static str,
}

/// Spec-wide deviations. Each is implemented in [`convert_schema`] or [`convert_component`].
const DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "flat custom data",
        reason: "custom data is flat on the classic wire (protocol-notes §1), so the nested `custom` object \
                 property is removed and `custom` is dropped from every `required` list",
    },
    Deviation {
        name: "open objects",
        reason: "flat custom keys sit beside built-in keys, so no object forbids or constrains extra keys: \
                 `additionalProperties` is dropped when it is `false` or when the object also lists `properties`",
    },
    Deviation {
        name: "no nullable at a component's root",
        reason: "the spec generator marks most component schemas nullable at the root (a pointer artefact); \
                 kept, `null` would satisfy every required object reached through `$ref`",
    },
];

/// A field the spec marks required on one schema but the classic wire omits (the spec models the v2 shape).
struct DroppedRequiredField {
    schema: &'static str,
    field: &'static str,
    reason: &'static str,
}

/// Required fields to drop, per schema. `custom` is handled by the "flat custom data" deviation, and
/// `MessageNewEvent` (`message_id`, `message`, `watcher_count`) and `HealthCheckEvent` (`connection_id`) need
/// nothing more, since the wire carries those fields. Add an entry here, with its reason, when a classic client is
/// shown not to need a spec-required field that Rill does not emit; every entry must name a field that is required.
const DROPPED_REQUIRED_FIELDS: &[DroppedRequiredField] = &[DroppedRequiredField {
    schema: "UpdateUsersResponse",
    field: "membership_deletion_task_id",
    reason: "v2-only: the id of an asynchronous membership-deletion task; the classic `POST /users` and \
             `PATCH /users` answer only `users` and `duration`, and Rill runs no such task",
}];

/// Which OpenAPI file a schema came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    ServerSide,
    ClientSide,
}

/// Runs `cargo xtask schemas` for the workspace at `workspace_root`.
pub(crate) fn run(workspace_root: &Path) -> Result<()> {
    let openapi_dir = match std::env::var_os(OPENAPI_DIR_VARIABLE) {
        Some(directory) => PathBuf::from(directory),
        None => workspace_root.join(DEFAULT_OPENAPI_DIR),
    };
    let server_side_path = openapi_dir.join(SERVER_SIDE_FILE);
    let client_side_path = openapi_dir.join(CLIENT_SIDE_FILE);
    if !server_side_path.is_file() || !client_side_path.is_file() {
        println!(
            "Stream OpenAPI reference not found: expected {SERVER_SIDE_FILE} and {CLIENT_SIDE_FILE} in {} \
             (set {OPENAPI_DIR_VARIABLE} to their folder). Nothing changed.",
            openapi_dir.display()
        );
        return Ok(());
    }

    write_operations(workspace_root, &[&server_side_path, &client_side_path])?;
    let server_side = read_component_schemas(&server_side_path)?;
    let client_side = read_component_schemas(&client_side_path)?;
    let extracted = extract(&server_side, &client_side)?;

    let mut document = Map::new();
    for (name, (schema, _source)) in &extracted {
        document.insert(name.clone(), schema.clone());
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(document))?;
    text.push('\n');

    let output_path = workspace_root.join(OUTPUT_FILE);
    let unchanged = fs::read_to_string(&output_path).is_ok_and(|existing| existing == text);
    if !unchanged {
        if let Some(parent) = output_path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&output_path, &text).with_context(|| format!("writing {}", output_path.display()))?;
    }

    let client_side_names: Vec<&str> = extracted
        .iter()
        .filter(|(_, (_, source))| *source == Source::ClientSide)
        .map(|(name, _)| name.as_str())
        .collect();
    println!(
        "Extracted {} schemas ({} named, the rest by $ref) from {}.",
        extracted.len(),
        ROOT_SCHEMAS.len(),
        openapi_dir.display()
    );
    println!("Taken from the client-side file: {}.", client_side_names.join(", "));
    println!("Deviations applied:");
    for deviation in DEVIATIONS {
        println!("  - {}: {}", deviation.name, deviation.reason);
    }
    for dropped in DROPPED_REQUIRED_FIELDS {
        println!("  - {}.{} not required: {}", dropped.schema, dropped.field, dropped.reason);
    }
    if unchanged {
        println!("{OUTPUT_FILE} is up to date.");
    } else {
        println!("Wrote {OUTPUT_FILE}.");
    }
    Ok(())
}

/// Writes every operation of the OpenAPI files (method, path, operation id; sorted, no duplicates) to
/// `OPERATIONS_FILE`, so the server can answer a path it does not serve with its own 404.
fn write_operations(workspace_root: &Path, files: &[&Path]) -> Result<()> {
    let mut operations = BTreeSet::new();
    for path in files {
        let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let document: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let Some(Value::Object(paths)) = document.get("paths") else {
            bail!("{} has no paths object", path.display());
        };
        for (route, item) in paths {
            let Value::Object(methods) = item else { continue };
            for (method, operation) in methods {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let id = operation.get("operationId").and_then(Value::as_str).unwrap_or_default();
                operations.insert((route.clone(), method.to_uppercase(), id.to_owned()));
            }
        }
    }
    let rows: Vec<Value> = operations
        .into_iter()
        .map(|(path, method, operation)| serde_json::json!({"method": method, "path": path, "operation": operation}))
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(rows))?;
    text.push('\n');
    let output = workspace_root.join(OPERATIONS_FILE);
    fs::write(&output, text).with_context(|| format!("writing {}", output.display()))?;
    println!("Wrote {OPERATIONS_FILE}.");
    Ok(())
}

/// Reads `components.schemas` of one OpenAPI file.
fn read_component_schemas(path: &Path) -> Result<Map<String, Value>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut document: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    match document.pointer_mut("/components/schemas").map(Value::take) {
        Some(Value::Object(schemas)) => Ok(schemas),
        _ => bail!("{} has no components.schemas object", path.display()),
    }
}

/// Converts the root schemas and everything they reference, sorted by name.
fn extract(
    server_side: &Map<String, Value>,
    client_side: &Map<String, Value>,
) -> Result<BTreeMap<String, (Value, Source)>> {
    let mut extracted: BTreeMap<String, (Value, Source)> = BTreeMap::new();
    let mut pending: VecDeque<String> = ROOT_SCHEMAS.iter().map(|name| (*name).to_owned()).collect();
    while let Some(name) = pending.pop_front() {
        if extracted.contains_key(&name) {
            continue;
        }
        let (raw, source) = if let Some(raw) = server_side.get(&name) {
            (raw, Source::ServerSide)
        } else if let Some(raw) = client_side.get(&name) {
            (raw, Source::ClientSide)
        } else {
            bail!("schema `{name}` is in neither {SERVER_SIDE_FILE} nor {CLIENT_SIDE_FILE}");
        };
        let converted = convert_component(raw, &name)?;
        let mut references = BTreeSet::new();
        collect_references(&converted, &mut references);
        pending.extend(references.into_iter().filter(|reference| !extracted.contains_key(reference)));
        extracted.insert(name, (converted, source));
    }

    for dropped in DROPPED_REQUIRED_FIELDS {
        let Some((Value::Object(schema), _)) = extracted.get_mut(dropped.schema) else {
            bail!("DROPPED_REQUIRED_FIELDS names `{}`, which is not extracted", dropped.schema);
        };
        let Some(Value::Array(required)) = schema.get_mut("required") else {
            bail!("DROPPED_REQUIRED_FIELDS names `{}`, which has no required fields", dropped.schema);
        };
        let before = required.len();
        required.retain(|field| field.as_str() != Some(dropped.field));
        if required.len() == before {
            bail!("DROPPED_REQUIRED_FIELDS names `{}.{}`, which is not required", dropped.schema, dropped.field);
        }
        if required.is_empty() {
            schema.retain(|key, _| key != "required");
        }
    }
    Ok(extracted)
}

/// Converts one named component schema.
fn convert_component(raw: &Value, name: &str) -> Result<Value> {
    // Deviation "no nullable at a component's root": drop the flag before conversion so that the converted
    // schema keeps its fixed key order.
    let mut raw = raw.clone();
    if let Value::Object(schema) = &mut raw {
        schema.retain(|key, _| key != "nullable");
    }
    convert_schema(&raw, name)
}

/// Converts one schema node, keeping only structural keys. `context` names the node in error messages.
fn convert_schema(raw: &Value, context: &str) -> Result<Value> {
    let Value::Object(raw) = raw else {
        bail!("{context}: schema is not an object");
    };
    let mut converted = Map::new();

    // In OpenAPI 3.0 the siblings of `$ref` are ignored, apart from `nullable` which some generators honour.
    if let Some(reference) = raw.get("$ref") {
        let reference = reference.as_str().with_context(|| format!("{context}: `$ref` is not a string"))?;
        let target = reference
            .strip_prefix(SPEC_REFERENCE_PREFIX)
            .with_context(|| format!("{context}: unsupported reference `{reference}`"))?;
        converted.insert("$ref".to_owned(), Value::String(format!("{OUTPUT_REFERENCE_PREFIX}{target}")));
        if let Some(nullable @ Value::Bool(true)) = raw.get("nullable") {
            converted.insert("nullable".to_owned(), nullable.clone());
        }
        return Ok(Value::Object(converted));
    }

    for key in ["type", "format", "nullable", "enum"] {
        if let Some(value) = raw.get(key) {
            converted.insert(key.to_owned(), value.clone());
        }
    }

    let mut kept_custom_property = false;
    let has_properties = raw.contains_key("properties");
    if let Some(properties) = raw.get("properties") {
        let Value::Object(properties) = properties else {
            bail!("{context}: `properties` is not an object");
        };
        let sorted: BTreeMap<&String, &Value> = properties.iter().collect();
        let mut converted_properties = Map::new();
        for (property_name, property_schema) in sorted {
            // Deviation "flat custom data": the custom-data map is not a field on the wire. A `custom` property
            // of another type (the boolean flag of `MessageChangeSet`) is a real field and stays.
            if property_name == "custom" && is_custom_data_map(property_schema) {
                continue;
            }
            if property_name == "custom" {
                kept_custom_property = true;
            }
            let property_context = format!("{context}.{property_name}");
            converted_properties.insert(property_name.clone(), convert_schema(property_schema, &property_context)?);
        }
        converted.insert("properties".to_owned(), Value::Object(converted_properties));
    }

    if let Some(required) = raw.get("required") {
        let Value::Array(required) = required else {
            bail!("{context}: `required` is not an array");
        };
        let kept: Vec<Value> =
            required.iter().filter(|field| kept_custom_property || field.as_str() != Some("custom")).cloned().collect();
        if !kept.is_empty() {
            converted.insert("required".to_owned(), Value::Array(kept));
        }
    }

    if let Some(items) = raw.get("items") {
        converted.insert("items".to_owned(), convert_schema(items, &format!("{context}[]"))?);
    }

    // Deviation "open objects": only a map's value schema survives, and never `false`.
    if let Some(additional @ Value::Object(_)) = raw.get("additionalProperties") {
        if !has_properties {
            converted.insert("additionalProperties".to_owned(), convert_schema(additional, &format!("{context}{{}}"))?);
        }
    }

    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alternatives) = raw.get(key) {
            let Value::Array(alternatives) = alternatives else {
                bail!("{context}: `{key}` is not an array");
            };
            let converted_alternatives = alternatives
                .iter()
                .enumerate()
                .map(|(index, alternative)| convert_schema(alternative, &format!("{context}.{key}[{index}]")))
                .collect::<Result<Vec<Value>>>()?;
            converted.insert(key.to_owned(), Value::Array(converted_alternatives));
        }
    }

    Ok(Value::Object(converted))
}

/// True for the spec's custom-data property: an object with no listed properties (`{type: object,
/// additionalProperties: {}}`).
fn is_custom_data_map(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object") && schema.get("properties").is_none()
}

/// Collects the names of all schemas referenced from a converted schema.
fn collect_references(schema: &Value, references: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref" {
                    if let Some(name) =
                        value.as_str().and_then(|reference| reference.strip_prefix(OUTPUT_REFERENCE_PREFIX))
                    {
                        references.insert(name.to_owned());
                    }
                } else {
                    collect_references(value, references);
                }
            }
        }
        Value::Array(values) => {
            for value in values {
                collect_references(value, references);
            }
        }
        _ => {}
    }
}
