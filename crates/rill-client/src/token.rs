//! HS256 JWTs as Stream expects them: server tokens `{"server": true}` and user tokens `{"user_id", "iat",
//! "exp"}`, signed with the app's API secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rill_protocol::jwt::{Claims, Header};
use sha2::{Sha256, Sha512};

/// Signs claims with the API secret.
pub fn sign(claims: &Claims, secret: &str) -> String {
    let header = Header { alg: "HS256".into(), typ: Some("JWT".into()) };
    let encode = |value: &dyn erased::Json| URL_SAFE_NO_PAD.encode(value.to_json());
    let input = format!("{}.{}", encode(&header), encode(claims));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The MAC a [`sign_raw`] token is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlgorithm {
    Hs256,
    Hs512,
}

/// Signs any header and claims exactly as given, with the chosen MAC whatever the header says: for checking how
/// a server treats foreign algorithms and unusual claims.
pub fn sign_raw(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    secret: &str,
    algorithm: MacAlgorithm,
) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let key = secret.as_bytes();
    let signature = match algorithm {
        MacAlgorithm::Hs256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        MacAlgorithm::Hs512 => {
            let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The app-wide server token.
pub fn server_token(secret: &str) -> String {
    sign(&Claims { server: Some(true), ..Claims::default() }, secret)
}

/// A user token issued at `issued_at` (Unix seconds), expiring after `valid_for_seconds` if given.
pub fn user_token(user_id: &str, secret: &str, issued_at: i64, valid_for_seconds: Option<i64>) -> String {
    let claims = Claims {
        user_id: Some(user_id.to_owned()),
        iat: Some(issued_at as f64),
        exp: valid_for_seconds.map(|seconds| (issued_at + seconds) as f64),
        ..Claims::default()
    };
    sign(&claims, secret)
}

mod erased {
    /// Serializes the two claim structs without generic plumbing; both always serialize.
    pub(super) trait Json {
        fn to_json(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}
