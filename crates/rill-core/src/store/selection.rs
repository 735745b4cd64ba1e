//! Filters as SQL: the filter language compiled into a backend-neutral [`Condition`] over a table's columns, its
//! JSON data and its word indexes, and rendered into parameterized SQL (never a value spliced into SQL text) by
//! one renderer with a small [`Dialect`] per backend.
//!
//! The semantics are [`crate::query::matches`]'s, exactly. A condition the compiler can express with the same
//! meaning in SQL is marked exact; one it cannot (a computed field such as `online`, a dotted path, a date
//! written in another offset) compiles to a condition that holds for at least every matching row (often `TRUE`),
//! and the whole filter is then inexact: the caller fetches the rows the SQL selects and applies
//! [`crate::query::matches`] to them. So results are always complete; an exact filter is also paged in SQL, and
//! its cost grows with the page and the index, not with the table.

use crate::query;
use rill_protocol::filter::{Filter, Operator, SortDirection, SortField};
use serde_json::Value;

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Comparison {
    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::Ne => "<>",
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
        }
    }
}

/// What a condition asks of one top-level key of a row's JSON data. A missing key or JSON `null` passes none.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTest {
    /// Present and not `null`.
    Present,
    /// Equal to the value (numbers by value), or an array holding it.
    Equals(Scalar),
    /// An array holding the value.
    Holds(Scalar),
    /// An array.
    IsArray,
    /// An array holding `null` (which `{"f": null}` matches, as a missing field does).
    HoldsNull,
    /// The value, or any element of an array, of the operand's JSON type compares so (strings bytewise).
    Compare(Comparison, Scalar),
}

/// The word indexes: every word of a field (lower-cased, split as [`crate::query::words`] splits), and for user
/// fields the whole lower-cased value too, so that a prefix with spaces in it ("john d") is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordIndex {
    UserName,
    UserId,
    MessageText,
}

impl WordIndex {
    /// The `field` column of `user_words`.
    pub fn user_field(self) -> &'static str {
        match self {
            WordIndex::UserName => "name",
            WordIndex::UserId => "id",
            WordIndex::MessageText => "text",
        }
    }
}

/// A condition on one row. Every leaf renders to a boolean that is never SQL `NULL`, so `NOT` means "does not
/// match".
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    True,
    False,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// `column op value`; false when the column is `NULL`.
    Column {
        column: &'static str,
        op: Comparison,
        value: Scalar,
    },
    /// The column is `NULL`.
    Null {
        column: &'static str,
    },
    /// The column is one of the values (one parameter, however many values).
    InList {
        column: &'static str,
        values: Vec<String>,
    },
    /// A test on a top-level key of the row's data.
    Json {
        key: String,
        test: JsonTest,
    },
    /// Each prefix begins some word in the index for this row.
    Words {
        index: WordIndex,
        prefixes: Vec<String>,
    },
    /// A channel with a member among these users.
    HasMember {
        user_ids: Vec<String>,
    },
    /// A channel the user is a member of, with a membership that passes the test.
    Membership {
        user_id: String,
        test: MembershipTest,
    },
    /// A channel the user muted (a mute row, until the sweep removes it once it has run out).
    MutedBy {
        user_id: String,
    },
}

/// What a [`Condition::Membership`] asks of the membership.
#[derive(Debug, Clone, PartialEq)]
pub enum MembershipTest {
    Exists,
    Hidden,
    Role(String),
}

/// The columns that may be `NULL`, in every table (a name means the same in each). Others are compared and
/// sorted bare, which lets their indexes serve; these are wrapped so that `NULL` reads as "no match" and sorts
/// last. A tidy test keeps the list equal to the schema's.
pub const NULLABLE_COLUMNS: &[&str] = &[
    "last_active",
    "deactivated_at",
    "deleted_at",
    "revoke_tokens_issued_before",
    "name",
    "unique_name",
    "created_by",
    "team",
    "truncated_at",
    "last_message_at",
    "purge_before",
    "last_read_message_id",
    "hide_messages_before",
    "parent_id",
    "pinned_at",
    "pinned_by",
    "pin_expires",
    "quoted_message_id",
    "text_updated_at",
    "search_rowid",
    "ban_expires_at",
    "reason",
    "expires_at",
    "reviewed_at",
    "reviewed_by",
    "approved_at",
    "rejected_at",
    "message_deleted_at",
];

/// How a table's rows are ordered: columns, each ascending or descending, missing values last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey {
    pub column: &'static str,
    pub descending: bool,
}

/// Which rows of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

/// A query of one table's rows of one app: the rows that pass `condition`, in `order`, paged or all.
#[derive(Debug, Clone, PartialEq)]
pub struct RowQuery {
    pub condition: Condition,
    pub order: Vec<OrderKey>,
    pub page: Option<Page>,
}

