//! The contact directory: organisations and people inside and outside,
//! their channels, keys, the highest TLP they may receive and when to
//! contact them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::contacts::ContactInput;
use rampart_domain::{Contact, ContactCategory};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// Which contacts to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactFilter {
    /// Only this category.
    #[serde(default)]
    pub category: Option<ContactCategory>,
}

/// The directory, by id (at most 2,000 entries).
#[utoipa::path(get, path = "/contacts", tag = "contacts", operation_id = "all_contacts", params(ContactFilter),
    responses((status = 200, description = "The contacts, by id", body = Vec<Contact>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<ContactFilter>,
) -> Result<Json<Vec<Contact>>, ApiError> {
    Ok(Json(s.app.contacts(&actor, f.category).await?))
}

/// Add an organisation or a person (ISIRT members and managers).
#[utoipa::path(post, path = "/contacts", tag = "contacts", operation_id = "add_contact", request_body = ContactInput,
    responses((status = 201, description = "Added", body = Contact),
        (status = 409, description = "A contact with this id exists", body = Problem)))]
pub async fn add(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let contact = s.app.add_contact(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// One contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", operation_id = "get_contact",
    params(("id" = String, Path, description = "e.g. national-csirt")),
    responses((status = 200, description = "The contact", body = Contact)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(s.app.contact(&actor, &id).await?))
}

/// Replace a contact's details (the whole of them; the id stays).
#[utoipa::path(put, path = "/contacts/{id}", tag = "contacts", operation_id = "replace_contact", request_body = ContactInput,
    params(("id" = String, Path, description = "e.g. national-csirt")),
    responses((status = 200, description = "The contact as changed", body = Contact)))]
pub async fn replace(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(s.app.change_contact(&actor, &id, body).await?))
}
