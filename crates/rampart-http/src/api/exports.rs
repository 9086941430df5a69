//! An incident leaving Rampart in an exchange format, for an audience
//! whose TLP decides what goes: STIX 2.1, MISP, IODEF v2.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::{IncidentNumber, Tlp};
use rampart_report::{Audience, iodef, misp, stix};
use serde::Deserialize;

use super::number;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// The TLP marking an export's recipients may receive. Never RED: what is
/// marked RED goes to named people only, not in a file that can be passed on.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
pub enum ExportAudience {
    #[serde(rename = "CLEAR")]
    Clear,
    #[serde(rename = "GREEN")]
    Green,
    #[serde(rename = "AMBER")]
    Amber,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
}

impl From<ExportAudience> for Tlp {
    fn from(a: ExportAudience) -> Self {
        match a {
            ExportAudience::Clear => Tlp::Clear,
            ExportAudience::Green => Tlp::Green,
            ExportAudience::Amber => Tlp::Amber,
            ExportAudience::AmberStrict => Tlp::AmberStrict,
        }
    }
}

/// Who the export is for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The TLP marking the recipients may receive. What is marked more
    /// narrowly is left out; an incident marked more narrowly is refused.
    #[param(inline)]
    pub audience: ExportAudience,
}

/// The incident as a STIX 2.1 bundle (`application/stix+json;version=2.1`):
/// the incident with the incident core extension, the ISIRT as identity,
/// observed data for each observable the audience may receive, an
/// indicator for each indicator of compromise and a sighting where it was
/// seen, each with its TLP 2.0 marking. Observables marked PAP:RED, or more
/// narrowly than the audience, never leave.
#[utoipa::path(get, path = "/incidents/{number}/export/stix", tag = "incidents", operation_id = "export_incident_stix",
    params(("number" = String, Path, description = "e.g. INC-2026-0001"), ExportParams),
    responses((status = 200, description = "The bundle", content_type = "application/stix+json;version=2.1", body = Object),
        (status = 409, description = "The incident is marked more narrowly than the audience", body = Problem)))]
pub async fn stix(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<ExportParams>,
) -> Result<Response, ApiError> {
    answer(&s, &actor, &n, p.audience, Format::Stix).await
}

/// The incident as a MISP event (the JSON MISP imports): the title, date,
/// threat level (class III and IV high, II medium, I low) and analysis
/// state, the TLP, PAP and RSIT classification as tags, and an attribute
/// for each observable the audience may receive, `to_ids` for each
/// indicator of compromise, tagged with its own TLP and PAP. Observables
/// marked PAP:RED, or more narrowly than the audience, never leave.
#[utoipa::path(get, path = "/incidents/{number}/export/misp", tag = "incidents", operation_id = "export_incident_misp",
    params(("number" = String, Path, description = "e.g. INC-2026-0001"), ExportParams),
    responses((status = 200, description = "The event", body = Object),
        (status = 409, description = "The incident is marked more narrowly than the audience", body = Problem)))]
pub async fn misp(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<ExportParams>,
) -> Result<Response, ApiError> {
    answer(&s, &actor, &n, p.audience, Format::Misp).await
}

/// The incident as an IODEF v2 document (RFC 7970, `application/xml`): the
/// incident with its times, descriptions and assessment (category, RSIT
/// type, severity as business impact, recovery cost as monetary impact),
/// the ISIRT as contact, an event for each observable the audience may
/// receive, an indicator for each indicator of compromise and the response
/// actions as history, each part with its TLP as IODEF's `restriction`.
/// Observables marked PAP:RED, or more narrowly than the audience, never
/// leave.
#[utoipa::path(get, path = "/incidents/{number}/export/iodef", tag = "incidents", operation_id = "export_incident_iodef",
    params(("number" = String, Path, description = "e.g. INC-2026-0001"), ExportParams),
    responses((status = 200, description = "The document", content_type = "application/xml", body = String),
        (status = 409, description = "The incident is marked more narrowly than the audience", body = Problem)))]
