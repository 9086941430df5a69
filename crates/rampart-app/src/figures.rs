//! The scheme's figures (ISO/IEC 27035-1's summary analyses and trends):
//! mean times, volumes, false alarms, costs and response-target compliance
//! of each month or quarter in a range, and of the whole range, read from
//! the tallies the store keeps so the cost does not grow with the records.

use rampart_domain::figures::{Figures, Granularity, Period, month_of};
use rampart_domain::journal::ReportIssued;
use rampart_domain::{
    Action, Actor, Category, DomainError, ImprovementAction, Incident, JournalAction,
    SeverityClass, SourceKind, Timestamp, Tlp,
};
use rampart_store::{FiguresQuery, ImprovementQuery, JournalDraft};
use serde::Serialize;

use crate::unit::{Decided, Unit};
use crate::{App, AppError};

/// The most periods one request may span: five years of months.
pub const MAX_PERIODS: usize = 60;

/// The most significant incidents a management summary lists.
pub const SUMMARY_INCIDENTS: u32 = 200;

/// The most open improvement actions a management summary lists.
pub const SUMMARY_IMPROVEMENTS: u32 = 500;

/// What a management summary of a month or quarter is made of, as its
/// reader may see it.
#[derive(Debug, Clone)]
pub struct SummaryContent {
    pub current: Figures,
    pub previous: Figures,
    /// Class III and IV incidents the organisation became aware of in the
    /// period, those the reader may see, in that order.
    pub significant: Vec<Incident>,
    /// Whether there were more than [`SUMMARY_INCIDENTS`].
    pub more_significant: bool,
    /// Improvement actions not done or cancelled, the soonest due first.
    pub open_improvements: Vec<ImprovementAction>,
    pub now: Timestamp,
    /// AMBER, or the most restrictive marking of an incident listed.
    pub tlp: Tlp,
}

/// The month (`2026-03`) or quarter (`2026-Q1`) a summary is of.
pub fn summary_period(label: &str) -> Result<(Period, Granularity), DomainError> {
    Period::parse_either(label).ok_or_else(|| {
        DomainError::field(
            "period",
            format!("`{label}` is neither a month (2026-03) nor a quarter (2026-Q1) of the years 1970 to 2999"),
        )
    })
}

/// Which figures are asked for: the periods from `from` to `to` (both
/// included; by default the twelve months, or eight quarters, up to the
/// current one), narrowed by class, category and source. `from` and `to`
/// may name a month or a quarter whatever the granularity: by months, a
/// quarter stands for its first month (`from`) or its last (`to`); by
/// quarters, a month for the quarter it is in.
#[derive(Debug, Clone, Default)]
pub struct FiguresRequest {
    pub granularity: Option<Granularity>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub class: Option<SeverityClass>,
    pub category: Option<Category>,
    pub source: Option<SourceKind>,
}

/// The figures of each period and of the whole range.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiguresReport {
    pub granularity: Granularity,
    /// When the figures were read.
    pub as_of: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<SeverityClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceKind>,
    /// The whole range as one period.
    pub total: Figures,
    /// Each period of the range, oldest first.
    pub periods: Vec<Figures>,
}

/// The period of `granularity` that `label` (a month or a quarter) starts
/// (`last` false) or ends (`last` true) in.
fn period(
    label: Option<&str>,
    field: &str,
    granularity: Granularity,
    last: bool,
) -> Result<Option<Period>, DomainError> {
    let Some(label) = label else {
        return Ok(None);
    };
    let (named, _) = Period::parse_either(label.trim()).ok_or_else(|| {
        DomainError::field(
            field,
            format!(
                "`{label}` is neither a month (2026-03) nor a quarter (2026-Q1) of the years 1970 to 2999"
            ),
        )
    })?;
    let at = if last {
        named.last_second()
    } else {
        named.start
    };
    Ok(Some(Period::containing(at, granularity)))
}

