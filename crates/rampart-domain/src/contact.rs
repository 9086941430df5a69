//! The contact directory (27035-2: plan and prepare): the organisations and
//! people the ISIRT may have to reach, inside and outside, with how to reach
//! them, the keys to encrypt to them, the highest TLP they may receive and
//! when to contact them.

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::{DomainError, Problems, Text, Timestamp, Tlp};

/// Most contacts in the directory.
pub const MAX_CONTACTS: usize = 2_000;
/// Most channels of one contact.
pub const MAX_CHANNELS: usize = 20;
/// Longest channel value (an address, a number, a URL), in characters.
pub const MAX_CHANNEL_VALUE: usize = 500;
/// Largest key or certificate, in bytes.
pub const MAX_KEY_BYTES: usize = 64_000;

crate::slug::slug_id!(
    /// What names a contact, e.g. `national-csirt`.
    ContactId,
    "A contact's id",
    "national-csirt"
);

wire_enum!(
    /// An organisation, or a person (who may belong to one).
    ContactKind {
        Organisation => "organisation",
        Person => "person",
    }
);

wire_enum!(
    /// What the contact is to the organisation.
    ContactCategory {
        /// Inside the organisation: system owners, legal, communications, HR.
        Internal => "internal",
        /// A CERT or CSIRT: national, sector, a peer's.
        Csirt => "csirt",
        /// A supervisory or data protection authority.
        Regulator => "regulator",
        LawEnforcement => "law_enforcement",
        Supplier => "supplier",
        Customer => "customer",
        Insurer => "insurer",
        Other => "other",
    }
);

impl ContactCategory {
    pub fn title(self) -> &'static str {
        match self {
            Self::Internal => "Internal",
            Self::Csirt => "CERT / CSIRT",
            Self::Regulator => "Regulator",
            Self::LawEnforcement => "Law enforcement",
            Self::Supplier => "Supplier",
            Self::Customer => "Customer",
            Self::Insurer => "Insurer",
            Self::Other => "Other",
        }
    }
}

wire_enum!(
    /// How a contact is reached.
    ChannelKind {
        Email => "email",
        Phone => "phone",
        Web => "web",
        Chat => "chat",
        Postal => "postal",
        Other => "other",
    }
);

/// One way to reach a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactChannel {
    pub kind: ChannelKind,
    /// The address, number or URL (1-500 characters).
    pub value: String,
    /// E.g. "24x7 duty line", "for reports only".
    #[serde(default)]
    pub note: Option<Text>,
}

/// A contact's details, as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDetails {
    pub kind: ContactKind,
    pub name: Text,
    /// For a person: the organisation in the directory they belong to.
    pub organisation: Option<ContactId>,
    pub category: ContactCategory,
    /// Their roles, in words ("duty officer", "data protection officer").
    pub roles: Option<Text>,
    pub channels: Vec<ContactChannel>,
    /// An OpenPGP public key, ASCII-armoured.
    pub pgp_key: Option<String>,
    /// An S/MIME certificate, PEM.
    pub smime_certificate: Option<String>,
    /// The highest TLP they may be sent.
    pub tlp_max: Tlp,
    /// When to contact them (which incidents, which thresholds).
    pub when_to_contact: Option<Text>,
}

impl ContactDetails {
    /// Checks every field, naming each that is wrong.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut problems = Problems::default();
        if self.name.as_str().chars().count() > 200 {
            problems.push("name", "must be at most 200 characters");
        }
        if self.kind == ContactKind::Organisation && self.organisation.is_some() {
            problems.push("organisation", "only a person belongs to an organisation");
        }
        if self.channels.len() > MAX_CHANNELS {
            problems.push("channels", format!("at most {MAX_CHANNELS}"));
        }
        for (i, c) in self.channels.iter().enumerate() {
            let value = c.value.trim();
            let field = format!("channels.{i}.value");
            if value.is_empty() || value.chars().count() > MAX_CHANNEL_VALUE {
                problems.push(&field, format!("must be 1-{MAX_CHANNEL_VALUE} characters"));
            } else if value.chars().any(char::is_control) {
                problems.push(&field, "must not contain control characters");
            } else if c.kind == ChannelKind::Email && crate::parse_email(value).is_err() {
                problems.push(&field, "must be an e-mail address");
            } else if c.kind == ChannelKind::Web
                && !(value.starts_with("https://") || value.starts_with("http://"))
            {
                problems.push(&field, "must be an http:// or https:// address");
            }
        }
        if let Some(key) = &self.pgp_key
            && let Err(m) = armoured(key, "PGP PUBLIC KEY BLOCK")
        {
            problems.push("pgp_key", m);
        }
        if let Some(cert) = &self.smime_certificate
            && let Err(m) = armoured(cert, "CERTIFICATE")
        {
            problems.push("smime_certificate", m);
        }
        problems.into_result()
    }
}