pub async fn iodef(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<ExportParams>,
) -> Result<Response, ApiError> {
    answer(&s, &actor, &n, p.audience, Format::Iodef).await
}

/// An export as the API answers it, in the format's media type.
async fn answer(
    s: &AppState,
    actor: &rampart_domain::Actor,
    n: &str,
    audience: ExportAudience,
    format: Format,
) -> Result<Response, ApiError> {
    let number: IncidentNumber = number(n, "incident")?;
    let document = export(s, actor, number, audience.into(), format).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        )],
        document,
    )
        .into_response())
}

/// Where an incident is published.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// The audience of the MISP feed to publish it on (its own marking or
    /// a narrower one); `null` withdraws it. Required.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ExportAudience>)]
    pub audience: Option<Option<ExportAudience>>,
}

/// A field that is there, `null` or not.
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<ExportAudience>>, D::Error> {
    Option::<ExportAudience>::deserialize(d).map(Some)
}

/// Publish the incident on Rampart's MISP feed for an audience, or
/// withdraw it (`"audience": null`): those who approve communications. A
/// restricted or exercise incident is not published; the audience is the
/// incident's own marking or a narrower one.
#[utoipa::path(put, path = "/incidents/{number}/publication", tag = "incidents", operation_id = "publish_incident",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")), request_body = Publication,
    responses((status = 200, description = "The incident as it is now", body = rampart_domain::Incident),
        (status = 409, description = "Restricted, or part of an exercise", body = Problem)))]
pub async fn publish(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<Publication>,
) -> Result<Json<rampart_domain::Incident>, ApiError> {
    let number: IncidentNumber = number(&n, "incident")?;
    let Some(audience) = body.audience else {
        return Err(ApiError::field(
            "audience",
            "is required: an audience, or null to withdraw the incident",
        ));
    };
    let incident = s
        .app
        .publish_incident(&actor, number, audience.map(Tlp::from))
        .await?;
    Ok(Json(incident))
}

/// A feed's audience, as its address names it.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FeedAudience {
    Clear,
    Green,
    Amber,
    AmberStrict,
}

impl From<FeedAudience> for Tlp {
    fn from(a: FeedAudience) -> Self {
        match a {
            FeedAudience::Clear => Tlp::Clear,
            FeedAudience::Green => Tlp::Green,
            FeedAudience::Amber => Tlp::Amber,
            FeedAudience::AmberStrict => Tlp::AmberStrict,
        }
    }
}

/// The audience a feed's address names; another is no feed (404).
fn feed_audience(raw: &str) -> Result<FeedAudience, ApiError> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).map_err(|_| {
        ApiError::NotFound(format!(
            "no feed `{raw}`: the feeds are clear, green, amber and amber-strict"
        ))
    })
}

/// The events of a feed, by uuid, for the audience.
async fn feed(
    s: &AppState,
    actor: &rampart_domain::Actor,
    audience: FeedAudience,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let tlp = Tlp::from(audience);
    let audience = Audience::new(tlp).map_err(|m| ApiError::field("audience", m))?;
    let producer = producer(s)?;
    let mut events = vec![];
    for incident in s.app.published_for(actor, tlp).await? {
        if let Ok((event, _)) = misp::event(&incident, audience, &producer) {
            events.push(event);
        }
    }
    Ok(events)
}

/// The manifest of Rampart's MISP feed for an audience (point a MISP feed
/// of format "MISP Feed" at `/api/v1/feeds/misp/{audience}`, with the
/// header `Authorization: Bearer <token>`): each published incident's event
/// uuid with its title, date, threat level, analysis, tags and timestamp.
#[utoipa::path(get, path = "/feeds/misp/{audience}/manifest.json", tag = "incidents", operation_id = "misp_feed_manifest",
    params(("audience" = inline(FeedAudience), Path, description = "The feed's audience")),
    responses((status = 200, description = "The manifest", body = Object)))]
