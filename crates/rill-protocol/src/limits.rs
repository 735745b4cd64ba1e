//! Every bound Rill puts on client input, in one table: each constant here is enforced somewhere (named in its
//! row), every refusal names the limit, and `docs/protocol.md` shows the table exactly as [`ALL`] renders it (a
//! tidy test compares them). Bounds exist so that no single request can cost more than its page of work, and no
//! stored value can become unreadable.

/// The largest request body (JSON bodies and uploads alike).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The deepest nesting of arrays and objects in a JSON body or `payload=` document.
pub const MAX_JSON_DEPTH: usize = 32;
/// The longest request line (method, path and query).
pub const MAX_URI_BYTES: usize = 32 * 1024;
/// The most bytes of request headers, names and values together.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// The most request headers.
pub const MAX_HEADERS: usize = 100;
/// The most segments of a dotted field path in a partial update (`detail.topic` has two).
pub const MAX_FIELD_PATH_SEGMENTS: usize = 8;
/// The longest dotted field path, in bytes.
pub const MAX_FIELD_PATH_BYTES: usize = 255;
/// The longest key of custom data, in bytes.
pub const MAX_CUSTOM_KEY_BYTES: usize = 255;
/// The largest stored data object of a user, channel, member, message, reaction or event (custom data and
/// profile fields), as JSON.
pub const MAX_CUSTOM_BYTES: usize = 8 * 1024;
/// The deepest nesting inside one object's stored data.
pub const MAX_CUSTOM_DEPTH: usize = 8;
/// The longest user id.
pub const MAX_USER_ID_BYTES: usize = 255;
/// The longest channel id.
pub const MAX_CHANNEL_ID_BYTES: usize = 64;
/// The longest channel type name.
pub const MAX_CHANNEL_TYPE_BYTES: usize = 64;
/// The longest message id.
pub const MAX_MESSAGE_ID_BYTES: usize = 255;
/// The longest reaction type, in characters.
pub const MAX_REACTION_TYPE_CHARS: usize = 30;
/// The highest reaction score (claps): sums over every user of a message stay far from overflow.
pub const MAX_REACTION_SCORE: i64 = 1_000_000;
/// The longest connection id (server-generated uuids).
pub const MAX_CONNECTION_ID_BYTES: usize = 64;
/// The longest custom event type.
pub const MAX_EVENT_TYPE_BYTES: usize = 64;
/// The most attachments of one message.
pub const MAX_ATTACHMENTS: usize = 30;
/// The largest attachments array of one message, as JSON.
pub const MAX_ATTACHMENTS_BYTES: usize = 64 * 1024;
/// The most users one message mentions.
pub const MAX_MENTIONED_USERS: usize = 100;
/// The most users one member operation names (`members`, `add_members`, `invites`, `remove_members`,
/// `add_moderators`, `demote_moderators`, `assign_roles`), as in Stream.
pub const MAX_MEMBERS_PER_CALL: usize = 100;
/// The longest mute of a user, in minutes (a year); without a timeout a mute lasts until it is lifted.
pub const MAX_MUTE_MINUTES: i64 = 525_600;
/// The longest ban with a timeout, in minutes (a year); without a timeout a ban lasts until it is lifted.
pub const MAX_BAN_MINUTES: i64 = 525_600;
/// The longest reason of a ban or a flag, in characters, as in Stream.
pub const MAX_MODERATION_REASON_CHARS: usize = 255;
/// The most bans one `GET /query_banned_users` page holds, as in Stream (a larger `limit` is lowered to it).
pub const MAX_BANS_PER_PAGE: usize = 300;
/// The most flags one `GET /moderation/flags/message` page holds, as in Stream (a larger `limit` is lowered to it).
pub const MAX_FLAGS_PER_PAGE: usize = 300;
/// The most users, and the most channels, one user keeps muted: `me` carries every mute.
pub const MAX_MUTES_PER_USER: usize = 1_000;
/// The most channels one `POST /moderation/mute/channel` or `/unmute/channel` names, as in Stream.
pub const MAX_CHANNELS_PER_MUTE: usize = 25;
/// The longest channel mute with an expiration, in milliseconds (a year).
pub const MAX_CHANNEL_MUTE_MILLIS: i64 = 525_600 * 60_000;
/// The most users one `POST /users` or `PATCH /users` call changes.
pub const MAX_USERS_PER_CALL: usize = 100;
/// The most messages one `GET /channels/{type}/{id}/messages?ids=` names, as in Stream.
pub const MAX_MESSAGES_PER_GET: usize = 50;
/// The most channels one `POST /channels/read` names.
pub const MAX_CHANNELS_PER_READ: usize = 30;
/// The most filter tags a channel keeps, and the longest tag in bytes.
pub const MAX_FILTER_TAGS: usize = 64;
pub const MAX_FILTER_TAG_BYTES: usize = 255;
/// The deepest nesting of `$and`, `$or` and `$nor` in a filter.
pub const MAX_FILTER_DEPTH: usize = 6;
/// The most conditions in one filter.
pub const MAX_FILTER_CONDITIONS: usize = 100;
/// The most values of one `$in` or `$nin`.
pub const MAX_FILTER_VALUES: usize = 1000;
/// The most sort keys (members and bans accept one).
pub const MAX_SORT_FIELDS: usize = 5;
/// The longest search query, in bytes.
pub const MAX_SEARCH_QUERY_BYTES: usize = 1000;
/// The most bytes of one WebSocket frame or message a client may send (clients only send health checks).
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;
/// The most frames queued for one WebSocket before it is closed as too slow (1011).
pub const WS_QUEUE_FRAMES: usize = 1024;
/// The most live WebSockets of one user.
pub const MAX_CONNECTIONS_PER_USER: usize = 50;
/// Seconds a WebSocket may stay silent before it is closed (1001).
pub const WS_IDLE_SECONDS: u64 = 90;
/// Seconds from the WebSocket upgrade to the first `health.check`.
pub const WS_HANDSHAKE_SECONDS: u64 = 10;
/// Seconds a connection may take to send a complete request head; also how long an idle keep-alive
/// connection stays open.
pub const HEADER_READ_SECONDS: u64 = 20;
/// Seconds a client may take to send a request body.
pub const BODY_READ_SECONDS: u64 = 30;
/// The default most open connections from one address (`--max-connections-per-address`).
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 512;
/// File descriptors kept free for the database, logs and listening sockets when the global connection limit
/// is derived from the process's descriptor limit.
pub const RESERVED_FILE_DESCRIPTORS: usize = 128;
/// Unauthenticated and failed requests one address may make per minute.
pub const UNAUTHENTICATED_PER_MINUTE: u32 = 120;
/// Most distinct windows the rate limiter tracks per minute; beyond it, new identities share one window.
pub const MAX_RATE_LIMIT_ENTRIES: usize = 1_000_000;
/// Page sizes: `(default, maximum)`.
pub const QUERY_CHANNELS_LIMIT: (usize, usize) = (10, 30);
pub const CHANNEL_MESSAGES_LIMIT: (usize, usize) = (25, 300);
/// GetPinnedMessages `limit`: default and maximum.
pub const PINNED_MESSAGES_LIMIT: (usize, usize) = (10, 100);
pub const CHANNEL_MEMBERS_LIMIT: (usize, usize) = (100, 300);
pub const QUERY_CHANNELS_MEMBER_LIMIT: (usize, usize) = (100, 100);
pub const QUERY_USERS_LIMIT: (usize, usize) = (30, 100);
pub const REPLIES_LIMIT: (usize, usize) = (25, 300);
pub const REACTIONS_LIMIT: (usize, usize) = (25, 300);
pub const SEARCH_LIMIT: (usize, usize) = (20, 100);
/// The largest offsets.
pub const QUERY_USERS_MAX_OFFSET: usize = 1000;
pub const SEARCH_MAX_OFFSET: usize = 1000;
pub const MAX_OFFSET: usize = 10_000;
/// Slow mode's longest cooldown, in seconds.
pub const MAX_COOLDOWN_SECONDS: i64 = 120;
/// Webhooks an app keeps in `event_hooks`.
pub const MAX_EVENT_HOOKS: usize = 10;
/// A webhook URL (`webhook_url`, `event_hooks[].webhook_url`).
pub const MAX_WEBHOOK_URL_BYTES: usize = 2048;
/// Event types one webhook names (`webhook_events`, `event_hooks[].event_types`).
pub const MAX_HOOK_EVENT_TYPES: usize = 200;
/// A webhook attempt's timeout, in milliseconds: the range of `timeout_ms`, and its default.
pub const WEBHOOK_TIMEOUT_MS: (i64, i64, i64) = (100, 6000, 6000);
/// The largest upload, and the default of `size_limit`: Stream's 100 MB.
pub const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// Each piece of an upload's body must arrive within this long, and the whole within [`UPLOAD_SECONDS`].
pub const UPLOAD_CHUNK_SECONDS: u64 = 30;
/// An upload's whole body (100 MB at about 170 KB/s).
pub const UPLOAD_SECONDS: u64 = 600;
/// A multipart part other than the file (`user`, `upload_sizes`).
pub const MAX_UPLOAD_FIELD_BYTES: usize = 16 * 1024;
/// An uploaded file's name (its last path segment).
pub const MAX_FILE_NAME_BYTES: usize = 255;
/// A device's push token (`id`).
pub const MAX_DEVICE_ID_BYTES: usize = 255;
/// A push provider's name (`push_provider_name`).
pub const MAX_PUSH_PROVIDER_NAME_BYTES: usize = 36;
/// Words in one blocklist, and the bytes of one word (or phrase).
pub const MAX_BLOCKLIST_WORDS: usize = 10_000;
pub const MAX_BLOCKLIST_WORD_BYTES: usize = 100;
/// Blocklists one channel type checks.
pub const MAX_BLOCKLISTS_PER_TYPE: usize = 5;
/// Channel types an app creates besides the built-in five.
pub const MAX_CHANNEL_TYPES: usize = 50;
/// The largest `max_message_length` a channel type may set.
pub const MAX_MESSAGE_LENGTH_LIMIT: i64 = 20_000;
/// A push credential: a service account's JSON or a `.p8` key.
pub const MAX_PUSH_SECRET_BYTES: usize = 16 * 1024;
/// A push payload template.
pub const MAX_PUSH_TEMPLATE_BYTES: usize = 10 * 1024;
/// Devices one user keeps; registering another removes their oldest.
pub const MAX_DEVICES_PER_USER: usize = 25;
/// Members a message or channel event's webhook body lists with their unread counts.
pub const WEBHOOK_MEMBERS: usize = 50;

