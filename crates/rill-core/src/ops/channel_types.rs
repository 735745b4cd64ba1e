//! Channel types (`/channeltypes`): the five built-in ones, which `PUT` may change, and the app's own, created
//! with `POST`. An app's types live in its settings (`AppSettings::channel_types`), read with the app, so a
//! channel's configuration costs no query.

use crate::error::{CoreError, CoreResult};
use crate::model::App;
use crate::ops::Context;
use crate::policy;
use crate::store::Tx;
use rill_protocol::ids::ChannelType;
use rill_protocol::limits::{truncated, MAX_BLOCKLISTS_PER_TYPE, MAX_CHANNEL_TYPES, MAX_MESSAGE_LENGTH_LIMIT};
use rill_protocol::request::ChannelTypeRequest;
use rill_protocol::types::{BlocklistOption, ChannelConfig};

/// A type's configuration: the app's own (or its change of a built-in one), else the built-in default.
pub fn config_for(app: &App, name: &str) -> Option<ChannelConfig> {
    app.settings
        .channel_types
        .iter()
        .find(|config| config.name == name)
        .cloned()
        .or_else(|| policy::channel_type_config(name, app.created_at))
}

/// Every type of the app, by name.
pub fn all(app: &App) -> Vec<ChannelConfig> {
    let mut names: Vec<&str> = policy::DEFAULT_CHANNEL_TYPES.to_vec();
    names.extend(app.settings.channel_types.iter().map(|config| config.name.as_str()));
    names.sort_unstable();
    names.dedup();
    names.into_iter().filter_map(|name| config_for(app, name)).collect()
}

/// `POST /channeltypes`: a new type, starting from `messaging`'s defaults (members read and write; see
/// `policy`). Returns the app with it.
pub async fn create(tx: &mut dyn Tx, ctx: &Context, request: &ChannelTypeRequest) -> CoreResult<(App, ChannelConfig)> {
    let name = request.name.clone().ok_or_else(|| CoreError::input("name is required"))?;
    ChannelType::parse(name.clone()).map_err(|_| {
        CoreError::input(format!(
            "channel type name {:?} must be lowercase letters, digits, '-' or '_'",
            truncated(&name)
        ))
    })?;
    let app = fresh_app(tx, ctx).await?;
    if config_for(&app, &name).is_some() {
        return Err(CoreError::input(format!("channel type {name} already exists")));
    }
    let custom = app
        .settings
        .channel_types
        .iter()
        .filter(|config| policy::channel_type_config(&config.name, app.created_at).is_none());
    if custom.count() >= MAX_CHANNEL_TYPES {
        return Err(CoreError::input(format!("an app has at most {MAX_CHANNEL_TYPES} channel types of its own")));
    }
    let mut config = policy::channel_type_config("messaging", app.created_at)
        .ok_or_else(|| CoreError::internal("the messaging defaults are missing"))?;
    config.name = name;
    config.created_at = ctx.now;
    config.updated_at = ctx.now;
    apply(tx, &app, &mut config, request).await?;
    save(tx, app, config).await
}

/// `PUT /channeltypes/{name}`: changes the switches given (a built-in type too).
pub async fn update(
    tx: &mut dyn Tx,
    ctx: &Context,
    name: &str,
    request: &ChannelTypeRequest,
) -> CoreResult<(App, ChannelConfig)> {
    if request.name.as_deref().is_some_and(|renamed| renamed != name) {
        return Err(CoreError::input("a channel type cannot be renamed"));
    }
    let app = fresh_app(tx, ctx).await?;
    let mut config = config_for(&app, name)
        .ok_or_else(|| CoreError::not_found(format!("channel type {} does not exist", truncated(name))))?;
    apply(tx, &app, &mut config, request).await?;
    config.updated_at = ctx.now;
    save(tx, app, config).await
}

/// `DELETE /channeltypes/{name}`: an app's own type without channels. Built-in types stay (change them with
/// `PUT`).
pub async fn delete(tx: &mut dyn Tx, ctx: &Context, name: &str) -> CoreResult<App> {
    let mut app = fresh_app(tx, ctx).await?;
    if policy::channel_type_config(name, app.created_at).is_some() {
        return Err(CoreError::input(format!("{name} is a built-in channel type and cannot be deleted")));
    }
    let before = app.settings.channel_types.len();
    app.settings.channel_types.retain(|config| config.name != name);
    if app.settings.channel_types.len() == before {
        return Err(CoreError::not_found(format!("channel type {} does not exist", truncated(name))));
    }
    if tx.channel_type_in_use(app.id, name).await? {
        return Err(CoreError::input(format!("channel type {name} has channels: delete them first")));
    }
    crate::ops::apps::save_settings(tx, &mut app).await?;
    Ok(app)
}