/// The order of a channel's members: as they joined.
pub const MEMBERS_BY_JOINING: [OrderKey; 2] =
    [OrderKey { column: "created_at", descending: false }, OrderKey { column: "user_id", descending: false }];

/// A page of the members of `cid` that pass `condition`, in the order they joined (an index range).
pub fn members_of(cid: &str, condition: Condition, page: Page) -> RowQuery {
    let in_channel = Condition::Column { column: "cid", op: Comparison::Eq, value: Scalar::Text(cid.to_owned()) };
    RowQuery {
        condition: Condition::All(vec![in_channel, condition]),
        order: MEMBERS_BY_JOINING.to_vec(),
        page: Some(page),
    }
}

/// How a filter field maps onto a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A text column, never `NULL` when `nullable` is false; the document holds it as a string, or omits it when
    /// `NULL`.
    Text { column: &'static str, nullable: bool },
    /// A text column with a word index, for `$autocomplete` and `$q`.
    TextWithWords { column: &'static str, index: WordIndex },
    /// A time column (microseconds); the document holds it as an RFC 3339 string, or omits it when `NULL`.
    Time { column: &'static str, nullable: bool },
    /// An integer column, never `NULL`.
    Integer { column: &'static str },
    /// A boolean column, never `NULL`.
    Bool { column: &'static str },
    /// A key of the row's JSON data with a word index (a user's `name`).
    DataWithWords { index: WordIndex },
    /// A key of the row's JSON data: every field the catalog does not name.
    Data,
    /// A key of the data that reads as `[]` when missing (a user's `teams`).
    DataOrEmptyList,
    /// Not in the table (computed when the document is built): the filter falls back to evaluation in memory.
    Computed,
    /// A boolean the document always holds as `false` (a feature not kept per row yet).
    AlwaysFalse,
    /// A boolean the document always holds: whether the text column holds the value (a member's
    /// `is_moderator`).
    ColumnIs { column: &'static str, value: &'static str },
    /// A field only the word index answers (`$autocomplete`, `$q`); other operators are checked in memory (a
    /// member's user `name`).
    WordsOnly { index: WordIndex },
    /// A channel's member ids, as a list.
    Members,
    /// Whether the viewer's membership of a channel is hidden (`false` without one).
    ViewerHidden,
    /// Whether the viewer is a member of the channel.
    ViewerJoined,
    /// Whether the viewer muted the channel.
    ViewerMuted,
}

/// A table's fields: the kind of each built-in field; any other field is a key of the row's JSON data.
pub type FieldCatalog = fn(&str) -> Option<FieldKind>;

/// A compiled filter: `condition` holds for every row the filter matches, and for no other when `exact`.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub condition: Condition,
    pub exact: bool,
}

impl Compiled {
    fn exact(condition: Condition) -> Compiled {
        Compiled { condition, exact: true }
    }

    /// Every row may match: the filter is evaluated in memory.
    fn superset() -> Compiled {
        Compiled { condition: Condition::True, exact: false }
    }
}

/// The longest word the indexes keep, in bytes; longer words are kept as their prefix (a longer query word is
/// looked up by its prefix, and checked in memory).
pub const MAX_INDEXED_WORD_BYTES: usize = 200;

/// `text` cut to at most `max` bytes at a character boundary.
pub fn truncate_at_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The entries of a user field's word index: the whole lower-cased value and each of its words, for a string
/// or each string of an array of strings.
pub fn user_index_words(value: Option<&Value>) -> Vec<String> {
    let mut words = Vec::new();
    let mut add = |text: &str| {
        let lower = text.to_lowercase();
        words.push(truncate_at_boundary(&lower, MAX_INDEXED_WORD_BYTES).to_owned());
        for word in query::words(&lower) {
            words.push(truncate_at_boundary(word, MAX_INDEXED_WORD_BYTES).to_owned());
        }
    };
    match value {
        Some(Value::String(text)) => add(text),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut add),
        _ => {}
    }
    words.sort();
    words.dedup();
    words
}

/// A message text's entry in the full-text index: its lower-cased words, space-separated, so that both
/// backends' tokenizers see exactly the words [`crate::query::words`] sees.
pub fn message_index_text(text: &str) -> String {
    let lower = text.to_lowercase();
    let words: Vec<&str> =
        query::words(&lower).map(|word| truncate_at_boundary(word, MAX_INDEXED_WORD_BYTES)).collect();
    words.join(" ")
}

/// Compiles a parsed filter for the table `catalog` describes, as seen by `viewer` (for fields such as a
/// channel's `hidden`, which depend on who asks).
pub fn compile(filter: &Filter, catalog: FieldCatalog, viewer: Option<&str>) -> Compiled {
    match filter {
        Filter::And(children) => {
            let compiled: Vec<Compiled> = children.iter().map(|child| compile(child, catalog, viewer)).collect();
            let exact = compiled.iter().all(|child| child.exact);
            Compiled { condition: Condition::All(compiled.into_iter().map(|c| c.condition).collect()), exact }
        }
        Filter::Or(children) => {
            let compiled: Vec<Compiled> = children.iter().map(|child| compile(child, catalog, viewer)).collect();
            let exact = compiled.iter().all(|child| child.exact);
            Compiled { condition: Condition::Any(compiled.into_iter().map(|c| c.condition).collect()), exact }
        }
        Filter::Nor(children) => {
            let any = compile(&Filter::Or(children.clone()), catalog, viewer);
            negate(any)
        }
        Filter::Condition { field, op, value } => {
            compile_condition(catalog(field).unwrap_or(FieldKind::Data), field, *op, value, viewer)
        }
    }
}

/// The negation of an exact condition; of an inexact one, nothing can be said in SQL.
fn negate(compiled: Compiled) -> Compiled {
    if compiled.exact {
        Compiled::exact(Condition::Not(Box::new(compiled.condition)))
    } else {
        Compiled::superset()
    }
}

fn compile_condition(kind: FieldKind, field: &str, op: Operator, operand: &Value, viewer: Option<&str>) -> Compiled {
    let data_key = |field: &str| -> Option<String> { plain_key(field).then(|| field.to_owned()) };
    let membership = |test: MembershipTest| match viewer {
        Some(user_id) => Condition::Membership { user_id: user_id.to_owned(), test },
        None => Condition::False,
    };
    match kind {
        FieldKind::Computed => Compiled::superset(),
        FieldKind::AlwaysFalse => flag_condition(Condition::False, op, operand),
        FieldKind::ColumnIs { column, value } => flag_condition(
            Condition::Column { column, op: Comparison::Eq, value: Scalar::Text(value.to_owned()) },
            op,
            operand,
        ),
        FieldKind::WordsOnly { index } => match op {
            Operator::Autocomplete | Operator::Q => words_condition(index, op, operand, true),
            _ => Compiled::superset(),
        },
        FieldKind::ViewerHidden => flag_condition(membership(MembershipTest::Hidden), op, operand),
        FieldKind::ViewerJoined => flag_condition(membership(MembershipTest::Exists), op, operand),
        FieldKind::ViewerMuted => {
            let muted = match viewer {
                Some(user_id) => Condition::MutedBy { user_id: user_id.to_owned() },
                None => Condition::False,
            };
            flag_condition(muted, op, operand)
        }
        FieldKind::Members => members_condition(op, operand),
        FieldKind::Text { column, nullable } => text_column(column, nullable, op, operand),
        FieldKind::TextWithWords { column, index } => match op {
            Operator::Autocomplete | Operator::Q => words_condition(index, op, operand, false),
            _ => text_column(column, false, op, operand),
        },
        FieldKind::Time { column, nullable } => time_column(column, nullable, op, operand),
        FieldKind::Integer { column } => number_column(column, op, operand),
        FieldKind::Bool { column } => bool_column(column, op, operand),
        FieldKind::DataWithWords { index } => match op {
            // A user's name may be a list of names: the index merges their words, which is exact for one
            // prefix and a superset for several.
            Operator::Autocomplete | Operator::Q => words_condition(index, op, operand, true),
            _ => data_key(field).map_or_else(Compiled::superset, |key| data_condition(&key, op, operand)),
        },
        FieldKind::DataOrEmptyList => match op {
            // Missing reads as `[]`, which holds nothing: the same as missing for these operators only.
            Operator::Eq | Operator::In | Operator::Contains
                if !operand.is_null()
                    && !has_null(operand)
                    && operand.as_array().is_none_or(|list| !list.is_empty()) =>
            {
                data_key(field).map_or_else(Compiled::superset, |key| data_condition(&key, op, operand))
            }
            _ => Compiled::superset(),
        },
        FieldKind::Data => data_key(field).map_or_else(Compiled::superset, |key| data_condition(&key, op, operand)),
    }
}

fn has_null(operand: &Value) -> bool {
    operand.as_array().is_some_and(|values| values.iter().any(Value::is_null))
}

/// A data key both backends address the same way, which cannot also be read as a dotted path.
fn plain_key(field: &str) -> bool {
    !field.is_empty() && field.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-'))
}

/// A string the in-memory evaluator would compare as an instant (so as a date, not as text).
fn date_shaped(text: &str) -> bool {
    rill_protocol::time::parse(text).is_some()
}

fn comparison(op: Operator) -> Option<Comparison> {
    Some(match op {
        Operator::Gt => Comparison::Gt,
        Operator::Gte => Comparison::Gte,
        Operator::Lt => Comparison::Lt,
        Operator::Lte => Comparison::Lte,
        _ => return None,
    })
}

/// `$eq` and friends on a column, given how one operand value compares with the column (`None`: the
/// operand's type never equals the column's; `Err`: not expressible).
fn column_condition(
    column: &'static str,
    nullable: bool,
    op: Operator,
    operand: &Value,
    scalar: impl Fn(&Value) -> Result<Option<Scalar>, ()>,
) -> Compiled {
    let equals = |value: &Value| -> Result<Condition, ()> {
        if value.is_null() {
            return Ok(if nullable { Condition::Null { column } } else { Condition::False });
        }
        Ok(match scalar(value)? {
            Some(value) => Condition::Column { column, op: Comparison::Eq, value },
            None => Condition::False,
        })
    };
    let one_of = |values: &[Value]| -> Result<Condition, ()> {
        values.iter().map(equals).collect::<Result<_, _>>().map(Condition::Any)
    };
    let compiled = match op {
        Operator::Eq => equals(operand),
        Operator::Ne => equals(operand).map(|condition| Condition::Not(Box::new(condition))),
        Operator::In => operand.as_array().ok_or(()).and_then(|values| one_of(values)),
        Operator::Nin => {
            operand.as_array().ok_or(()).and_then(|values| one_of(values)).map(|c| Condition::Not(Box::new(c)))
        }
        Operator::Exists => {
            let present = if nullable { Condition::Not(Box::new(Condition::Null { column })) } else { Condition::True };
            Ok(if operand.as_bool() == Some(true) { present } else { Condition::Not(Box::new(present)) })
        }
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            let op = comparison(op).ok_or(());
            op.and_then(|op| {
                Ok(match scalar(operand)? {
                    Some(value) => Condition::Column { column, op, value },
                    None => Condition::False,
                })
            })
        }
        Operator::Contains | Operator::Autocomplete | Operator::Q => Ok(Condition::False),
    };
    compiled.map_or_else(|()| Compiled::superset(), Compiled::exact)
}

fn text_column(column: &'static str, nullable: bool, op: Operator, operand: &Value) -> Compiled {
    if matches!(op, Operator::Autocomplete | Operator::Q) {
        // No word index on this column: checked in memory.
        return Compiled::superset();
    }
    column_condition(column, nullable, op, operand, |value| match value {
        // A date-shaped operand may equal a stored date written another way: the evaluator decides.
        Value::String(text) if date_shaped(text) => Err(()),
        Value::String(text) => Ok(Some(Scalar::Text(text.clone()))),
        _ => Ok(None),
    })
}

fn time_column(column: &'static str, nullable: bool, op: Operator, operand: &Value) -> Compiled {
    if matches!(op, Operator::Autocomplete | Operator::Q) {
        // The document holds the time as text, which these operators read: checked in memory.
        return Compiled::superset();
    }
    column_condition(column, nullable, op, operand, |value| match value {
        Value::String(text) => match rill_protocol::time::parse(text) {
            // The column keeps microseconds: a finer operand is left to the evaluator.
            Some(time) if time.timestamp_subsec_nanos() % 1000 == 0 => Ok(Some(Scalar::Int(time.timestamp_micros()))),
            _ => Err(()),
        },
        _ => Ok(None),
    })
}

fn number_column(column: &'static str, op: Operator, operand: &Value) -> Compiled {
    column_condition(column, false, op, operand, |value| match value {
        Value::Number(number) => number_scalar(number).map(Some),
        // A string never equals a number, and `$gt` with a string on a number matches nothing.
        _ => Ok(None),
    })
}

fn bool_column(column: &'static str, op: Operator, operand: &Value) -> Compiled {
    flag_condition(Condition::Column { column, op: Comparison::Eq, value: Scalar::Bool(true) }, op, operand)
}

/// A boolean the document always holds, true where `is_true` holds.
fn flag_condition(is_true: Condition, op: Operator, operand: &Value) -> Compiled {
    let equals = |value: &Value| match value.as_bool() {
        Some(true) => is_true.clone(),
        Some(false) => Condition::Not(Box::new(is_true.clone())),
        // A boolean never equals anything else, and is never missing.
        None => Condition::False,
    };
    let one_of = |value: &Value| {
        Condition::Any(value.as_array().map(|values| values.iter().map(equals).collect()).unwrap_or_default())
    };
    Compiled::exact(match op {
        Operator::Eq => equals(operand),
        Operator::Ne => Condition::Not(Box::new(equals(operand))),
        Operator::In => one_of(operand),
        Operator::Nin => Condition::Not(Box::new(one_of(operand))),
        Operator::Exists if operand.as_bool() == Some(true) => Condition::True,
        // Booleans have no order, hold nothing and are not text.
        _ => Condition::False,
    })
}

/// A channel's `members`: the list of its member ids, always present when a filter names it.
fn members_condition(op: Operator, operand: &Value) -> Compiled {
    let has = |id: &str| Condition::HasMember { user_ids: vec![id.to_owned()] };
    let equals = |value: &Value| match value {
        Value::String(id) => has(id),
        // The exact member set: every one of them a member, and no one else.
        Value::Array(ids) => {
            let mut wanted: Vec<&str> = Vec::with_capacity(ids.len());
            for id in ids {
                match id.as_str() {
                    Some(id) if !wanted.contains(&id) => wanted.push(id),
                    Some(_) => {}
                    None => return Condition::False,
                }
            }
            let count = Condition::Column {
                column: "member_count",
                op: Comparison::Eq,
                value: Scalar::Int(wanted.len() as i64),
            };
            Condition::All(wanted.into_iter().map(has).chain([count]).collect())
        }
        _ => Condition::False,
    };
    let listed = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|values| values.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let any_of = |value: &Value| {
        // `$in` compares each listed value as `$eq` would: strings are member ids, lists exact sets.
        let values = value.as_array().cloned().unwrap_or_default();
        let (ids, others): (Vec<Value>, Vec<Value>) = values.into_iter().partition(Value::is_string);
        let ids = listed(&Value::Array(ids));
        let mut any = vec![Condition::HasMember { user_ids: ids }];
        any.extend(others.iter().map(equals));
        Condition::Any(any)
    };
    match op {
        Operator::Eq => Compiled::exact(equals(operand)),
        Operator::Ne => Compiled::exact(Condition::Not(Box::new(equals(operand)))),
        Operator::In => Compiled::exact(any_of(operand)),
        Operator::Nin => Compiled::exact(Condition::Not(Box::new(any_of(operand)))),
        Operator::Contains => {
            let wanted: Vec<&Value> = match operand {
                Value::Array(values) => values.iter().collect(),
                other => vec![other],
            };
            Compiled::exact(Condition::All(
                wanted.into_iter().map(|value| value.as_str().map_or(Condition::False, has)).collect(),
            ))
        }
        Operator::Exists => {
            Compiled::exact(if operand.as_bool() == Some(true) { Condition::True } else { Condition::False })
        }
        _ => Compiled::superset(),
    }
}

fn number_scalar(number: &serde_json::Number) -> Result<Scalar, ()> {
    if let Some(integer) = number.as_i64() {
        Ok(Scalar::Int(integer))
    } else if number.is_f64() {
        number.as_f64().map(Scalar::Float).ok_or(())
    } else {
        // Beyond i64: left to the evaluator.
        Err(())
    }
}

/// A JSON operand as a bound scalar; `Err` for what SQL cannot compare the way the evaluator does.
fn json_scalar(value: &Value) -> Result<Scalar, ()> {
    match value {
        Value::String(text) if date_shaped(text) => Err(()),
        Value::String(text) => Ok(Scalar::Text(text.clone())),
        Value::Number(number) => number_scalar(number),
        Value::Bool(flag) => Ok(Scalar::Bool(*flag)),
        _ => Err(()),
    }
}

fn data_condition(key: &str, op: Operator, operand: &Value) -> Compiled {
    let json = |test: JsonTest| Condition::Json { key: key.to_owned(), test };
    let equals = |value: &Value| -> Result<Condition, ()> {
        if value.is_null() {
            return Ok(Condition::Any(vec![
                Condition::Not(Box::new(json(JsonTest::Present))),
                json(JsonTest::HoldsNull),
            ]));
        }
        json_scalar(value).map(|scalar| json(JsonTest::Equals(scalar)))
    };
    let one_of = |values: &[Value]| -> Result<Condition, ()> {
        values.iter().map(equals).collect::<Result<_, _>>().map(Condition::Any)
    };
    let compiled = match op {
        Operator::Eq => equals(operand),
        Operator::Ne => equals(operand).map(|condition| Condition::Not(Box::new(condition))),
        Operator::In => operand.as_array().ok_or(()).and_then(|values| one_of(values)),
        Operator::Nin => {
            operand.as_array().ok_or(()).and_then(|values| one_of(values)).map(|c| Condition::Not(Box::new(c)))
        }
        Operator::Exists => {
            let present = json(JsonTest::Present);
            Ok(if operand.as_bool() == Some(true) { present } else { Condition::Not(Box::new(present)) })
        }
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => match (comparison(op), operand) {
            (Some(op), Value::Number(number)) => number_scalar(number).map(|value| json(JsonTest::Compare(op, value))),
            (Some(op), Value::String(text)) if !date_shaped(text) => {
                Ok(json(JsonTest::Compare(op, Scalar::Text(text.clone()))))
            }
            _ => Err(()),
        },
        Operator::Contains => {
            let wanted: Vec<&Value> = match operand {
                Value::Array(values) => values.iter().collect(),
                other => vec![other],
            };
            let holds = wanted
                .into_iter()
                .map(|value| json_scalar(value).map(|scalar| json(JsonTest::Holds(scalar))))
                .collect::<Result<Vec<_>, _>>();
            holds.map(|mut all| {
                all.push(json(JsonTest::IsArray));
                Condition::All(all)
            })
        }
        Operator::Autocomplete | Operator::Q => Err(()),
    };
    compiled.map_or_else(|()| Compiled::superset(), Compiled::exact)
}

/// `$autocomplete` or `$q` through a word index. `merged` says the index may merge several values of one row
/// (a list of names), so that several words found in it need not be in one value.
fn words_condition(index: WordIndex, op: Operator, operand: &Value, merged: bool) -> Compiled {
    let Some(text) = operand.as_str() else {
        return Compiled::exact(Condition::False);
    };
    let lower = text.to_lowercase();
    let words: Vec<&str> = query::words(&lower).collect();
    let truncated = words.iter().any(|word| word.len() > MAX_INDEXED_WORD_BYTES);
    let prefixes = |words: &[&str]| -> Vec<String> {
        words.iter().map(|word| truncate_at_boundary(word, MAX_INDEXED_WORD_BYTES).to_owned()).collect()
    };
    match op {
        Operator::Q if words.is_empty() => Compiled::exact(Condition::False),
        Operator::Q => Compiled {
            condition: Condition::Words { index, prefixes: prefixes(&words) },
            exact: !truncated && (words.len() == 1 || !merged),
        },
        // The user indexes hold each whole value too, so any prefix of it is found as it is.
        _ if index != WordIndex::MessageText => Compiled {
            condition: Condition::Words {
                index,
                prefixes: vec![truncate_at_boundary(&lower, MAX_INDEXED_WORD_BYTES).to_owned()],
            },
            exact: lower.len() <= MAX_INDEXED_WORD_BYTES,
        },
        // Message text: an empty prefix begins every text; one word is a word prefix (a text that starts with it
        // starts with a word that does); more than one is looked up word by word and checked in memory.
        _ if lower.is_empty() => Compiled::exact(Condition::True),
        _ => Compiled {
            condition: Condition::Words { index, prefixes: prefixes(&words) },
            exact: !truncated && words.len() == 1 && words[0] == lower,
        },
    }
}

/// The SQL order for a sort over `sortable` columns (field name to column), with `tiebreak` appended so that
/// ties come out as a stable in-memory sort would leave them; `None` when some field is not sortable in SQL.
pub fn sql_order(
    sort: &[SortField],
    sortable: fn(&str) -> Option<&'static str>,
    tiebreak: &[OrderKey],
) -> Option<Vec<OrderKey>> {
    let mut order = Vec::with_capacity(sort.len() + tiebreak.len());
    for field in sort {
        order.push(OrderKey {
            column: sortable(&field.field)?,
            descending: field.direction == SortDirection::Descending,
        });
    }
    order.extend_from_slice(tiebreak);
    Some(order)
}

/// A value bound to a rendered statement, converted by each backend to its own parameter type.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Scalar(Scalar),
    TextList(Vec<String>),
}

