//! TheHive's alert API, so that connectors written for TheHive 5 report to
//! Rampart by a change of URL and key: `POST /api/v1/alert`,
//! `GET /api/v1/alert/{id}` and the `listAlert` query of
//! `POST /api/v1/query`, answered in TheHive's shapes, errors included
//! (`{"type": ..., "message": ...}`). An alert is an event; its `_id` is
//! the event's number. docs/thehive.md has the mapping and what is left out.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_app::EventQuery;
use rampart_app::intake::Intake;
use rampart_app::intake::shapes::thehive::{
    self as hive, PAPS, TAGS_ATTRIBUTE, TLPS, TYPE_ATTRIBUTE, thehive_alert,
};
use rampart_domain::{AlertSeverity, Event, EventStatus, FieldError, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

/// Most events a query without `sourceRef` or `_id` looks through, newest
/// first.
const SCAN: usize = 10_000;
/// Most alerts one query answers.
const MAX_ANSWER: usize = 1_000;
/// Deepest a filter may nest.
const MAX_DEPTH: usize = 16;

/// A TheHive 5 alert, as connectors send it (read by hand, so that every
/// problem is named; this is its shape for the API document).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(
    dead_code,
    reason = "the shape the API document shows; the handler reads the JSON itself"
)]
pub struct TheHiveAlert {
    /// The kind of alert, e.g. the product or rule family; kept.
    #[serde(rename = "type")]
    #[schema(min_length = 1, max_length = 200)]
    pub kind: String,
    /// The sender: with `sourceRef`, the repeat key.
    #[schema(min_length = 1, max_length = 200)]
    pub source: String,
    /// The sender's own id of the alert.
    #[schema(min_length = 1, max_length = 200)]
    pub source_ref: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(min_length = 1, max_length = 20000)]
    pub description: String,
    /// 1 low, 2 medium (when absent), 3 high, 4 critical.
    #[schema(minimum = 1, maximum = 4)]
    pub severity: Option<u8>,
    /// When it occurred, in milliseconds since 1970.
    #[schema(minimum = 0)]
    pub date: Option<i64>,
    /// 0 CLEAR, 1 GREEN, 2 AMBER (when absent), 3 RED, 4 AMBER+STRICT.
    #[schema(minimum = 0, maximum = 4)]
    pub tlp: Option<u8>,
    /// 0 CLEAR, 1 GREEN, 2 AMBER (when absent), 3 RED.
    #[schema(minimum = 0, maximum = 3)]
    pub pap: Option<u8>,
    #[schema(max_items = 100)]
    pub tags: Option<Vec<String>>,
    pub external_link: Option<String>,
    pub summary: Option<String>,
    #[schema(max_items = 1000)]
    pub observables: Option<Vec<TheHiveObservable>>,
    /// TheHive 4's name for `observables`.
    #[schema(max_items = 1000)]
    pub artifacts: Option<Vec<TheHiveObservable>>,
    /// Accepted, not kept.
    pub flag: Option<bool>,
    /// Accepted, not kept.
    pub follow: Option<bool>,
    /// Accepted, not kept.
    pub status: Option<String>,
    /// Accepted, not kept.
    pub assignee: Option<String>,
    /// Accepted, not kept.
    pub case_template: Option<String>,
    /// Accepted, not kept.
    #[schema(minimum = 0)]
    pub last_sync_date: Option<i64>,
    /// Accepted, not kept.
    pub custom_fields: Option<Value>,
    /// Accepted, not kept.
    pub procedures: Option<Value>,
}

/// An observable of a TheHive alert.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(
    dead_code,
    reason = "the shape the API document shows; the handler reads the JSON itself"
)]
pub struct TheHiveObservable {
    pub data_type: TheHiveDataType,
    /// One value, or several (one observable each); checked by the data type.
    pub data: TheHiveData,
    pub message: Option<String>,
    #[schema(minimum = 0)]
    pub start_date: Option<i64>,
    #[schema(minimum = 0, maximum = 4)]
    pub tlp: Option<u8>,
    #[schema(minimum = 0, maximum = 3)]
    pub pap: Option<u8>,
    #[schema(max_items = 100)]
    pub tags: Option<Vec<String>>,
    pub ioc: Option<bool>,
    pub sighted: Option<bool>,
    #[schema(minimum = 0)]
    pub sighted_at: Option<i64>,
    pub ignore_similarity: Option<bool>,
}

