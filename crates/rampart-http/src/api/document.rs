//! What the annotations of the handlers leave to one place:
//!
//! - the failures every operation shares: which problem documents an
//!   operation can answer follows from how it is called (a token, a JSON
//!   body, query parameters, a record number in the path), exactly as the
//!   extractors and [`crate::error::ApiError`] produce them, each filed under
//!   `application/problem+json`;
//! - the items of every page as a reference to their schema, so that a
//!   generated client reads `Page_Event.items` as its `Event` type;
//! - unknown fields refused in every variant of an internally tagged enum
//!   that refuses them (serde's `deny_unknown_fields` on the enum reaches its
//!   variants; utoipa shows it on structs only).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

/// The media type of every failure.
pub const PROBLEM: &str = "application/problem+json";

/// What a status means when an operation does not say more.
fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "The body is not JSON, or is empty",
        "401" => "No token, or not a valid one",
        "403" => "Your roles do not allow this",
        "404" => "No such record, or hidden from you by need-to-know",
        "409" => "The record's state does not allow this now",
        "413" => "The body is over the size limit",
        "415" => "The body is not `application/json`",
        "422" => "A field or query parameter is missing or invalid; `errors` names each",
        "429" => {
            "This token or address sent more requests a second than allowed; `Retry-After` says how many seconds to wait"
        }
        "503" => "The database is unavailable; nothing was changed",
        _ => "",
    }
}

fn problem(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM.to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
    );
    RefOr::T(response)
}

/// A failure of TheHive's alert API, in TheHive's shape.
fn hive_problem(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response.content.insert(
        "application/json".to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("HiveProblem")))),
    );
    RefOr::T(response)
}

/// Whether the operation is one of TheHive's alert API, which answers
/// failures in TheHive's shape for the connectors written for it.
fn is_thehive(op: &Operation) -> bool {
    op.tags
        .as_deref()
        .is_some_and(|tags| tags.iter().any(|t| t == "thehive"))
}

fn is_problem(content: &RefOr<Content>) -> bool {
    matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")))
}

/// Adds the shared failures to one operation and files every problem
/// document under its real media type.
fn complete_operation(op: &mut Operation) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let body = op.request_body.as_ref().map(|b| match b {
        RefOr::T(b) => b.content.keys().cloned().collect::<Vec<_>>(),
        RefOr::Ref(_) => vec![],
    });
    let json_body = body
        .as_ref()
        .is_some_and(|types| types.iter().any(|t| t == "application/json"));

    let thehive = is_thehive(op);
    let mut shared: Vec<&str> = vec![];
    if !public {
        // The token is looked up in the database, so storage can fail on any
        // call; the rate limits per token and per address apply to every call
        // but the health checks.
        shared.extend(["401", "403", "429", "503"]);
    }
    if thehive {
        // TheHive's alert API refuses every bad request with 400.
        if body.is_some() {
            shared.push("400");
        }
    } else {
        if body.is_some() {
            shared.extend(["400", "422"]);
        }
        if json_body {
            shared.extend(["413", "415"]);
        }
        if in_query {
            shared.push("422");
        }
    }
    if in_path {
        shared.push("404");
    }
    let responses = &mut op.responses.responses;
    for status in shared {
        // TheHive's alert API answers its own failures in TheHive's shape;
        // the rate limits answer before it, with a problem document.
        let failure = if thehive && status != "429" {
            hive_problem
        } else {
            problem
        };
        responses
            .entry(status.to_owned())
            .or_insert_with(|| failure(default_description(status)));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if let Some(content) = response.content.shift_remove("application/json") {
            let key = if is_problem(&content) {
                PROBLEM
            } else {
                "application/json"
            };
            response.content.insert(key.to_owned(), content);
        }
        if response.description.is_empty() {
            response.description = default_description(status).to_owned();
        }
    }
}

/// Completes the document: every operation, then the pages.
pub fn complete(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(op);
        }
    }
    refer_to_page_items(doc);
    close_variants(doc, &["VulnerabilityResolution"]);
}

/// Refuses unknown fields in every variant of the named `oneOf` schemas.
fn close_variants(doc: &mut OpenApi, names: &[&str]) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in names {
        let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) else {
            continue;
        };
        for variant in &mut one_of.items {
            if let RefOr::T(Schema::Object(object)) = variant {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// A page's schema holds its items' schema inline (generic arguments are
/// inlined); this files that schema under its own name, once, and refers to it.
fn refer_to_page_items(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let pages: Vec<String> = components
        .schemas
        .keys()
        .filter(|name| name.starts_with("Page_"))
        .cloned()
        .collect();
    for page in pages {
        let item_name = page.trim_start_matches("Page_").to_owned();
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&page) else {
            continue;
        };
        let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("items") else {
            continue;
        };
        let ArrayItems::RefOrSchema(items) = &mut array.items else {
            continue;
        };
        let inline = std::mem::replace(
            items.as_mut(),
            RefOr::Ref(Ref::from_schema_name(item_name.clone())),
        );
        components.schemas.entry(item_name).or_insert(inline);
    }
}