/// One row of the limits table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is bounded.
    pub dimension: &'static str,
    /// The bound, as a reader would write it.
    pub value: &'static str,
    /// What a client sees when it goes over.
    pub refusal: &'static str,
}

macro_rules! row {
    ($dimension:expr, $value:expr, $refusal:expr) => {
        Limit { dimension: $dimension, value: $value, refusal: $refusal }
    };
}

/// What page limits do: a larger `limit` is lowered to the maximum, a larger offset refused.
const PAGE: &str = "`limit` lowered to the maximum; `offset` over it: 400, code 4";

/// Every limit, as `docs/protocol.md` shows it.
pub const ALL: &[Limit] = &[
    row!("request body", "1 MiB", "413, code 22"),
    row!("request body read time", "30 s", "408, code 23"),
    row!("JSON nesting (body or `payload=`)", "32 levels", "400, code 4"),
    row!("request line", "32 KiB", "431, code 24"),
    row!("request headers", "32 KiB, 100 headers", "431, code 24"),
    row!("time to send a request head; idle keep-alive", "20 s", "connection closed"),
    row!("open connections in all", "the descriptor limit less 128 (logged at start)", "429, code 9, then closed"),
    row!("open connections per address", "512 (`--max-connections-per-address`)", "429, code 9, then closed"),
    row!("unauthenticated or failed requests per address", "120 per minute", "429, code 9"),
    row!("user id", "1-255 of `A-Z a-z 0-9 @ _ -`", "400, code 4"),
    row!("channel type", "1-64 of `a-z 0-9 _ -`", "400, code 4"),
    row!("channel id", "1-64 of `A-Z a-z 0-9 _ -` (`!` only in server-made distinct ids)", "400, code 4"),
    row!("message id", "1-255 printable ASCII without `, % / ? #`", "400, code 4"),
    row!("reaction type", "1-30 characters, no control characters or `/`", "400, code 4"),
    row!("reaction score", "1-1,000,000", "400, code 4"),
    row!("custom event type", "1-64 bytes", "400, code 4"),
    row!("field path (`set`/`unset`)", "8 segments, 255 bytes", "400, code 4"),
    row!("custom data of one object", "8 KiB as JSON, 8 levels, keys of 255 bytes", "400, code 4"),
    row!("message text", "`max_message_length` characters (5,000)", "400, code 20"),
    row!("attachments", "30 per message, 64 KiB", "400, code 4"),
    row!("mentioned users", "100 per message", "400, code 4"),
    row!("members named per call", "100", "400, code 4"),
    row!("users per `POST`/`PATCH /users`", "100", "400, code 4"),
    row!("users muted or unmuted per call; mute timeout", "100; 1-525,600 minutes", "400, code 4"),
    row!("channels muted or unmuted per call; channel mute expiration", "25; 1 ms to a year", "400, code 4"),
    row!("users, and channels, one user keeps muted", "1,000 each", "400, code 4"),
    row!("ban timeout; ban or flag reason", "1-525,600 minutes; 255 characters", "400, code 4"),
    row!("channels per `POST /channels/read`", "30", "400, code 4"),
    row!("message ids per `GET /channels/{type}/{id}/messages`", "50", "400, code 4"),
    row!("filter tags", "64 per channel, 255 bytes each", "400, code 4"),
    row!("filter", "6 levels, 100 conditions, 1,000 values per `$in`", "400, code 4"),
    row!("sort", "5 fields (members and bans: 1)", "400, code 4"),
    row!("search query", "1,000 bytes", "400, code 4"),
    row!("QueryChannels page", "`limit` 30, `message_limit` 300, `member_limit` 100, `offset` 10,000", PAGE),
    row!("channel view", "`messages.limit` 300, `members.limit` 300, `members.offset` 10,000", PAGE),
    row!("pinned messages page", "`limit` 100", PAGE),
    row!("QueryUsers page", "`limit` 100, `offset` 1,000", PAGE),
    row!("replies and reactions pages", "`limit` 300, `offset` 10,000", PAGE),
    row!("Search page", "`limit` 100, `offset` 1,000", PAGE),
    row!("QueryBannedUsers page", "`limit` 300, `offset` 10,000", PAGE),
    row!("QueryMessageFlags page", "`limit` 300, `offset` 10,000", PAGE),
    row!("webhooks per app (`event_hooks`)", "10, URLs of 2,048 bytes, 200 event types each", "400, code 4"),
    row!("webhook attempt timeout (`timeout_ms`)", "100-6,000 ms (6,000)", "400, code 4"),
    row!(
        "upload size (`file_upload_config` / `image_upload_config` `size_limit`)",
        "100 MB by default and at most",
        "413, code 22"
    ),
    row!("upload time", "30 s for each piece, 10 minutes in all", "408, code 23"),
    row!("uploaded file name; other multipart parts", "255 bytes; 16 KiB", "400, code 4"),
    row!("device id (push token); push provider name", "1-255 bytes; 36 bytes", "400, code 4"),
    row!("devices per user", "25 (a new one removes the oldest)", "none: the oldest goes"),
    row!("push credentials; push templates", "16 KiB; 10 KiB", "400, code 4"),
    row!("blocklist words; bytes of a word", "1-10,000; 1-100", "400, code 4"),
    row!("channel types of an app's own; blocklists per type", "50; 5", "400, code 4"),
    row!("a channel type's `max_message_length`", "1-20,000", "400, code 4"),
    row!("slow mode cooldown", "0-120 s", "400, code 4; sends inside it: 403, code 60"),
    row!("WebSocket frame or message from a client", "64 KiB", "close 1009"),
    row!("WebSocket handshake", "10 s to the first `health.check`", "close 1001"),
    row!("WebSocket silence", "90 s without a client frame", "close 1001"),
    row!("WebSocket send queue", "1,024 frames", "close 1011"),
    row!("WebSockets per user", "50", "`connection.error`, code 4"),
];