/// One value or several.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(
    dead_code,
    reason = "the shape the API document shows; the handler reads the JSON itself"
)]
pub enum TheHiveData {
    One(String),
    Many(Vec<String>),
}

/// The data types taken (docs/thehive.md has what each becomes).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "the shape the API document shows; the handler reads the JSON itself"
)]
pub enum TheHiveDataType {
    #[serde(rename = "ip")]
    Ip,
    #[serde(rename = "domain")]
    Domain,
    #[serde(rename = "fqdn")]
    Fqdn,
    #[serde(rename = "hostname")]
    Hostname,
    #[serde(rename = "url")]
    Url,
    #[serde(rename = "hash")]
    Hash,
    #[serde(rename = "mail")]
    Mail,
    #[serde(rename = "mail-address")]
    MailAddress,
    #[serde(rename = "user")]
    User,
    #[serde(rename = "account")]
    Account,
    #[serde(rename = "filename")]
    Filename,
    #[serde(rename = "mail_subject")]
    MailSubject,
    #[serde(rename = "uri_path")]
    UriPath,
    #[serde(rename = "user-agent")]
    UserAgent,
    #[serde(rename = "registry")]
    Registry,
    #[serde(rename = "regexp")]
    Regexp,
    #[serde(rename = "autonomous-system")]
    AutonomousSystem,
    #[serde(rename = "other")]
    Other,
}

/// A query in TheHive's language: `listAlert`, then `filter`, `sort`,
/// `page` and `count` operations.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "the shape the API document shows; the handler reads the JSON itself"
)]
pub struct TheHiveQuery {
    #[schema(min_items = 1)]
    pub query: Vec<Value>,
}

/// An error in TheHive's shape; the fields at fault in `errors`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HiveProblem {
    /// `BadRequest`, `AuthenticationError`, `AuthorizationError`,
    /// `NotFoundError`, `Conflict` or `InternalError`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What was wrong, the fields named.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Rampart's refusals, answered as TheHive answers them.
pub struct HiveError(ApiError);

impl From<ApiError> for HiveError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<rampart_domain::DomainError> for HiveError {
    fn from(e: rampart_domain::DomainError) -> Self {
        Self(e.into())
    }
}

impl From<rampart_app::AppError> for HiveError {
    fn from(e: rampart_app::AppError) -> Self {
        Self(e.into())
    }
}

