//! The moments a notification clock runs from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::validate::slug_problem;
use crate::classification::wire_enum;

wire_enum!(
    /// A moment the ISIRT records on an incident because a clock runs from
    /// it. These are distinct from the incident's own occurred / detected /
    /// reported / contained / closed times: the law ties each deadline to a
    /// particular finding, which may come long after detection.
    AnchorKind {
        /// The organisation became aware of the (significant) incident or breach.
        Aware => "aware",
        /// The incident was classified as major (DORA).
        ClassifiedMajor => "classified_major",
        /// The incident was determined to be material (SEC Form 8-K).
        MaterialityDetermined => "materiality_determined",
        /// It was determined that a cybersecurity incident occurred (NYDFS).
        Determined => "determined",
        /// The incident was noticed or brought to notice (CERT-In).
        Noticed => "noticed",
        /// The authority asked for a report (NIS2 intermediate report).
        Requested => "requested",
    }
);

/// Where a limit starts: a recorded moment, or the submission of another
/// report of the same regime. Written `aware` or `submitted:<report id>`.
///
/// A submission anchor means the latest submission of that report (by the
/// time it was sent), so that DORA's final report runs from the last
/// intermediate report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Anchor {
    Moment(AnchorKind),
    Submitted(String),
}

const SUBMITTED: &str = "submitted:";

/// What [`Anchor`] accepts, for the API's schema.
pub const ANCHOR_PATTERN: &str = "^(?:aware|classified_major|materiality_determined|determined|noticed|requested|submitted:[a-z][a-z0-9_-]{0,63})$";

impl Anchor {
    /// The report this anchor waits for, if it is a submission.
    pub fn report(&self) -> Option<&str> {
        match self {
            Anchor::Submitted(report) => Some(report),
            Anchor::Moment(_) => None,
        }
    }
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(report) = text.strip_prefix(SUBMITTED) {
            return match slug_problem(report) {
                None => Ok(Anchor::Submitted(report.to_owned())),
                Some(problem) => Err(format!("the report id after `{SUBMITTED}` {problem}")),
            };
        }
        AnchorKind::parse(text)
            .map(Anchor::Moment)
            .map_err(|e| format!("{e}, or {SUBMITTED}<report id>"))
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Moment(kind) => f.write_str(kind.as_str()),
            Anchor::Submitted(report) => write!(f, "{SUBMITTED}{report}"),
        }
    }
}

impl TryFrom<String> for Anchor {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Anchor> for String {
    fn from(value: Anchor) -> Self {
        value.to_string()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Anchor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Where a clock starts: a recorded moment (aware, classified_major, materiality_determined, determined, noticed, requested) or `submitted:<report id>`, the latest submission of another report of the same regime",
            ))
            .pattern(Some(ANCHOR_PATTERN))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Anchor {}
