//! The scheme's figures: mean times, volumes, false alarms, costs and
//! response-target compliance by month or quarter.

use axum::Json;
use axum::extract::State;
use rampart_app::figures::{FiguresReport, FiguresRequest};
use rampart_domain::figures::Granularity;
use rampart_domain::{Category, SeverityClass, SourceKind};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, QueryParams};

/// Which figures: the periods and what narrows them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FigureFilters {
    /// `month` (default) or `quarter`.
    pub granularity: Option<Granularity>,
    /// The first period, a month (`2026-01`) or a quarter (`2026-Q1`) of
    /// the years 1970 to 2999: by months, a quarter stands for its first
    /// month; by quarters, a month for its quarter. By default eleven months
    /// (seven quarters) before `to`. At most 60 periods are read at once.
    #[param(
        pattern = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2]|Q[1-4])$",
        example = "2026-01"
    )]
    pub from: Option<String>,
    /// The last period, included, written as `from`: by months, a quarter
    /// stands for its last month. By default the current one.
    #[param(
        pattern = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2]|Q[1-4])$",
        example = "2026-12"
    )]
    pub to: Option<String>,
    /// Only incidents of this severity class.
    pub class: Option<SeverityClass>,
    /// Only incidents of this category.
    pub category: Option<Category>,
    /// Only incidents confirmed from, and events reported by, this kind of source.
    pub source: Option<SourceKind>,
}

impl From<FigureFilters> for FiguresRequest {
    fn from(f: FigureFilters) -> Self {
        Self {
            granularity: f.granularity,
            from: f.from,
            to: f.to,
            class: f.class,
            category: f.category,
            source: f.source,
        }
    }
}

/// The scheme's figures for each month or quarter from `from` to `to` and
/// for the whole range: mean times to detect (occurred to discovered),
/// acknowledge (reported to confirmed), contain and resolve (awareness to
/// containment and to closure), overall, by severity class and by
/// category; incidents by RSIT type and source; events by source and the
/// false-alarm rate of those assessed; costs summed per currency; how often
/// the response-time targets were met. An incident counts in the period it
/// became known, an event in the one it was reported in; every incident
/// counts (restricted ones too: none is named), exercises never.
#[utoipa::path(get, path = "/figures", tag = "reports", operation_id = "figures", params(FigureFilters),
    responses((status = 200, description = "The figures", body = FiguresReport)))]
pub async fn figures(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<FigureFilters>,
) -> Result<Json<FiguresReport>, ApiError> {
    Ok(Json(s.app.figures(&actor, &f.into()).await?))
}
