//! Property tests of the core's input handling: token verification on arbitrary text, field-path updates on
//! arbitrary data, and filter evaluation on arbitrary documents. None may panic; refusals are client errors.

use crate::auth::{self, Identity};
use crate::ids::FieldPath;
use crate::ops::{set_path, unset_path};
use crate::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use rill_protocol::filter::Filter;
use rill_protocol::limits::{value_depth, MAX_FIELD_PATH_SEGMENTS};
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9 ]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]{1,2}|\\$(in|eq|gt|exists|and|or)", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-c]{1,2}", json_value(), 0..5).prop_map(|map| map.into_iter().collect())
}

/// Token-shaped text: three segments of base64 that may decode to JSON claims, or plain noise.
fn token_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        json_value().prop_map(|value| URL_SAFE_NO_PAD.encode(value.to_string())),
        Just(URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#)),
        Just(URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#)),
        Just(URL_SAFE_NO_PAD.encode(r#"{"user_id":"alice"}"#)),
        Just(URL_SAFE_NO_PAD.encode(r#"{"server":true}"#)),
        "[A-Za-z0-9_=+/-]{0,20}",
    ];
    prop_oneof![(segment.clone(), segment.clone(), segment).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")), "\\PC{0,60}",]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn tokens_without_the_secret_never_verify_and_never_panic(token in token_like(), developer in any::<bool>()) {
        let secret = Secret::new("the-real-secret");
        match auth::verify(&token, &secret, developer, chrono::Utc::now()) {
            Err(error) => prop_assert!(error.code.status() < 500, "{error:?}"),
            // Only developer mode accepts unsigned user tokens, and never a server token.
            Ok(identity) => prop_assert!(developer && matches!(identity, Identity::User { .. }), "{identity:?}"),
        }
    }

    #[test]
    fn field_path_updates_nest_at_most_the_path_deep(
        mut data in object(),
        path in "[a-c]{1,2}(\\.[a-c]{1,2}){0,10}",
        value in json_value(),
    ) {
        let before = value_depth(&Value::Object(data.clone()));
        let added = value_depth(&value);
        match FieldPath::parse(path) {
            Ok(path) => {
                set_path(&mut data, &path, value);
                let after = value_depth(&Value::Object(data.clone()));
                prop_assert!(after <= before.max(path.segments().count() + added));
                prop_assert!(path.segments().count() <= MAX_FIELD_PATH_SEGMENTS);
                unset_path(&mut data, &path);
            }
            Err(error) => prop_assert!(error.0.contains("limit") || error.0.contains("invalid")),
        }
    }

    #[test]
    fn filters_evaluate_on_any_document_without_panicking(filter in json_value(), document in object()) {
        if let Ok(filter) = Filter::parse(&filter) {
            let _ = crate::query::matches(&filter, &document);
        }
    }
}
