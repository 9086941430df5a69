//! The contact directory (see [`rampart_domain::contact`]): organisations
//! and people inside and outside, how to reach them, their keys, the
//! highest TLP they may receive and when to contact them.

use rampart_domain::contact::MAX_CONTACTS;
use rampart_domain::journal::ContactChanged;
use rampart_domain::{
    Action, Actor, Contact, ContactCategory, ContactChannel, ContactDetails, ContactId,
    ContactKind, DomainError, JournalAction, Text, Tlp,
};
use rampart_store::{Entity, EntityRef, JournalDraft};
use serde::Deserialize;

use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

/// A contact as the interfaces send it: to add one (with `id`) or to
/// replace one's details (without).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// `national-csirt`: 2-64 characters of a-z, 0-9 and '-'; only when adding.
    #[serde(default)]
    pub id: Option<String>,
    pub kind: ContactKind,
    /// 1-200 characters.
    pub name: Text,
    /// For a person: the id of the organisation in the directory they belong to.
    #[serde(default)]
    pub organisation: Option<String>,
    pub category: ContactCategory,
    #[serde(default)]
    pub roles: Option<Text>,
    #[serde(default)]
    pub channels: Vec<ContactChannel>,
    /// An OpenPGP public key, ASCII-armoured.
    #[serde(default)]
    pub pgp_key: Option<String>,
    /// An S/MIME certificate, PEM.
    #[serde(default)]
    pub smime_certificate: Option<String>,
    /// The highest TLP they may be sent; default `TLP:GREEN`.
    #[serde(default)]
    pub tlp_max: Option<Tlp>,
    #[serde(default)]
    pub when_to_contact: Option<Text>,
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl App {
    /// The directory, by id; of one category when given.
    pub async fn contacts(
        &self,
        actor: &Actor,
        category: Option<ContactCategory>,
    ) -> Result<Vec<Contact>, AppError> {
        actor.require(Action::ViewContacts)?;
        Ok(self.store.list_contacts(category).await?)
    }

    /// One contact.
    pub async fn contact(&self, actor: &Actor, id: &str) -> Result<Contact, AppError> {
        actor.require(Action::ViewContacts)?;
        let id = ContactId::new(id)
            .map_err(|m| DomainError::NotFound(format!("contact `{id}` ({m})")))?;
        match self.store.get(&EntityRef::Contact(id.clone())).await? {
            Some(Entity::Contact(c)) => Ok(*c),
            _ => Err(not_found(format!("contact {id}"))),
        }
    }

    /// The details of an input, checked; the organisation a person
    /// belongs to must be an organisation in the directory.
    async fn contact_details(&self, input: ContactInput) -> Result<ContactDetails, AppError> {
        let organisation = match blank_to_none(input.organisation) {
            Some(raw) => {
                let id = ContactId::new(&raw).map_err(|m| DomainError::field("organisation", m))?;
                match self.store.get(&EntityRef::Contact(id.clone())).await? {
                    Some(Entity::Contact(c)) if c.details.kind == ContactKind::Organisation => {
                        Some(id)
                    }
                    _ => {
                        return Err(DomainError::field(
                            "organisation",
                            format!("{id} is not an organisation in the directory"),
                        )
                        .into());
                    }
                }
            }
            None => None,
        };
        let details = ContactDetails {
            kind: input.kind,
            name: input.name,
            organisation,
            category: input.category,
            roles: input.roles,
            channels: input
                .channels
                .into_iter()
                .map(|c| ContactChannel {
                    value: c.value.trim().to_owned(),
                    ..c
                })
                .collect(),
            pgp_key: blank_to_none(input.pgp_key),
            smime_certificate: blank_to_none(input.smime_certificate),
            tlp_max: input.tlp_max.unwrap_or(Tlp::Green),
            when_to_contact: input.when_to_contact,
        };
        details.validate()?;
        Ok(details)
    }

    /// Adds a contact (`contact.created`).
    pub async fn add_contact(
        &self,
        actor: &Actor,
        input: ContactInput,
    ) -> Result<Contact, AppError> {
        actor.require(Action::ManageContacts)?;
        let raw = input.id.clone().unwrap_or_default();
        let id = ContactId::new(raw.trim()).map_err(|m| DomainError::field("id", m))?;
        let details = self.contact_details(input).await?;
        if self.store.list_contacts(None).await?.len() >= MAX_CONTACTS {
            return Err(DomainError::Conflict(format!(
                "the directory holds {MAX_CONTACTS} contacts already"
            ))
            .into());
        }
        let mut unit = Unit::new(&actor.name);
        let existing = unit.load::<Contact>(EntityRef::Contact(id.clone()));
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "a contact named {id} exists already"
                )));
            }
            let contact = Contact {
                id,
                details,
                created_by: by,
                created_at: ctx.now(),
                updated_at: ctx.now(),
            };
            Ok(Decided::new(contact.clone())
                .journal(JournalDraft::new(
                    format!("contact:{}", contact.id),
                    JournalAction::ContactCreated(Box::new(contact.clone())),
                ))
                .insert(Entity::Contact(Box::new(contact))))
        });
        self.run(unit).await
    }

    /// Replaces a contact's details (`contact.changed`).
    pub async fn change_contact(
        &self,
        actor: &Actor,
        id: &str,
        input: ContactInput,
    ) -> Result<Contact, AppError> {
        actor.require(Action::ManageContacts)?;
        let current = self.contact(actor, id).await?;
        if input
            .id
            .as_deref()
            .is_some_and(|i| i.trim() != current.id.as_str())
        {
            return Err(DomainError::field("id", "a contact's id cannot change").into());
        }
        let details = self.contact_details(input).await?;
        if details.organisation.as_ref() == Some(&current.id) {
            return Err(
                DomainError::field("organisation", "a contact cannot belong to itself").into(),
            );
        }
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Contact>(EntityRef::Contact(current.id.clone()));
        let what = format!("contact {}", current.id);
        let unit = unit.decide(move |ctx| {
            let mut contact = ctx.take(&loaded, || what)?;
            if contact.details == details {
                return Ok(Decided::new(contact));
            }
            let before = std::mem::replace(&mut contact.details, details.clone());
            contact.updated_at = ctx.now();
            Ok(Decided::new(contact.clone())
                .journal(JournalDraft::new(
                    format!("contact:{}", contact.id),
                    JournalAction::ContactChanged(Box::new(ContactChanged {
                        before,
                        after: details,
                    })),
                ))
                .update(Entity::Contact(Box::new(contact))))
        });
        self.run(unit).await
    }
}
