//! Blocklists (`/blocklists`): word lists that channel types check every message against, and the check itself.

use crate::error::{CoreError, CoreResult};
use crate::model::{App, Blocklist, Flag, Message};
use crate::ops::{Context, Outcome};
use crate::store::Tx;
use chrono::{DateTime, Utc};
use rill_protocol::limits::{truncated, MAX_BLOCKLIST_WORDS, MAX_BLOCKLIST_WORD_BYTES};
use rill_protocol::request::BlocklistRequest;
use rill_protocol::types::ChannelConfig;
use serde_json::{Map, Value};

/// The reporter a blocklist's flags name: no user (user ids are never empty).
pub const AUTOMOD_REPORTER: &str = "";

fn check_name(name: &str) -> CoreResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(CoreError::input("a blocklist's name must have 1 to 64 letters, digits, '-' or '_'"))
    }
}

/// The words, lowercased, trimmed and deduplicated, within the limits.
fn words_of(words: &[String]) -> CoreResult<Vec<String>> {
    if words.is_empty() || words.len() > MAX_BLOCKLIST_WORDS {
        return Err(CoreError::input(format!("a blocklist has 1 to {MAX_BLOCKLIST_WORDS} words")));
    }
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let word = word.trim().to_lowercase();
        if word.is_empty() || word.len() > MAX_BLOCKLIST_WORD_BYTES || word.chars().any(char::is_control) {
            return Err(CoreError::input(format!(
                "blocklist words have 1 to {MAX_BLOCKLIST_WORD_BYTES} bytes and no control characters: {:?}",
                truncated(&word)
            )));
        }
        out.push(word);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Applies a request's options; checks Rill cannot make (leet, plural, confusable folding) are refused rather
/// than silently not made.
fn apply(blocklist: &mut Blocklist, request: &BlocklistRequest) -> CoreResult<()> {
    if let Some(kind) = &request.kind {
        if kind != "word" {
            return Err(CoreError::input(format!(
                "blocklist type {:?} is not supported: Rill matches word lists (type \"word\")",
                truncated(kind)
            )));
        }
    }
    for (enabled, what) in [
        (request.is_leet_check_enabled, "is_leet_check_enabled"),
        (request.is_plural_check_enabled, "is_plural_check_enabled"),
        (request.is_confusable_folding_enabled, "is_confusable_folding_enabled"),
    ] {
        if enabled == Some(true) {
            return Err(CoreError::input(format!("{what} is not supported: list the variants as words")));
        }
    }
    if request.team.as_deref().is_some_and(|team| !team.is_empty()) {
        return Err(CoreError::input("team blocklists are not supported"));
    }
    if let Some(words) = &request.words {
        blocklist.words = words_of(words)?;
    }
    if let Some(substring) = request.is_substring_matching_enabled {
        blocklist.substring_matching = substring;
    }
    Ok(())
}

/// `POST /blocklists`.
pub async fn create(tx: &mut dyn Tx, ctx: &Context, request: &BlocklistRequest) -> CoreResult<Outcome<Blocklist>> {
    let name = request.name.clone().unwrap_or_default();
    check_name(&name)?;
    if request.words.is_none() {
        return Err(CoreError::input("words is required"));
    }
    if tx.blocklist(ctx.app_id(), &name).await?.is_some() {
        return Err(CoreError::input(format!("blocklist {name} already exists")));
    }
    let mut blocklist = Blocklist {
        name,
        kind: "word".into(),
        words: Vec::new(),
        substring_matching: false,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    apply(&mut blocklist, request)?;
    tx.put_blocklist(ctx.app_id(), &blocklist).await?;
    Ok(Outcome::new(blocklist))
}

/// `PUT /blocklists/{name}`: replaces the words (and options) given.
pub async fn update(
    tx: &mut dyn Tx,
    ctx: &Context,
    name: &str,
    request: &BlocklistRequest,
) -> CoreResult<Outcome<Blocklist>> {
    if request.name.as_deref().is_some_and(|renamed| renamed != name) {
        return Err(CoreError::input("a blocklist cannot be renamed"));
    }
    let mut blocklist = get(tx, ctx, name).await?;
    apply(&mut blocklist, request)?;
    blocklist.updated_at = ctx.now;
    tx.put_blocklist(ctx.app_id(), &blocklist).await?;
    Ok(Outcome::new(blocklist))
}

/// `GET /blocklists/{name}`.
pub async fn get(tx: &mut dyn Tx, ctx: &Context, name: &str) -> CoreResult<Blocklist> {
    tx.blocklist(ctx.app_id(), name)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("blocklist {} does not exist", truncated(name))))
}