fn invalid(errors: Vec<(String, String)>) -> HiveError {
    HiveError(ApiError::Invalid(
        errors
            .into_iter()
            .map(|(field, message)| FieldError::new(field, message))
            .collect(),
    ))
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> HiveError {
    HiveError(ApiError::field(field, message))
}

impl IntoResponse for HiveError {
    fn into_response(self) -> Response {
        let refused = self.0.scope_refused();
        let (status, _, _, problem) = self.0.parts();
        let kind = match status {
            StatusCode::UNAUTHORIZED => "AuthenticationError",
            StatusCode::FORBIDDEN => "AuthorizationError",
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::CONFLICT => "Conflict",
            s if s.is_client_error() => "BadRequest",
            _ => "InternalError",
        };
        // TheHive answers every bad request with 400.
        let status = if status.is_client_error()
            && ![
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::NOT_FOUND,
                StatusCode::CONFLICT,
            ]
            .contains(&status)
        {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        let body = HiveProblem {
            kind: kind.into(),
            message: problem.detail,
            errors: problem.errors,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(refused) = refused {
            response.extensions_mut().insert(refused);
        }
        response
    }
}

/// The caller, refused in TheHive's shape.
pub struct HiveCaller(rampart_domain::Actor);

impl axum::extract::FromRequestParts<AppState> for HiveCaller {
    type Rejection = HiveError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, HiveError> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        Ok(Self(actor))
    }
}

/// A JSON body of at most the server's `body_limit`, refused in TheHive's
/// shape.
async fn json_body(s: &AppState, headers: &HeaderMap, body: Body) -> Result<Value, HiveError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media == "multipart/form-data" {
        return Err(bad(
            "attachment",
            "alerts with files are not taken: send the file's name and hash as `filename` and `hash` observables",
        ));
    }
    if media != "application/json" {
        return Err(HiveError(ApiError::UnsupportedMediaType));
    }
    let body = axum::body::to_bytes(body, s.body_limit)
        .await
        .map_err(|_| HiveError(ApiError::TooLarge(s.body_limit)))?;
    serde_json::from_slice(&body).map_err(|e| HiveError(ApiError::Malformed(e.to_string())))
}

fn millis(t: Timestamp) -> i64 {
    i64::try_from(t.as_offset().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// TheHive's severity number of an event.
fn severity(event: &Event) -> (u8, &'static str) {
    match event.severity {
        Some(AlertSeverity::Info | AlertSeverity::Low) => (1, "LOW"),
        Some(AlertSeverity::High) => (3, "HIGH"),
        Some(AlertSeverity::Critical) => (4, "CRITICAL"),
        Some(AlertSeverity::Medium) | None => (2, "MEDIUM"),
    }
}

/// The stage and status TheHive would show for the event.
fn stage(status: EventStatus) -> (&'static str, &'static str) {
    match status {
        EventStatus::Reported => ("New", "New"),
        EventStatus::Triage | EventStatus::Escalated => ("InProgress", "InProgress"),
        EventStatus::Linked => ("Imported", "Imported"),
        EventStatus::FalseAlarm => ("Closed", "FalsePositive"),
        EventStatus::HandledLocally | EventStatus::NotIncident => ("Closed", "Ignored"),
    }
}

/// An event as TheHive's alert.
pub fn alert_of(event: &Event) -> Value {
    let attribute = |name: &str| event.attributes.get(name).cloned();
    let created = millis(event.reported_at);
    let date = event.occurred_at.map_or(created, millis);
    let (severity, severity_label) = severity(event);
    let (stage, status) = stage(event.status);
    let tlp = TLPS.iter().position(|t| *t == event.tlp).unwrap_or(2);
    let pap = event.pap();
    let tags: Vec<String> = attribute(TAGS_ATTRIBUTE)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut alert = json!({
        "_id": event.number.to_string(),
        "_type": "Alert",
        "_createdBy": if event.anonymous { None } else { event.submitted_by.clone() }
            .unwrap_or_else(|| "rampart".to_owned()),
        "_createdAt": created,
        "type": attribute(TYPE_ATTRIBUTE).unwrap_or_else(|| event.source.kind.as_str().to_owned()),
        "source": event.source.name.as_ref().map_or_else(|| event.source.kind.as_str().to_owned(), ToString::to_string),
        "sourceRef": event.source.reference.as_ref().map_or_else(|| event.number.to_string(), ToString::to_string),
        "title": event.title.as_str(),
        "description": event.description.as_str(),
        "severity": severity,
        "severityLabel": severity_label,
        "date": date,
        "tags": tags,
        "tlp": tlp,
        "tlpLabel": event.tlp.as_str(),
        "pap": PAPS.iter().position(|p| *p == pap).unwrap_or(2),
        "papLabel": pap.as_str(),
        "follow": true,
        "customFields": [],
        "observableCount": event.observables.len(),
        "status": status,
        "stage": stage,
        "extraData": {},
        "newDate": created,
        "timeToDetect": (created - date).max(0),
    });
    if let Some(map) = alert.as_object_mut() {
        if let Some(last) = event.last_seen {
            map.insert("_updatedAt".into(), json!(millis(last)));
        }
        if let Some(incident) = &event.incident {
            map.insert("caseId".into(), json!(incident.to_string()));
        }
        for field in ["externalLink", "summary"] {
            if let Some(v) = attribute(&format!("thehive.{field}")) {
                map.insert(field.into(), json!(v));
            }
        }
    }
    alert
}

/// Create an alert from a TheHive 5 alert body (TheHive 4's `artifacts`
/// are read as `observables`). `source` and `sourceRef` are the repeat key:
/// an alert sent again is counted on the first event, whose alert is the
/// answer (200; TheHive would refuse it). A `dataType` Rampart does not
/// know, or data not valid for it, is refused naming the observable.
#[utoipa::path(post, path = "/alert", tag = "thehive", operation_id = "thehive_create_alert",
    request_body(content = TheHiveAlert, description = "A TheHive 5 alert"),
    responses((status = 201, description = "The alert, as TheHive shows it", body = Value),
        (status = 200, description = "A repeat: the first alert with this `source` and `sourceRef`", body = Value),
        (status = 400, description = "A field is wrong; each is named in `errors`", body = HiveProblem),
        (status = 401, description = "No valid API key", body = HiveProblem),
        (status = 403, description = "The key may not report events", body = HiveProblem)))]
pub async fn create(
    State(s): State<AppState>,
    HiveCaller(actor): HiveCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HiveError> {
    actor.require(rampart_domain::Action::ReportEvent)?;
    let value = json_body(&s, &headers, body).await?;
    let alert = thehive_alert(&value).map_err(invalid)?;
    Ok(match s.app.ingest(&actor, alert.report).await? {
        Intake::Created(event) => (StatusCode::CREATED, Json(alert_of(&event))),
        Intake::Duplicate(event) => (StatusCode::OK, Json(alert_of(&event))),
    })
}

/// Read an alert: the event of this number, as TheHive shows an alert.
#[utoipa::path(get, path = "/alert/{id}", tag = "thehive", operation_id = "thehive_get_alert",
    params(("id" = String, Path, description = "The event's number, e.g. EVT-2026-000001")),
    responses((status = 200, description = "The alert", body = Value),
        (status = 404, description = "No such alert, or not one the key may read", body = HiveProblem)))]
