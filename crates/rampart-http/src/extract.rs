//! Request extractors: the caller's identity, JSON bodies and query strings,
//! each refusing bad input with the field named.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use rampart_domain::{Actor, FieldError};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let header = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        match state.app.authenticate(token).await? {
            Some(actor) => Ok(Self(actor)),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// Turns a serde error at a path into a field error: a missing field is named
/// by its own path, not its parent's.
pub(crate) fn field_error(path: &serde_path_to_error::Path, message: String) -> FieldError {
    let mut field = path.to_string();
    if field == "." {
        field = String::new();
    }
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        field = if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        };
        return FieldError::new(field, "is required");
    }
    if let Some(name) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        // The path already ends at the unknown field.
        let field = if field.is_empty() {
            name.to_owned()
        } else {
            field
        };
        return FieldError::new(field, "is not a known field");
    }
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    FieldError::new(
        if field.is_empty() {
            "body".to_owned()
        } else {
            field
        },
        message,
    )
}

/// Parses JSON into `T`, telling syntax errors (400) from field errors (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // A body that is right is read once, straight into `T`; only a wrong one
    // is read again, the slow way, to say precisely what is wrong.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    // Syntax first, over the whole body, so trailing garbage is malformed rather than a field error.
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().clone();
        ApiError::Invalid(vec![field_error(&path, e.into_inner().to_string())])
    })
}

/// A JSON request body, checked against `T`'s contract.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or_default().trim();
            if essence != "application/json"
                && !(essence.starts_with("application/") && essence.ends_with("+json"))
            {
                return Err(ApiError::UnsupportedMediaType);
            }
        }
        let limit = state.body_limit;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(limit)
            } else {
                ApiError::Malformed(rejection.body_text())
            }
        })?;
        if bytes.is_empty() {
            return Err(ApiError::Malformed(
                "the body is empty; send a JSON object".into(),
            ));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// Query-string parameters, checked against `T` (unknown parameters are refused by name).
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().clone();
                ApiError::Invalid(vec![field_error(&path, e.into_inner().to_string())])
            })
    }
}
