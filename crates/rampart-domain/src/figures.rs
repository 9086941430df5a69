//! Summary figures of the scheme over a period, the trends ISO/IEC 27035
//! asks for: how fast incidents were detected, acknowledged, contained and
//! resolved (MTTD, MTTA, MTTC, MTTR), by severity class and category; how
//! many there were by category, RSIT type and source; how many events were
//! false alarms; what incidents cost; how often the response-time targets
//! were met. Exercises are never counted.
//!
//! Pure: the caller hands in the facts of each record (one small row, not
//! the record), so the figures of a hundred thousand incidents are a pass
//! over a vector.
//!
//! The times measured, each only where both ends are known:
//! - **MTTD**, to detect: from when it occurred to when it was discovered;
//! - **MTTA**, to acknowledge: from the report to the ISIRT's confirmation;
//! - **MTTC**, to contain: from awareness to containment;
//! - **MTTR**, to resolve: from awareness to closure.
//!
//! An incident belongs to the period in which the organisation became
//! aware of it; an event to the period it was reported in.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime, Time};

use crate::targets::{Stage, TargetState};
use crate::{Category, Currency, Money, SeverityClass, SourceKind, Timestamp};

crate::classification::wire_enum!(
    /// How long a period of the figures is.
    Granularity {
        Month => "month",
        Quarter => "quarter",
    }
);

/// A calendar month or quarter, in UTC: from `start` up to `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// `2026-03` or `2026-Q1`.
    pub label: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

fn first_of(year: i32, month: Month) -> Timestamp {
    let date = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    Timestamp::from_offset(OffsetDateTime::new_utc(date, Time::MIDNIGHT))
}

impl Period {
    /// The month or quarter `at` falls in.
    pub fn containing(at: Timestamp, granularity: Granularity) -> Self {
        let t = at.as_offset();
        let (year, month) = (t.year(), u8::from(t.month()));
        let (first, months) = match granularity {
            Granularity::Month => (month, 1),
            Granularity::Quarter => ((month - 1) / 3 * 3 + 1, 3),
        };
        let start_month = Month::try_from(first).unwrap_or(Month::January);
        let next = u16::from(first) + months;
        let (end_year, end_month) = if next > 12 {
            (
                year + 1,
                Month::try_from(u8::try_from(next - 12).unwrap_or(1)).unwrap_or(Month::January),
            )
        } else {
            (
                year,
                Month::try_from(u8::try_from(next).unwrap_or(1)).unwrap_or(Month::January),
            )
        };
        let label = match granularity {
            Granularity::Month => format!("{year:04}-{first:02}"),
            Granularity::Quarter => format!("{year:04}-Q{}", (first - 1) / 3 + 1),
        };
        Self {
            label,
            start: first_of(year, start_month),
            end: first_of(end_year, end_month),
        }
    }

    /// The period just before this one, of the same length.
    pub fn previous(&self, granularity: Granularity) -> Self {
        let before = self.start.as_offset() - time::Duration::seconds(1);
        Self::containing(Timestamp::from_offset(before), granularity)
    }

    /// The period just after this one.
    pub fn next(&self, granularity: Granularity) -> Self {
        Self::containing(self.end, granularity)
    }

    /// The period's last second, for saying "to 31 March".
    pub fn last_second(&self) -> Timestamp {
        Timestamp::from_offset(self.end.as_offset() - time::Duration::seconds(1))
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// The period labelled `2026-03` (a month) or `2026-Q1` (a quarter),
    /// in years 1970 to 2999.
    pub fn parse(label: &str, granularity: Granularity) -> Option<Self> {
        let (year, rest) = label.split_once('-')?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = year.parse().ok().filter(|y| (1970..=2999).contains(y))?;
        let month = match granularity {
            Granularity::Month if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) => {
                rest.parse::<u8>().ok()?
            }
            Granularity::Quarter if rest.len() == 2 => {
                let q = rest.strip_prefix('Q')?.parse::<u8>().ok()?;
                q.checked_sub(1)? * 3 + 1
            }
            _ => return None,
        };
        let month = Month::try_from(month).ok()?;
        Some(Self::containing(first_of(year, month), granularity))
    }

    /// The month or quarter `label` names, whichever form it has.
    pub fn parse_either(label: &str) -> Option<(Self, Granularity)> {
        let granularity = if label.contains('Q') {
            Granularity::Quarter
        } else {
            Granularity::Month
        };
        Self::parse(label, granularity).map(|p| (p, granularity))
    }