/// What differs between the backends' SQL.
pub trait Dialect {
    /// The placeholder for the `number`th parameter (from 1).
    fn placeholder(&self, number: usize, value: &Bound) -> String;
    /// `column` is one of the list bound at `list`.
    fn in_list(&self, column: &str, list: &str) -> String;
    /// The test on the key bound at `key` of the JSON column `data`; `value` is the bound operand, if any.
    fn json(&self, data: &str, key: &str, test: &JsonTest, value: Option<&str>) -> String;
    /// The ids of the rows of app `app` whose index holds every word beginning with one of the bound prefixes;
    /// `ends` are the bound upper bounds of the prefix ranges (user indexes), `query` the bound full-text query
    /// (message text, built by [`Dialect::full_text_query`]).
    fn words(&self, index: WordIndex, app: &str, ranges: &[(String, String)], query: Option<&str>) -> String;
    /// The full-text query for prefixes, in the backend's syntax.
    fn full_text_query(&self, prefixes: &[String]) -> String;
    /// A column in `ORDER BY`; `text_search` says the condition reads the full-text index, which a backend may
    /// prefer to drive the query from over an index in the sort's order.
    fn order_column(&self, column: &str, text_search: bool) -> String {
        let _ = text_search;
        column.to_owned()
    }
}

