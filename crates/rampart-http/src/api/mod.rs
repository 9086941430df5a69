//! The JSON API under `/api/v1`, and its OpenAPI document.

use std::str::FromStr;

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

pub mod events;
pub mod evidence;
pub mod health;
pub mod incidents;
pub mod intake;
pub mod jobs;
pub mod journal;
pub mod vulnerabilities;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rampart",
        description = "Information security incident management along ISO/IEC 27035: events, incidents, vulnerabilities and a hash-chained journal. Errors are RFC 9457 problem documents naming the refused fields.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "events", description = "Detect and report; the point of contact's assessment"),
        (name = "incidents", description = "Assess and decide, respond, learn lessons"),
        (name = "vulnerabilities", description = "Weaknesses on their own track"),
        (name = "intake", description = "Machine intake: batches, OCSF and ECS alerts, categorization rules, dead letters"),
        (name = "evidence", description = "Evidence items, chain of custody, legal hold and signed bundles"),
        (name = "journal", description = "The hash-chained record of every change"),
        (name = "operations", description = "Health checks and background jobs"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `rampart token create`"))
                    .build(),
            ),
        );
    }
}

/// The API routes, with their OpenAPI description, mounted under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(events::report, events::list))
        .routes(routes!(events::get))
        .routes(routes!(events::triage))
        .routes(routes!(events::assess))
        .routes(routes!(events::reject))
        .routes(routes!(incidents::confirm, incidents::list))
        .routes(routes!(incidents::get, incidents::patch))
        .routes(routes!(incidents::link_event))
        .routes(routes!(incidents::transition))
        .routes(routes!(incidents::restrict))
        .routes(routes!(incidents::add_log, incidents::log))
        .routes(routes!(incidents::add_action, incidents::actions))
        .routes(routes!(incidents::update_action))
        .routes(routes!(incidents::record_review, incidents::review))
        .routes(routes!(vulnerabilities::report, vulnerabilities::list))
        .routes(routes!(vulnerabilities::get))
        .routes(routes!(vulnerabilities::assess))
        .routes(routes!(vulnerabilities::resolve))
        .routes(routes!(evidence::list))
        .routes(routes!(evidence::get))
        .routes(routes!(evidence::download))
        .routes(routes!(evidence::verify))
        .routes(routes!(evidence::transfer))
        .routes(routes!(evidence::hold))
        .routes(routes!(evidence::dispose))
        .routes(routes!(evidence::bundle))
        .routes(routes!(journal::list))
        .routes(routes!(intake::rules, intake::replace_rules))
        .routes(routes!(intake::dead_letters))
        .routes(routes!(intake::status))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        // A batch is read up to the intake's own limit.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(intake::batch))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        // Uploads stream to the vault, which enforces its own size limit.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(evidence::upload))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        );
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .nest("/api/v1", v1)
}

/// Parses a record number from the path; a malformed one is simply not found.
fn number<T: FromStr<Err = String>>(raw: &str, kind: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|m| ApiError::NotFound(format!("no {kind} `{raw}` ({m})")))
}

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<rampart_store::Page<T>> for Page<T> {
    fn from(p: rampart_store::Page<T>) -> Self {
        Self {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}