    /// The periods from `first` to `last`, both included, oldest first.
    pub fn range(first: &Period, last: &Period, granularity: Granularity) -> Vec<Period> {
        let mut out = Vec::new();
        let mut p = first.clone();
        while p.start <= last.start {
            let next = p.next(granularity);
            out.push(p);
            p = next;
        }
        out
    }

    /// One period from the start of `first` to the end of `last`.
    pub fn spanning(first: &Period, last: &Period) -> Self {
        Self {
            label: if first == last {
                first.label.clone()
            } else {
                format!("{} to {}", first.label, last.label)
            },
            start: first.start,
            end: last.end,
        }
    }
}

/// What the figures need of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub class: SeverityClass,
    pub category: Category,
    /// The RSIT type (`phishing`), when classified.
    pub rsit_type: Option<String>,
    /// Whether the incident was confirmed from a person's report or a sensor's.
    pub source: Option<SourceKind>,
    pub exercise: bool,
    pub occurred_at: Option<Timestamp>,
    pub discovered_at: Option<Timestamp>,
    pub reported_at: Timestamp,
    pub aware_at: Timestamp,
    pub confirmed_at: Timestamp,
    pub contained_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The impact costs and the total recovery cost.
    pub costs: Vec<Money>,
    /// Each response-time stage's outcome, where it is done.
    pub targets: Vec<(Stage, TargetState)>,
}

impl IncidentFacts {
    /// The facts of `incident`, with where its response-time stages stand
    /// (`measures`) and the source of the report it was confirmed from.
    pub fn of(
        incident: &crate::Incident,
        measures: &[crate::targets::Measure],
        source: Option<SourceKind>,
    ) -> Self {
        let cia = &incident.cia_impact;
        let costs = [&cia.confidentiality, &cia.integrity, &cia.availability]
            .into_iter()
            .filter_map(|a| a.as_ref().and_then(|a| a.cost))
            .chain(incident.recovery_cost_total)
            .collect();
        Self {
            class: incident.severity.class,
            category: incident.category,
            rsit_type: incident.rsit.as_ref().map(|r| r.kind.clone()),
            source,
            exercise: incident.is_exercise(),
            occurred_at: incident.occurred_at,
            discovered_at: incident.discovered_at,
            reported_at: incident.reported_at,
            aware_at: incident.aware_at,
            confirmed_at: incident.confirmed_at,
            contained_at: incident.contained_at,
            closed_at: incident.closed_at,
            costs,
            targets: measures
                .iter()
                .filter(|m| matches!(m.state, TargetState::Met | TargetState::Missed))
                .map(|m| (m.stage, m.state))
                .collect(),
        }
    }
}

/// What the figures need of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    pub reported_at: Timestamp,
    pub source: SourceKind,
    pub exercise: bool,
    /// Whether the point of contact assessed it, and found a false alarm.
    pub assessed: bool,
    pub false_alarm: bool,
}

/// A mean time, in seconds, and how many records it is the mean of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mean {
    pub count: u32,
    /// `None` when no record had both ends.
    pub seconds: Option<i64>,
}

/// A length of time as people read it on the figures page and in the
/// management summary: `under 1 min`, `45 min`, `3 h 20 min` (up to two
/// days), `2 d 4 h`.
pub fn duration_words(seconds: i64) -> String {
    match seconds.max(0) / 60 {
        0 => "under 1 min".to_owned(),
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}

/// Spans summed: how many records had both ends, and their lengths in
/// seconds added up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub count: u32,
    pub seconds: i64,
}