impl Condition {
    /// Whether the condition reads the full-text index anywhere.
    pub fn searches_text(&self) -> bool {
        match self {
            Condition::Words { index: WordIndex::MessageText, prefixes } => !prefixes.is_empty(),
            Condition::All(children) | Condition::Any(children) => children.iter().any(Condition::searches_text),
            Condition::Not(child) => child.searches_text(),
            _ => false,
        }
    }
}

/// Renders conditions into SQL text and its parameters.
pub struct Renderer<'d> {
    dialect: &'d dyn Dialect,
    pub params: Vec<Bound>,
    table: &'static str,
    /// The column that holds the id a word index is keyed by (`id`, or a member's `user_id`).
    key: &'static str,
}

impl<'d> Renderer<'d> {
    /// A renderer for conditions on `table`'s rows; parameters are numbered from 1.
    pub fn new(dialect: &'d dyn Dialect, table: &'static str) -> Renderer<'d> {
        Renderer { dialect, params: Vec::new(), table, key: "id" }
    }

    /// The same, with the word indexes keyed by `key` (a member row's `user_id`).
    pub fn keyed_by(mut self, key: &'static str) -> Renderer<'d> {
        self.key = key;
        self
    }

    /// Binds a value and returns its placeholder.
    pub fn bind(&mut self, value: Bound) -> String {
        let placeholder = self.dialect.placeholder(self.params.len() + 1, &value);
        self.params.push(value);
        placeholder
    }

    /// The SQL of `condition`, for the rows of the app bound at `app`.
    pub fn condition(&mut self, condition: &Condition, app: &str) -> String {
        let table = self.table;
        match condition {
            Condition::True => "TRUE".into(),
            Condition::False => "FALSE".into(),
            Condition::All(children) if children.is_empty() => "TRUE".into(),
            Condition::Any(children) if children.is_empty() => "FALSE".into(),
            Condition::All(children) => self.join(children, " AND ", app),
            Condition::Any(children) => self.join(children, " OR ", app),
            Condition::Not(child) => format!("NOT ({})", self.condition(child, app)),
            Condition::Column { column, op, value } => {
                let value = self.bind(Bound::Scalar(value.clone()));
                if NULLABLE_COLUMNS.contains(column) {
                    format!("COALESCE({table}.{column} {} {value}, FALSE)", op.sql())
                } else {
                    // Never NULL, and left bare so that an index on the column serves it.
                    format!("{table}.{column} {} {value}", op.sql())
                }
            }
            Condition::Null { column } => format!("{table}.{column} IS NULL"),
            Condition::InList { values, .. } if values.is_empty() => "FALSE".into(),
            // One value as an equality, which every planner matches with an index.
            Condition::InList { column, values } if values.len() == 1 => {
                let value = self.bind(Bound::Scalar(Scalar::Text(values[0].clone())));
                format!("{table}.{column} = {value}")
            }
            Condition::InList { column, values } => {
                let list = self.bind(Bound::TextList(values.clone()));
                self.dialect.in_list(&format!("{table}.{column}"), &list)
            }
            Condition::Json { key, test } => {
                let key = self.bind(Bound::Scalar(Scalar::Text(key.clone())));
                let value = match test {
                    JsonTest::Present | JsonTest::HoldsNull | JsonTest::IsArray => None,
                    JsonTest::Equals(value) | JsonTest::Holds(value) | JsonTest::Compare(_, value) => {
                        Some(self.bind(Bound::Scalar(value.clone())))
                    }
                };
                self.dialect.json(&format!("{table}.data"), &key, test, value.as_deref())
            }
            Condition::HasMember { user_ids } => {
                let list = self.bind(Bound::TextList(user_ids.clone()));
                let listed = self.dialect.in_list("m.user_id", &list);
                format!("{table}.cid IN (SELECT m.cid FROM members m WHERE m.app_id = {app} AND {listed})")
            }
            Condition::MutedBy { user_id } => {
                let user = self.bind(Bound::Scalar(Scalar::Text(user_id.clone())));
                format!(
                    "EXISTS (SELECT 1 FROM channel_mutes cm WHERE cm.app_id = {app} AND cm.user_id = {user} \
                     AND cm.channel_cid = {table}.cid)"
                )
            }
            Condition::Membership { user_id, test } => {
                let user = self.bind(Bound::Scalar(Scalar::Text(user_id.clone())));
                let test = match test {
                    MembershipTest::Exists => String::new(),
                    MembershipTest::Hidden => {
                        format!(" AND m.hidden = {}", self.bind(Bound::Scalar(Scalar::Bool(true))))
                    }
                    MembershipTest::Role(role) => {
                        format!(" AND m.channel_role = {}", self.bind(Bound::Scalar(Scalar::Text(role.clone()))))
                    }
                };
                format!(
                    "EXISTS (SELECT 1 FROM members m WHERE m.app_id = {app} AND m.cid = {table}.cid \
                     AND m.user_id = {user}{test})"
                )
            }
            Condition::Words { prefixes, .. } if prefixes.is_empty() => "TRUE".into(),
            Condition::Words { index, prefixes } => {
                let id = format!("{table}.{}", self.key);
                if *index == WordIndex::MessageText {
                    let query = self.dialect.full_text_query(prefixes);
                    let query = self.bind(Bound::Scalar(Scalar::Text(query)));
                    format!("{id} IN ({})", self.dialect.words(*index, app, &[], Some(&query)))
                } else {
                    let clauses: Vec<String> = prefixes
                        .iter()
                        .map(|prefix| {
                            let start = self.bind(Bound::Scalar(Scalar::Text(prefix.clone())));
                            // Every word that starts with the prefix sorts below the prefix and U+10FFFF.
                            let end = self.bind(Bound::Scalar(Scalar::Text(format!("{prefix}\u{10FFFF}"))));
                            format!("{id} IN ({})", self.dialect.words(*index, app, &[(start, end)], None))
                        })
                        .collect();
                    clauses.join(" AND ")
                }
            }
        }
    }

    fn join(&mut self, children: &[Condition], separator: &str, app: &str) -> String {
        let parts: Vec<String> = children.iter().map(|child| format!("({})", self.condition(child, app))).collect();
        parts.join(separator)
    }

    /// `ORDER BY ...` for `order` (missing values last in both directions), or nothing.
    pub fn order(&self, order: &[OrderKey], condition: &Condition) -> String {
        if order.is_empty() {
            return String::new();
        }
        let table = self.table;
        let text_search = condition.searches_text();
        let keys: Vec<String> = order
            .iter()
            .map(|key| {
                let direction = if key.descending { "DESC" } else { "ASC" };
                let column = self.dialect.order_column(&format!("{table}.{}", key.column), text_search);
                if NULLABLE_COLUMNS.contains(&key.column) {
                    format!("{column} {direction} NULLS LAST")
                } else {
                    // A bare column, so that an index in this order serves the sort.
                    format!("{column} {direction}")
                }
            })
            .collect();
        format!(" ORDER BY {}", keys.join(", "))
    }

    /// `LIMIT ... OFFSET ...` for a page, or nothing.
    pub fn page(&mut self, page: Option<Page>) -> String {
        match page {
            None => String::new(),
            Some(page) => {
                let limit = self.bind(Bound::Scalar(Scalar::Int(page.limit as i64)));
                let offset = self.bind(Bound::Scalar(Scalar::Int(page.offset as i64)));
                format!(" LIMIT {limit} OFFSET {offset}")
            }
        }
    }
}

