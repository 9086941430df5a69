//! The JSON API under `/api/v1`, and its OpenAPI document.

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

pub mod communications;
pub mod contacts;
mod document;
pub mod documents;
pub mod events;
pub mod evidence;
pub mod exercises;
pub mod exports;
pub mod figures;
pub mod health;
pub mod improvements;
pub mod incidents;
pub mod intake;
pub mod jobs;
pub mod journal;
pub mod notifications;
pub mod observables;
pub mod playbooks;
pub mod regulatory;
pub mod reports;
pub mod scale;
pub mod targets;
pub mod teams;
pub mod thehive;
pub mod tokens;
pub mod vulnerabilities;
pub mod webhooks;

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
        (name = "observables", description = "Observables on incidents, the pivot to every record carrying one, extraction from text"),
        (name = "evidence", description = "Evidence items, chain of custody, legal hold and signed bundles"),
        (name = "journal", description = "The hash-chained record of every change"),
        (name = "reports", description = "The reports of Annex D as PDF, HTML or Markdown, signed with the journal head they were made from; the scheme's figures by month or quarter"),
        (name = "notifications", description = "Your notifications, what you are told and where; webhooks that post notices to other systems"),
        (name = "documents", description = "Plan and prepare: the policy, plan, procedures and awareness material, in versions approved by named roles"),
        (name = "teams", description = "Plan and prepare: the point-of-contact and ISIRT teams, their on-call rota, covers and shift hand-overs"),
        (name = "contacts", description = "Plan and prepare: the directory of organisations and people to reach, inside and outside"),
        (name = "exercises", description = "Plan and prepare: exercises with timed injects, kept apart from real records, and their after-action reports"),
        (name = "playbooks", description = "Plan and prepare: versioned response actions per category and RSIT type, applied to incidents"),
        (name = "operations", description = "Health checks and background jobs"),
        (name = "thehive", description = "TheHive 5's alert API, for connectors written for TheHive: create, read and search alerts (events) in TheHive's shapes; see docs/thehive.md"),
        (name = "people", description = "API tokens: named, scoped to what they are for, expiring; one's own, or every user's for admins"),
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
        .routes(routes!(events::assess_many))
        .routes(routes!(incidents::confirm, incidents::list))
        .routes(routes!(incidents::get, incidents::patch))
        .routes(routes!(incidents::link_event))
        .routes(routes!(incidents::link_related))
        .routes(routes!(incidents::unlink_related))
        .routes(routes!(incidents::merge))
        .routes(routes!(incidents::transition))
        .routes(routes!(incidents::restrict))
        .routes(routes!(incidents::add_log, incidents::log))
        .routes(routes!(incidents::add_action, incidents::actions))
        .routes(routes!(incidents::update_action))
        .routes(routes!(incidents::record_review, incidents::review))
        .routes(routes!(incidents::timeline))
        .routes(routes!(communications::draft, communications::list))
        .routes(routes!(communications::approve))
        .routes(routes!(communications::sent))
        .routes(routes!(communications::withdraw))
        .routes(routes!(playbooks::list, playbooks::create))
        .routes(routes!(playbooks::get, playbooks::revise))
        .routes(routes!(playbooks::apply))
        .routes(routes!(improvements::register))
        .routes(routes!(improvements::lessons))
        .routes(routes!(improvements::get, improvements::update))
        .routes(routes!(exercises::list, exercises::create))
        .routes(routes!(exercises::get))
        .routes(routes!(exercises::start))
        .routes(routes!(exercises::end))
        .routes(routes!(exercises::report))
        .routes(routes!(observables::add, observables::list))
        .routes(routes!(observables::update, observables::remove))
        .routes(routes!(observables::extract))
        .routes(routes!(observables::pivot))
        .routes(routes!(vulnerabilities::report, vulnerabilities::list))
        .routes(routes!(vulnerabilities::get))
        .routes(routes!(vulnerabilities::assess))
        .routes(routes!(vulnerabilities::resolve))
        .routes(routes!(vulnerabilities::record_review))
        .routes(routes!(evidence::list))
        .routes(routes!(evidence::list_for_event))
        .routes(routes!(evidence::physical))
        .routes(routes!(evidence::physical_for_event))
        .routes(routes!(evidence::get))
        .routes(routes!(evidence::download))
        .routes(routes!(evidence::verify))
        .routes(routes!(evidence::transfer))
        .routes(routes!(evidence::hold))
        .routes(routes!(evidence::dispose))
        .routes(routes!(evidence::bundle))
        .routes(routes!(figures::figures))
        .routes(routes!(reports::management_summary))
        .routes(routes!(reports::incident))
        .routes(routes!(reports::event))
        .routes(routes!(reports::vulnerability))
        .routes(routes!(exports::stix))
        .routes(routes!(exports::misp))
        .routes(routes!(exports::iodef))
        .routes(routes!(exports::publish))
        .routes(routes!(exports::feed_manifest))
        .routes(routes!(exports::feed_event))
        .routes(routes!(journal::list))
        .routes(routes!(journal::checkpoint_note))
        .routes(routes!(intake::rules, intake::replace_rules))
        .routes(routes!(intake::dead_letters))
        .routes(routes!(intake::status))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(regulatory::rules, regulatory::replace_rules))
        .routes(routes!(regulatory::clocks))
        .routes(routes!(regulatory::decide))
        .routes(routes!(regulatory::anchor))
        .routes(routes!(regulatory::submission))
        .routes(routes!(targets::get, targets::replace))
        .routes(routes!(scale::get))
        .routes(routes!(scale::revise))
        .routes(routes!(targets::event))
        .routes(routes!(targets::board))
        .routes(routes!(targets::incident))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(webhooks::list, webhooks::add))
        .routes(routes!(webhooks::get, webhooks::change))
        .routes(routes!(documents::list, documents::create))
        .routes(routes!(documents::get, documents::change))
        .routes(routes!(documents::draft))
        .routes(routes!(documents::in_force))
        .routes(routes!(documents::version))
        .routes(routes!(documents::approve))
        .routes(routes!(documents::review))
        .routes(routes!(documents::diff))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::get, teams::change))
        .routes(routes!(teams::cover))
        .routes(routes!(teams::handover))
        .routes(routes!(contacts::list, contacts::add))
        .routes(routes!(contacts::get, contacts::replace))
        .routes(routes!(thehive::create))
        .routes(routes!(thehive::get))
        .routes(routes!(thehive::query))
        .routes(routes!(
            notifications::preferences,
            notifications::set_preferences
        ))
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
                .routes(routes!(evidence::upload_for_event))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        );
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .nest("/api/v1", v1);
    document::complete(api.get_openapi_mut());
    api
}

