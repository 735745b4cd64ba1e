//! Stream's JWTs: HS256 only, signed with the app's API secret.
//!
//! A server token is `{"server": true}` and acts for the whole app. A user token is `{"user_id": ...}` with an
//! optional `exp` and `iat`. With `disable_auth_checks` on, no signature is checked, which is what makes developer
//! tokens (signature segment `devtoken`) work. Every failure maps onto one row of the error table; only an expired
//! or revoked token is code 40, because that is the one code on which clients fetch a fresh token.

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::secret::Secret;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rill_protocol::error::ErrorCode;
use rill_protocol::jwt::{Claims, Header};
use sha2::Sha256;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: f64 = 60.0;

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    Server,
    User { user_id: UserId, issued_at: Option<DateTime<Utc>> },
}

/// Signs `claims` as an HS256 JWT.
pub fn sign(claims: &Claims, secret: &Secret) -> String {
    let header = Header { alg: "HS256".into(), typ: Some("JWT".into()) };
    // Serializing these two plain structs cannot fail.
    let header_json = serde_json::to_vec(&header).unwrap_or_default();
    let claims_json = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header_json), URL_SAFE_NO_PAD.encode(claims_json));
    let signature = mac(secret, signing_input.as_bytes()).finalize().into_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A user token with `iat` = now and, when given, `exp` = now + `valid_for`.
pub fn user_token(user_id: &str, secret: &Secret, now: DateTime<Utc>, valid_for: Option<chrono::Duration>) -> String {
    let claims = Claims {
        user_id: Some(user_id.to_owned()),
        iat: Some(now.timestamp() as f64),
        exp: valid_for.map(|valid_for| (now + valid_for).timestamp() as f64),
        ..Claims::default()
    };
    sign(&claims, secret)
}

/// The server token of an app.
pub fn server_token(secret: &Secret) -> String {
    sign(&Claims { server: Some(true), ..Claims::default() }, secret)
}

fn mac(secret: &Secret, input: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(input);
    mac
}

/// Decodes base64 leniently: URL-safe or standard alphabet, with or without padding.
fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    let trimmed = segment.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(trimmed).or_else(|_| STANDARD_NO_PAD.decode(trimmed)).ok()
}

fn malformed(detail: &str) -> CoreError {
    CoreError::new(ErrorCode::NotAuthenticated, format!("token is malformed: {detail}"))
}

fn time_of(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9) as u32;
    Utc.timestamp_opt(whole as i64, nanos).single()
}

/// Verifies a token's form, signature and times; revocation is checked separately with [`check_revocation`]
/// because it needs the user record.
pub fn verify(token: &str, secret: &Secret, disable_auth_checks: bool, now: DateTime<Utc>) -> CoreResult<Identity> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    if token.is_empty() {
        return Err(CoreError::new(ErrorCode::NotAuthenticated, "a JWT token is required"));
    }
    let mut parts = token.split('.');
    let (Some(header_segment), Some(claims_segment), Some(signature_segment), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three dot-separated segments"));
    };
    let header_bytes = decode_segment(header_segment).ok_or_else(|| malformed("header is not base64"))?;
    let claims_bytes = decode_segment(claims_segment).ok_or_else(|| malformed("payload is not base64"))?;
    let claims: Claims = serde_json::from_slice(&claims_bytes).map_err(|_| malformed("payload is not valid claims"))?;

    // Disabled checks exist for developer *user* tokens; a server token always needs a valid signature, or
    // anyone could forge full access to an app in development mode.
    if !disable_auth_checks || claims.server == Some(true) {
        let header: Header = serde_json::from_slice(&header_bytes).map_err(|_| malformed("header is not JSON"))?;
        if header.alg != "HS256" {
            return Err(CoreError::new(
                ErrorCode::TokenSignatureInvalid,
                format!("token algorithm {:?} is not accepted: only HS256 is", header.alg),
            ));
        }
        let signature = decode_segment(signature_segment).ok_or_else(|| malformed("signature is not base64"))?;
        let signing_input_length = header_segment.len() + 1 + claims_segment.len();
        mac(secret, &token.as_bytes()[..signing_input_length])
            .verify_slice(&signature)
            .map_err(|_| CoreError::new(ErrorCode::TokenSignatureInvalid, "token signature is invalid"))?;
    }

    let now_seconds = now.timestamp() as f64 + f64::from(now.timestamp_subsec_micros()) / 1e6;
    if let Some(exp) = claims.exp {
        if now_seconds > exp + LEEWAY_SECONDS {
            return Err(CoreError::new(ErrorCode::TokenExpired, "token has expired"));
        }
    }
    if let Some(nbf) = claims.nbf {
        if now_seconds + LEEWAY_SECONDS < nbf {
            return Err(CoreError::new(ErrorCode::TokenNotValidYet, "token is not valid yet (nbf)"));
        }
    }
    if let Some(iat) = claims.iat {
        if now_seconds + LEEWAY_SECONDS < iat {
            return Err(CoreError::new(ErrorCode::TokenIssuedInFuture, "token was issued in the future (iat)"));
        }
    }

    if claims.server == Some(true) {
        return Ok(Identity::Server);
    }
    match claims.user_id {
        Some(user_id) if !user_id.is_empty() => {
            let user_id = UserId::parse(user_id).map_err(|error| malformed(&error.0))?;
            Ok(Identity::User { user_id, issued_at: claims.iat.and_then(time_of) })
        }
        _ => Err(malformed("payload has neither user_id nor server")),
    }
}

