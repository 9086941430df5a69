//! Form bodies and query strings (`application/x-www-form-urlencoded`) and
//! their decoding into the JSON the API takes, so the domain's own validation
//! applies with the same field names.
//!
//! Field names are attacker-chosen: a name such as `a.b.c` becomes nested
//! objects, so the number of fields, the length of a name and the number of
//! its dotted parts are bounded before anything is built from them, and the
//! nesting is built without recursion.

use rampart_domain::FieldError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Most fields one form or query string may carry. The largest form of the
/// UI has a few dozen.
pub const MAX_FIELDS: usize = 1_000;
/// Longest field name, in bytes.
pub const MAX_NAME: usize = 200;
/// Most dotted parts of a field name (`severity.business_loss` has two).
pub const MAX_DEPTH: usize = 8;

/// A parsed `application/x-www-form-urlencoded` body or query string.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

/// A field name as it may be shown back: at most 60 characters.
fn shown(name: &str) -> String {
    match name.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &name[..i]),
        None => name.to_owned(),
    }
}

impl FormData {
    /// Parses a form, refusing one with too many fields, a name too long or
    /// nested too deep; the refusal names the field.
    pub fn parse(body: &[u8]) -> Result<Self, FieldError> {
        let mut fields = Vec::new();
        for (k, v) in form_urlencoded::parse(body) {
            if fields.len() == MAX_FIELDS {
                return Err(FieldError::new(
                    "form",
                    format!("has more than {MAX_FIELDS} fields"),
                ));
            }
            let depth = k.split('.').count();
            if depth > MAX_DEPTH {
                return Err(FieldError::new(
                    shown(&k),
                    format!(
                        "the field name has {depth} dotted parts; at most {MAX_DEPTH} are allowed"
                    ),
                ));
            }
            if k.len() > MAX_NAME {
                return Err(FieldError::new(
                    shown(&k),
                    format!("the field name is longer than {MAX_NAME} bytes"),
                ));
            }
            fields.push((k.into_owned(), v.into_owned()));
        }
        Ok(Self(fields))
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value to show again in an input ("" when absent).
    pub fn v(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether `value` was chosen for the field (selects, radios, checkboxes).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v.trim() == value)
    }

    /// The form without the rows of table `prefix` (`prefix.N.…`) whose
    /// `key` field is blank: rows offered but left unused.
    pub fn without_blank_rows(&self, prefix: &str, key: &str) -> FormData {
        let lead = format!("{prefix}.");
        let unused = |row: &str| self.get(&format!("{prefix}.{row}.{key}")).is_none();
        FormData(
            self.0
                .iter()
                .filter(|(k, _)| {
                    k.strip_prefix(&lead)
                        .and_then(|rest| rest.split('.').next())
                        .is_none_or(|row| !unused(row))
                })
                .cloned()
                .collect(),
        )
    }

    /// The form as the JSON the API would take:
    /// - `a.b` nests objects; a name ending in `[]` (or `lines:`) makes a list;
    /// - `a.0.b`, `a.1.b` make a list of objects (rows of a table), in the
    ///   order of their numbers; a row left wholly blank is left out;
    /// - blank fields are left out, and so are the page's own markers (names
    ///   starting with `_`, such as which row a form belongs to);
    /// - `datetime-local` values (no zone) are read as UTC;
    /// - `true`/`false` from checkboxes become booleans when named in `booleans`.
    pub fn to_json(&self, booleans: &[&str], lines: &[&str]) -> Value {
        let mut root = Map::new();
        for (k, v) in &self.0 {
            let v = v.trim();
            if k == "csrf" || k.starts_with('_') || v.is_empty() {
                continue;
            }
            let (name, is_list) = match k.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (k.as_str(), false),
            };
            let value = if booleans.contains(&name) {
                Value::Bool(v == "true" || v == "on" || v == "yes")
            } else if lines.contains(&name) {
                Value::Array(
                    v.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.to_owned()))
                        .collect(),
                )
            } else {
                Value::String(local_time_as_utc(v))
            };
            let segments: Vec<&str> = name.split('.').collect();
            insert_path(&mut root, &segments, value, is_list);
        }
        let mut json = Value::Object(root);
        rows_from_numbers(&mut json, 0);
        json
    }

    /// Deserializes the form into a domain input; refused fields are named.
    pub fn decode<T: DeserializeOwned>(
        &self,
        booleans: &[&str],
        lines: &[&str],
    ) -> Result<T, Vec<FieldError>> {
        decode_value(self.to_json(booleans, lines))
    }
}

/// Deserializes a form's JSON (see [`FormData::to_json`]) into a domain
/// input; refused fields are named.
pub fn decode_value<T: DeserializeOwned>(json: Value) -> Result<T, Vec<FieldError>> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
            .map(|f| {
                if path == "." {
                    f.to_owned()
                } else {
                    format!("{path}.{f}")
                }
            })
            .unwrap_or(path);
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        let message = if message.starts_with("missing field") {
            "is required".to_owned()
        } else {
            message
        };
        vec![FieldError::new(field, message)]
    })
}

/// Puts `value` at `a.b.c` in `root`, appending when the field is a list.
/// A part that held a plain value becomes an object. Walks down without
/// recursion.
fn insert_path(root: &mut Map<String, Value>, path: &[&str], value: Value, is_list: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = root;
    for part in parents {
        let entry = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else {
            return;
        };
        map = inner;
    }
    if is_list {
        let entry = map
            .entry((*last).to_owned())
            .or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(items) = entry {
            items.push(value);
        }
    } else {
        map.insert((*last).to_owned(), value);
    }
}

