//! Human numbers: `EVT-2026-000123`, `INC-2026-0042`, `VUL-2026-0007`,
//! `EVD-2026-0003`.
//! Allocated by the store, gap-free per kind and year, never reused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The numbered kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberKind {
    Event,
    Incident,
    Vulnerability,
    Evidence,
}

impl NumberKind {
    pub const ALL: [NumberKind; 4] = [
        Self::Event,
        Self::Incident,
        Self::Vulnerability,
        Self::Evidence,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::Event => "EVT",
            Self::Incident => "INC",
            Self::Vulnerability => "VUL",
            Self::Evidence => "EVD",
        }
    }

    /// Minimum digits of the sequence part.
    pub fn width(self) -> usize {
        match self {
            Self::Event => 6,
            Self::Incident | Self::Vulnerability | Self::Evidence => 4,
        }
    }

    /// The numbers of this kind as they are written, as a JSON Schema
    /// pattern: the prefix, a year from 1970, and a sequence number from 1
    /// padded to the width, up to nine digits. The parser also takes a
    /// lower-case prefix and ten-digit sequence numbers, which Rampart never
    /// writes.
    pub fn pattern(self) -> String {
        let w = self.width();
        // 1 to 10^w - 1, padded: `0…0[1-9]`, `0…0[1-9][0-9]`, ...; then longer ones.
        let mut sequence: Vec<String> = (0..w)
            .map(|k| {
                let zeros = "0".repeat(w - 1 - k);
                let rest = if k == 0 {
                    String::new()
                } else {
                    format!("[0-9]{{{k}}}")
                };
                format!("{zeros}[1-9]{rest}")
            })
            .collect();
        sequence.push(format!("[1-9][0-9]{{{w},8}}"));
        format!(
            "^{}-(?:19[7-9][0-9]|[2-9][0-9]{{3}})-(?:{})$",
            self.prefix(),
            sequence.join("|")
        )
    }
}

fn parse_number(kind: NumberKind, text: &str) -> Result<(u16, u32), String> {
    let example = format!("{}-2026-{:0w$}", kind.prefix(), 42, w = kind.width());
    let bad = || format!("must be a number like {example}");
    let mut parts = text.split('-');
    let (Some(prefix), Some(year), Some(seq_text), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !prefix.eq_ignore_ascii_case(kind.prefix())
        || year.len() != 4
        || seq_text.len() < kind.width()
        || seq_text.len() > 10
        || !year
            .bytes()
            .chain(seq_text.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let year: u16 = year.parse().map_err(|_| bad())?;
    let seq: u32 = seq_text.parse().map_err(|_| bad())?;
    if year < 1970 || seq == 0 {
        return Err(bad());
    }
    // Exactly one spelling per number: no extra leading zeros.
    if format!("{seq:0w$}", w = kind.width()) != seq_text {
        return Err(bad());
    }
    Ok((year, seq))
}

macro_rules! number_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name {
            year: u16,
            seq: u32,
        }

        impl $name {
            pub const KIND: NumberKind = $kind;

            pub fn new(year: u16, seq: u32) -> Result<Self, String> {
                if year < 1970 || seq == 0 {
                    return Err(format!("{} numbers start at 1 in years from 1970", Self::KIND.prefix()));
                }
                Ok(Self { year, seq })
            }

            pub fn year(&self) -> u16 {
                self.year
            }

            pub fn seq(&self) -> u32 {
                self.seq
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let kind = Self::KIND;
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(format!(
                        "A number like {}-2026-{:0w$}",
                        kind.prefix(),
                        42,
                        w = kind.width()
                    )))
                    .pattern(Some(kind.pattern()))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{:04}-{:0w$}", Self::KIND.prefix(), self.year, self.seq, w = Self::KIND.width())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let (year, seq) = parse_number(Self::KIND, s)?;
                Ok(Self { year, seq })
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_string()
            }
        }
    };
}

number_type!(
    /// An event number, `EVT-2026-000123`.
    EventNumber,
    NumberKind::Event
);
number_type!(
    /// An incident number, `INC-2026-0042`.
    IncidentNumber,
    NumberKind::Incident
);
number_type!(
    /// A vulnerability number, `VUL-2026-0007`.
    VulnerabilityNumber,
    NumberKind::Vulnerability
);
number_type!(
    /// An evidence item number, `EVD-2026-0003`.
    EvidenceNumber,
    NumberKind::Evidence
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_as_in_the_spec() {
        assert_eq!(
            EventNumber::new(2026, 123).unwrap().to_string(),
            "EVT-2026-000123"
        );
        assert_eq!(
            IncidentNumber::new(2026, 42).unwrap().to_string(),
            "INC-2026-0042"
        );
        assert_eq!(
            VulnerabilityNumber::new(2026, 7).unwrap().to_string(),
            "VUL-2026-0007"
        );
        assert_eq!(
            IncidentNumber::new(2026, 12345).unwrap().to_string(),
            "INC-2026-12345"
        );
    }

    #[test]
    fn refuses_malformed_numbers() {
        for bad in [
            "",
            "INC-2026-42",
            "EVT-2026-0042",
            "INC-26-0042",
            "INC-2026-0000",
            "INC-2026-00a1",
            "INC-2026-0042-1",
            "INC-2026-00042",
        ] {
            assert!(bad.parse::<IncidentNumber>().is_err(), "{bad}");
        }
        assert!("inc-2026-0042".parse::<IncidentNumber>().is_ok());
    }

    proptest! {
        #[test]
        fn display_parses_back(year in 1970u16..9999, seq in 1u32..10_000_000) {
            let n = EventNumber::new(year, seq).unwrap();
            prop_assert_eq!(n.to_string().parse::<EventNumber>().unwrap(), n);
            let i = IncidentNumber::new(year, seq).unwrap();
            prop_assert_eq!(i.to_string().parse::<IncidentNumber>().unwrap(), i);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<IncidentNumber>();
        }
    }
}