/// `GET /blocklists`.
pub async fn list(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<Vec<Blocklist>> {
    tx.blocklists(ctx.app_id()).await
}

/// `DELETE /blocklists/{name}`: refused while a channel type uses it (its messages would go unchecked).
pub async fn delete(tx: &mut dyn Tx, ctx: &Context, name: &str) -> CoreResult<Outcome<()>> {
    let users: Vec<&str> = ctx
        .app
        .settings
        .channel_types
        .iter()
        .filter(|config| config.blocklists.iter().any(|option| option.blocklist == name))
        .map(|config| config.name.as_str())
        .collect();
    if !users.is_empty() {
        return Err(CoreError::input(format!(
            "blocklist {name} is used by channel types {}: remove it from them first",
            users.join(", ")
        )));
    }
    if !tx.delete_blocklist(ctx.app_id(), name).await? {
        return Err(CoreError::not_found(format!("blocklist {} does not exist", truncated(name))));
    }
    Ok(Outcome::new(()))
}

/// The first word of `blocklist` that `text` contains: as a whole word (case apart), or anywhere with substring
/// matching; an entry of several words matches as a phrase. Cost: the text's words, each a binary search.
pub fn first_match<'a>(blocklist: &'a Blocklist, text: &str) -> Option<&'a str> {
    let lower = text.to_lowercase();
    if blocklist.substring_matching {
        return blocklist.words.iter().find(|word| lower.contains(word.as_str())).map(String::as_str);
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
    if let Some(found) =
        words.iter().find_map(|word| blocklist.words.binary_search_by(|entry| entry.as_str().cmp(word)).ok())
    {
        return Some(&blocklist.words[found]);
    }
    let joined = format!(" {} ", words.join(" "));
    blocklist
        .words
        .iter()
        .filter(|entry| entry.contains(|c: char| !c.is_alphanumeric()))
        .find(|entry| {
            let phrase: Vec<&str> = entry.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            !phrase.is_empty() && joined.contains(&format!(" {} ", phrase.join(" ")))
        })
        .map(String::as_str)
}

/// What a channel type's blocklists make of a text: the strongest behaviour that applies (`block` over
/// `shadow_block` over `flag`), with the list and the word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub behavior: String,
    pub blocklist: String,
    pub word: String,
}

/// Checks a text against the type's blocklists. Cost: one lookup per list the type names (none for most types).
pub async fn screen(tx: &mut dyn Tx, app: &App, config: &ChannelConfig, text: &str) -> CoreResult<Option<Verdict>> {
    let rank = |behavior: &str| match behavior {
        "block" => 3,
        "shadow_block" => 2,
        _ => 1,
    };
    let mut verdict: Option<Verdict> = None;
    for option in &config.blocklists {
        let Some(blocklist) = tx.blocklist(app.id, &option.blocklist).await? else { continue };
        let Some(word) = first_match(&blocklist, text) else { continue };
        if verdict.as_ref().is_none_or(|found| rank(&option.behavior) > rank(&found.behavior)) {
            verdict = Some(Verdict {
                behavior: option.behavior.clone(),
                blocklist: blocklist.name.clone(),
                word: word.to_owned(),
            });
        }
    }
    Ok(verdict)
}

/// The flag a blocklist raises on a message it kept (`flag` behaviour): for the review queue, by no user.
pub fn automod_flag(message: &Message, verdict: &Verdict, now: DateTime<Utc>) -> Flag {
    let mut data = Map::new();
    data.insert("created_by_automod".into(), Value::Bool(true));
    data.insert("blocklist".into(), Value::from(verdict.blocklist.clone()));
    Flag {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: AUTOMOD_REPORTER.into(),
        target_message_id: Some(message.id.clone()),
        target_user_id: message.user_id.clone(),
        channel_cid: Some(message.cid.clone()),
        reason: Some(format!("blocklist {}", verdict.blocklist)),
        data,
        created_at: now,
        updated_at: now,
        reviewed_at: None,
        reviewed_by: None,
        approved_at: None,
        rejected_at: None,
        message_deleted_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[&str], substring: bool) -> Blocklist {
        Blocklist {
            name: "l".into(),
            kind: "word".into(),
            words: words_of(&words.iter().map(|word| (*word).to_owned()).collect::<Vec<_>>()).unwrap(),
            substring_matching: substring,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn words_match_whole_and_case_apart_phrases_as_phrases() {
        let blocklist = list(&["Darn", "heck", "free money"], false);
        assert_eq!(first_match(&blocklist, "well, DARN it"), Some("darn"));
        assert_eq!(first_match(&blocklist, "darned socks"), None, "a whole word, not a prefix");
        assert_eq!(first_match(&blocklist, "get FREE   money now"), Some("free money"));
        assert_eq!(first_match(&blocklist, "free of money"), None);
        assert_eq!(first_match(&blocklist, "nothing to see"), None);
        let substring = list(&["heck"], true);
        assert_eq!(first_match(&substring, "what the HECKling"), Some("heck"));
    }

    #[test]
    fn words_are_bounded_and_cleaned() {
        assert!(words_of(&[]).is_err());
        assert!(words_of(&["a".repeat(MAX_BLOCKLIST_WORD_BYTES + 1)]).is_err());
        assert!(words_of(&["  ".into()]).is_err());
        assert_eq!(words_of(&["B".into(), "a".into(), "b ".into()]).unwrap(), ["a", "b"]);
    }
}
