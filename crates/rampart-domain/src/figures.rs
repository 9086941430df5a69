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
pub struct Mean {
    pub count: u32,
    /// `None` when no record had both ends.
    pub seconds: Option<i64>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    count: u32,
    seconds: i128,
}

impl Sum {
    fn add(&mut self, from: Option<Timestamp>, to: Option<Timestamp>) {
        if let (Some(from), Some(to)) = (from, to) {
            let span = (to.as_offset() - from.as_offset()).whole_seconds().max(0);
            self.count += 1;
            self.seconds += i128::from(span);
        }
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
    fn add(&mut self, i: &IncidentFacts) {
        self.incidents += 1;
        self.detect.add(i.occurred_at, i.discovered_at);
        self.acknowledge
            .add(Some(i.reported_at), Some(i.confirmed_at));
        self.contain.add(Some(i.aware_at), i.contained_at);
        self.resolve.add(Some(i.aware_at), i.closed_at);
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

/// How often a response-time stage was done within its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub stage: Stage,
    pub met: u32,
    pub missed: u32,
    /// Met, in percent of those done, rounded down; `None` when none was done.
    pub percent: Option<u32>,
}

/// The total of what incidents cost, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub period: Period,
    /// The mean times of all the period's incidents.
    pub times: Times,
    pub by_class: Vec<(SeverityClass, Times)>,
    pub by_category: Vec<(Category, Times)>,
    /// Incidents by RSIT type; those without one under `unclassified`.
    pub by_rsit: Vec<(String, u32)>,
    /// Incidents by the source of the report they were confirmed from.
    pub incidents_by_source: Vec<(SourceKind, u32)>,
    /// Events reported in the period, by source.
    pub events_by_source: Vec<(SourceKind, u32)>,
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
    let mut all = TimeSums::default();
    let mut by_class: BTreeMap<SeverityClass, TimeSums> = BTreeMap::new();
    let mut by_category: BTreeMap<Category, TimeSums> = BTreeMap::new();
    let mut by_rsit: BTreeMap<String, u32> = BTreeMap::new();
    let mut incidents_by_source: BTreeMap<SourceKind, u32> = BTreeMap::new();
    let mut costs: BTreeMap<Currency, u128> = BTreeMap::new();
    let mut targets: BTreeMap<Stage, (u32, u32)> = BTreeMap::new();
    for i in incidents
        .iter()
        .filter(|i| !i.exercise && period.contains(i.aware_at))
    {
        all.add(i);
        by_class.entry(i.class).or_default().add(i);
        by_category.entry(i.category).or_default().add(i);
        *by_rsit
            .entry(i.rsit_type.clone().unwrap_or_else(|| "unclassified".into()))
            .or_default() += 1;
        if let Some(s) = i.source {
            *incidents_by_source.entry(s).or_default() += 1;
        }
        for m in &i.costs {
            *costs.entry(m.currency).or_default() += u128::from(m.amount.hundredths());
        }
        for (stage, state) in &i.targets {
            let counts = targets.entry(*stage).or_default();
            match state {
                TargetState::Met => counts.0 += 1,
                TargetState::Missed => counts.1 += 1,
                _ => {}
            }
        }
    }
    let mut events_by_source: BTreeMap<SourceKind, u32> = BTreeMap::new();
    let (mut count, mut assessed, mut false_alarms) = (0, 0, 0);
    for e in events
        .iter()
        .filter(|e| !e.exercise && period.contains(e.reported_at))
    {
        count += 1;
        *events_by_source.entry(e.source).or_default() += 1;
        if e.assessed {
            assessed += 1;
            if e.false_alarm {
                false_alarms += 1;
            }
        }
    }
    Figures {
        period,
        times: all.times(),
        by_class: by_class.into_iter().map(|(k, v)| (k, v.times())).collect(),
        by_category: by_category
            .into_iter()
            .map(|(k, v)| (k, v.times()))
            .collect(),
        by_rsit: by_rsit.into_iter().collect(),
        incidents_by_source: incidents_by_source.into_iter().collect(),
        events_by_source: events_by_source.into_iter().collect(),
        events: count,
        assessed,
        false_alarms,
        false_alarm_permille: (assessed > 0).then(|| {
            u32::try_from(
                (u64::from(false_alarms) * 1000 + u64::from(assessed) / 2) / u64::from(assessed),
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
            .map(|(stage, (met, missed))| Compliance {
                stage,
                met,
                missed,
                percent: (met + missed > 0).then(|| met * 100 / (met + missed)),
            })
            .collect(),
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
        assert_eq!(f.by_class[0].0, II);
        assert_eq!(
            (f.by_class[0].1.incidents, f.by_class[0].1.mttr.seconds),
            (2, Some(24 * hour))
        );
        assert_eq!(
            (f.by_class[1].1.incidents, f.by_class[1].1.mttr.seconds),
            (1, Some(48 * hour))
        );
        let malware = f
            .by_category
            .iter()
            .find(|(c, _)| *c == Category::MALWARE)
            .unwrap();
        assert_eq!(
            (malware.1.incidents, malware.1.mtta.seconds),
            (2, Some(3 * hour))
        );
        assert_eq!(
            f.by_rsit,
            [
                ("infected-system".to_owned(), 1),
                ("unclassified".to_owned(), 2)
            ]
        );
        assert_eq!(
            f.incidents_by_source,
            [(SourceKind::Person, 1), (SourceKind::Sensor, 2)]
        );
        assert_eq!(
            f.events_by_source,
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
