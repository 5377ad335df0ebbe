//! Walks a batch body `{"messages": [...]}` item by item as it is parsed,
//! handing each item's raw JSON to a callback: no list of items is built,
//! whatever the batch size, and a bad item spoils only itself.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Why walking a batch stopped.
#[derive(Debug)]
pub enum WalkError<E> {
    /// The body is not JSON at all (HTTP 400).
    Syntax(serde_json::Error),
    /// JSON, but not the shape of a batch (HTTP 422).
    Shape(serde_json::Error),
    /// More items than allowed.
    TooMany(usize),
    /// The callback failed; the walk stopped there.
    Callback(E),
}

/// Calls `each` with every item of `body`'s `messages` array, in order.
/// Returns how many items there were.
pub fn walk<E>(
    body: &[u8],
    max_items: usize,
    each: &mut dyn FnMut(&RawValue) -> Result<(), E>,
) -> Result<usize, WalkError<E>> {
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Batch {
        each,
        max_items,
        failure: &mut failure,
    };
    let result = seed.deserialize(&mut de).and_then(|n| de.end().map(|_| n));
    match (result, failure) {
        (_, Some(Stop::TooMany)) => Err(WalkError::TooMany(max_items)),
        (_, Some(Stop::Callback(e))) => Err(WalkError::Callback(e)),
        (Ok(n), None) => n.ok_or_else(|| WalkError::Shape(de::Error::missing_field("messages"))),
        (Err(e), None) if e.is_data() => Err(WalkError::Shape(e)),
        (Err(e), None) => Err(WalkError::Syntax(e)),
    }
}

enum Stop<E> {
    TooMany,
    Callback(E),
}

struct Batch<'f, E> {
    each: &'f mut dyn FnMut(&RawValue) -> Result<(), E>,
    max_items: usize,
    failure: &'f mut Option<Stop<E>>,
}

impl<'de, E> DeserializeSeed<'de> for Batch<'_, E> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, E> Visitor<'de> for Batch<'_, E> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an object {"messages": [...]}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut count = None;
        let Batch {
            each,
            max_items,
            failure,
        } = self;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key != "messages" {
                return Err(de::Error::unknown_field(&key, &["messages"]));
            }
            if count.is_some() {
                return Err(de::Error::duplicate_field("messages"));
            }
            count = Some(map.next_value_seed(Items {
                each: &mut *each,
                max_items,
                failure: &mut *failure,
            })?);
        }
        Ok(count)
    }
}

struct Items<'f, E> {
    each: &'f mut dyn FnMut(&RawValue) -> Result<(), E>,
    max_items: usize,
    failure: &'f mut Option<Stop<E>>,
}

impl<'de, E> DeserializeSeed<'de> for Items<'_, E> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E> Visitor<'de> for Items<'_, E> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if n == self.max_items {
                *self.failure = Some(Stop::TooMany);
                return Err(de::Error::custom("too many items"));
            }
            n += 1;
            if let Err(e) = (self.each)(item) {
                *self.failure = Some(Stop::Callback(e));
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(body: &str, max: usize) -> Result<Vec<String>, WalkError<String>> {
        let mut seen = Vec::new();
        walk(body.as_bytes(), max, &mut |raw| {
            if raw.get() == "\"boom\"" {
                return Err("boom".to_string());
            }
            seen.push(raw.get().to_string());
            Ok(())
        })
        .map(|n| {
            assert_eq!(n, seen.len());
            seen
        })
    }

    #[test]
    fn hands_over_each_item_in_order() {
        let got = items(r#" {"messages": [{"to":"1"}, 5, [1,2], {"a":{"b":[]}}]} "#, 10).unwrap();
        assert_eq!(got, [r#"{"to":"1"}"#, "5", "[1,2]", r#"{"a":{"b":[]}}"#]);
        assert_eq!(items(r#"{"messages": []}"#, 10).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn tells_syntax_from_shape() {
        assert!(matches!(
            items(r#"{"messages": [1, 2"#, 10),
            Err(WalkError::Syntax(_))
        ));
        assert!(matches!(items("not json", 10), Err(WalkError::Syntax(_))));
        assert!(matches!(
            items(r#"{"messages": [1]} trailing"#, 10),
            Err(WalkError::Syntax(_))
        ));
        assert!(matches!(items(r#"{}"#, 10), Err(WalkError::Shape(_))));
        assert!(matches!(items(r#"[1]"#, 10), Err(WalkError::Shape(_))));
        assert!(matches!(
            items(r#"{"messages": 3}"#, 10),
            Err(WalkError::Shape(_))
        ));
        assert!(matches!(
            items(r#"{"messages": [], "x": 1}"#, 10),
            Err(WalkError::Shape(_))
        ));
        assert!(matches!(
            items(r#"{"messages": [], "messages": []}"#, 10),
            Err(WalkError::Shape(_))
        ));
    }

    #[test]
    fn stops_at_the_item_limit_and_on_callback_failure() {
        assert!(items(r#"{"messages": [1, 2, 3]}"#, 3).is_ok());
        assert!(matches!(
            items(r#"{"messages": [1, 2, 3, 4]}"#, 3),
            Err(WalkError::TooMany(3))
        ));
        assert!(matches!(
            items(r#"{"messages": [1, "boom", 3]}"#, 10),
            Err(WalkError::Callback(e)) if e == "boom"
        ));
    }
}