impl Span {
    /// The span from `from` to `to` when both are known (a negative one
    /// counts as none).
    pub fn between(from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        match (from, to) {
            (Some(from), Some(to)) => Self {
                count: 1,
                seconds: (to.as_offset() - from.as_offset()).whole_seconds().max(0),
            },
            _ => Self::default(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    count: u32,
    seconds: i128,
}

impl Sum {
    fn add(&mut self, span: Span) {
        self.count = self.count.saturating_add(span.count);
        self.seconds += i128::from(span.seconds);
    }

    fn mean(self) -> Mean {
        Mean {
            count: self.count,
            seconds: (self.count > 0)
                .then(|| i64::try_from(self.seconds / i128::from(self.count)).unwrap_or(i64::MAX)),
        }
    }
}

/// The four mean times of a set of incidents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Times {
    pub incidents: u32,
    pub mttd: Mean,
    pub mtta: Mean,
    pub mttc: Mean,
    pub mttr: Mean,
}

#[derive(Debug, Default, Clone, Copy)]
struct TimeSums {
    incidents: u32,
    detect: Sum,
    acknowledge: Sum,
    contain: Sum,
    resolve: Sum,
}

impl TimeSums {
    fn add(&mut self, t: &IncidentTally) {
        self.incidents = self.incidents.saturating_add(t.incidents);
        self.detect.add(t.detect);
        self.acknowledge.add(t.acknowledge);
        self.contain.add(t.contain);
        self.resolve.add(t.resolve);
    }

    fn times(self) -> Times {
        Times {
            incidents: self.incidents,
            mttd: self.detect.mean(),
            mtta: self.acknowledge.mean(),
            mttc: self.contain.mean(),
            mttr: self.resolve.mean(),
        }
    }
}

/// Incidents the organisation became aware of in one month, alike in
/// everything they are counted by, with their times summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTally {
    /// `2026-03`.
    pub month: String,
    pub class: SeverityClass,
    pub category: Category,
    pub rsit_type: Option<String>,
    pub source: Option<SourceKind>,
    pub incidents: u32,
    pub detect: Span,
    pub acknowledge: Span,
    pub contain: Span,
    pub resolve: Span,
    /// Per response-time stage: how many were done within the target, and
    /// how many late.
    pub targets: Vec<(Stage, u32, u32)>,
}

impl IncidentTally {
    /// The tally of one incident.
    pub fn of(i: &IncidentFacts) -> Self {
        let mut targets: Vec<(Stage, u32, u32)> = Vec::new();
        for (stage, state) in &i.targets {
            let (met, missed) = match state {
                TargetState::Met => (1, 0),
                TargetState::Missed => (0, 1),
                _ => continue,
            };
            targets.push((*stage, met, missed));
        }
        Self {
            month: month_of(i.aware_at),
            class: i.class,
            category: i.category,
            rsit_type: i.rsit_type.clone(),
            source: i.source,
            incidents: 1,
            detect: Span::between(i.occurred_at, i.discovered_at),
            acknowledge: Span::between(Some(i.reported_at), Some(i.confirmed_at)),
            contain: Span::between(Some(i.aware_at), i.contained_at),
            resolve: Span::between(Some(i.aware_at), i.closed_at),
            targets,
        }
    }
}

/// Events reported in one month from one kind of source, alike in how
/// they were assessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTally {
    pub month: String,
    pub source: SourceKind,
    /// Whether the point of contact assessed them, and found false alarms.
    pub assessed: bool,
    pub false_alarm: bool,
    pub events: u32,
}

impl EventTally {
    /// Whether an event in `status` was assessed, and found a false alarm.
    pub fn outcome(status: crate::EventStatus) -> (bool, bool) {
        use crate::EventStatus::*;
        match status {
            Reported | Triage => (false, false),
            FalseAlarm => (true, true),
            HandledLocally | Escalated | NotIncident | Linked => (true, false),
        }
    }
}

/// What incidents of one month cost, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTally {
    pub month: String,
    pub currency: Currency,
    pub hundredths: u128,
}

/// The tallies the figures of any period in a range are folded from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    pub incidents: Vec<IncidentTally>,
    pub events: Vec<EventTally>,
    pub costs: Vec<CostTally>,
}

fn counted(by: BTreeMap<SourceKind, u32>) -> Vec<SourceCount> {
    by.into_iter()
        .map(|(source, count)| SourceCount { source, count })
        .collect()
}

/// `2026-03`: the month (UTC) of `at`.
pub fn month_of(at: Timestamp) -> String {
    let t = at.as_offset();
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

/// The first moment of the month labelled `2026-03`.
fn month_start(label: &str) -> Option<Timestamp> {
    let (year, month) = label.split_once('-')?;
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Some(first_of(year.parse().ok()?, month))
}

/// How often a response-time stage was done within its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compliance {
    pub stage: Stage,
    pub met: u32,
    pub missed: u32,
    /// Met, in percent of those done, rounded down; `None` when none was done.
    pub percent: Option<u32>,
}

/// The total of what incidents cost, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cost {
    pub currency: Currency,
    /// In hundredths of the currency's unit.
    pub hundredths: u128,
}

