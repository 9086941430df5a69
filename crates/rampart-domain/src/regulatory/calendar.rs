//! Business-day calendars: which weekdays are the weekend and which dates
//! are holidays, for deadlines such as the SEC's "four business days".

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::validate::{check_name, check_slug};
use crate::Timestamp;
use crate::classification::wire_enum;
use crate::error::Problems;

/// Most holidays in one calendar: a year of them.
pub const MAX_HOLIDAYS: usize = 366;

wire_enum!(
    /// A day of the week.
    Weekday {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
);

impl Weekday {
    /// The weekday of a date.
    pub fn of(date: Date) -> Self {
        match date.weekday() {
            time::Weekday::Monday => Weekday::Monday,
            time::Weekday::Tuesday => Weekday::Tuesday,
            time::Weekday::Wednesday => Weekday::Wednesday,
            time::Weekday::Thursday => Weekday::Thursday,
            time::Weekday::Friday => Weekday::Friday,
            time::Weekday::Saturday => Weekday::Saturday,
            time::Weekday::Sunday => Weekday::Sunday,
        }
    }
}

/// A day without a time, written `YYYY-MM-DD`, with a four-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CalendarDate(Date);

impl CalendarDate {
    pub fn new(date: Date) -> Self {
        Self(date)
    }

    /// From year, month (1 to 12) and day.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, String> {
        let month = Month::try_from(month).map_err(|_| "the month must be 1 to 12".to_owned())?;
        Date::from_calendar_date(year, month, day)
            .map(Self)
            .map_err(|_| format!("{year:04}-{:02}-{day:02} is not a date", u8::from(month)))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` must be a date written YYYY-MM-DD, e.g. 2026-12-25");
        let parts: Vec<&str> = text.split('-').collect();
        let [year, month, day] = parts.as_slice() else {
            return Err(bad());
        };
        let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
            return Err(bad());
        }
        let number = |s: &str| s.parse::<u8>().map_err(|_| bad());
        let year: i32 = year.parse().map_err(|_| bad())?;
        Self::from_ymd(year, number(month)?, number(day)?)
    }

    pub fn date(self) -> Date {
        self.0
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl TryFrom<String> for CalendarDate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CalendarDate> for String {
    fn from(value: CalendarDate) -> Self {
        value.to_string()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CalendarDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some("A date, YYYY-MM-DD"))
            .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CalendarDate {}

fn default_weekend() -> Vec<Weekday> {
    vec![Weekday::Saturday, Weekday::Sunday]
}

/// The days on which business-day deadlines are counted.
///
/// Days are UTC calendar dates. A business day is a date whose weekday is not
/// in `weekend` and which is not listed in `holidays`. Holidays are data the
/// organisation keeps up to date; nothing is derived from rules such as
/// "the third Monday of January".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// A lowercase slug that reports name, e.g. `us-federal`.
    pub id: String,
    pub name: String,
    /// The weekdays that are never business days; Saturday and Sunday when
    /// left out. At most six: a calendar needs a business day every week.
    #[serde(default = "default_weekend")]
    pub weekend: Vec<Weekday>,
    /// Dates that are not business days, at most [`MAX_HOLIDAYS`].
    #[serde(default)]
    pub holidays: Vec<CalendarDate>,
}

impl Calendar {
    /// Saturday and Sunday off, no holidays: what a business-day span is
    /// counted on when its report names no calendar that exists. The table's
    /// validation refuses such a report, so this only serves a table that
    /// was never validated; with the usual weekend it can only give an
    /// earlier deadline than a calendar that also lists holidays.
    pub fn weekends_only() -> Self {
        Self {
            id: "weekends".to_owned(),
            name: "Saturday and Sunday off, no holidays".to_owned(),
            weekend: default_weekend(),
            holidays: Vec::new(),
        }
    }

    pub fn is_business_day(&self, date: Date) -> bool {
        !self.weekend.contains(&Weekday::of(date))
            && !self.holidays.iter().any(|h| h.date() == date)
    }

    /// The end of the `n`-th business day after the UTC date of `start`:
    /// 23:59:59.999999 UTC of that day. The start's own date never counts,
    /// even when it is a business day, so a determination at 09:00 on a
    /// Monday with four business days is due at the end of Friday.
    ///
    /// `None` when `n` is zero, when the calendar has no business day in the
    /// week, or when the deadline would lie beyond the year 9999. The walk is
    /// bounded: with at least one business day a week, `n` business days lie
    /// within `7 × (n + holidays + 1)` days.
    pub fn add_business_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        if n == 0 || Weekday::ALL.iter().all(|d| self.weekend.contains(d)) {
            return None;
        }
        let holidays = u64::try_from(self.holidays.len()).unwrap_or(u64::MAX);
        let limit = u64::from(n)
            .saturating_add(holidays)
            .saturating_add(1)
            .saturating_mul(7);
        let mut date = start.as_offset().date();
        let mut counted = 0;
        for _ in 0..limit {
            date = date.next_day()?;
            if self.is_business_day(date) {
                counted += 1;
                if counted == n {
                    return end_of_day(date);
                }
            }
        }
        None
    }

    /// Adds this calendar's problems, its fields named under `path`.
    pub(super) fn check(&self, path: &str, p: &mut Problems) {
        check_slug(p, &format!("{path}.id"), &self.id);
        check_name(p, &format!("{path}.name"), &self.name);
        self.check_weekend(path, p);
        if self.holidays.len() > MAX_HOLIDAYS {
            p.push(
                format!("{path}.holidays"),
                format!("must list at most {MAX_HOLIDAYS} dates"),
            );
        }
        for (i, day) in self.holidays.iter().enumerate() {
            if self.holidays[..i].contains(day) {
                p.push(
                    format!("{path}.holidays[{i}]"),
                    format!("{day} is listed twice"),
                );
            }
        }
    }

    fn check_weekend(&self, path: &str, p: &mut Problems) {
        for (i, day) in self.weekend.iter().enumerate() {
            if self.weekend[..i].contains(day) {
                p.push(
                    format!("{path}.weekend[{i}]"),
                    format!("{day} is listed twice"),
                );
            }
        }
        if Weekday::ALL.iter().all(|d| self.weekend.contains(d)) {
            p.push(
                format!("{path}.weekend"),
                "must leave at least one weekday as a business day",
            );
        }
    }
}

fn end_of_day(date: Date) -> Option<Timestamp> {
    date.with_hms_micro(23, 59, 59, 999_999)
        .ok()
        .map(|at| Timestamp::from_offset(at.assume_utc()))
}
