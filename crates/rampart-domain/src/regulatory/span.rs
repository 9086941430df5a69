//! How long a report may take, written as a short string: `24h`, `3d`,
//! `1mo`, `4bd` or `untimed`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::calendar::Calendar;
use crate::Timestamp;

/// Most hours in a span (one year).
pub const MAX_HOURS: u32 = 8760;
/// Most calendar days in a span.
pub const MAX_DAYS: u32 = 366;
/// Most calendar months in a span.
pub const MAX_MONTHS: u32 = 24;
/// Most business days in a span.
pub const MAX_BUSINESS_DAYS: u32 = 60;

/// The time a report may take from its anchor.
///
/// Every duration is counted in UTC. Hours and calendar days are exact
/// lengths of time (UTC has no daylight saving, so a day is 24 hours).
/// Months keep the time of day and the day of the month, moved back to the
/// month's last day where it is shorter (31 January + 1 month is the last
/// day of February). Business days are counted on a [`Calendar`]; see
/// [`Calendar::add_business_days`] for where such a deadline falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Span {
    /// `24h`: 1 to [`MAX_HOURS`].
    Hours(u32),
    /// `3d`: 1 to [`MAX_DAYS`].
    Days(u32),
    /// `1mo`: 1 to [`MAX_MONTHS`].
    Months(u32),
    /// `4bd`: 1 to [`MAX_BUSINESS_DAYS`].
    BusinessDays(u32),
    /// No fixed deadline: the report is due when the authority asks, or
    /// "without undue delay". The clock shows that it started, nothing more.
    Untimed,
}

/// What [`Span`] accepts, for the API's schema.
pub const SPAN_PATTERN: &str = "^(?:untimed|[1-9][0-9]{0,3}(?:h|d|mo|bd))$";

impl Span {
    /// Whether the span sets a deadline.
    pub fn is_timed(self) -> bool {
        self != Span::Untimed
    }

    /// Whether the span counts business days, and so needs a calendar.
    pub fn is_business_days(self) -> bool {
        matches!(self, Span::BusinessDays(_))
    }

    /// Refuses a number outside the unit's range; spans built in code are
    /// checked here, parsed ones already were.
    pub fn check(self) -> Result<(), String> {
        let (n, max, unit) = match self {
            Span::Hours(n) => (n, MAX_HOURS, "hours"),
            Span::Days(n) => (n, MAX_DAYS, "days"),
            Span::Months(n) => (n, MAX_MONTHS, "months"),
            Span::BusinessDays(n) => (n, MAX_BUSINESS_DAYS, "business days"),
            Span::Untimed => return Ok(()),
        };
        if (1..=max).contains(&n) {
            Ok(())
        } else {
            Err(format!("must be 1 to {max} {unit} (got {n})"))
        }
    }

    /// The deadline this span sets from `start`: `None` when it is untimed,
    /// when the business-day walk finds no business day, or when the
    /// deadline would lie beyond the year 9999.
    pub fn deadline(self, start: Timestamp, calendar: &Calendar) -> Option<Timestamp> {
        let at = start.as_offset();
        let due = match self {
            Span::Hours(n) => at.checked_add(Duration::hours(i64::from(n))),
            Span::Days(n) => at.checked_add(Duration::days(i64::from(n))),
            Span::Months(n) => add_months(at, n),
            Span::BusinessDays(n) => return calendar.add_business_days(start, n),
            Span::Untimed => None,
        };
        due.map(Timestamp::from_offset)
    }
}

/// Same day of the month and time, `months` later; the day is moved back to
/// the last day of a shorter month.
fn add_months(at: OffsetDateTime, months: u32) -> Option<OffsetDateTime> {
    let index = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = at.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(at.replace_date(date))
}

type MakeSpan = fn(u32) -> Span;

/// The spans with a number, by suffix; `bd` comes before `d` because the
/// suffixes share a letter.
const UNITS: [(&str, MakeSpan); 4] = [
    ("bd", Span::BusinessDays),
    ("mo", Span::Months),
    ("d", Span::Days),
    ("h", Span::Hours),
];

fn parse_count(digits: &str) -> Result<u32, String> {
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must start with a whole number, e.g. `24h`".to_owned());
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err("must write the number without leading zeros".to_owned());
    }
    digits
        .parse()
        .map_err(|_| "must start with a whole number, e.g. `24h`".to_owned())
}

impl FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "untimed" {
            return Ok(Span::Untimed);
        }
        let Some((digits, make)) = UNITS
            .iter()
            .find_map(|(suffix, make)| text.strip_suffix(suffix).map(|d| (d, *make)))
        else {
            return Err(format!(
                "unknown span `{text}`; write hours (`24h`), days (`3d`), months (`1mo`), business days (`4bd`) or `untimed`"
            ));
        };
        let span = make(parse_count(digits)?);
        span.check()?;
        Ok(span)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Span::Hours(n) => write!(f, "{n}h"),
            Span::Days(n) => write!(f, "{n}d"),
            Span::Months(n) => write!(f, "{n}mo"),
            Span::BusinessDays(n) => write!(f, "{n}bd"),
            Span::Untimed => f.write_str("untimed"),
        }
    }
}

impl TryFrom<String> for Span {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Span> for String {
    fn from(value: Span) -> Self {
        value.to_string()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Span {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "How long a report may take: hours (`24h`, 1 to 8760), calendar days (`3d`, 1 to 366), calendar months (`1mo`, 1 to 24), business days (`4bd`, 1 to 60), or `untimed`",
            ))
            .pattern(Some(SPAN_PATTERN))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Span {}
