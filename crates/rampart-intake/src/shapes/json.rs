//! Reading fields of JSON alerts by dotted path.

use rampart_domain::Timestamp;
use serde_json::Value;

use super::from_epoch_millis;

/// Most items read from one JSON array.
const MAX_ITEMS: usize = 100;

/// The value at a dotted path, whether the document nests objects
/// (`{"event": {"kind": ..}}`), uses dotted keys (`{"event.kind": ..}`), or
/// mixes both.
pub(super) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    if let Some(found) = object.get(path) {
        return Some(found);
    }
    path.match_indices('.').find_map(|(i, _)| {
        object
            .get(&path[..i])
            .and_then(|child| lookup(child, &path[i + 1..]))
    })
}

/// A scalar as text: a non-blank string, a number or a boolean.
pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The text at a path, if it is a scalar.
pub(super) fn text_at(value: &Value, path: &str) -> Option<String> {
    lookup(value, path).and_then(scalar)
}

/// The texts at a path: one scalar or an array of them.
pub(super) fn texts_at(value: &Value, path: &str) -> Vec<String> {
    match lookup(value, path) {
        Some(Value::Array(items)) => items.iter().take(MAX_ITEMS).filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => vec![],
    }
}

/// The items of an array at a path (none when it is not an array).
pub(super) fn items_at<'a>(value: &'a Value, path: &str) -> impl Iterator<Item = &'a Value> {
    lookup(value, path)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(MAX_ITEMS)
}

/// An integer at a path: `Ok(None)` when absent, an error when not an integer.
pub(super) fn integer_at(value: &Value, path: &str) -> Result<Option<i64>, String> {
    match lookup(value, path) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| "must be an integer".to_owned()),
    }
}

/// A time at a path: milliseconds since the epoch (a number or digits) or
/// RFC 3339 text. `Ok(None)` when absent.
pub(super) fn time_at(value: &Value, path: &str) -> Result<Option<Timestamp>, String> {
    let bad = || "must be milliseconds since the Unix epoch or an RFC 3339 timestamp".to_owned();
    match lookup(value, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let ms = n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.abs() < 9.0e15).map(|f| f as i64));
            ms.and_then(from_epoch_millis).map(Some).ok_or_else(bad)
        }
        Some(Value::String(s)) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse()
                    .ok()
                    .and_then(from_epoch_millis)
                    .map(Some)
                    .ok_or_else(bad)
            } else {
                Timestamp::parse(s).map(Some).map_err(|_| bad())
            }
        }
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_dotted_and_mixed_paths() {
        let v = json!({
            "event": {"kind": "alert"},
            "rule.name": "r",
            "kibana.alert": {"severity": "high"},
            "host": {"ip": ["10.0.0.1", 7, null, {"x": 1}]},
        });
        assert_eq!(text_at(&v, "event.kind").as_deref(), Some("alert"));
        assert_eq!(text_at(&v, "rule.name").as_deref(), Some("r"));
        assert_eq!(
            text_at(&v, "kibana.alert.severity").as_deref(),
            Some("high")
        );
        assert_eq!(texts_at(&v, "host.ip"), ["10.0.0.1", "7"]);
        assert_eq!(lookup(&v, "event.kind.deeper"), None);
        assert_eq!(lookup(&json!("x"), "a"), None);
    }

    #[test]
    fn times_and_integers() {
        let v = json!({"a": 1764489600123_i64, "b": "2026-11-30T08:00:00+01:00", "c": "1764489600123", "d": true, "e": 2.5});
        assert_eq!(
            time_at(&v, "a").unwrap().unwrap().to_rfc3339(),
            "2025-11-30T08:00:00.123000Z"
        );
        assert_eq!(
            time_at(&v, "b").unwrap().unwrap().to_rfc3339(),
            "2026-11-30T07:00:00.000000Z"
        );
        assert_eq!(time_at(&v, "c").unwrap(), time_at(&v, "a").unwrap());
        assert!(time_at(&v, "d").is_err());
        assert_eq!(time_at(&v, "missing").unwrap(), None);
        assert_eq!(integer_at(&v, "a").unwrap(), Some(1764489600123));
        assert!(integer_at(&v, "e").is_err());
        assert!(integer_at(&v, "b").is_err());
    }
}
