//! UTC instants, RFC 3339 in and out.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// An instant in UTC with microsecond precision.
///
/// Parsed from RFC 3339 text that states its zone (`Z` or an offset); a time
/// without a zone is refused, never guessed. Always written as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, a fixed width that sorts as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Why a timestamp was refused.
pub const TIMESTAMP_HINT: &str = "must be an RFC 3339 timestamp with a zone, e.g. 2026-11-22T09:30:00Z or 2026-11-22T10:30:00+01:00";

impl Timestamp {
    /// Normalises to UTC and truncates to microseconds.
    pub fn from_offset(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC);
        let micros = at.microsecond();
        Self(at.replace_nanosecond(micros * 1_000).unwrap_or(at))
    }

    /// Parses RFC 3339 text; the zone is required.
    pub fn parse(text: &str) -> Result<Self, String> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map(Self::from_offset)
            .map_err(|_| TIMESTAMP_HINT.to_owned())
    }

    /// From seconds since the Unix epoch (tests and fixtures).
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(Self::from_offset)
    }

    pub fn as_offset(&self) -> OffsetDateTime {
        self.0
    }

    /// The calendar year in UTC, which numbers are allocated in.
    pub fn year(&self) -> i32 {
        self.0.year()
    }

    /// The fixed-width RFC 3339 form.
    pub fn to_rfc3339(&self) -> String {
        let t = self.0;
        let Ok(year) = u32::try_from(t.year()) else {
            return self.formatted();
        };
        if year > 9999 {
            return self.formatted();
        }
        // Written digit by digit: every stored record and journal entry
        // carries several of these, on the writer's one thread.
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        for (range, value) in [
            (0..4, year),
            (5..7, u32::from(u8::from(t.month()))),
            (8..10, u32::from(t.day())),
            (11..13, u32::from(t.hour())),
            (14..16, u32::from(t.minute())),
            (17..19, u32::from(t.second())),
            (20..26, t.microsecond()),
        ] {
            let mut rest = value;
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
                rest /= 10;
            }
        }
        text.iter().map(|b| char::from(*b)).collect()
    }

    /// RFC 3339 in UTC to the millisecond (`2026-11-22T10:00:00.123Z`), as
    /// exchange formats such as STIX write times.
    pub fn to_rfc3339_millis(&self) -> String {
        self.written(3)
    }

    /// The same form through the formatter, for years beyond four digits.
    fn formatted(&self) -> String {
        self.written(6)
    }

    /// RFC 3339 in UTC with `digits` (3 or 6) of the second's fraction.
    fn written(&self, digits: usize) -> String {
        let t = self.0;
        let fraction = if digits == 3 {
            format!("{:03}", t.millisecond())
        } else {
            format!("{:06}", t.microsecond())
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{fraction}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 timestamp with a zone; returned in UTC"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse("2026-11-22T10:30:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T09:30:00.000000Z");
    }

    #[test]
    fn a_time_without_zone_is_refused() {
        assert!(Timestamp::parse("2026-11-22T10:30:00").is_err());
        assert!(Timestamp::parse("2026-11-22").is_err());
        assert!(Timestamp::parse("yesterday").is_err());
    }

    proptest! {
        #[test]
        fn the_fast_form_equals_the_formatted_one(seconds in -62_135_596_800i64..253_402_300_799, micros in 0u32..1_000_000) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                .replace_microsecond(micros).unwrap();
            let t = Timestamp::from_offset(at);
            prop_assert_eq!(t.to_rfc3339(), t.formatted());
        }

        #[test]
        fn text_round_trips_and_sorts_like_time(a in 0i64..4_000_000_000, b in 0i64..4_000_000_000) {
            let ta = Timestamp::from_unix(a).unwrap();
            let tb = Timestamp::from_unix(b).unwrap();
            prop_assert_eq!(Timestamp::parse(&ta.to_rfc3339()).unwrap(), ta);
            prop_assert_eq!(ta.cmp(&tb), ta.to_rfc3339().cmp(&tb.to_rfc3339()));
        }
    }
}