/// The table a query reads: how it is named in `FROM`, its alias in the columns, the column its word index is
/// keyed by, and its primary key within an app.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub from: &'static str,
    pub table: &'static str,
    pub word_key: &'static str,
    pub primary_key: &'static [&'static str],
}

pub const USERS: Target = Target { from: "users", table: "users", word_key: "id", primary_key: &["id"] };
pub const CHANNELS: Target = Target { from: "channels c", table: "c", word_key: "id", primary_key: &["cid"] };
pub const MEMBERS: Target =
    Target { from: "members mb", table: "mb", word_key: "user_id", primary_key: &["cid", "user_id"] };
pub const MESSAGES: Target = Target { from: "messages", table: "messages", word_key: "id", primary_key: &["id"] };
pub const FLAGS: Target =
    Target { from: "flags", table: "flags", word_key: "id", primary_key: &["target_kind", "target_id", "user_id"] };
pub const BANS: Target =
    Target { from: "bans", table: "bans", word_key: "user_id", primary_key: &["user_id", "channel_cid"] };

/// `SELECT columns` of the rows a query selects, in its order, paged. A page is chosen on the primary key
/// alone and its rows read afterwards, so that sorting many candidates moves keys, not whole rows (with their
/// JSON and their reaction totals).
pub fn render_select(
    dialect: &dyn Dialect,
    columns: &str,
    target: Target,
    app_id: i64,
    query: &RowQuery,
) -> (String, Vec<Bound>) {
    let Target { from, table, word_key, primary_key } = target;
    let mut renderer = Renderer::new(dialect, table).keyed_by(word_key);
    let app = renderer.bind(Bound::Scalar(Scalar::Int(app_id)));
    let condition = renderer.condition(&query.condition, &app);
    let order = renderer.order(&query.order, &query.condition);
    let selected = format!("{table}.app_id = {app} AND ({condition})");
    let sql = match query.page {
        None => format!("SELECT {columns} FROM {from} WHERE {selected}{order}"),
        Some(page) => {
            let page = renderer.page(Some(page));
            let keys: Vec<String> = primary_key.iter().map(|column| format!("{table}.{column}")).collect();
            let keys = keys.join(", ");
            let outer_order = renderer.order(&query.order, &Condition::True);
            format!(
                "WITH page AS (SELECT {keys} FROM {from} WHERE {selected}{order}{page}) \
                 SELECT {columns} FROM {from} WHERE {table}.app_id = {app} AND ({keys}) IN (SELECT * FROM page){outer_order}"
            )
        }
    };
    (sql, renderer.params)
}