pub async fn get(
    State(s): State<AppState>,
    HiveCaller(actor): HiveCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, HiveError> {
    let number = super::number(&id, "alert")?;
    Ok(Json(alert_of(&s.app.get_event(&actor, number).await?)))
}

/// A filter of TheHive's query language.
#[derive(Debug)]
enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare(Op, String, Value),
    In(String, Vec<Value>),
    Between(String, i64, i64),
    Like(String, LikeOp, String),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone, Copy)]
enum LikeOp {
    Like,
    StartsWith,
    EndsWith,
}

/// The alert fields a query may filter and sort on.
const QUERY_FIELDS: &[&str] = &[
    "_id",
    "_createdAt",
    "_updatedAt",
    "type",
    "source",
    "sourceRef",
    "title",
    "description",
    "severity",
    "date",
    "tags",
    "tlp",
    "pap",
    "status",
    "stage",
    "caseId",
    "observableCount",
];

fn field_of(expr: &Value, at: &str) -> Result<String, HiveError> {
    match expr.get("_field").and_then(Value::as_str) {
        Some(f) if QUERY_FIELDS.contains(&f) => Ok(f.to_owned()),
        Some(f) => Err(bad(
            format!("{at}._field"),
            format!(
                "`{}` is not a field alerts are searched by; known: {}",
                f.chars().take(40).collect::<String>(),
                QUERY_FIELDS.join(", ")
            ),
        )),
        None => Err(bad(format!("{at}._field"), "is required: a field name")),
    }
}

