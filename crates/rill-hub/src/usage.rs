//! Usage against the plan: monthly active users and messages this month, from the built-in engine's
//! `GET /usage`; against a backend without it (hosted Stream), the Hub's own count of members who got a chat
//! token this month, labelled as an estimate. A meter warns at 80 % of its limit and is full at 100 %.

use reqwest::Method;
use rill_client::Client;

/// How close a count is to its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Fine,
    /// At least 80 % of the limit.
    Warning,
    /// At the limit (or past it).
    Full,
}

/// A count and its limit (`None`: unlimited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    pub count: u64,
    pub limit: Option<u64>,
}

impl Meter {
    pub fn level(&self) -> Level {
        match self.limit {
            Some(limit) if self.count >= limit => Level::Full,
            Some(limit) if self.count * 5 >= limit * 4 => Level::Warning,
            _ => Level::Fine,
        }
    }
}

/// This month's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub plan: String,
    pub month: String,
    pub monthly_active_users: Meter,
    /// Unknown (`None`) when estimated: the Hub does not see messages.
    pub messages: Option<Meter>,
    /// Counted by the Hub (members given a chat token), not read from the backend.
    pub estimate: bool,
}

/// The monthly-active-user limit of Stream's named plans (`None`: unlimited or unknown).
pub fn plan_mau_limit(plan: &str) -> Option<u64> {
    match plan {
        "free" => Some(5),
        "startup" => Some(1_000),
        "growth" => Some(10_000),
        _ => None,
    }
}

/// Reads the backend's usage; `Ok(None)` when it has no usage API (so the caller estimates).
pub async fn backend_usage(client: &Client) -> Result<Option<Usage>, String> {
    let response = client.raw(Method::GET, "/usage", &[], None).await.map_err(|error| error.to_string())?;
    if response.status == 404 {
        return Ok(None);
    }
    if !(200..300).contains(&response.status) {
        let message = response.body["message"].as_str().unwrap_or("the backend refused");
        return Err(format!("{}: {message}", response.status));
    }
    let body: rill_protocol::response::UsageResponse =
        serde_json::from_value(response.body).map_err(|error| format!("an unexpected usage answer: {error}"))?;
    let meter = |count: rill_protocol::response::UsageCount| Meter { count: count.count, limit: count.limit };
    Ok(Some(Usage {
        plan: body.plan,
        month: body.month,
        monthly_active_users: meter(body.monthly_active_users),
        messages: Some(meter(body.messages)),
        estimate: false,
    }))
}

/// The Hub's estimate for a backend without a usage API: members who got a chat token this month.
pub fn estimate(plan: &str, month: &str, members_with_tokens: u64) -> Usage {
    Usage {
        plan: plan.to_owned(),
        month: month.to_owned(),
        monthly_active_users: Meter { count: members_with_tokens, limit: plan_mau_limit(plan) },
        messages: None,
        estimate: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_warn_at_80_percent_and_fill_at_100() {
        let meter = |count, limit| Meter { count, limit }.level();
        assert_eq!(meter(3, Some(5)), Level::Fine);
        assert_eq!(meter(4, Some(5)), Level::Warning);
        assert_eq!(meter(5, Some(5)), Level::Full);
        assert_eq!(meter(6, Some(5)), Level::Full);
        assert_eq!(meter(799, Some(1000)), Level::Fine);
        assert_eq!(meter(800, Some(1000)), Level::Warning);
        assert_eq!(meter(1_000_000, None), Level::Fine);
        assert_eq!(estimate("free", "2026-12", 4).monthly_active_users.level(), Level::Warning);
        assert_eq!(plan_mau_limit("enterprise"), None);
    }
}
