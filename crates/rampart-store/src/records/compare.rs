//! Comparing a stored record with the state the journal gives it, field by
//! field. Secrets are compared through the digests the journal carries and
//! are never shown.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::replay::{Expected, ExpectedCredentials, ExpectedRecord, ExpectedToken, Secret};
use super::{Problem, StoredRow, secret_digest};
use crate::{ApiToken, Credentials, Entity};

/// Longest value shown in a difference, in characters.
const SHOWN: usize = 100;

/// One field, or column, of a record that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `title`, `roles`, `column sha256`, `password_hash`.
    pub field: String,
    /// How, when it can be shown: `stored "x", journal "y"`.
    pub detail: Option<String>,
}

impl Difference {
    /// A difference showing both values, cut short.
    pub fn shown(
        field: impl Into<String>,
        stored: &str,
        expected_by: &str,
        expected: &str,
    ) -> Self {
        Self {
            field: field.into(),
            detail: Some(format!(
                "stored {}, {expected_by} {}",
                short(stored),
                short(expected)
            )),
        }
    }

    /// A column that does not say what the record's document says.
    pub fn column(name: &str, stored: &str, document: &str) -> Self {
        Self::shown(format!("column {name}"), stored, "record", document)
    }

    fn secret(field: &str, detail: &str) -> Self {
        Self {
            field: field.to_owned(),
            detail: Some(detail.to_owned()),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{} ({detail})", self.field),
            None => f.write_str(&self.field),
        }
    }
}

fn short(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(SHOWN).collect();
        format!("{cut}…")
    }
}

