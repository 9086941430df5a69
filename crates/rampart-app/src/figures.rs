//! The scheme's figures (ISO/IEC 27035-1's summary analyses and trends):
//! mean times, volumes, false alarms, costs and response-target compliance
//! of each month or quarter in a range, and of the whole range, read from
//! the tallies the store keeps so the cost does not grow with the records.

use rampart_domain::figures::{Figures, Granularity, Period, month_of};
use rampart_domain::{Action, Actor, Category, DomainError, SeverityClass, SourceKind, Timestamp};
use rampart_store::FiguresQuery;
use serde::Serialize;

use crate::{App, AppError};

/// The most periods one request may span: five years of months.
pub const MAX_PERIODS: usize = 60;

/// Which figures are asked for: the periods from `from` to `to` (both
/// included; by default the twelve months, or eight quarters, up to the
/// current one), narrowed by class, category and source.
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

fn period(
    label: Option<&str>,
    field: &str,
    granularity: Granularity,
) -> Result<Option<Period>, DomainError> {
    let Some(label) = label.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let form = match granularity {
        Granularity::Month => "a month written YYYY-MM, such as 2026-03",
        Granularity::Quarter => "a quarter written YYYY-Qn, such as 2026-Q1",
    };
    Period::parse(label, granularity).map(Some).ok_or_else(|| {
        DomainError::field(
            field,
            format!("`{label}` is not {form} (years 1970 to 9998)"),
        )
    })
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
        let last = period(request.to.as_deref(), "to", granularity)?
            .unwrap_or_else(|| Period::containing(now, granularity));
        let first = match period(request.from.as_deref(), "from", granularity)? {
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
            to: month_of(last.end),
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
