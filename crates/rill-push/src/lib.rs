//! Rill's own push-notification clients: Firebase Cloud Messaging (HTTP v1, OAuth2 service-account auth) and
//! Apple Push Notification service (HTTP/2 over TLS, ES256 provider-token auth).
//!
//! Both clients sign their own JWTs with `ring`, cache their credentials by an injectable [`options::Clock`],
//! and sort every failure into a [`PushError`] the delivery engine can act on: drop the device
//! ([`PushError::Unregistered`]), retry later ([`PushError::is_retryable`]), or alert an operator
//! ([`PushError::Credentials`]). With the `testing` feature, [`testing`] has local fake servers that check the
//! real wire format, signatures included.

pub mod apns;
mod error;
pub mod fcm;
mod http;
mod jwt;
pub mod options;
mod pem;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::PushError;
