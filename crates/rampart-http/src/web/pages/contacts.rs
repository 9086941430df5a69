//! The contact directory: the list (by category), one contact, and the
//! forms to add one and change one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::contacts::ContactInput;
use rampart_domain::{Action, ChannelKind, Contact, ContactCategory, ContactKind};

use super::{Page, invalid, query_form};
use crate::AppState;
use crate::web::form::{FormData, decode_value};
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

/// Channel rows the forms offer beyond a contact's own.
const SPARE_CHANNELS: usize = 2;

/// The choices the contact forms offer.
pub trait ContactChoices {
    fn contact_categories(&self) -> &'static [ContactCategory] {
        ContactCategory::ALL
    }
    fn category_label(&self, c: &ContactCategory) -> &'static str {
        c.title()
    }
    fn kinds(&self) -> &'static [ContactKind] {
        ContactKind::ALL
    }
    fn channel_kinds(&self) -> &'static [ChannelKind] {
        ChannelKind::ALL
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts.html")]
pub struct ContactsPage {
    pub chrome: Chrome,
    pub contacts: Vec<Contact>,
    pub category: Option<ContactCategory>,
    pub may_manage: bool,
    pub form: RecordForm,
    /// Row numbers of the channel fields.
    pub rows: Vec<usize>,
}

impl ContactChoices for ContactsPage {}

impl ContactsPage {
    pub fn row(&self, i: &usize, field: &str) -> String {
        self.form.v(&format!("channels.{i}.{field}")).to_owned()
    }
    pub fn first_channel(&self, c: &Contact) -> String {
        c.details
            .channels
            .first()
            .map(|ch| format!("{}: {}", ch.kind, ch.value))
            .unwrap_or_default()
    }
}

async fn list_view(
    state: &AppState,
    person: &Person,
    category: Option<ContactCategory>,
    form: RecordForm,
) -> Result<ContactsPage, WebError> {
    Ok(ContactsPage {
        chrome: Chrome::new(person, "Contacts", "/contacts"),
        contacts: state.app.contacts(&person.actor, category).await?,
        category,
        may_manage: person.may(Action::ManageContacts),
        form,
        rows: (0..SPARE_CHANNELS + 1).collect(),
    })
}

/// `GET /contacts?category=csirt`.
pub async fn contacts_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewContacts)?;
    let query = query_form(&q)?;
    let category = match query.get("category") {
        Some(raw) => Some(ContactCategory::parse(raw).map_err(WebError::NotFound)?),
        None => None,
    };
    Ok(list_view(&state, &person, category, RecordForm::default())
        .await?
        .into_response())
}

/// The form as the API's input. A channel row whose address is blank is
/// an unused row (its kind is a menu, never blank), left out.
fn input(form: &FormData) -> Result<ContactInput, Vec<rampart_domain::FieldError>> {
    let kept = form.without_blank_rows("channels", "value");
    decode_value(kept.to_json(&[], &[]))
}

/// `POST /contacts`: `id`, `kind`, `name`, `organisation`, `category`,
/// `roles`, `channels.N.kind`/`value`/`note`, `pgp_key`,
/// `smime_certificate`, `tlp_max`, `when_to_contact`.
pub async fn contact_add(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageContacts)?;
    let refused = |errors| async {
        Ok(invalid(
            list_view(
                &state,
                person,
                None,
                RecordForm::new(post.form.clone(), errors),
            )
            .await?,
        ))
    };
    let body = match input(&post.form) {
        Ok(body) => body,
        Err(errors) => return refused(errors).await,
    };
    match state.app.add_contact(&person.actor, body).await {
        Ok(c) => Ok(see_other(&format!("/contacts/{}", c.id))),
        Err(e) => refused(form_errors(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "contact.html")]
pub struct ContactPage {
    pub chrome: Chrome,
    pub contact: Contact,
    pub may_manage: bool,
    pub form: RecordForm,
    pub rows: Vec<usize>,
}

impl ContactChoices for ContactPage {}

impl ContactPage {
    /// A field's value: as sent when the form was refused, else the contact's.
    pub fn value(&self, name: &str, own: &str) -> String {
        if self.form.errors.is_empty() {
            own.to_owned()
        } else {
            self.form.v(name).to_owned()
        }
    }
    pub fn opt(&self, name: &str, own: &Option<impl std::fmt::Display>) -> String {
        self.value(
            name,
            &own.as_ref().map(ToString::to_string).unwrap_or_default(),
        )
    }
    pub fn row(&self, i: &usize, field: &str) -> String {
        let own = self.contact.details.channels.get(*i).map(|c| match field {
            "kind" => c.kind.as_str().to_owned(),
            "value" => c.value.clone(),
            _ => c.note.as_ref().map(ToString::to_string).unwrap_or_default(),
        });
        self.value(&format!("channels.{i}.{field}"), &own.unwrap_or_default())
    }
    pub fn href(&self, kind: &ChannelKind, value: &str) -> Option<String> {
        match kind {
            ChannelKind::Email => Some(format!("mailto:{value}")),
            ChannelKind::Phone => Some(format!("tel:{}", value.replace(' ', ""))),
            ChannelKind::Web => Some(value.to_owned()),
            _ => None,
        }
    }
}

async fn contact_view(
    state: &AppState,
    person: &Person,
    id: &str,
    form: RecordForm,
) -> Result<ContactPage, WebError> {
    let contact = state.app.contact(&person.actor, id).await?;
    let rows = (0..contact.details.channels.len() + SPARE_CHANNELS).collect();
    Ok(ContactPage {
        chrome: Chrome::new(person, contact.details.name.to_string(), "/contacts"),
        may_manage: person.may(Action::ManageContacts),
        contact,
        form,
        rows,
    })
}

pub async fn contact_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Page {
    person.require(Action::ViewContacts)?;
    Ok(contact_view(&state, &person, &id, RecordForm::default())
        .await?
        .into_response())
}

/// `POST /contacts/{id}`: the details, as when adding (without `id`).
pub async fn contact_change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageContacts)?;
    let refused = |errors| async {
        Ok(invalid(
            contact_view(
                &state,
                person,
                &id,
                RecordForm::new(post.form.clone(), errors),
            )
            .await?,
        ))
    };
    let body = match input(&post.form) {
        Ok(body) => body,
        Err(errors) => return refused(errors).await,
    };
    match state.app.change_contact(&person.actor, &id, body).await {
        Ok(c) => Ok(see_other(&format!("/contacts/{}", c.id))),
        Err(e) => refused(form_errors(e)?).await,
    }
}
