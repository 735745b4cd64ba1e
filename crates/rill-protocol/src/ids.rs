//! Validated identifiers and field paths ("parse, don't validate"): a value of one of these types exists only if
//! it passed its rule, so nothing downstream re-checks it. Each deserializes with its rule, so a request body
//! with a bad id fails to parse with an error naming the field, and each rule's bound is a row of
//! [`crate::limits`].

use crate::limits::{
    truncated, MAX_CHANNEL_ID_BYTES, MAX_CHANNEL_TYPE_BYTES, MAX_CONNECTION_ID_BYTES, MAX_FIELD_PATH_BYTES,
    MAX_FIELD_PATH_SEGMENTS, MAX_MESSAGE_ID_BYTES, MAX_REACTION_TYPE_CHARS, MAX_USER_ID_BYTES,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a value is not a valid identifier; the text is shown to the client inside a code-4 error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

/// A type built from text by checking a rule.
pub trait Validated: Sized {
    fn parse_text(text: String) -> Result<Self, InvalidId>;
}

/// `deserialize_with` for optional ids: an absent key, `null` and `""` all mean "none" (clients send empty
/// strings for unset ids); anything else must pass the rule.
pub fn optional<'de, D: Deserializer<'de>, T: Validated>(deserializer: D) -> Result<Option<T>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => T::parse_text(text).map(Some).map_err(serde::de::Error::custom),
    }
}

macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `text` against the rule.
            pub fn parse(text: impl Into<String>) -> Result<$name, InvalidId> {
                let text = text.into();
                let check: fn(&str) -> Result<(), String> = $check;
                check(&text).map_err(InvalidId)?;
                Ok($name(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Validated for $name {
            fn parse_text(text: String) -> Result<$name, InvalidId> {
                $name::parse(text)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<$name, InvalidId> {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn check_user_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_USER_ID_BYTES
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'@' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "user id {:?} is invalid: use 1 to {MAX_USER_ID_BYTES} characters from a-z, A-Z, 0-9, @, _ and -",
            truncated(id)
        ))
    }
}

fn check_channel_type(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_CHANNEL_TYPE_BYTES
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "channel type {:?} is invalid: use 1 to {MAX_CHANNEL_TYPE_BYTES} characters from a-z, 0-9, _ and -",
            truncated(name)
        ))
    }
}

fn check_channel_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_CHANNEL_ID_BYTES
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'!'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "channel id {:?} is invalid: use 1 to {MAX_CHANNEL_ID_BYTES} characters from a-z, A-Z, 0-9, _ and -",
            truncated(id)
        ))
    }
}

fn check_message_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_BYTES
        && id.bytes().all(|byte| byte.is_ascii_graphic() && !matches!(byte, b',' | b'%' | b'/' | b'?' | b'#'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "message id {:?} is invalid: use 1 to {MAX_MESSAGE_ID_BYTES} printable ASCII characters without \
             \",\", \"%\", \"/\", \"?\" or \"#\"",
            truncated(id)
        ))
    }
}

fn check_reaction_type(name: &str) -> Result<(), String> {
    let count = name.chars().count();
    let valid = (1..=MAX_REACTION_TYPE_CHARS).contains(&count) && !name.chars().any(|c| c.is_control() || c == '/');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "reaction type {:?} is invalid: use 1 to {MAX_REACTION_TYPE_CHARS} characters without control \
             characters or \"/\"",
            truncated(name)
        ))
    }
}

fn check_connection_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_CONNECTION_ID_BYTES
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!("connection_id {:?} is invalid", truncated(id)))
    }
}

fn check_cid(cid: &str) -> Result<(), String> {
    let (channel_type, id) =
        cid.split_once(':').ok_or_else(|| format!("cid {:?} is invalid: expected \"type:id\"", truncated(cid)))?;
    check_channel_type(channel_type)?;
    check_channel_id(id)
}

