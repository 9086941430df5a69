//! Names people choose for records they set up once and cite often (a
//! document, a team): 2-64 characters of `a-z`, `0-9` and `-`, starting
//! with a letter and not ending with `-`, e.g. `incident-policy`.

/// What a slug may be, as a JSON Schema pattern.
#[cfg(feature = "openapi")]
pub const SLUG_PATTERN: &str = "^[a-z][a-z0-9-]{0,62}[a-z0-9]$";

/// Checks a slug, with the example the refusal gives.
pub fn check(raw: &str, example: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && !raw.ends_with('-')
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 2-64 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-' (e.g. {example})"
        ))
    }
}

/// A string schema with a pattern.
#[cfg(feature = "openapi")]
pub fn string_schema(
    description: &str,
    pattern: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([serde_json::Value::from(example)])
        .into()
}

/// A slug newtype: parsed on the way in, a string on the wire.
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(raw: &str) -> Result<Self, String> {
                $crate::slug::check(raw, $example).map(|()| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::new(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::slug::string_schema(
                    concat!($what, ": 2-64 characters of a-z, 0-9 and '-'"),
                    $crate::slug::SLUG_PATTERN,
                    $example,
                )
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use slug_id;