fn parse_filter(expr: &Value, at: &str, depth: usize) -> Result<Filter, HiveError> {
    if depth > MAX_DEPTH {
        return Err(bad(at, format!("nests deeper than {MAX_DEPTH} levels")));
    }
    let Some(object) = expr.as_object() else {
        return Err(bad(at, "must be a filter object"));
    };
    let operators: Vec<&String> = object.keys().filter(|k| k.as_str() != "_name").collect();
    let [operator] = operators.as_slice() else {
        return Err(bad(
            at,
            "must hold exactly one operator, such as `_eq` or `_and`",
        ));
    };
    let value = &object[operator.as_str()];
    let here = format!("{at}.{operator}");
    let list = |value: &Value| -> Result<Vec<Filter>, HiveError> {
        let items = value
            .as_array()
            .ok_or_else(|| bad(&here, "must be a list of filters"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, f)| parse_filter(f, &format!("{here}[{i}]"), depth + 1))
            .collect()
    };
    let compare = |op: Op| -> Result<Filter, HiveError> {
        let v = value
            .get("_value")
            .filter(|v| v.is_string() || v.is_number() || v.is_boolean())
            .ok_or_else(|| {
                bad(
                    format!("{here}._value"),
                    "is required: a string or a number",
                )
            })?;
        Ok(Filter::Compare(op, field_of(value, &here)?, v.clone()))
    };
    let like = |op: LikeOp| -> Result<Filter, HiveError> {
        let v = value
            .get("_value")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("{here}._value"), "is required: a string"))?;
        Ok(Filter::Like(field_of(value, &here)?, op, v.to_lowercase()))
    };
    match operator.as_str() {
        "_and" => Ok(Filter::And(list(value)?)),
        "_or" => Ok(Filter::Or(list(value)?)),
        "_not" => Ok(Filter::Not(Box::new(parse_filter(
            value,
            &here,
            depth + 1,
        )?))),
        "_eq" => compare(Op::Eq),
        "_ne" => compare(Op::Ne),
        "_lt" => compare(Op::Lt),
        "_lte" => compare(Op::Lte),
        "_gt" => compare(Op::Gt),
        "_gte" => compare(Op::Gte),
        "_like" => like(LikeOp::Like),
        "_startsWith" => like(LikeOp::StartsWith),
        "_endsWith" => like(LikeOp::EndsWith),
        "_id" => {
            let id = value
                .as_str()
                .ok_or_else(|| bad(&here, "must be an alert id"))?;
            Ok(Filter::Compare(Op::Eq, "_id".into(), json!(id)))
        }
        "_in" => {
            let values = value
                .get("_values")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(format!("{here}._values"), "is required: a list of values"))?;
            Ok(Filter::In(field_of(value, &here)?, values.clone()))
        }
        "_between" => {
            let bound = |name: &str| {
                value
                    .get(name)
                    .and_then(Value::as_i64)
                    .ok_or_else(|| bad(format!("{here}.{name}"), "is required: a number"))
            };
            Ok(Filter::Between(
                field_of(value, &here)?,
                bound("_from")?,
                bound("_to")?,
            ))
        }
        other => Err(bad(
            &here,
            format!(
                "`{}` is not an operator Rampart takes; known: _and, _or, _not, _eq, _ne, _lt, _lte, _gt, _gte, _in, _between, _like, _startsWith, _endsWith, _id",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// Compares two JSON scalars: numbers as numbers, anything else as text.
fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(text(a).cmp(&text(b))),
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The values of a field: a list field (`tags`) matches if any does.
fn values<'a>(alert: &'a Value, field: &str) -> Vec<&'a Value> {
    match alert.get(field) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    }
}

fn matches(filter: &Filter, alert: &Value) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match filter {
        Filter::And(all) => all.iter().all(|f| matches(f, alert)),
        Filter::Or(any) => any.iter().any(|f| matches(f, alert)),
        Filter::Not(f) => !matches(f, alert),
        Filter::Compare(Op::Ne, field, v) => !values(alert, field)
            .iter()
            .any(|a| order(a, v) == Some(Equal)),
        Filter::Compare(op, field, v) => values(alert, field).iter().any(|a| {
            let o = order(a, v);
            match op {
                Op::Eq => o == Some(Equal),
                Op::Lt => o == Some(Less),
                Op::Lte => matches!(o, Some(Less | Equal)),
                Op::Gt => o == Some(Greater),
                Op::Gte => matches!(o, Some(Greater | Equal)),
                Op::Ne => false,
            }
        }),
        Filter::In(field, options) => values(alert, field)
            .iter()
            .any(|a| options.iter().any(|o| order(a, o) == Some(Equal))),
        Filter::Between(field, from, to) => values(alert, field)
            .iter()
            .filter_map(|a| a.as_i64())
            .any(|n| (*from..*to).contains(&n)),
        Filter::Like(field, op, pattern) => values(alert, field).iter().any(|a| {
            let a = text(a).to_lowercase();
            match op {
                LikeOp::StartsWith => a.starts_with(pattern.as_str()),
                LikeOp::EndsWith => a.ends_with(pattern.as_str()),
                LikeOp::Like => {
                    let p = pattern.trim_matches('*');
                    a.contains(p)
                }
            }
        }),
    }
}