/// Parses a record number from the path; a malformed one is simply not found.
fn number<T: FromStr<Err = String>>(raw: &str, kind: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|m| ApiError::NotFound(format!("no {kind} `{raw}` ({m})")))
}

/// Items a page holds when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items a page holds.
pub const MAX_LIMIT: u32 = rampart_app::MAX_PAGE;

/// A page of results: every list of the API has this shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<rampart_app::Page<T>> for Page<T> {
    fn from(p: rampart_app::Page<T>) -> Self {
        Self {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

impl<T> Page<T> {
    /// A page of a list held whole, ordered by a positive key (a log entry's
    /// or action's id): the items after the `cursor` key, at most `limit`.
    fn of<K: Copy + PartialOrd + FromStr + ToString>(
        items: Vec<T>,
        key: impl Fn(&T) -> K,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Self, ApiError> {
        let after = cursor
            .map(|c| c.parse::<K>().map_err(|_| bad_cursor()))
            .transpose()?;
        let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
        let mut rest = items
            .into_iter()
            .filter(|item| after.is_none_or(|a| key(item) > a))
            .peekable();
        let items: Vec<T> = rest.by_ref().take(limit).collect();
        let next_cursor = match rest.peek() {
            Some(_) => items.last().map(|item| key(item).to_string()),
            None => None,
        };
        Ok(Self { items, next_cursor })
    }
}

fn bad_cursor() -> ApiError {
    ApiError::field("cursor", "is not a cursor returned by this list")
}

/// Reads an optional whole number of a query string and refuses it outside
/// `min..=max`, so that no page is silently cut or stretched.
fn bounded<'de, D, T>(d: D, min: T, max: T) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialOrd + std::fmt::Display,
{
    let value = Option::<T>::deserialize(d)?;
    match value {
        Some(v) if v < min || v > max => Err(serde::de::Error::custom(format!(
            "must be between {min} and {max}"
        ))),
        v => Ok(v),
    }
}

/// `limit` of a list: 1 to [`MAX_LIMIT`].
fn page_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    bounded(d, 1, MAX_LIMIT)
}

/// A cursor as the lists hand them out: whole numbers joined by dots, as
/// many as `parts`, each at most 18 digits.
fn cursor_shape<'de, D: Deserializer<'de>>(d: D, parts: usize) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(d)?;
    if let Some(c) = &value {
        let mut count = 0;
        let well_formed = c.split('.').all(|part| {
            count += 1;
            (1..=18).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        });
        if !well_formed || count != parts {
            return Err(serde::de::Error::custom(
                "is not a cursor returned by this list",
            ));
        }
    }
    Ok(value)
}

/// `cursor` of a list ordered by one key.
fn cursor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    cursor_shape(d, 1)
}

/// `cursor` of a list ordered by two keys (the incident register).
fn pair_cursor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    cursor_shape(d, 2)
}