/// Checks that `text` is one ASCII-armoured block of `label`: the BEGIN and
/// END lines, header lines (`Name: value`) and a CRC line (`=XXXX`)
/// allowed, and a body that is Base64.
fn armoured(text: &str, label: &str) -> Result<(), String> {
    use base64::Engine as _;
    if text.len() > MAX_KEY_BYTES {
        return Err(format!("must be at most {MAX_KEY_BYTES} bytes"));
    }
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let lines: Vec<&str> = text.trim().lines().map(str::trim).collect();
    if lines.first() != Some(&begin.as_str()) || lines.last() != Some(&end.as_str()) {
        return Err(format!("must be one block from `{begin}` to `{end}`"));
    }
    let mut body = String::new();
    for line in &lines[1..lines.len() - 1] {
        if line.is_empty() || line.contains(": ") || (line.starts_with('=') && line.len() == 5) {
            continue;
        }
        body.push_str(line);
    }
    match base64::engine::general_purpose::STANDARD.decode(body.as_bytes()) {
        Ok(bytes) if !bytes.is_empty() => Ok(()),
        _ => Err("the block's body is not Base64".into()),
    }
}

/// An entry of the contact directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: ContactId,
    #[serde(flatten)]
    pub details: ContactDetails,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Contact {
    /// Whether content marked `tlp` may be sent to this contact.
    pub fn may_receive(&self, tlp: Tlp) -> bool {
        tlp.rank() <= self.details.tlp_max.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> ContactDetails {
        ContactDetails {
            kind: ContactKind::Organisation,
            name: Text::new("National CSIRT").unwrap(),
            organisation: None,
            category: ContactCategory::Csirt,
            roles: None,
            channels: vec![ContactChannel {
                kind: ChannelKind::Email,
                value: "cert@example.org".into(),
                note: None,
            }],
            pgp_key: Some("-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\nmQENBF4AAAAB\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n".into()),
            smime_certificate: None,
            tlp_max: Tlp::Amber,
            when_to_contact: None,
        }
    }

    #[test]
    fn keys_are_armoured_blocks() {
        assert!(details().validate().is_ok());
        let mut d = details();
        d.pgp_key = Some("not a key".into());
        assert!(d.validate().unwrap_err().to_string().contains("pgp_key"));
        d.pgp_key = Some(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n!!!\n-----END PGP PUBLIC KEY BLOCK-----".into(),
        );
        assert!(d.validate().is_err());
        d.pgp_key = None;
        d.smime_certificate =
            Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into());
        assert!(d.validate().is_ok());
    }

    #[test]
    fn channels_are_checked_by_kind() {
        let mut d = details();
        d.channels[0].value = "not an address".into();
        assert!(
            d.validate()
                .unwrap_err()
                .to_string()
                .contains("channels.0.value")
        );
        d.channels[0] = ContactChannel {
            kind: ChannelKind::Web,
            value: "javascript:alert(1)".into(),
            note: None,
        };
        assert!(d.validate().is_err());
    }

    #[test]
    fn the_highest_tlp_bounds_what_may_be_sent() {
        let c = Contact {
            id: ContactId::new("national-csirt").unwrap(),
            details: details(),
            created_by: "mia".into(),
            created_at: Timestamp::from_unix(0).unwrap(),
            updated_at: Timestamp::from_unix(0).unwrap(),
        };
        assert!(c.may_receive(Tlp::Green));
        assert!(c.may_receive(Tlp::Amber));
        assert!(!c.may_receive(Tlp::Red));
    }
}
