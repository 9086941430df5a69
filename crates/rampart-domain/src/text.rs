//! Free text that is known to be present and of sane size.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest text accepted in one field, in characters.
pub const MAX_TEXT: usize = 20_000;

/// Trimmed, non-empty text of at most [`MAX_TEXT`] characters (as sent),
/// without control characters other than newline and tab.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

/// What [`Text::new`] accepts, as a JSON Schema pattern: white space at
/// either end (it is trimmed), then at least one character that is neither
/// white space nor a control character, with no control characters inside
/// other than tab, line feed and carriage return.
#[cfg(feature = "openapi")]
pub const TEXT_PATTERN: &str = concat!(
    r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*",
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"(?:[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*",
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?",
    r"[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Text {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Text, trimmed; at least one character that is not white space; no control characters but tab and line breaks; at most 20000 characters",
            ))
            .min_length(Some(1))
            .max_length(Some(MAX_TEXT))
            .pattern(Some(TEXT_PATTERN))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Text {}

impl Text {
    pub fn new(raw: impl AsRef<str>) -> Result<Self, String> {
        // The limit counts what was sent, white space around it included, so
        // that it is the `maxLength` the API's schema states.
        let len = raw.as_ref().chars().count();
        if len > MAX_TEXT {
            return Err(format!("must be at most {MAX_TEXT} characters (got {len})"));
        }
        let trimmed = raw.as_ref().trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err("must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Text the system writes itself: cleaned and cut to size instead of refused.
    pub fn lossy(raw: &str) -> Self {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .take(MAX_TEXT)
            .collect();
        let trimmed = cleaned.trim();
        Self(if trimmed.is_empty() {
            "-".to_owned()
        } else {
            trimmed.to_owned()
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The lower-cased words a record's text filter searches, one part per line.
pub fn search_words<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

/// Escapes text for HTML content and attribute values: e-mails, reports.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_limit_counts_the_text_as_sent() {
        let padded = format!(" {} ", "a".repeat(MAX_TEXT - 2));
        assert!(Text::new(&padded).is_ok());
        assert!(Text::new(format!("{padded} ")).is_err());
    }

    #[test]
    fn blank_is_refused() {
        assert!(Text::new("   ").is_err());
        assert!(Text::new("a\u{0}b").is_err());
        assert_eq!(Text::new("  hi \n").unwrap().as_str(), "hi");
    }

    proptest! {
        #[test]
        fn accepted_text_is_trimmed_and_bounded(s in "\\PC{0,64}") {
            if let Ok(t) = Text::new(&s) {
                prop_assert_eq!(t.as_str(), t.as_str().trim());
                prop_assert!(!t.as_str().is_empty());
            }
        }
    }
}
