//! Property tests of every parser here that takes client input: filters and sorts, ids and field paths, the
//! depth scan and the custom data check. None may panic, and what they accept obeys their rule.

use crate::filter::{parse_sort, Filter};
use crate::ids::{ChannelId, ChannelType, Cid, FieldPath, MessageId, ReactionType, UserId};
use crate::limits::{check_custom_data, json_depth, value_depth, MAX_FIELD_PATH_BYTES, MAX_FIELD_PATH_SEGMENTS};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys a filter or sort is made of, mixed with noise, so generated documents reach the parser's branches.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$and".to_owned()),
        Just("$or".to_owned()),
        Just("$nor".to_owned()),
        Just("$eq".to_owned()),
        Just("$in".to_owned()),
        Just("$nin".to_owned()),
        Just("$gt".to_owned()),
        Just("$exists".to_owned()),
        Just("$autocomplete".to_owned()),
        Just("$q".to_owned()),
        Just("$contains".to_owned()),
        Just("field".to_owned()),
        Just("direction".to_owned()),
        Just("id".to_owned()),
        Just("a.b".to_owned()),
        ".{0,6}",
    ]
}

/// Arbitrary JSON, up to a few levels deep.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |number| number.is_finite()).prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn filters_never_panic_and_print_back_to_themselves(value in json_value()) {
        if let Ok(filter) = Filter::parse(&value) {
            prop_assert_eq!(Filter::parse(&filter.to_json()), Ok(filter));
        }
    }

    #[test]
    fn sorts_never_panic_and_stay_bounded(value in json_value()) {
        if let Ok(sort) = parse_sort(&value) {
            prop_assert!(sort.len() <= crate::limits::MAX_SORT_FIELDS);
        }
    }

    #[test]
    fn ids_accept_only_what_their_rule_says(text in "\\PC{0,70}|[A-Za-z0-9@_!:,%/.-]{0,70}") {
        if let Ok(id) = UserId::parse(text.as_str()) {
            prop_assert!(!id.is_empty() && id.len() <= 255);
            prop_assert!(id.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"@_-".contains(&byte)));
            prop_assert_eq!(serde_json::from_value::<UserId>(Value::from(text.clone())).ok(), Some(id));
        }
        if let Ok(id) = ChannelId::parse(text.as_str()) {
            prop_assert!(id.len() <= 64 && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_-!".contains(&byte)));
        }
        if let Ok(name) = ChannelType::parse(text.as_str()) {
            prop_assert!(name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-".contains(&byte)));
        }
        if let Ok(id) = MessageId::parse(text.as_str()) {
            prop_assert!(!id.contains(',') && !id.contains('%') && !id.contains('/') && id.is_ascii());
        }
        if let Ok(reaction) = ReactionType::parse(text.as_str()) {
            prop_assert!(reaction.chars().count() <= 30 && !reaction.contains('/'));
        }
        if let Ok(cid) = Cid::parse(text.as_str()) {
            prop_assert!(ChannelType::parse(cid.channel_type()).is_ok() && ChannelId::parse(cid.id()).is_ok());
        }
    }

    #[test]
    fn field_paths_are_bounded(text in "[a-z.]{0,300}|\\PC{0,40}") {
        if let Ok(path) = FieldPath::parse(text.as_str()) {
            prop_assert!(path.len() <= MAX_FIELD_PATH_BYTES);
            prop_assert!(path.segments().count() <= MAX_FIELD_PATH_SEGMENTS);
            prop_assert!(path.segments().all(|segment| !segment.is_empty()));
        }
    }

    #[test]
    fn the_depth_scan_agrees_with_the_parsed_depth(value in json_value()) {
        let text = serde_json::to_vec(&value).unwrap();
        prop_assert_eq!(json_depth(&text), value_depth(&value));
    }

    #[test]
    fn the_depth_scan_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        prop_assert!(json_depth(&bytes) <= bytes.len());
    }

    #[test]
    fn accepted_custom_data_is_small_and_shallow(value in json_value()) {
        if let Value::Object(map) = value {
            if check_custom_data(&map, "user").is_ok() {
                prop_assert!(serde_json::to_vec(&map).unwrap().len() <= crate::limits::MAX_CUSTOM_BYTES);
                prop_assert!(value_depth(&Value::Object(map)) <= crate::limits::MAX_CUSTOM_DEPTH);
            }
        }
    }
}