/// The `_eq` value a filter pins a field to, at its top or in its top `_and`.
fn pinned<'a>(filter: &'a Filter, field: &str) -> Option<&'a str> {
    match filter {
        Filter::Compare(Op::Eq, f, Value::String(v)) if f == field => Some(v),
        Filter::And(all) => all.iter().find_map(|f| pinned(f, field)),
        _ => None,
    }
}

/// A parsed query: the filters, the sort, the page and whether to count.
struct Query {
    filters: Vec<Filter>,
    sort: Vec<(String, bool)>,
    page: Option<(usize, usize)>,
    count: bool,
}

fn parse_query(body: &Value) -> Result<Query, HiveError> {
    let steps = body
        .get("query")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("query", "is required: a list of operations"))?;
    match steps
        .first()
        .and_then(|s| s.get("_name"))
        .and_then(Value::as_str)
    {
        Some("listAlert") => {}
        Some(other) => {
            return Err(bad(
                "query[0]._name",
                format!(
                    "`{}` is not taken: Rampart answers `listAlert` queries only",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
        None => return Err(bad("query[0]._name", "is required: `listAlert`")),
    }
    let mut query = Query {
        filters: vec![],
        sort: vec![],
        page: None,
        count: false,
    };
    for (i, step) in steps.iter().enumerate().skip(1) {
        let at = format!("query[{i}]");
        if query.count {
            return Err(bad(&at, "nothing may follow `count`"));
        }
        match step.get("_name").and_then(Value::as_str) {
            Some("filter") => query.filters.push(parse_filter(step, &at, 0)?),
            Some("sort") => {
                let fields = step
                    .get("_fields")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        bad(
                            format!("{at}._fields"),
                            "is required: a list such as [{\"date\": \"desc\"}]",
                        )
                    })?;
                for (j, f) in fields.iter().enumerate() {
                    let pair = f.as_object().and_then(|o| {
                        let mut it = o.iter();
                        let first = it.next();
                        it.next().is_none().then_some(first).flatten()
                    });
                    let Some((field, direction)) = pair else {
                        return Err(bad(
                            format!("{at}._fields[{j}]"),
                            "must be one field and `asc` or `desc`",
                        ));
                    };
                    if !QUERY_FIELDS.contains(&field.as_str()) {
                        return Err(bad(
                            format!("{at}._fields[{j}]"),
                            format!(
                                "`{}` is not a field alerts are sorted by; known: {}",
                                field.chars().take(40).collect::<String>(),
                                QUERY_FIELDS.join(", ")
                            ),
                        ));
                    }
                    let descending = match direction.as_str() {
                        Some("asc") => false,
                        Some("desc") => true,
                        _ => {
                            return Err(bad(
                                format!("{at}._fields[{j}].{field}"),
                                "must be `asc` or `desc`",
                            ));
                        }
                    };
                    query.sort.push((field.clone(), descending));
                }
            }
            Some("page") => {
                let bound = |name: &str| {
                    step.get(name)
                        .and_then(Value::as_u64)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| bad(format!("{at}.{name}"), "is required: a whole number"))
                };
                let (from, to) = (bound("from")?, bound("to")?);
                if to < from {
                    return Err(bad(format!("{at}.to"), "must not be less than `from`"));
                }
                if to - from > MAX_ANSWER {
                    return Err(bad(
                        format!("{at}.to"),
                        format!("a page holds at most {MAX_ANSWER} alerts"),
                    ));
                }
                query.page = Some((from, to));
            }
            Some("count") => query.count = true,
            Some(other) => {
                return Err(bad(
                    format!("{at}._name"),
                    format!(
                        "`{}` is not taken after `listAlert`; known: filter, sort, page, count",
                        other.chars().take(40).collect::<String>()
                    ),
                ));
            }
            None => return Err(bad(format!("{at}._name"), "is required")),
        }
    }
    Ok(query)
}