impl Cost {
    /// `EUR 12,000.50`.
    pub fn display(&self) -> String {
        format!(
            "{} {}",
            self.currency,
            crate::record::grouped_hundredths(self.hundredths)
        )
    }
}

/// The mean times of one severity class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassTimes {
    pub class: SeverityClass,
    #[serde(flatten)]
    pub times: Times,
}

/// The mean times of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryTimes {
    pub category: Category,
    #[serde(flatten)]
    pub times: Times,
}

/// How many incidents were of one RSIT type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RsitCount {
    pub rsit_type: String,
    pub count: u32,
}

/// How many records came from one kind of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceCount {
    pub source: SourceKind,
    pub count: u32,
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub period: Period,
    /// The mean times of all the period's incidents.
    pub times: Times,
    pub by_class: Vec<ClassTimes>,
    pub by_category: Vec<CategoryTimes>,
    /// Incidents by RSIT type; those without one under `unclassified`.
    pub by_rsit: Vec<RsitCount>,
    /// Incidents by the source of the report they were confirmed from.
    pub incidents_by_source: Vec<SourceCount>,
    /// Events reported in the period, by source.
    pub events_by_source: Vec<SourceCount>,
    pub events: u32,
    pub assessed: u32,
    pub false_alarms: u32,
    /// False alarms in percent of the events assessed, rounded to one
    /// decimal (`125` is 12.5 %); `None` when none was assessed.
    pub false_alarm_permille: Option<u32>,
    pub costs: Vec<Cost>,
    pub targets: Vec<Compliance>,
}

/// The figures of `period` from the facts of incidents and events (of any
/// period: those outside it and exercises are left out).
pub fn figures(period: Period, incidents: &[IncidentFacts], events: &[EventFacts]) -> Figures {
    let mut tallies = Tallies::default();
    for i in incidents.iter().filter(|i| !i.exercise) {
        tallies.incidents.push(IncidentTally::of(i));
        for m in &i.costs {
            tallies.costs.push(CostTally {
                month: month_of(i.aware_at),
                currency: m.currency,
                hundredths: u128::from(m.amount.hundredths()),
            });
        }
    }
    for e in events.iter().filter(|e| !e.exercise) {
        tallies.events.push(EventTally {
            month: month_of(e.reported_at),
            source: e.source,
            assessed: e.assessed,
            false_alarm: e.false_alarm,
            events: 1,
        });
    }
    tallies.figures(period)
}

impl Tallies {
    /// The figures of each of `periods`, from the tallies of the months in them.
    pub fn series(&self, periods: &[Period]) -> Vec<Figures> {
        periods.iter().map(|p| self.figures(p.clone())).collect()
    }