/// Rejects a user token issued before an app-wide or per-user revocation. Once any revocation is set, a token
/// without `iat` cannot prove it is newer, so it is rejected too. Code 40 makes clients fetch a fresh token.
pub fn check_revocation(
    issued_at: Option<DateTime<Utc>>,
    app_revoked_before: Option<DateTime<Utc>>,
    user_revoked_before: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    let revoked_before = match (app_revoked_before, user_revoked_before) {
        (Some(app), Some(user)) => Some(app.max(user)),
        (app, user) => app.or(user),
    };
    let Some(revoked_before) = revoked_before else { return Ok(()) };
    match issued_at {
        Some(issued_at) if issued_at.timestamp() >= revoked_before.timestamp() => Ok(()),
        _ => Err(CoreError::new(ErrorCode::TokenExpired, "token has been revoked")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("s3cret")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().unwrap()
    }

    #[test]
    fn server_and_user_tokens_round_trip() {
        assert_eq!(verify(&server_token(&secret()), &secret(), false, at(1000)).unwrap(), Identity::Server);
        let token = user_token("alice", &secret(), at(1000), Some(chrono::Duration::hours(24)));
        assert_eq!(
            verify(&token, &secret(), false, at(1000)).unwrap(),
            Identity::User { user_id: UserId::parse("alice").unwrap(), issued_at: Some(at(1000)) }
        );
        let bearer = format!("Bearer {token}");
        assert!(verify(&bearer, &secret(), false, at(1000)).is_ok());
    }

    #[test]
    fn failures_have_the_right_codes() {
        let token = user_token("alice", &secret(), at(1000), Some(chrono::Duration::seconds(100)));
        let code = |result: CoreResult<Identity>| result.unwrap_err().code.code();
        assert_eq!(code(verify(&token, &Secret::new("other"), false, at(1000))), 43);
        // The leeway holds to the second: exp 1100 + 60 s is still valid, one second later it is not.
        assert!(verify(&token, &secret(), false, at(1160)).is_ok());
        assert_eq!(code(verify(&token, &secret(), false, at(1161))), 40);
        assert_eq!(code(verify(&token, &secret(), false, at(939))), 42);
        assert_eq!(code(verify("", &secret(), false, at(1000))), 5);
        assert_eq!(code(verify("a.b", &secret(), false, at(1000))), 5);
        let nbf = sign(&Claims { user_id: Some("a".into()), nbf: Some(2000.0), ..Claims::default() }, &secret());
        assert_eq!(code(verify(&nbf, &secret(), false, at(1000))), 41);
    }

    #[test]
    fn alg_none_and_foreign_algorithms_fail() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"user_id":"mallory"}"#);
        for header in [r#"{"alg":"none"}"#, r#"{"alg":"HS512"}"#, r#"{"alg":"RS256"}"#] {
            let token = format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(header));
            assert_eq!(verify(&token, &secret(), false, at(0)).unwrap_err().code.code(), 43, "{header}");
        }
    }

    #[test]
    fn developer_tokens_need_disabled_auth_checks() {
        let payload = STANDARD_NO_PAD.encode(br#"{"user_id":"dev"}"#);
        let token = format!("{}.{payload}.devtoken", URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#));
        // With checks on, "devtoken" is just a wrong signature.
        assert_eq!(verify(&token, &secret(), false, at(0)).unwrap_err().code.code(), 43);
        assert_eq!(
            verify(&token, &secret(), true, at(0)).unwrap(),
            Identity::User { user_id: UserId::parse("dev").unwrap(), issued_at: None }
        );
        let forged_server = format!(
            "{}.{}.devtoken",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"server":true}"#)
        );
        assert_eq!(verify(&forged_server, &secret(), true, at(0)).unwrap_err().code.code(), 43);
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5000 {
            let length = (state % 64) as usize;
            let mut bytes = Vec::with_capacity(length);
            for _ in 0..length {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(b"ab.=-_{}\"xyz0123"[(state % 16) as usize]);
            }
            let text = String::from_utf8(bytes).unwrap();
            let _ = verify(&text, &secret(), false, at(0));
            let _ = verify(&text, &secret(), true, at(0));
        }
    }

    #[test]
    fn revocation() {
        assert!(check_revocation(None, None, None).is_ok());
        assert!(check_revocation(Some(at(100)), Some(at(50)), None).is_ok());
        assert_eq!(check_revocation(Some(at(40)), Some(at(50)), None).unwrap_err().code.code(), 40);
        assert_eq!(check_revocation(Some(at(60)), Some(at(50)), Some(at(70))).unwrap_err().code.code(), 40);
        assert_eq!(check_revocation(None, None, Some(at(1))).unwrap_err().code.code(), 40);
    }
}
