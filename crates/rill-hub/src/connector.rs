//! The Hub's connection to its chat backend: the integration settings (the `stream` settings row, the API
//! secret sealed), a Stream client for them, and Connect and Test. The built-in engine is reached in process
//! (`rill_client::LocalService`, handed over by the binary); any other backend over HTTP.

use crate::error::{HubError, HubResult};
use crate::integration::{connect_and_test, describe, Integration, TestResult, BUILT_IN, TEST_TIMEOUT};
use crate::store::HubStore;
use chrono::{DateTime, Utc};
use rill_client::{Client, LocalService};
use rill_core::secret::Secret;
use std::sync::Arc;

/// The settings row of the integration.
pub const SETTING: &str = "stream";

/// Builds clients for the stored integration. Cheap to clone.
#[derive(Clone)]
pub struct Connector {
    store: HubStore,
    built_in: Option<Arc<dyn LocalService>>,
}

impl Connector {
    pub fn new(store: HubStore, built_in: Option<Arc<dyn LocalService>>) -> Connector {
        Connector { store, built_in }
    }

    /// The stored integration, if the Hub was ever connected.
    pub async fn integration(&self) -> HubResult<Option<Integration>> {
        let Some(setting) = self.store.setting(SETTING).await? else { return Ok(None) };
        let text = |key: &str| setting.value[key].as_str().unwrap_or_default().to_owned();
        Ok(Some(Integration {
            base_url: text("base_url"),
            api_key: text("api_key"),
            api_secret: setting.secret.map(|secret| secret.expose().to_owned()).unwrap_or_default(),
            app_id: setting.value["app_id"].as_i64(),
        }))
    }

    /// Stores the integration (the secret sealed).
    pub async fn save(&self, integration: &Integration, at: DateTime<Utc>) -> HubResult<()> {
        let value = serde_json::json!({
            "base_url": integration.base_url, "api_key": integration.api_key, "app_id": integration.app_id,
        });
        self.store.put_setting(SETTING, &value, Some(&Secret::new(integration.api_secret.clone())), at).await
    }

    /// A server-side client for `integration`.
    pub fn client(&self, integration: &Integration) -> HubResult<Client> {
        if integration.base_url == BUILT_IN {
            let service = self
                .built_in
                .clone()
                .ok_or_else(|| HubError::bad_request("no_built_in_engine", "this server runs no built-in engine"))?;
            return Ok(Client::server_local(service, &integration.api_key, &integration.api_secret));
        }
        Ok(Client::server(&integration.base_url, &integration.api_key, &integration.api_secret))
    }

    /// The stored integration's client, or a clear error when the Hub is not connected.
    pub async fn connected_client(&self) -> HubResult<(Integration, Client)> {
        let integration = self
            .integration()
            .await?
            .ok_or_else(|| HubError::conflict("not_connected", "connect the Hub to a chat backend first"))?;
        let client = self.client(&integration)?;
        Ok((integration, client))
    }

    /// Connect and Test for `integration`.
    pub async fn test(&self, integration: &Integration) -> TestResult {
        if integration.base_url == BUILT_IN {
            return match self.client(integration) {
                Ok(client) => describe(rill_client::probe::probe_client(&client, integration.app_id).await),
                Err(error) => {
                    TestResult { code: "no_built_in_engine", message: error.message, app_name: None, connected: false }
                }
            };
        }
        connect_and_test(integration, &integration.base_url, TEST_TIMEOUT).await
    }
}