/// The events a query may match: the one its `_id` or `source` and
/// `sourceRef` pin, or the newest [`SCAN`] the caller may read.
async fn candidates(
    s: &AppState,
    actor: &rampart_domain::Actor,
    filter: &Filter,
) -> Result<Vec<Event>, HiveError> {
    if let Some(id) = pinned(filter, "_id") {
        let Ok(number) = id.parse() else {
            return Ok(vec![]);
        };
        return match s.app.get_event(actor, number).await {
            Ok(e) => Ok(vec![e]),
            Err(e) if e.kind() == rampart_app::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e.into()),
        };
    }
    if let (Some(source), Some(reference)) = (pinned(filter, "source"), pinned(filter, "sourceRef"))
    {
        let Some((name, reference)) = hive::source_key(source, reference) else {
            return Ok(vec![]);
        };
        return Ok(s
            .app
            .event_by_source(actor, &name, &reference)
            .await?
            .into_iter()
            .collect());
    }
    let mut events = Vec::new();
    let mut query = EventQuery {
        source: pinned(filter, "source").map(str::to_owned),
        limit: rampart_app::MAX_PAGE,
        ..EventQuery::default()
    };
    while events.len() < SCAN {
        let page = s.app.list_events(actor, query.clone()).await?;
        events.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(events)
}

/// Search alerts with TheHive's query language: `listAlert`, then any
/// `filter` (`_and`, `_or`, `_not`, `_eq`, `_ne`, `_lt`, `_lte`, `_gt`,
/// `_gte`, `_in`, `_between`, `_like`, `_startsWith`, `_endsWith`, `_id`),
/// a `sort`, a `page` and `count`. A filter pinning `source` and
/// `sourceRef` (or `_id`) is answered from the index; any other looks at the
/// newest 10,000 events the key may read.
#[utoipa::path(post, path = "/query", tag = "thehive", operation_id = "thehive_query",
    request_body(content = TheHiveQuery, description = "`{\"query\": [{\"_name\": \"listAlert\"}, {\"_name\": \"filter\", \"_eq\": {\"_field\": \"sourceRef\", \"_value\": \"...\"}}, {\"_name\": \"page\", \"from\": 0, \"to\": 10}]}`"),
    params(("name" = Option<String>, Query, description = "A label TheHive's clients send; ignored")),
    responses((status = 200, description = "The alerts, or their number after `count`", body = Value),
        (status = 400, description = "An operation or filter Rampart does not take, named", body = HiveProblem)))]
pub async fn query(
    State(s): State<AppState>,
    HiveCaller(actor): HiveCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, HiveError> {
    let body = json_body(&s, &headers, body).await?;
    let query = parse_query(&body)?;
    let filter = Filter::And(query.filters);
    let events = candidates(&s, &actor, &filter).await?;
    let mut alerts: Vec<Value> = events
        .iter()
        .map(alert_of)
        .filter(|a| matches(&filter, a))
        .collect();
    if query.count {
        return Ok(Json(json!(alerts.len())));
    }
    for (field, descending) in query.sort.iter().rev() {
        alerts.sort_by(|a, b| {
            let o =
                order(&a[field.as_str()], &b[field.as_str()]).unwrap_or(std::cmp::Ordering::Equal);
            if *descending { o.reverse() } else { o }
        });
    }
    let (from, to) = query.page.unwrap_or((0, MAX_ANSWER));
    let page: Vec<Value> = alerts.into_iter().skip(from).take(to - from).collect();
    Ok(Json(Value::Array(page)))
}
