//! Settings → Integrations → Stream Chat: the chat backend's base URL, API key, API secret and App ID, and
//! Connect and Test, which says exactly which of the possible things happened (`rill_client::probe`).

use rill_client::probe::{probe, Probe};
use std::time::Duration;

/// How long Connect and Test waits for the backend.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The built-in engine's base URL, when the Hub and the engine are one server.
pub const BUILT_IN: &str = "built-in";

/// The integration's settings. The secret is never shown: `Debug` redacts it and [`Integration::masked_secret`]
/// is all a page may carry.
#[derive(Clone, PartialEq, Eq)]
pub struct Integration {
    pub base_url: String,
    pub api_key: String,
    pub api_secret: String,
    pub app_id: Option<i64>,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Integration")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("api_secret", &self.masked_secret())
            .field("app_id", &self.app_id)
            .finish()
    }
}

impl Integration {
    /// The secret as a page shows it: its last four characters only.
    pub fn masked_secret(&self) -> String {
        let tail: String = self.api_secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("••••{tail}")
    }
}

/// What Connect and Test found, as the Hub API reports it: a stable `code` and a sentence for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub code: &'static str,
    pub message: String,
    /// The app's name, when connected.
    pub app_name: Option<String>,
    pub connected: bool,
}

/// Runs Connect and Test against `base_url` (already resolved: not [`BUILT_IN`]).
pub async fn connect_and_test(integration: &Integration, base_url: &str, timeout: Duration) -> TestResult {
    let answer = probe(base_url, &integration.api_key, &integration.api_secret, integration.app_id, timeout).await;
    describe(answer)
}

/// The Hub's words for a probe's answer.
pub fn describe(answer: Probe) -> TestResult {
    let result = |code, message: String| TestResult { code, message, app_name: None, connected: false };
    match answer {
        Probe::Connected { app_name, app_id } => TestResult {
            code: "connected",
            message: format!("Connected to {app_name} (app {app_id})."),
            app_name: Some(app_name),
            connected: true,
        },
        Probe::WrongApiKey { message } => result("wrong_api_key", format!("The API key is not valid ({message}).")),
        Probe::WrongSecret { message } => {
            result("wrong_secret", format!("The API secret does not match the key ({message})."))
        }
        Probe::AppIdMismatch { expected, actual, app_name } => result(
            "app_id_mismatch",
            format!("The keys belong to app {actual} ({app_name}), not to App ID {expected}."),
        ),
        Probe::Unreachable { reason, detail } => {
            result("unreachable", format!("The backend could not be reached ({}: {detail}).", reason.as_str()))
        }
        Probe::NotStreamApi { status, detail } => {
            result("not_stream_api", format!("That address does not answer as the Stream API ({status}: {detail})."))
        }
        Probe::Refused { code, message } => {
            result("refused", format!("The backend refused the keys (code {code}: {message})."))
        }
        Probe::InvalidUrl { detail } => result("invalid_url", detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_client::probe::Unreachable;

    #[test]
    fn the_secret_is_masked_everywhere_it_is_shown() {
        let integration = Integration {
            base_url: BUILT_IN.into(),
            api_key: "key".into(),
            api_secret: "s3cret-canary-WXYZ".into(),
            app_id: Some(1),
        };
        assert_eq!(integration.masked_secret(), "••••WXYZ");
        assert!(!format!("{integration:?}").contains("canary"));
    }

    #[test]
    fn each_outcome_has_its_code() {
        let codes = [
            (Probe::Connected { app_id: 1, app_name: "A".into() }, "connected"),
            (Probe::WrongApiKey { message: "m".into() }, "wrong_api_key"),
            (Probe::WrongSecret { message: "m".into() }, "wrong_secret"),
            (Probe::AppIdMismatch { expected: 1, actual: 2, app_name: "B".into() }, "app_id_mismatch"),
            (Probe::Unreachable { reason: Unreachable::Tls, detail: "d".into() }, "unreachable"),
            (Probe::NotStreamApi { status: 200, detail: "d".into() }, "not_stream_api"),
            (Probe::Refused { code: 99, message: "m".into() }, "refused"),
            (Probe::InvalidUrl { detail: "d".into() }, "invalid_url"),
        ];
        for (answer, code) in codes {
            let connected = matches!(answer, Probe::Connected { .. });
            let result = describe(answer);
            assert_eq!((result.code, result.connected), (code, connected));
        }
        let tls = describe(Probe::Unreachable { reason: Unreachable::Tls, detail: "bad certificate".into() });
        assert!(tls.message.contains("tls"), "{}", tls.message);
    }
}
