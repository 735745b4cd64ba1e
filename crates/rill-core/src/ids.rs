//! Identifier rules. The validated types themselves live in `rill_protocol::ids`, where requests are parsed;
//! this module adds the domain's own rules on top: which ids a client may choose, and the ids of distinct
//! channels.

use crate::error::{CoreError, CoreResult};
pub use rill_protocol::ids::{ChannelId, ChannelType, Cid, ConnectionId, FieldPath, MessageId, ReactionType, UserId};
use sha2::{Digest, Sha256};

impl From<rill_protocol::ids::InvalidId> for CoreError {
    fn from(error: rill_protocol::ids::InvalidId) -> CoreError {
        CoreError::input(error.0)
    }
}

/// A channel id a client may give a new channel: `!` is reserved for the server's distinct-channel ids.
pub fn check_client_channel_id(id: &ChannelId) -> CoreResult<()> {
    if id.contains('!') {
        return Err(CoreError::input(format!("channel id {id:?} is invalid: \"!\" is reserved for distinct channels")));
    }
    Ok(())
}

/// The id of the distinct channel of a member set: the same members, in any order, give the same channel.
pub fn distinct_channel_id(member_ids: &[&UserId]) -> ChannelId {
    let mut sorted: Vec<&str> = member_ids.iter().map(|id| id.as_str()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let digest = Sha256::digest(sorted.join(",").as_bytes());
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    // `!members-` plus 32 lowercase hex digits is 41 characters the channel id rule accepts.
    ChannelId::parse(format!("!members-{hex}")).expect("distinct channel ids are valid channel ids")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn client_ids_cannot_use_the_distinct_prefix() {
        assert!(check_client_channel_id(&ChannelId::parse("general").unwrap()).is_ok());
        let error = check_client_channel_id(&ChannelId::parse("!members-x").unwrap()).unwrap_err();
        assert!(error.detail.contains("reserved"));
    }

    #[test]
    fn distinct_id_ignores_order_and_duplicates() {
        let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
        let one = distinct_channel_id(&[&bob, &alice]);
        let two = distinct_channel_id(&[&alice, &bob, &bob]);
        assert_eq!(one, two);
        assert!(one.starts_with("!members-"));
        assert_ne!(one, distinct_channel_id(&[&alice, &carol]));
    }
}