/// The app as stored, locked (the cached one may miss a concurrent change of its types).
async fn fresh_app(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<App> {
    crate::ops::apps::app_for_update(tx, ctx.app_id()).await
}

async fn save(tx: &mut dyn Tx, mut app: App, config: ChannelConfig) -> CoreResult<(App, ChannelConfig)> {
    app.settings.channel_types.retain(|old| old.name != config.name);
    app.settings.channel_types.push(config.clone());
    app.settings.channel_types.sort_by(|a, b| a.name.cmp(&b.name));
    crate::ops::apps::save_settings(tx, &mut app).await?;
    Ok((app, config))
}

/// Applies a request's switches; what Rill cannot do (automod, retention, per-type permissions) is refused by
/// name rather than stored and ignored.
async fn apply(tx: &mut dyn Tx, app: &App, config: &mut ChannelConfig, request: &ChannelTypeRequest) -> CoreResult<()> {
    let switches = [
        (request.typing_events, &mut config.typing_events),
        (request.read_events, &mut config.read_events),
        (request.connect_events, &mut config.connect_events),
        (request.custom_events, &mut config.custom_events),
        (request.search, &mut config.search),
        (request.reactions, &mut config.reactions),
        (request.replies, &mut config.replies),
        (request.quotes, &mut config.quotes),
        (request.mutes, &mut config.mutes),
        (request.uploads, &mut config.uploads),
        (request.url_enrichment, &mut config.url_enrichment),
        (request.push_notifications, &mut config.push_notifications),
    ];
    for (value, field) in switches {
        if let Some(value) = value {
            *field = value;
        }
    }
    if let Some(length) = request.max_message_length {
        if !(1..=MAX_MESSAGE_LENGTH_LIMIT).contains(&length) {
            return Err(CoreError::input(format!("max_message_length must be 1 to {MAX_MESSAGE_LENGTH_LIMIT}")));
        }
        config.max_message_length = length;
    }
    if request.automod.as_deref().is_some_and(|automod| automod != "disabled") {
        return Err(CoreError::input("automod is not available in Rill: use blocklists (automod \"disabled\")"));
    }
    if let Some(behavior) = &request.automod_behavior {
        if !matches!(behavior.as_str(), "flag" | "block") {
            return Err(CoreError::input("automod_behavior must be flag or block"));
        }
        config.automod_behavior = behavior.clone();
    }
    if request.message_retention.as_deref().is_some_and(|retention| retention != "infinite") {
        return Err(CoreError::input("message_retention other than \"infinite\" is not supported"));
    }
    if request.permissions.as_ref().is_some_and(|permissions| !permissions.is_empty())
        || request.grants.as_ref().is_some_and(|grants| !grants.is_empty())
    {
        return Err(CoreError::input(
            "per-type permissions and grants are not configurable in Rill: its roles are fixed (see docs/protocol.md)",
        ));
    }
    if let Some(commands) = &request.commands {
        config.commands = commands_of(commands)?;
    }
    if let Some(blocklists) = blocklists_of(request)? {
        for option in &blocklists {
            if tx.blocklist(app.id, &option.blocklist).await?.is_none() {
                return Err(CoreError::input(format!("blocklist {} does not exist", truncated(&option.blocklist))));
            }
        }
        config.blocklists = blocklists;
    }
    Ok(())
}

/// The commands named (`["all"]`: every command Rill has, which is `giphy`).
fn commands_of(names: &[String]) -> CoreResult<Vec<rill_protocol::types::Command>> {
    let known = policy::channel_type_config("messaging", chrono::DateTime::UNIX_EPOCH)
        .map(|config| config.commands)
        .unwrap_or_default();
    if names.iter().any(|name| name == "all") {
        return Ok(known);
    }
    names
        .iter()
        .map(|name| {
            known.iter().find(|command| &command.name == name).cloned().ok_or_else(|| {
                CoreError::input(format!("command {:?} does not exist (Rill has giphy)", truncated(name)))
            })
        })
        .collect()
}

/// `blocklists`, or the older `blocklist` + `blocklist_behavior`; `None` when neither is given.
fn blocklists_of(request: &ChannelTypeRequest) -> CoreResult<Option<Vec<BlocklistOption>>> {
    let options = match (&request.blocklists, &request.blocklist) {
        (Some(_), Some(_)) => return Err(CoreError::input("give blocklists or blocklist, not both")),
        (Some(options), None) => options.clone(),
        (None, Some(name)) if name.is_empty() => Vec::new(),
        (None, Some(name)) => vec![BlocklistOption {
            blocklist: name.clone(),
            behavior: request.blocklist_behavior.clone().unwrap_or_else(|| "flag".into()),
        }],
        (None, None) => return Ok(None),
    };
    if options.len() > MAX_BLOCKLISTS_PER_TYPE {
        return Err(CoreError::input(format!("a channel type checks at most {MAX_BLOCKLISTS_PER_TYPE} blocklists")));
    }
    for option in &options {
        if !matches!(option.behavior.as_str(), "flag" | "block" | "shadow_block") {
            return Err(CoreError::input(format!(
                "blocklist behavior must be flag, block or shadow_block, got {:?}",
                truncated(&option.behavior)
            )));
        }
    }
    Ok(Some(options))
}
