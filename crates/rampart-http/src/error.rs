//! The one mapping from failures to HTTP: RFC 9457 problem documents with
//! the refused fields named. What is logged is kept apart from what is shown;
//! a 500 never shows internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_app::{AppError, ErrorKind};
use rampart_domain::{DomainError, FieldError};
use serde::Serialize;

/// A problem document (RFC 9457) with Rampart's extension members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The refused fields, by JSON path (or query parameter name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
    /// For an illegal transition: the record's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// For an illegal transition: the statuses it may move to now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON at all.
    Malformed(String),
    /// Fields missing or wrong (422).
    Invalid(Vec<FieldError>),
    Unauthenticated,
    Forbidden(String),
    /// The caller's roles allow the action but the token's scopes do not
    /// (403, like [`Self::Forbidden`]; the answer carries [`ScopeRefused`]).
    OutOfScope {
        detail: String,
        scope: String,
        action: String,
    },
    NotFound(String),
    /// The route exists but does not take this method (405).
    MethodNotAllowed,
    IllegalTransition {
        detail: String,
        current: String,
        allowed: Vec<String>,
    },
    Conflict(String),
    TooLarge(usize),
    UnsupportedMediaType,
    Unavailable,
    Internal,
}

/// On an answer refusing a token beyond its scopes: what it asked for, so
/// that the refusal is journaled against the token.
#[derive(Debug, Clone)]
pub(crate) struct ScopeRefused {
    pub(crate) scope: String,
    pub(crate) action: String,
}

impl ApiError {
    /// What a refusal beyond a token's scopes asked for.
    pub(crate) fn scope_refused(&self) -> Option<ScopeRefused> {
        match self {
            Self::OutOfScope { scope, action, .. } => Some(ScopeRefused {
                scope: scope.clone(),
                action: action.clone(),
            }),
            _ => None,
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub(crate) fn parts(self) -> (StatusCode, &'static str, String, Problem) {
        let plain = |status: StatusCode, kind: &'static str, title: &str, detail: String| {
            (
                status,
                kind,
                title.to_owned(),
                Problem {
                    kind: String::new(),
                    title: String::new(),
                    status: status.as_u16(),
                    detail,
                    errors: vec![],
                    current: None,
                    allowed: None,
                },
            )
        };
        match self {
            Self::Malformed(detail) => plain(
                StatusCode::BAD_REQUEST,
                "malformed",
                "Malformed request body",
                detail,
            ),
            Self::Invalid(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut p = plain(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "The request has invalid fields",
                    detail,
                );
                p.3.errors = errors;
                p
            }
            Self::Unauthenticated => plain(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "send a valid API token as `Authorization: Bearer <token>`".into(),
            ),
            Self::OutOfScope { detail, .. } => plain(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The token's scopes do not allow this",
                detail,
            ),
            Self::Forbidden(detail) => plain(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your roles do not allow this",
                detail,
            ),
            Self::NotFound(detail) => {
                plain(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
            }
            Self::MethodNotAllowed => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this address does not take this method; `Allow` lists those it takes".into(),
            ),
            Self::IllegalTransition {
                detail,
                current,
                allowed,
            } => {
                let mut p = plain(
                    StatusCode::CONFLICT,
                    "illegal-transition",
                    "The lifecycle does not allow this now",
                    detail,
                );
                p.3.current = Some(current);
                p.3.allowed = Some(allowed);
                p
            }
            Self::Conflict(detail) => plain(StatusCode::CONFLICT, "conflict", "Conflict", detail),
            Self::TooLarge(limit) => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
                format!("the body limit is {limit} bytes"),
            ),
            Self::UnsupportedMediaType => plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
                "send `Content-Type: application/json`".into(),
            ),
            Self::Unavailable => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Storage unavailable",
                "the change was not made; try again".into(),
            ),
            Self::Internal => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the request failed and changed nothing; the error is logged".into(),
            ),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => Self::Invalid(errors),
            DomainError::IllegalTransition {
                entity,
                current,
                requested,
                allowed,
            } => Self::IllegalTransition {
                detail: format!(
                    "{entity} is {current} and cannot become {requested}; allowed now: {}",
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ),
                current,
                allowed,
            },
            e @ DomainError::Forbidden { .. } => Self::Forbidden(e.to_string()),
            e @ DomainError::OutOfScope { .. } => {
                let detail = e.to_string();
                let DomainError::OutOfScope { scope, action, .. } = e else {
                    return Self::Forbidden(detail);
                };
                Self::OutOfScope {
                    detail,
                    scope,
                    action,
                }
            }
            DomainError::NotFound(what) => Self::NotFound(format!("{what} does not exist")),
            DomainError::Conflict(detail) => Self::Conflict(detail),
        }
    }
}

impl From<AppError> for ApiError {
    /// The one table from the application's failures to answers; the web
    /// UI's pages map through it too.
    fn from(e: AppError) -> Self {
        match e.kind() {
            ErrorKind::Invalid
            | ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::IllegalTransition
            | ErrorKind::Conflict => match e {
                AppError::Domain(d) => d.into(),
                other => other.domain().cloned().map_or(Self::Internal, Self::from),
            },
            ErrorKind::Unavailable => {
                tracing::error!(error = %e.chain(), "storage failure");
                Self::Unavailable
            }
            ErrorKind::Internal => {
                tracing::error!(error = %e.chain(), "internal failure");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let refused = self.scope_refused();
        let (status, kind, title, mut problem) = self.parts();
        problem.kind = format!("urn:rampart:problem:{kind}");
        problem.title = title;
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(refused) = refused {
            response.extensions_mut().insert(refused);
        }
        response
    }
}
