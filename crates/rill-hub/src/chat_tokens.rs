//! Chat tokens for signed-in members: HS256 with the chat app's API secret, `user_id`, `iat` and an `exp` 24
//! hours later, signed on the server (the secret never leaves it). The web app asks again before `expires_at`,
//! or when the backend answers code 40.

use chrono::{DateTime, Utc};

/// How long a chat token lasts.
pub const CHAT_TOKEN_HOURS: i64 = 24;

/// What `GET /hub/api/chat/session` gives a member: everything a client needs, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSession {
    pub api_key: String,
    pub base_url: String,
    pub user_id: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs a member's chat token, valid from `now` for [`CHAT_TOKEN_HOURS`].
pub fn chat_session(api_key: &str, base_url: &str, user_id: &str, secret: &str, now: DateTime<Utc>) -> ChatSession {
    let seconds = CHAT_TOKEN_HOURS * 3600;
    let token = rill_client::token::user_token(user_id, secret, now.timestamp(), Some(seconds));
    ChatSession {
        api_key: api_key.to_owned(),
        base_url: base_url.to_owned(),
        user_id: user_id.to_owned(),
        token,
        expires_at: now + chrono::Duration::seconds(seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn a_chat_token_names_the_member_and_lasts_a_day() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let session = chat_session("key", "http://chat", "ann", "secret-canary", now);
        let parts: Vec<&str> = session.token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
                .unwrap();
        assert_eq!(claims["user_id"], "ann");
        assert_eq!(claims["iat"].as_f64(), Some(1_800_000_000.0));
        assert_eq!(claims["exp"].as_f64(), Some(1_800_086_400.0));
        assert_eq!(session.expires_at, now + chrono::Duration::hours(24));
        assert!(!session.token.contains("secret-canary"));
    }
}