/// Turns every object whose keys are all row numbers into the list of its
/// values, ordered by number. Nesting is at most [`MAX_DEPTH`] deep (names
/// were bounded when parsed), so the recursion is too.
fn rows_from_numbers(value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                rows_from_numbers(v, depth + 1);
            }
            // The form itself stays an object whatever its fields are called.
            let numbered = depth > 0
                && !map.is_empty()
                && map.keys().all(|k| {
                    !k.is_empty() && k.len() <= 4 && k.bytes().all(|b| b.is_ascii_digit())
                });
            if numbered {
                let mut rows: Vec<(u32, Value)> = std::mem::take(map)
                    .into_iter()
                    .filter_map(|(k, v)| k.parse().ok().map(|n| (n, v)))
                    .collect();
                rows.sort_by_key(|(n, _)| *n);
                *value = Value::Array(rows.into_iter().map(|(_, v)| v).collect());
            }
        }
        Value::Array(items) => {
            for v in items {
                rows_from_numbers(v, depth + 1);
            }
        }
        _ => {}
    }
}

/// `2026-11-22T09:30` (a `datetime-local` input) becomes `2026-11-22T09:30:00Z`.
fn local_time_as_utc(v: &str) -> String {
    let b = v.as_bytes();
    let looks_local = (b.len() == 16 || b.len() == 19)
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b[..4].iter().all(u8::is_ascii_digit);
    if looks_local {
        if b.len() == 16 {
            format!("{v}:00Z")
        } else {
            format!("{v}Z")
        }
    } else {
        v.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn forms_become_the_api_json() {
        let f = FormData::parse(
            b"csrf=x&title=Phish&assets[]=mail&assets[]=vpn&severity.business_loss=minor&anonymous=on&occurred_at=2026-11-22T09:30&empty=&lessons=a%0D%0Ab%0D%0A",
        )
        .unwrap();
        let json = f.to_json(&["anonymous"], &["lessons"]);
        assert_eq!(
            json,
            serde_json::json!({
                "title": "Phish",
                "assets": ["mail", "vpn"],
                "severity": {"business_loss": "minor"},
                "anonymous": true,
                "occurred_at": "2026-11-22T09:30:00Z",
                "lessons": ["a", "b"],
            })
        );
    }

    #[test]
    fn deep_names_are_refused_by_name() {
        let name = vec!["a"; 30_000].join(".");
        let e = FormData::parse(format!("title=x&{name}=1").as_bytes()).unwrap_err();
        assert!(e.field.starts_with("a.a.a"), "{}", e.field);
        assert!(e.field.chars().count() <= 61, "{}", e.field);
        assert!(e.message.contains("30000 dotted parts"), "{}", e.message);

        let ok = ["a"; MAX_DEPTH].join(".");
        let f = FormData::parse(format!("{ok}=1").as_bytes()).unwrap();
        assert_eq!(
            f.to_json(&[], &[])["a"]["a"]["a"]["a"]["a"]["a"]["a"]["a"],
            "1"
        );
    }

    #[test]
    fn too_many_fields_and_long_names_are_refused() {
        let many = vec!["x=1"; MAX_FIELDS + 1].join("&");
        let e = FormData::parse(many.as_bytes()).unwrap_err();
        assert_eq!(e.field, "form");
        assert!(FormData::parse(vec!["x=1"; MAX_FIELDS].join("&").as_bytes()).is_ok());

        let long = "n".repeat(MAX_NAME + 1);
        let e = FormData::parse(format!("{long}=1").as_bytes()).unwrap_err();
        assert!(e.message.contains("longer than"), "{}", e.message);
    }

    #[test]
    fn a_plain_value_under_a_nested_name_becomes_an_object() {
        let f = FormData::parse(b"a=1&a.b=2&a.b.c[]=3&a.b.c[]=4").unwrap();
        assert_eq!(
            f.to_json(&[], &[]),
            serde_json::json!({"a": {"b": {"c": ["3", "4"]}}})
        );
    }

    #[test]
    fn numbered_parts_make_rows_in_order_and_blank_rows_vanish() {
        let f = FormData::parse(
            b"improvements.10.what=c&improvements.2.what=b&improvements.2.owner=o&improvements.0.what=a&improvements.5.what=&improvements.5.owner=",
        )
        .unwrap();
        assert_eq!(
            f.to_json(&[], &[]),
            serde_json::json!({"improvements": [{"what": "a"}, {"what": "b", "owner": "o"}, {"what": "c"}]})
        );
    }

    proptest! {
        #[test]
        fn any_body_parses_or_is_refused_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(f) = FormData::parse(&body) {
                let json = f.to_json(&["b"], &["l"]);
                prop_assert!(json.is_object());
            }
        }

        #[test]
        fn dotted_names_nest_as_deep_as_they_are(depth in 1usize..=MAX_DEPTH) {
            let name = vec!["p"; depth].join(".");
            let f = FormData::parse(format!("{name}=v").as_bytes()).unwrap();
            let mut v = &f.to_json(&[], &[]);
            for _ in 0..depth {
                v = &v["p"];
            }
            prop_assert_eq!(v, &Value::String("v".into()));
        }
    }
}
