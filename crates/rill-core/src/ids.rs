//! Identifier rules, checked once at the edge ("parse, don't validate").

use crate::error::{CoreError, CoreResult};
use sha2::{Digest, Sha256};

/// User ids: `[A-Za-z0-9@_-]{1,255}`, case-sensitive.
pub fn check_user_id(id: &str) -> CoreResult<()> {
    let valid = !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'@' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(CoreError::input(format!(
            "user id {id:?} is invalid: use 1 to 255 characters from a-z, A-Z, 0-9, @, _ and -"
        )))
    }
}

/// Channel type names: `[a-z0-9_-]{1,64}`.
pub fn check_channel_type(name: &str) -> CoreResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(CoreError::input(format!("channel type {name:?} is invalid")))
    }
}

/// Client-chosen channel ids: `[a-zA-Z0-9_-]{1,64}`; `!` is reserved for distinct channels.
pub fn check_channel_id(id: &str) -> CoreResult<()> {
    if id.contains('!') {
        return Err(CoreError::input(format!("channel id {id:?} is invalid: \"!\" is reserved for distinct channels")));
    }
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(CoreError::input(format!(
            "channel id {id:?} is invalid: use 1 to 64 characters from a-z, A-Z, 0-9, _ and -"
        )))
    }
}

/// Client-supplied message ids: at most 255 characters, without `,` or `%`.
pub fn check_message_id(id: &str) -> CoreResult<()> {
    if id.is_empty() || id.len() > 255 || id.contains(',') || id.contains('%') {
        Err(CoreError::input(format!("message id {id:?} is invalid: use 1 to 255 characters without \",\" or \"%\"")))
    } else {
        Ok(())
    }
}

/// The id of the distinct channel of a member set: the same members, in any order, give the same channel.
pub fn distinct_channel_id(member_ids: &[String]) -> String {
    let mut sorted: Vec<&str> = member_ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let digest = Sha256::digest(sorted.join(",").as_bytes());
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("!members-{hex}")
}

/// Splits `type:id` into its parts.
pub fn split_cid(cid: &str) -> CoreResult<(&str, &str)> {
    cid.split_once(':')
        .filter(|(channel_type, id)| !channel_type.is_empty() && !id.is_empty())
        .ok_or_else(|| CoreError::input(format!("cid {cid:?} is invalid: expected \"type:id\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(check_user_id("alice@example_1-x").is_ok());
        assert!(check_user_id("").is_err());
        assert!(check_user_id("a b").is_err());
        assert!(check_channel_id("general").is_ok());
        assert!(check_channel_id("!members-x").unwrap_err().detail.contains("reserved"));
        assert!(check_channel_id(&"x".repeat(65)).is_err());
        assert!(check_channel_type("messaging").is_ok());
        assert!(check_channel_type("Messaging").is_err());
        assert!(check_message_id("a,b").is_err());
    }

    #[test]
    fn distinct_id_ignores_order_and_duplicates() {
        let one = distinct_channel_id(&["bob".into(), "alice".into()]);
        let two = distinct_channel_id(&["alice".into(), "bob".into(), "bob".into()]);
        assert_eq!(one, two);
        assert!(one.starts_with("!members-"));
        assert_ne!(one, distinct_channel_id(&["alice".into(), "carol".into()]));
    }
}
