//! Compact JWS (RFC 7515) signing for the two JWTs the clients make: RS256 for Google's OAuth2 assertion and
//! ES256 for APNs provider tokens. Verification lives only in the `testing` fakes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::Value;

use crate::PushError;

pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `base64url(header).base64url(claims)`, the part both algorithms sign.
fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()))
}

pub(crate) fn sign_rs256(key: &RsaKeyPair, header: &Value, claims: &Value) -> Result<String, PushError> {
    let input = signing_input(header, claims);
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature)
        .map_err(|_| PushError::Credentials { reason: "RS256 signing failed".into() })?;
    Ok(format!("{input}.{}", b64url(&signature)))
}

/// ES256 with the signature as raw `R || S` (64 bytes), as JWS requires, not DER.
pub(crate) fn sign_es256(key: &EcdsaKeyPair, header: &Value, claims: &Value) -> Result<String, PushError> {
    let input = signing_input(header, claims);
    let signature = key
        .sign(&SystemRandom::new(), input.as_bytes())
        .map_err(|_| PushError::Credentials { reason: "ES256 signing failed".into() })?;
    Ok(format!("{input}.{}", b64url(signature.as_ref())))
}

/// A JWT taken apart for checking: decoded header and claims, the signed text and the raw signature.
#[cfg(feature = "testing")]
pub(crate) struct Parsed<'a> {
    pub(crate) header: Value,
    pub(crate) claims: Value,
    pub(crate) signed: &'a str,
    pub(crate) signature: Vec<u8>,
}

#[cfg(feature = "testing")]
pub(crate) fn parse(jwt: &str) -> Result<Parsed<'_>, String> {
    let (signed, signature) = jwt.rsplit_once('.').ok_or("JWT has no signature segment")?;
    let (header, claims) = signed.split_once('.').ok_or("JWT has no claims segment")?;
    let json = |segment: &str, what: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| format!("JWT {what} is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| format!("JWT {what} is not JSON"))
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| "JWT signature is not base64url")?;
    Ok(Parsed { header: json(header, "header")?, claims: json(claims, "claims")?, signed, signature })
}
