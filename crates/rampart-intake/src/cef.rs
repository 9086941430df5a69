//! ArcSight Common Event Format (CEF), versions 0 and 1.
//!
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`
//!
//! Header fields escape `|` and `\` with a backslash. The extension is a
//! list of `key=value` pairs separated by spaces or tabs (many senders use
//! tabs); values may contain spaces and escape `=` and `\` with a
//! backslash, with `\n` and `\r` for line breaks. A key is
//! `[A-Za-z0-9_.[]]+` and begins after a space or a tab, so an unescaped `=`
//! inside a value (as in a URL's query) stays in the value unless a blank
//! and a key-like word come just before it.
//!
//! Work is linear in the length of the record, whatever it holds.
//!
//! Custom fields named by a label (`cs1Label=Rule cs1=Block SMB`) are also
//! given under their label (`Rule=Block SMB`), unless that name is taken.

use std::collections::{HashMap, HashSet};

use crate::ParseError;

/// The header fields before the extension.
const HEADER_FIELDS: usize = 7;

/// A parsed CEF record; text is unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cef {
    /// 0 or 1.
    pub version: u8,
    pub vendor: String,
    pub product: String,
    pub device_version: String,
    pub signature_id: String,
    pub name: String,
    pub severity: CefSeverity,
    /// Extension pairs in the order sent, then the labelled custom fields.
    pub extension: Vec<(String, String)>,
}

impl Cef {
    /// The first value sent under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extension
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The header's severity: a number from 0 to 10, or a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CefSeverity {
    Level(u8),
    Unknown,
    Low,
    Medium,
    High,
    VeryHigh,
}

/// Parses a CEF record; `text` must begin with `CEF:` (leading blanks aside).
pub fn parse(text: &str) -> Result<Cef, ParseError> {
    let bad = |why: String| Err(ParseError::Cef(why));
    let Some(body) = text.trim_start().strip_prefix("CEF:") else {
        return bad("it does not begin with `CEF:`".to_owned());
    };
    let (header, extension) = split_header(body);
    if header.len() < HEADER_FIELDS {
        return bad(format!(
            "CEF header has {} of {HEADER_FIELDS} fields (Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity)",
            header.len()
        ));
    }
    let version = match header[0].trim() {
        "0" => 0,
        "1" => 1,
        other => {
            return bad(format!(
                "version `{}` is not 0 or 1",
                other.chars().take(20).collect::<String>()
            ));
        }
    };
    let severity = severity(header[6].trim())?;
    let mut fields = header.into_iter().skip(1);
    let mut next = || fields.next().unwrap_or_default();
    Ok(Cef {
        version,
        vendor: next(),
        product: next(),
        device_version: next(),
        signature_id: next(),
        name: next(),
        severity,
        extension: with_labels(parse_extension(extension.unwrap_or_default())?),
    })
}

/// The unescaped header fields (at most seven) and the raw extension, if the
/// seventh field was followed by a `|`.
fn split_header(body: &str) -> (Vec<String>, Option<&str>) {
    let mut fields = Vec::with_capacity(HEADER_FIELDS);
    let mut current = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('|' | '\\'))) => current.push(e),
                Some((_, other)) => {
                    current.push('\\');
                    current.push(other);
                }
                None => current.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut current));
                if fields.len() == HEADER_FIELDS {
                    return (fields, Some(&body[i + 1..]));
                }
            }
            other => current.push(other),
        }
    }
    // No `|` after the severity: a record without extension.
    fields.push(current);
    (fields, None)
}

fn severity(raw: &str) -> Result<CefSeverity, ParseError> {
    if let Ok(n) = raw.parse::<u8>()
        && n <= 10
    {
        return Ok(CefSeverity::Level(n));
    }
    Ok(match raw.to_ascii_lowercase().as_str() {
        "" | "unknown" => CefSeverity::Unknown,
        "low" => CefSeverity::Low,
        "medium" => CefSeverity::Medium,
        "high" => CefSeverity::High,
        "very-high" | "very high" | "veryhigh" => CefSeverity::VeryHigh,
        _ => {
            return Err(ParseError::Cef(format!(
                "severity `{}` is not 0-10, Unknown, Low, Medium, High or Very-High",
                raw.chars().take(20).collect::<String>()
            )));
        }
    })
}

/// What separates extension pairs.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']')
}

/// The extension's `key=value` pairs, values unescaped.
fn parse_extension(ext: &str) -> Result<Vec<(String, String)>, ParseError> {
    let bytes = ext.as_bytes();
    // Each key as (start, position of its `=`).
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                let start = bytes[..i]
                    .iter()
                    .rposition(|&b| !is_key_byte(b))
                    .map_or(0, |p| p + 1);
                let after_blank = start == 0 || is_blank(bytes[start - 1]);
                if start < i && after_blank {
                    keys.push((start, i));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let lead = match keys.first() {
        Some(&(start, _)) => &ext[..start],
        None => ext,
    };
    if !lead.trim().is_empty() {
        return Err(ParseError::Cef(format!(
            "extension text `{}` is not a key=value pair",
            lead.trim().chars().take(40).collect::<String>()
        )));
    }
    let mut pairs = Vec::with_capacity(keys.len());
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(ext.len(), |&(next, _)| next);
        // Key bytes are ASCII and `=` is one byte, so these are char boundaries.
        let key = &ext[start..eq];
        let value = ext[eq + 1..end].trim_matches([' ', '\t']);
        pairs.push((key.to_owned(), unescape_value(value)));
    }
    Ok(pairs)
}

fn unescape_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(e @ ('=' | '\\' | '|')) => out.push(e),
            // Not an escape CEF defines (a Windows path written carelessly): keep it.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Adds `label=value` for every `xLabel=label` whose `x` was sent.
fn with_labels(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    // Looked up by name, so that a record of many pairs costs linear time.
    let mut first: HashMap<&str, &str> = HashMap::with_capacity(pairs.len());
    for (key, value) in &pairs {
        first.entry(key.as_str()).or_insert(value.as_str());
    }
    let mut taken: HashSet<&str> = first.keys().copied().collect();
    let mut labelled = Vec::new();
    for (key, label) in &pairs {
        let Some(base) = key.strip_suffix("Label") else {
            continue;
        };
        let label = label.trim();
        if base.is_empty() || label.is_empty() || taken.contains(label) {
            continue;
        }
        if let Some(value) = first.get(base) {
            taken.insert(label);
            labelled.push((label.to_owned(), (*value).to_owned()));
        }
    }
    pairs.append(&mut labelled);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(cef: &Cef) -> Vec<(&str, &str)> {
        cef.extension
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn a_firewall_record() {
        let cef = parse(concat!(
            r"CEF:0|Northwind Networks|Bastion FW|7.2.1|threat:1042|Blocked outbound C2 beacon|8|",
            r"rt=1764489600123 src=10.1.4.22 spt=51544 dst=198.51.100.77 dpt=443 ",
            r"request=https://evil.example/gate.php?id\=7&k=v act=deny suser=CORP\\jdoe ",
            r"msg=Beacon matched rule\nC2 list cs1Label=Rule Name cs1=Outbound C2 cn1Label=Hits cn1=4"
        ))
        .unwrap();
        assert_eq!(cef.version, 0);
        assert_eq!(cef.vendor, "Northwind Networks");
        assert_eq!(cef.product, "Bastion FW");
        assert_eq!(cef.device_version, "7.2.1");
        assert_eq!(cef.signature_id, "threat:1042");
        assert_eq!(cef.name, "Blocked outbound C2 beacon");
        assert_eq!(cef.severity, CefSeverity::Level(8));
        assert_eq!(
            pairs(&cef),
            [
                ("rt", "1764489600123"),
                ("src", "10.1.4.22"),
                ("spt", "51544"),
                ("dst", "198.51.100.77"),
                ("dpt", "443"),
                ("request", "https://evil.example/gate.php?id=7&k=v"),
                ("act", "deny"),
                ("suser", r"CORP\jdoe"),
                ("msg", "Beacon matched rule\nC2 list"),
                ("cs1Label", "Rule Name"),
                ("cs1", "Outbound C2"),
                ("cn1Label", "Hits"),
                ("cn1", "4"),
                ("Rule Name", "Outbound C2"),
                ("Hits", "4"),
            ]
        );
        assert_eq!(cef.get("dst"), Some("198.51.100.77"));
    }

    #[test]
    fn header_escapes_and_word_severities() {
        let cef = parse(r"CEF:1|Acme\|Labs|Tool\\X|1.0|100|Pipe \| in name|Very-High|").unwrap();
        assert_eq!(cef.version, 1);
        assert_eq!(cef.vendor, "Acme|Labs");
        assert_eq!(cef.product, r"Tool\X");
        assert_eq!(cef.name, "Pipe | in name");
        assert_eq!(cef.severity, CefSeverity::VeryHigh);
        assert!(cef.extension.is_empty());
        // Without the last `|` there is simply no extension.
        let cef = parse("CEF:0|A|B|1|2|Name|low").unwrap();
        assert_eq!(cef.severity, CefSeverity::Low);
        assert!(cef.extension.is_empty());
        let cef = parse("CEF:0|A|B|1|2|Name|Unknown|  ").unwrap();
        assert_eq!(cef.severity, CefSeverity::Unknown);
        // A pipe in the extension is text.
        let cef = parse("CEF:0|A|B|1|2|N|3|msg=a|b c=d").unwrap();
        assert_eq!(pairs(&cef), [("msg", "a|b"), ("c", "d")]);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |t: &str| parse(t).unwrap_err().to_string();
        assert!(err("CEF:0|A|B|1|2").contains("CEF header has 5 of 7 fields"));
        assert!(err("LEEF:1.0|A|B|1|2|").contains("does not begin with `CEF:`"));
        assert!(err("CEF:7|A|B|1|2|N|3|").contains("version `7`"));
        assert!(err("CEF:0|A|B|1|2|N|11|").contains("severity `11`"));
        assert!(err("CEF:0|A|B|1|2|N|3|garbage src=1.2.3.4").contains("`garbage`"));
        assert!(err("CEF:0|A|B|1|2|N|3|no pairs at all").contains("`no pairs at all`"));
    }

    #[test]
    fn equals_signs_in_values() {
        let cef = parse("CEF:0|A|B|1|2|N|3|msg=x=1 y =2 k=a\\=b").unwrap();
        assert_eq!(pairs(&cef), [("msg", "x=1 y =2"), ("k", "a=b")]);
        let cef = parse("CEF:0|A|B|1|2|N|3|a= b=").unwrap();
        assert_eq!(pairs(&cef), [("a", ""), ("b", "")]);
    }

    #[test]
    fn a_label_never_hides_a_field() {
        let cef = parse("CEF:0|A|B|1|2|N|3|src=1.1.1.1 cs1Label=src cs1=x cs2Label=Zone cs2=dmz")
            .unwrap();
        assert_eq!(cef.get("src"), Some("1.1.1.1"));
        assert_eq!(cef.get("Zone"), Some("dmz"));
        assert_eq!(cef.extension.len(), 6);
    }

    #[test]
    fn pairs_may_be_separated_by_tabs() {
        let cef = parse(
            "CEF:0|A|B|1|2|N|3|src=198.51.100.24\texternalId=tab-1\tmsg=many logins \t act=blocked",
        )
        .unwrap();
        assert_eq!(
            pairs(&cef),
            [
                ("src", "198.51.100.24"),
                ("externalId", "tab-1"),
                ("msg", "many logins"),
                ("act", "blocked"),
            ]
        );
        // A tab not before a key stays in the value.
        let cef = parse("CEF:0|A|B|1|2|N|3|msg=a\tb c\t=d").unwrap();
        assert_eq!(pairs(&cef), [("msg", "a\tb c\t=d")]);
        let cef = parse("CEF:0|A|B|1|2|N|3|\tsrc=1.2.3.4\t").unwrap();
        assert_eq!(pairs(&cef), [("src", "1.2.3.4")]);
    }

    #[test]
    fn a_record_of_very_many_labels_is_read_in_linear_time() {
        // Looking labels up pair by pair would take minutes here.
        let n = 100_000;
        let ext: String = (0..n)
            .map(|i| format!("cs{i}Label=L{i} cs{i}=v{i} "))
            .collect();
        let cef = parse(&format!("CEF:0|A|B|1|2|N|3|{ext}")).unwrap();
        assert_eq!(cef.extension.len(), 3 * n);
        assert_eq!(cef.get("L99999"), Some("v99999"));
    }

    proptest! {
        /// Pairs separated by any mix of spaces and tabs read the same.
        #[test]
        fn blanks_between_pairs_do_not_matter(
            values in proptest::collection::vec("[a-z0-9.:/]{1,12}", 1..8),
            blanks in proptest::collection::vec("[ \t]{1,3}", 8),
        ) {
            let mut ext = String::new();
            for (i, v) in values.iter().enumerate() {
                ext.push_str(&format!("k{i}={v}"));
                ext.push_str(&blanks[i]);
            }
            let cef = parse(&format!("CEF:0|V|P|1|S|N|5|{ext}")).unwrap();
            let want: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("k{i}"), v.clone()))
                .collect();
            prop_assert_eq!(cef.extension, want);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = parse(&s);
            let _ = parse(&format!("CEF:0|{s}"));
        }

        #[test]
        fn cef_like_text_never_panics(
            parts in proptest::collection::vec(
                prop::sample::select(vec!["CEF:0", "|", "\\", "=", " ", "a", "cs1", "Label", "é", "\\|", "\\=", "10", "x y"]),
                0..40,
            ),
        ) {
            let _ = parse(&parts.concat());
        }

        /// Values written with the escapes come back as they were.
        #[test]
        fn escaped_values_round_trip(
            values in proptest::collection::vec("[ -~é\\n\\r]{0,30}", 1..6),
        ) {
            let escape = |v: &str| v
                .replace('\\', "\\\\")
                .replace('=', "\\=")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            let ext: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("k{i}={}", escape(v)))
                .collect();
            let cef = parse(&format!("CEF:0|V|P|1|S|N|5|{}", ext.join(" "))).unwrap();
            let want: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("k{i}"), v.trim_matches(' ').to_owned()))
                .collect();
            prop_assert_eq!(cef.extension, want);
        }
    }
}