    /// The figures of `period`, from the tallies of the months in it.
    pub fn figures(&self, period: Period) -> Figures {
        let within = |month: &str| month_start(month).is_some_and(|m| period.contains(m));
        let mut all = TimeSums::default();
        let mut by_class: BTreeMap<SeverityClass, TimeSums> = BTreeMap::new();
        let mut by_category: BTreeMap<Category, TimeSums> = BTreeMap::new();
        let mut by_rsit: BTreeMap<String, u32> = BTreeMap::new();
        let mut incidents_by_source: BTreeMap<SourceKind, u32> = BTreeMap::new();
        let mut costs: BTreeMap<Currency, u128> = BTreeMap::new();
        let mut targets: BTreeMap<Stage, (u32, u32)> = BTreeMap::new();
        for t in self.incidents.iter().filter(|t| within(&t.month)) {
            all.add(t);
            by_class.entry(t.class).or_default().add(t);
            by_category.entry(t.category).or_default().add(t);
            *by_rsit
                .entry(t.rsit_type.clone().unwrap_or_else(|| "unclassified".into()))
                .or_default() += t.incidents;
            if let Some(s) = t.source {
                *incidents_by_source.entry(s).or_default() += t.incidents;
            }
            for (stage, met, missed) in &t.targets {
                let counts = targets.entry(*stage).or_default();
                counts.0 += met;
                counts.1 += missed;
            }
        }
        for c in self.costs.iter().filter(|c| within(&c.month)) {
            *costs.entry(c.currency).or_default() += c.hundredths;
        }
        let mut events_by_source: BTreeMap<SourceKind, u32> = BTreeMap::new();
        let (mut count, mut assessed, mut false_alarms) = (0u32, 0u32, 0u32);
        for e in self.events.iter().filter(|e| within(&e.month)) {
            count = count.saturating_add(e.events);
            *events_by_source.entry(e.source).or_default() += e.events;
            if e.assessed {
                assessed = assessed.saturating_add(e.events);
                if e.false_alarm {
                    false_alarms = false_alarms.saturating_add(e.events);
                }
            }
        }
        Figures {
            period,
            times: all.times(),
            by_class: by_class
                .into_iter()
                .map(|(class, v)| ClassTimes {
                    class,
                    times: v.times(),
                })
                .collect(),
            by_category: by_category
                .into_iter()
                .map(|(category, v)| CategoryTimes {
                    category,
                    times: v.times(),
                })
                .collect(),
            by_rsit: by_rsit
                .into_iter()
                .map(|(rsit_type, count)| RsitCount { rsit_type, count })
                .collect(),
            incidents_by_source: counted(incidents_by_source),
            events_by_source: counted(events_by_source),
            events: count,
            assessed,
            false_alarms,
            false_alarm_permille: (assessed > 0).then(|| {
                u32::try_from(
                    (u64::from(false_alarms) * 1000 + u64::from(assessed) / 2)
                        / u64::from(assessed),
                )
                .unwrap_or(1000)
            }),
            costs: costs
                .into_iter()
                .map(|(currency, hundredths)| Cost {
                    currency,
                    hundredths,
                })
                .collect(),
            targets: targets
                .into_iter()
                .filter(|(_, (met, missed))| met + missed > 0)
                .map(|(stage, (met, missed))| Compliance {
                    stage,
                    met,
                    missed,
                    percent: Some(
                        u32::try_from(u64::from(met) * 100 / (u64::from(met) + u64::from(missed)))
                            .unwrap_or(100),
                    ),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Amount;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn eur(hundredths: u64) -> Money {
        Money {
            amount: Amount::from_hundredths(hundredths).unwrap(),
            currency: Currency::default(),
        }
    }

    fn incident(class: SeverityClass, category: Category, aware: &str) -> IncidentFacts {
        IncidentFacts {
            class,
            category,
            rsit_type: None,
            source: Some(SourceKind::Sensor),
            exercise: false,
            occurred_at: None,
            discovered_at: None,
            reported_at: at(aware),
            aware_at: at(aware),
            confirmed_at: at(aware),
            contained_at: None,
            closed_at: None,
            costs: vec![],
            targets: vec![],
        }
    }

    #[test]
    fn periods_are_calendar_months_and_quarters_in_utc() {
        let t = at("2026-02-14T23:59:59Z");
        let m = Period::containing(t, Granularity::Month);
        assert_eq!(
            (m.label.as_str(), m.start, m.end),
            (
                "2026-02",
                at("2026-02-01T00:00:00Z"),
                at("2026-03-01T00:00:00Z")
            )
        );
        let q = Period::containing(at("2026-12-31T23:00:00Z"), Granularity::Quarter);
        assert_eq!(
            (q.label.as_str(), q.start, q.end),
            (
                "2026-Q4",
                at("2026-10-01T00:00:00Z"),
                at("2027-01-01T00:00:00Z")
            )
        );
        assert_eq!(q.previous(Granularity::Quarter).label, "2026-Q3");
        assert_eq!(q.next(Granularity::Quarter).label, "2027-Q1");
        assert_eq!(m.previous(Granularity::Month).label, "2026-01");
        assert!(m.contains(at("2026-02-01T00:00:00Z")) && !m.contains(at("2026-03-01T00:00:00Z")));
    }

    /// Three incidents and an exercise in March, one in April; the figures
    /// of March, worked out by hand.
    #[test]
    fn the_figures_of_a_period_are_the_hand_computed_ones() {
        use SeverityClass::{II, IV};
        let mut a = incident(IV, Category::MALWARE, "2026-03-02T10:00:00Z");
        a.occurred_at = Some(at("2026-03-01T10:00:00Z")); // detected in 24 h
        a.discovered_at = Some(at("2026-03-02T10:00:00Z"));
        a.reported_at = at("2026-03-02T09:00:00Z"); // acknowledged in 2 h
        a.confirmed_at = at("2026-03-02T11:00:00Z");
        a.contained_at = Some(at("2026-03-02T14:00:00Z")); // contained in 4 h
        a.closed_at = Some(at("2026-03-04T10:00:00Z")); // resolved in 48 h
        a.rsit_type = Some("infected-system".into());
        a.costs = vec![eur(80_000), eur(1_510_075)];
        a.targets = vec![
            (Stage::Confirm, TargetState::Met),
            (Stage::Contain, TargetState::Missed),
        ];
        let mut b = incident(II, Category::MALWARE, "2026-03-10T08:00:00Z");
        b.reported_at = at("2026-03-10T08:00:00Z"); // acknowledged in 4 h
        b.confirmed_at = at("2026-03-10T12:00:00Z");
        b.closed_at = Some(at("2026-03-11T08:00:00Z")); // resolved in 24 h
        b.source = Some(SourceKind::Person);
        b.costs = vec![Money {
            amount: Amount::from_hundredths(500).unwrap(),
            currency: Currency::parse("USD").unwrap(),
        }];
        b.targets = vec![(Stage::Confirm, TargetState::Met)];
        let c = incident(II, Category::TECHNICAL_ATTACK, "2026-03-31T23:59:59Z");
        let mut drill = incident(IV, Category::MALWARE, "2026-03-15T00:00:00Z");
        drill.exercise = true;
        drill.closed_at = Some(at("2026-03-15T00:00:01Z"));
        let april = incident(IV, Category::MALWARE, "2026-04-01T00:00:00Z");
        let event = |reported: &str, source, assessed, false_alarm, exercise| EventFacts {
            reported_at: at(reported),
            source,
            exercise,
            assessed,
            false_alarm,
        };
        let events = [
            event(
                "2026-03-01T00:00:00Z",
                SourceKind::Sensor,
                true,
                true,
                false,
            ),
            event(
                "2026-03-02T00:00:00Z",
                SourceKind::Sensor,
                true,
                true,
                false,
            ),
            event(
                "2026-03-03T00:00:00Z",
                SourceKind::Sensor,
                true,
                false,
                false,
            ),
            event(
                "2026-03-04T00:00:00Z",
                SourceKind::Person,
                false,
                false,
                false,
            ),
            event(
                "2026-03-05T00:00:00Z",
                SourceKind::Person,
                true,
                false,
                false,
            ),
            event("2026-03-06T00:00:00Z", SourceKind::Sensor, true, true, true),
            event(
                "2026-04-01T00:00:00Z",
                SourceKind::Sensor,
                true,
                true,
                false,
            ),
        ];
        let march = Period::containing(at("2026-03-15T00:00:00Z"), Granularity::Month);
        let f = figures(march, &[a, b, c, drill, april], &events);
        let hour = 3600;
        assert_eq!(f.times.incidents, 3);
        assert_eq!(
            f.times.mttd,
            Mean {
                count: 1,
                seconds: Some(24 * hour)
            }
        );
        // (2 h + 4 h + 0 h) / 3
        assert_eq!(
            f.times.mtta,
            Mean {
                count: 3,
                seconds: Some(2 * hour)
            }
        );
        assert_eq!(
            f.times.mttc,
            Mean {
                count: 1,
                seconds: Some(4 * hour)
            }
        );
        // (48 h + 24 h) / 2
        assert_eq!(
            f.times.mttr,
            Mean {
                count: 2,
                seconds: Some(36 * hour)
            }
        );
        assert_eq!(f.by_class.len(), 2);
        assert_eq!(f.by_class[0].class, II);
        assert_eq!(
            (
                f.by_class[0].times.incidents,
                f.by_class[0].times.mttr.seconds
            ),
            (2, Some(24 * hour))
        );
        assert_eq!(
            (
                f.by_class[1].times.incidents,
                f.by_class[1].times.mttr.seconds
            ),
            (1, Some(48 * hour))
        );
        let malware = f
            .by_category
            .iter()
            .find(|c| c.category == Category::MALWARE)
            .unwrap();
        assert_eq!(
            (malware.times.incidents, malware.times.mtta.seconds),
            (2, Some(3 * hour))
        );
        let rsit: Vec<_> = f
            .by_rsit
            .iter()
            .map(|r| (r.rsit_type.as_str(), r.count))
            .collect();
        assert_eq!(rsit, [("infected-system", 1), ("unclassified", 2)]);
        let sources =
            |by: &[SourceCount]| by.iter().map(|s| (s.source, s.count)).collect::<Vec<_>>();
        assert_eq!(
            sources(&f.incidents_by_source),
            [(SourceKind::Person, 1), (SourceKind::Sensor, 2)]
        );
        assert_eq!(
            sources(&f.events_by_source),
            [(SourceKind::Person, 2), (SourceKind::Sensor, 3)]
        );
        // 2 false alarms of 4 assessed.
        assert_eq!(
            (f.events, f.assessed, f.false_alarms, f.false_alarm_permille),
            (5, 4, 2, Some(500))
        );
        assert_eq!(
            f.costs.iter().map(Cost::display).collect::<Vec<_>>(),
            ["EUR 15,900.75", "USD 5.00"]
        );
        assert_eq!(
            f.targets,
            [
                Compliance {
                    stage: Stage::Confirm,
                    met: 2,
                    missed: 0,
                    percent: Some(100)
                },
                Compliance {
                    stage: Stage::Contain,
                    met: 0,
                    missed: 1,
                    percent: Some(0)
                },
            ]
        );
    }

    #[test]
    fn periods_are_read_from_their_labels() {
        let m = Period::parse("2026-03", Granularity::Month).unwrap();
        assert_eq!(
            (m.start, m.end),
            (at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
        );
        let q = Period::parse("2026-Q4", Granularity::Quarter).unwrap();
        assert_eq!(q.label, "2026-Q4");
        for bad in [
            "2026-3",
            "2026-13",
            "26-03",
            "2026-Q1",
            "x",
            "1969-12",
            "2026-03-01",
            "+026-03",
        ] {
            assert_eq!(Period::parse(bad, Granularity::Month), None, "{bad}");
        }
        for bad in ["2026-Q0", "2026-Q5", "2026-03", "2026-Q12", "2026-Q+"] {
            assert_eq!(Period::parse(bad, Granularity::Quarter), None, "{bad}");
        }
        assert_eq!(
            Period::parse_either("2026-Q2").map(|(p, g)| (p.label, g)),
            Some(("2026-Q2".to_owned(), Granularity::Quarter))
        );
        assert_eq!(
            Period::parse("2999-12", Granularity::Month).unwrap().label,
            "2999-12"
        );
        let first = Period::parse("2026-11", Granularity::Month).unwrap();
        let last = Period::parse("2027-02", Granularity::Month).unwrap();
        let labels: Vec<_> = Period::range(&first, &last, Granularity::Month)
            .into_iter()
            .map(|p| p.label)
            .collect();
        assert_eq!(labels, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        let all = Period::spanning(&first, &last);
        assert_eq!(
            (all.label.as_str(), all.end),
            ("2026-11 to 2027-02", last.end)
        );
    }

    /// Tallies of a month count in the periods that hold the month only.
    #[test]
    fn tallies_fold_into_the_periods_that_hold_their_months() {
        let mut one = incident(
            SeverityClass::III,
            Category::MALWARE,
            "2026-02-10T00:00:00Z",
        );
        one.closed_at = Some(at("2026-02-11T00:00:00Z"));
        let mut tallies = Tallies::default();
        tallies.incidents.push(IncidentTally::of(&one));
        let mut two = IncidentTally::of(&one);
        two.month = "2026-04".into();
        two.incidents = 3;
        two.resolve = Span {
            count: 3,
            seconds: 3 * 7200,
        };
        tallies.incidents.push(two);
        let quarters = Period::range(
            &Period::parse("2026-Q1", Granularity::Quarter).unwrap(),
            &Period::parse("2026-Q2", Granularity::Quarter).unwrap(),
            Granularity::Quarter,
        );
        let series = tallies.series(&quarters);
        assert_eq!(series[0].times.incidents, 1);
        assert_eq!(series[0].times.mttr.seconds, Some(86_400));
        assert_eq!(series[1].times.incidents, 3);
        assert_eq!(series[1].times.mttr.seconds, Some(7200));
        let both = tallies.figures(Period::spanning(&quarters[0], &quarters[1]));
        assert_eq!(
            both.times.mttr,
            Mean {
                count: 4,
                seconds: Some((86_400 + 3 * 7200) / 4)
            }
        );
    }

    #[test]
    fn an_empty_period_has_no_means_and_no_rates() {
        let f = figures(
            Period::containing(at("2026-01-01T00:00:00Z"), Granularity::Quarter),
            &[],
            &[],
        );
        assert_eq!(f.times, Times::default());
        assert_eq!(f.false_alarm_permille, None);
        assert!(f.costs.is_empty() && f.targets.is_empty());
    }
}
