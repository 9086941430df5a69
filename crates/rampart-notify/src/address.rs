//! One e-mail address, checked the way the SMTP client will read it.

use lettre::Address;
use lettre::address::AddressError;

/// RFC 5321 allows a path of 256 octets including the angle brackets.
const MAX_ADDRESS_LEN: usize = 254;

/// Checks one e-mail address (`name@example.org`) and returns it normalised:
/// surrounding white space removed and the domain in lower case. The part
/// before `@` is kept as written, since only the receiving server may
/// interpret it.
///
/// A display name (`Name <name@example.org>`) is refused: this is for the
/// address alone, as a user types it into a profile.
pub fn parse_address(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("an e-mail address is required".to_owned());
    }
    if trimmed.contains(['<', '>']) {
        return Err(format!(
            "{trimmed:?} is not a plain e-mail address: give only the address, like \
             name@example.org, without a name or angle brackets"
        ));
    }
    if trimmed.len() > MAX_ADDRESS_LEN {
        return Err(format!(
            "an e-mail address has at most {MAX_ADDRESS_LEN} characters, this one has {}",
            trimmed.len()
        ));
    }
    let address: Address = trimmed
        .parse()
        .map_err(|error| format!("{trimmed:?} is not an e-mail address: {}", reason(&error)))?;
    Ok(format!(
        "{}@{}",
        address.user(),
        address.domain().to_lowercase()
    ))
}

pub(crate) fn reason(error: &AddressError) -> &'static str {
    match error {
        AddressError::MissingParts => "it needs a name, an @ and a domain, like name@example.org",
        AddressError::InvalidUser => "the part before the @ is not valid",
        AddressError::InvalidDomain => "the domain after the @ is not valid",
        _ => "it is not valid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_plain_address_is_kept_with_its_domain_in_lower_case() {
        assert_eq!(
            parse_address("  Ada.Lovelace@Example.ORG \n").unwrap(),
            "Ada.Lovelace@example.org"
        );
        assert_eq!(
            parse_address("ops+alerts@mail.example.org").unwrap(),
            "ops+alerts@mail.example.org"
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        assert_eq!(
            parse_address("   ").unwrap_err(),
            "an e-mail address is required"
        );
        let no_at = parse_address("ada.example.org").unwrap_err();
        assert!(
            no_at.contains("\"ada.example.org\" is not an e-mail address"),
            "{no_at}"
        );
        assert!(no_at.contains("name@example.org"), "{no_at}");
        let bad_domain = parse_address("ada@exa mple.org").unwrap_err();
        assert!(bad_domain.contains("domain"), "{bad_domain}");
        let bad_user = parse_address("a da@example.org").unwrap_err();
        assert!(bad_user.contains("before the @"), "{bad_user}");
        let named = parse_address("Ada <ada@example.org>").unwrap_err();
        assert!(
            named.contains("without a name or angle brackets"),
            "{named}"
        );
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(parse_address(&long).unwrap_err().contains("at most 254"));
    }

    #[test]
    fn a_line_break_cannot_ride_along() {
        let error = parse_address("ada@example.org\r\nBcc: eve@example.org").unwrap_err();
        assert!(
            error.contains(r"\r\n"),
            "the input is quoted with escapes: {error}"
        );
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(
            user in "[A-Za-z0-9_+-]{1,10}(\\.[A-Za-z0-9_+-]{1,10}){0,2}",
            domain in "[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9](\\.[A-Za-z]{2,6}){1,2}",
        ) {
            let once = parse_address(&format!(" {user}@{domain} ")).unwrap();
            prop_assert_eq!(parse_address(&once).unwrap(), once.clone());
            prop_assert!(once.ends_with(&domain.to_lowercase()));
        }

        #[test]
        fn any_input_gives_an_answer(raw in any::<String>()) {
            let _ = parse_address(&raw);
        }
    }
}