impl App {
    /// The figures `request` asks for (ISIRT, its manager, auditors and
    /// senior management). Every incident counts, restricted ones too (the
    /// figures name none); exercises never do.
    pub async fn figures(
        &self,
        actor: &Actor,
        request: &FiguresRequest,
    ) -> Result<FiguresReport, AppError> {
        actor.require(Action::ViewFigures)?;
        let granularity = request.granularity.unwrap_or(Granularity::Month);
        let now = self.clock.now();
        let last = period(request.to.as_deref(), "to", granularity, true)?
            .unwrap_or_else(|| Period::containing(now, granularity));
        let first = match period(request.from.as_deref(), "from", granularity, false)? {
            Some(first) => first,
            None => {
                let back = match granularity {
                    Granularity::Month => 11,
                    Granularity::Quarter => 7,
                };
                (0..back).fold(last.clone(), |p, _| p.previous(granularity))
            }
        };
        if first.start > last.start {
            return Err(DomainError::field(
                "from",
                format!("`{}` is after `to` ({})", first.label, last.label),
            )
            .into());
        }
        let periods = Period::range(&first, &last, granularity);
        if periods.len() > MAX_PERIODS {
            return Err(DomainError::field(
                "from",
                format!(
                    "{} to {} is {} periods; at most {MAX_PERIODS} are read at once",
                    first.label,
                    last.label,
                    periods.len()
                ),
            )
            .into());
        }
        let query = FiguresQuery {
            from: month_of(first.start),
            to: month_of(last.last_second()),
            class: request.class,
            category: request.category,
            source: request.source,
        };
        let targets = self.targets().await?;
        let tallies = self.store.figure_tallies(&query, &targets).await?;
        Ok(FiguresReport {
            granularity,
            as_of: now,
            class: request.class,
            category: request.category,
            source: request.source,
            total: tallies.figures(Period::spanning(&first, &last)),
            periods: tallies.series(&periods),
        })
    }
}

impl App {
    /// What the management summary of the month or quarter `label` is made
    /// of, for `actor` (ISIRT, its manager, auditors and senior management).
    pub async fn summary_content(
        &self,
        actor: &Actor,
        label: &str,
    ) -> Result<SummaryContent, AppError> {
        actor.require(Action::ViewFigures)?;
        let (period, granularity) = summary_period(label)?;
        let previous = period.previous(granularity);
        let query = FiguresQuery {
            from: month_of(previous.start),
            to: month_of(period.last_second()),
            ..FiguresQuery::default()
        };
        let targets = self.targets().await?;
        let tallies = self.store.figure_tallies(&query, &targets).await?;
        let (significant, more_significant) = self
            .store
            .significant_incidents(
                &month_of(period.start),
                &month_of(period.last_second()),
                &actor.name,
                SUMMARY_INCIDENTS,
            )
            .await?;
        let open_improvements = self
            .improvements(
                actor,
                ImprovementQuery {
                    open: true,
                    limit: SUMMARY_IMPROVEMENTS,
                    ..ImprovementQuery::default()
                },
            )
            .await?;
        let tlp = significant
            .iter()
            .map(|i| i.tlp)
            .chain([Tlp::Amber])
            .max_by_key(|t| t.rank())
            .unwrap_or(Tlp::Amber);
        Ok(SummaryContent {
            current: tallies.figures(period),
            previous: tallies.figures(previous),
            significant,
            more_significant,
            open_improvements,
            now: self.clock.now(),
            tlp,
        })
    }

    /// Journals that a signed management summary of `label` was made
    /// (`summary.issued`), before it is handed over.
    pub async fn record_summary(
        &self,
        actor: &Actor,
        label: &str,
        issued: ReportIssued,
    ) -> Result<(), AppError> {
        actor.require(Action::ViewFigures)?;
        let (period, _) = summary_period(label)?;
        let unit = Unit::new(&actor.name).decide(move |_| {
            Ok(Decided::new(()).journal(JournalDraft::new(
                format!("summary:{}", period.label),
                JournalAction::SummaryIssued(issued),
            )))
        });
        self.run(unit).await
    }
}