fn json(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

/// What is wrong with a stored row, if anything, given what the journal says.
pub(crate) fn stored(replayed: Result<Expected, String>, row: StoredRow) -> Option<Problem> {
    let (record, unknown) = match replayed {
        Err(why) => return Some(Problem::Unreplayable(why)),
        Ok(Expected::Absent { removed: None }) => return Some(Problem::Unjournaled),
        Ok(Expected::Absent { removed: Some(at) }) => return Some(Problem::Removed { at }),
        Ok(Expected::Present {
            record, unknown, ..
        }) => (record, unknown),
    };
    let stored = match row.record {
        Ok(entity) => entity,
        Err(why) => return Some(Problem::Unreadable(why)),
    };
    let mut diffs = fields(&record, &unknown, &stored);
    diffs.extend(row.columns);
    (!diffs.is_empty()).then_some(Problem::Differs(diffs))
}

/// The fields in which a stored record differs from the journal's.
pub(crate) fn fields(
    expected: &ExpectedRecord,
    unknown: &[&str],
    stored: &Entity,
) -> Vec<Difference> {
    match (expected, stored) {
        (ExpectedRecord::Event(e), Entity::Event(s)) => document(e, s.as_ref(), unknown),
        (ExpectedRecord::Incident(e), Entity::Incident(s)) => document(e, s.as_ref(), unknown),
        (ExpectedRecord::Vulnerability(e), Entity::Vulnerability(s)) => {
            document(e, s.as_ref(), unknown)
        }
        (ExpectedRecord::Evidence(e), Entity::Evidence(s)) => document(e, s.as_ref(), unknown),
        (ExpectedRecord::User(e), Entity::User(s)) => document(e, s, unknown),
        (ExpectedRecord::Rules(e), Entity::Rules(s)) => document(e, s, unknown),
        (ExpectedRecord::Targets(e), Entity::Targets(s)) => document(e, s, unknown),
        (ExpectedRecord::Scale(e), Entity::Scale(s)) => document(e, s, unknown),
        (ExpectedRecord::Regulatory(e), Entity::Regulatory(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Document(e), Entity::Document(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::DocumentText(e), Entity::DocumentText(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Team(e), Entity::Team(s)) => document(e.as_ref(), s.as_ref(), unknown),
        (ExpectedRecord::Playbook(e), Entity::Playbook(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Exercise(e), Entity::Exercise(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Improvement(e), Entity::Improvement(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Contact(e), Entity::Contact(s)) => {
            document(e.as_ref(), s.as_ref(), unknown)
        }
        (ExpectedRecord::Credentials(e), Entity::Credentials(s)) => credentials(e, s),
        (ExpectedRecord::Token(e), Entity::ApiToken(s)) => token(e, s),
        _ => vec![Difference {
            field: "kind".into(),
            detail: Some("the stored record is of another kind".into()),
        }],
    }
}

/// Top-level fields of two documents that differ, leaving out `unknown` ones.
fn document<T: Serialize + PartialEq>(
    expected: &T,
    stored: &T,
    unknown: &[&str],
) -> Vec<Difference> {
    if expected == stored {
        return vec![];
    }
    let (Ok(Value::Object(e)), Ok(Value::Object(s))) =
        (serde_json::to_value(expected), serde_json::to_value(stored))
    else {
        return vec![Difference {
            field: "record".into(),
            detail: None,
        }];
    };
    let names: BTreeSet<&String> = e.keys().chain(s.keys()).collect();
    names
        .into_iter()
        .filter(|name| !unknown.contains(&name.as_str()))
        .filter(|name| e.get(*name) != s.get(*name))
        .map(|name| {
            Difference::shown(
                name.as_str(),
                &json(s.get(name)),
                "journal",
                &json(e.get(name)),
            )
        })
        .collect()
}

/// Whether a stored secret is the one the journal recorded.
fn secret(field: &str, expected: &Secret, stored: Option<&str>) -> Option<Difference> {
    let problem = match (expected, stored) {
        (Secret::Absent, None) | (Secret::Set, Some(_)) => return None,
        (Secret::Digest(d), Some(s)) if secret_digest(s) == *d => return None,
        (Secret::Absent, Some(_)) => "one is stored; the journal set none",
        (Secret::Set | Secret::Digest(_), None) => "none is stored; the journal set one",
        (Secret::Digest(_), Some(_)) => "not the one the journal recorded",
    };
    Some(Difference::secret(field, problem))
}

fn credentials(expected: &ExpectedCredentials, stored: &Credentials) -> Vec<Difference> {
    let mut diffs = Vec::new();
    if expected.user != stored.user {
        diffs.push(Difference::shown(
            "user",
            &stored.user,
            "journal",
            &expected.user,
        ));
    }
    diffs.extend(secret(
        "password_hash",
        &expected.password,
        stored.password_hash.as_deref(),
    ));
    diffs.extend(secret(
        "totp_secret",
        &expected.totp,
        stored.totp_secret.as_deref(),
    ));
    if expected.totp_required != stored.totp_required {
        diffs.push(Difference::shown(
            "totp_required",
            &stored.totp_required.to_string(),
            "journal",
            &expected.totp_required.to_string(),
        ));
    }
    diffs
}

fn token(expected: &ExpectedToken, stored: &ApiToken) -> Vec<Difference> {
    let mut diffs = Vec::new();
    let mut text = |field: &str, s: &str, e: &str| {
        if s != e {
            diffs.push(Difference::shown(field, s, "journal", e));
        }
    };
    text("id", &stored.id, &expected.id);
    text("user", &stored.user, &expected.user);
    text(
        "created_at",
        &stored.created_at.to_rfc3339(),
        &expected.created_at.to_rfc3339(),
    );
    text("created_by", &stored.created_by, &expected.created_by);
    text("name", &stored.name, &expected.name);
    text(
        "scopes",
        &format!("{:?}", stored.scopes),
        &format!("{:?}", expected.scopes),
    );
    text(
        "expires_at",
        &format!("{:?}", stored.expires_at.map(|t| t.to_rfc3339())),
        &format!("{:?}", expected.expires_at.map(|t| t.to_rfc3339())),
    );
    // Without a digest, the id's digits are the beginning of the hash.
    let hash_ok = match &expected.hash {
        Secret::Digest(d) => secret_digest(&stored.hash) == *d,
        _ => expected
            .id
            .strip_prefix("tok_")
            .is_some_and(|digits| stored.hash.starts_with(digits)),
    };
    if !hash_ok {
        diffs.push(Difference::secret(
            "hash",
            "not the hash of the token the journal recorded",
        ));
    }
    diffs
}