pub async fn feed_manifest(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(audience): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let audience = feed_audience(&audience)?;
    let mut manifest = serde_json::Map::new();
    for event in feed(&s, &actor, audience).await? {
        let e = &event["Event"];
        let Some(uuid) = e["uuid"].as_str() else {
            continue;
        };
        let entry: serde_json::Map<String, serde_json::Value> = [
            "Orgc",
            "Tag",
            "info",
            "date",
            "analysis",
            "threat_level_id",
            "timestamp",
        ]
        .into_iter()
        .map(|k| (k.to_owned(), e[k].clone()))
        .collect();
        manifest.insert(uuid.to_owned(), serde_json::Value::Object(entry));
    }
    Ok(Json(serde_json::Value::Object(manifest)))
}

/// One event of Rampart's MISP feed for an audience: `<uuid>.json`, as the
/// manifest lists it.
#[utoipa::path(get, path = "/feeds/misp/{audience}/{file}", tag = "incidents", operation_id = "misp_feed_event",
    params(("audience" = inline(FeedAudience), Path, description = "The feed's audience"),
        ("file" = String, Path, description = "`<uuid>.json`, a uuid the manifest lists")),
    responses((status = 200, description = "The event", body = Object),
        (status = 404, description = "No published event with that uuid on this feed", body = Problem)))]
pub async fn feed_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((audience, file)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let audience = feed_audience(&audience)?;
    let uuid = file.strip_suffix(".json").unwrap_or_default();
    feed(&s, &actor, audience)
        .await?
        .into_iter()
        .find(|e| !uuid.is_empty() && e["Event"]["uuid"] == uuid)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no published event `{file}` on this feed")))
}

/// An exchange format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Stix,
    Misp,
    Iodef,
}

impl Format {
    /// As a path segment and in the journal: `stix`, `misp`, `iodef`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "stix" => Some(Self::Stix),
            "misp" => Some(Self::Misp),
            "iodef" => Some(Self::Iodef),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Stix => "stix",
            Self::Misp => "misp",
            Self::Iodef => "iodef",
        }
    }

    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Self::Stix => stix::MEDIA_TYPE,
            Self::Misp => "application/json",
            Self::Iodef => iodef::MEDIA_TYPE,
        }
    }

    /// The end of a downloaded file's name.
    pub(crate) fn file_suffix(self) -> &'static str {
        match self {
            Self::Stix => "stix.json",
            Self::Misp => "misp.json",
            Self::Iodef => "iodef.xml",
        }
    }
}

/// The incident in `format` for the audience of `tlp`, journaled
/// (`incident.exported`) before it is handed over: nothing leaves
/// unrecorded. For the API and the workspace's download.
pub(crate) async fn export(
    s: &AppState,
    actor: &rampart_domain::Actor,
    number: IncidentNumber,
    tlp: Tlp,
    format: Format,
) -> Result<String, ApiError> {
    let audience = Audience::new(tlp).map_err(|m| ApiError::field("audience", m))?;
    let incident = s.app.get_incident(actor, number).await?;
    let producer = producer(s)?;
    let now = s.app.clock().now();
    let (document, shared) = match format {
        Format::Stix => stix::bundle(&incident, audience, &producer, now)
            .map(|(bundle, shared)| (bundle.to_string(), shared)),
        Format::Misp => misp::event(&incident, audience, &producer)
            .map(|(event, shared)| (event.to_string(), shared)),
        Format::Iodef => iodef::document(&incident, audience, &producer, now),
    }
    .map_err(ApiError::Conflict)?;
    s.app
        .record_export(actor, number, format.name(), audience.tlp(), shared)
        .await?;
    Ok(document)
}

/// The installation as the producer of what it exports.
fn producer(s: &AppState) -> Result<stix::Producer, ApiError> {
    let key = s.app.vault().map_err(ApiError::from)?.key.public_hex();
    Ok(stix::Producer {
        name: format!("ISIRT (rampart/{})", &key[..16]),
        seed: key,
    })
}