/// The limits table in Markdown, as it appears in `docs/protocol.md`.
pub fn markdown_table() -> String {
    let mut table = String::from("| input | limit | over the limit |\n|---|---|---|\n");
    for limit in ALL {
        table.push_str(&format!("| {} | {} | {} |\n", limit.dimension, limit.value, limit.refusal));
    }
    table
}

/// The deepest nesting of arrays and objects in a JSON text, without parsing it (so without recursion): a scan
/// that skips strings. Invalid JSON still gets a number; the parser reports its own errors afterwards.
pub fn json_depth(bytes: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The nesting depth of a JSON value (a scalar is 0, `{}` is 1), computed without recursion.
pub fn value_depth(value: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                deepest = deepest.max(depth + 1);
                stack.extend(map.values().map(|child| (child, depth + 1)));
            }
            serde_json::Value::Array(items) => {
                deepest = deepest.max(depth + 1);
                stack.extend(items.iter().map(|child| (child, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// Checks one object's stored data against [`MAX_CUSTOM_BYTES`], [`MAX_CUSTOM_DEPTH`] and
/// [`MAX_CUSTOM_KEY_BYTES`]; `what` names the object in the refusal.
pub fn check_custom_data(data: &serde_json::Map<String, serde_json::Value>, what: &str) -> Result<(), String> {
    if let Some(key) = data.keys().find(|key| key.is_empty() || key.len() > MAX_CUSTOM_KEY_BYTES) {
        return Err(format!(
            "{what} custom field {:?} is invalid: keys have 1 to {MAX_CUSTOM_KEY_BYTES} bytes",
            truncated(key)
        ));
    }
    // The object itself is one level; its values may nest MAX_CUSTOM_DEPTH - 1 more.
    let depth = data.values().map(value_depth).max().unwrap_or(0) + 1;
    if depth > MAX_CUSTOM_DEPTH {
        return Err(format!("{what} custom data is nested {depth} levels deep: the limit is {MAX_CUSTOM_DEPTH}"));
    }
    // Depth is bounded now, so serializing cannot overflow the stack.
    let bytes = serde_json::to_vec(data).map(|json| json.len()).unwrap_or(usize::MAX);
    if bytes > MAX_CUSTOM_BYTES {
        return Err(format!("{what} custom data has {bytes} bytes as JSON: the limit is {MAX_CUSTOM_BYTES}"));
    }
    Ok(())
}

/// The start of a long client string, for error messages that must stay short.
pub fn truncated(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        let start: String = text.chars().take(SHOWN).collect();
        format!("{start}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_scan_skips_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[{{{"}]}"#), 3);
        assert_eq!(json_depth(br#""\"{""#), 0);
        assert_eq!(json_depth(b"[[[[]]]]"), 4);
        assert_eq!(value_depth(&json!({"a": [1, {"b": {}}]})), 4);
        assert_eq!(value_depth(&json!(3)), 0);
    }

    #[test]
    fn custom_data_bounds() {
        let mut deep = json!(1);
        for _ in 0..=MAX_CUSTOM_DEPTH {
            deep = json!({ "x": deep });
        }
        let map = |value: serde_json::Value| value.as_object().cloned().unwrap();
        assert!(check_custom_data(&map(json!({"a": {"b": 1}})), "user").is_ok());
        let error = check_custom_data(&map(deep), "user").unwrap_err();
        assert!(error.contains("the limit is 8"), "{error}");
        let error = check_custom_data(&map(json!({"a": "x".repeat(MAX_CUSTOM_BYTES)})), "channel").unwrap_err();
        assert!(error.contains("bytes as JSON"), "{error}");
        assert!(check_custom_data(&map(json!({"": 1})), "message").is_err());
    }

    #[test]
    fn every_row_renders() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), ALL.len() + 2);
    }
}