fn check_field_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.len() > MAX_FIELD_PATH_BYTES {
        return Err(format!("field path {:?} is invalid: use 1 to {MAX_FIELD_PATH_BYTES} bytes", truncated(path)));
    }
    let segments = path.split('.').count();
    if segments > MAX_FIELD_PATH_SEGMENTS {
        return Err(format!(
            "field path {:?} has {segments} segments: the limit is {MAX_FIELD_PATH_SEGMENTS}",
            truncated(path)
        ));
    }
    if path.split('.').any(str::is_empty) {
        return Err(format!("field path {:?} is invalid: it has an empty segment", truncated(path)));
    }
    Ok(())
}

validated_string!(
    /// A user id: `[A-Za-z0-9@_-]{1,255}`, case-sensitive.
    UserId,
    check_user_id
);
validated_string!(
    /// A channel type name: `[a-z0-9_-]{1,64}`.
    ChannelType,
    check_channel_type
);
validated_string!(
    /// A channel id as clients address it: `[A-Za-z0-9_!-]{1,64}`. `!` appears only in the ids the server gives
    /// distinct channels; creating a channel with a client-chosen id refuses it.
    ChannelId,
    check_channel_id
);
validated_string!(
    /// A message id: 1 to 255 printable ASCII characters without `,`, `%`, `/`, `?` or `#`.
    MessageId,
    check_message_id
);
validated_string!(
    /// A reaction type: 1 to 30 characters without control characters or `/`.
    ReactionType,
    check_reaction_type
);
validated_string!(
    /// A WebSocket connection id (the server hands out uuids).
    ConnectionId,
    check_connection_id
);
validated_string!(
    /// A channel's `type:id`.
    Cid,
    check_cid
);
validated_string!(
    /// A dotted path into an object's data (`detail.topic`) for partial updates: at most 8 segments, none empty.
    FieldPath,
    check_field_path
);

impl Cid {
    pub fn new(channel_type: &ChannelType, id: &ChannelId) -> Cid {
        Cid(format!("{channel_type}:{id}"))
    }

    pub fn channel_type(&self) -> &str {
        self.0.split_once(':').map_or("", |(channel_type, _)| channel_type)
    }

    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, id)| id)
    }
}

impl FieldPath {
    /// The first segment: the top-level field the path reaches into.
    pub fn head(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    pub fn segments(&self) -> std::str::Split<'_, char> {
        self.0.split('.')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(UserId::parse("alice@example_1-x").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a b").is_err());
        assert!(UserId::parse("x".repeat(256)).is_err());
        assert!(ChannelId::parse("general").is_ok());
        assert!(ChannelId::parse("!members-ab").is_ok());
        assert!(ChannelId::parse("x".repeat(65)).is_err());
        assert!(ChannelType::parse("messaging").is_ok());
        assert!(ChannelType::parse("Messaging").is_err());
        assert!(MessageId::parse("a,b").is_err());
        assert!(MessageId::parse("a/b").is_err());
        assert!(MessageId::parse("8f1e-uuid").is_ok());
        assert!(ReactionType::parse("👍").is_ok());
        assert!(ReactionType::parse("a\nb").is_err());
        let cid = Cid::parse("team:general").unwrap();
        assert_eq!((cid.channel_type(), cid.id()), ("team", "general"));
        assert!(Cid::parse("team").is_err());
        assert!(Cid::parse("team:a:b").is_err());
    }

    #[test]
    fn field_paths_are_bounded() {
        let path = FieldPath::parse("detail.topic").unwrap();
        assert_eq!(path.head(), "detail");
        assert!(FieldPath::parse("a.b.c.d.e.f.g.h").is_ok());
        let error = FieldPath::parse("a.b.c.d.e.f.g.h.i").unwrap_err();
        assert!(error.0.contains("the limit is 8"), "{error}");
        assert!(FieldPath::parse(vec!["x"; 6000].join(".")).is_err());
        assert!(FieldPath::parse("a..b").is_err());
        assert!(FieldPath::parse("").is_err());
    }

    #[test]
    fn deserializing_checks_the_rule() {
        let error = serde_json::from_str::<UserId>("\"a b\"").unwrap_err();
        assert!(error.to_string().contains("user id"), "{error}");
        assert_eq!(serde_json::from_str::<UserId>("\"bob\"").unwrap(), "bob");
    }
}