/// Paging of a list that has no filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A register's `exercise` parameter, refused by name when it is no scope.
pub(crate) fn exercise_scope(text: Option<&str>) -> Result<rampart_app::ExerciseScope, ApiError> {
    if text.is_some_and(|t| t.trim().is_empty()) {
        return Err(rampart_domain::DomainError::field(
            "exercise",
            "is empty; leave it out for real records only",
        )
        .into());
    }
    rampart_app::ExerciseScope::parse(text)
        .map_err(|m| rampart_domain::DomainError::field("exercise", m).into())
}

#[cfg(test)]
mod tests {
    //! The document states the same rules the server applies: each schema
    //! against the parser behind it.

    use proptest::prelude::*;
    use rampart_domain::{
        EventNumber, IncidentNumber, NumberKind, TEXT_PATTERN, Text, USER_NAME_PATTERN,
    };
    use regex::Regex;
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    /// The values an enum's schema lists.
    fn schema_values<T: PartialSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o
                .enum_values
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            _ => panic!("not an enum schema"),
        }
    }

    macro_rules! wire_values_are_published {
        ($($ty:ty),+ $(,)?) => {$(
            let wire: Vec<String> = <$ty>::ALL
                .iter()
                .map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_owned())
                .collect();
            assert_eq!(schema_values::<$ty>(), wire, stringify!($ty));
        )+};
    }

    #[test]
    fn every_enum_schema_lists_the_values_the_api_sends_and_takes() {
        use rampart_domain::*;
        wire_values_are_published!(
            ActionStatus,
            Actuality,
            AlertSeverity,
            AssessmentDecision,
            Effort,
            EventStatus,
            IncidentStatus,
            LogKind,
            LossGrade,
            MotivationKind,
            ObservableType,
            Pap,
            PerpetratorKind,
            Role,
            RsitClass,
            SeverityClass,
            SourceKind,
            SystemImportance,
            Tlp,
            VulnerabilityOutcome,
            VulnerabilityStatus,
        );
    }

    fn text_pattern() -> Regex {
        Regex::new(TEXT_PATTERN).unwrap()
    }

    #[test]
    fn the_text_pattern_takes_what_text_takes() {
        let re = text_pattern();
        for (raw, ok) in [
            ("a", true),
            ("  padded\n", true),
            ("two\nlines\tand a tab", true),
            ("x\u{0b}", true),
            ("\u{85}x\u{3000}", true),
            ("", false),
            ("   \n\t", false),
            ("a\u{0}b", false),
            ("a\u{0b}b", false),
            ("a\u{85}b", false),
            ("\u{7f}", false),
        ] {
            assert_eq!(re.is_match(raw), ok, "{raw:?}");
            assert_eq!(Text::new(raw).is_ok(), ok, "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn the_text_pattern_agrees_with_text(raw in "[ a\\t\\n\\r\\x00-\\x1f\\x7f-\\xa0\\u{2000}-\\u{200b}\\u{3000}\\u{feff}é]{0,12}") {
            prop_assert_eq!(text_pattern().is_match(&raw), Text::new(&raw).is_ok(), "{:?}", raw);
        }

        #[test]
        fn number_patterns_take_every_number_rampart_writes(year in 1970u16..=9999, seq in 1u32..1_000_000_000) {
            let event = EventNumber::new(year, seq).unwrap().to_string();
            prop_assert!(Regex::new(&NumberKind::Event.pattern()).unwrap().is_match(&event), "{}", event);
            let incident = IncidentNumber::new(year, seq).unwrap().to_string();
            prop_assert!(Regex::new(&NumberKind::Incident.pattern()).unwrap().is_match(&incident), "{}", incident);
        }

        #[test]
        fn number_patterns_take_nothing_the_parser_refuses(raw in "(EVT|INC|evt)-(19[0-9]{2}|20[0-9]{2}|[0-9]{0,5})-[0-9]{3,11}") {
            if Regex::new(&NumberKind::Event.pattern()).unwrap().is_match(&raw) {
                prop_assert_eq!(raw.parse::<EventNumber>().map(|n| n.to_string()), Ok(raw.clone()));
            }
            if Regex::new(&NumberKind::Incident.pattern()).unwrap().is_match(&raw) {
                prop_assert_eq!(raw.parse::<IncidentNumber>().map(|n| n.to_string()), Ok(raw.clone()));
            }
        }

        #[test]
        fn the_user_name_pattern_agrees_with_the_parser(raw in "[a-zA-Z0-9._ -]{0,70}") {
            prop_assert_eq!(
                Regex::new(USER_NAME_PATTERN).unwrap().is_match(&raw),
                rampart_domain::parse_user_name(&raw).is_ok()
            );
        }
    }
}
