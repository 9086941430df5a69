//! The default classification scale: ISO/IEC 27035:2011 Annex C categories,
//! the three-factor severity classes with their monotone rule, priority, and
//! TLP 2.0 sharing markings.

use serde::{Deserialize, Serialize};

use crate::Text;

/// The scale every classification in this version is made under; incidents
/// record it so a later change of scale does not rewrite history.
pub const SCALE_VERSION: &str = "iso27035-annex-c/1";

// The wire values are matched as `tt`, not `literal`: a `literal` fragment
// reaches derive macros wrapped in an invisible group, which utoipa does not
// read, so the OpenAPI document would show the Rust variant names instead.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:tt),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The machine value used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the machine value, naming the accepted ones on failure.
            pub fn parse(text: &str) -> Result<Self, String> {
                match text {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value `{other}`; expected one of: {}",
                        [$($wire),+].join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

/// The longest category code.
pub const CATEGORY_CODE_MAX: usize = 32;

/// An incident category: a code of the classification scale, like
/// `technical_attack`. The shipped scale has the 13 of Annex C; admins may add
/// more in a new version of the scale, so the code is open, and whether it may
/// be used now is the scale's to say. Held inline so it copies like a number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category {
    bytes: [u8; CATEGORY_CODE_MAX],
    len: u8,
}

impl Category {
    pub const NATURAL_DISASTER: Self = Self::known("natural_disaster");
    pub const SOCIAL_UNREST: Self = Self::known("social_unrest");
    pub const PHYSICAL_DAMAGE: Self = Self::known("physical_damage");
    pub const INFRASTRUCTURE_FAILURE: Self = Self::known("infrastructure_failure");
    pub const RADIATION_DISTURBANCE: Self = Self::known("radiation_disturbance");
    pub const TECHNICAL_FAILURE: Self = Self::known("technical_failure");
    pub const MALWARE: Self = Self::known("malware");
    pub const TECHNICAL_ATTACK: Self = Self::known("technical_attack");
    pub const RULE_VIOLATION: Self = Self::known("rule_violation");
    pub const COMPROMISE_OF_FUNCTIONS: Self = Self::known("compromise_of_functions");
    pub const COMPROMISE_OF_INFORMATION: Self = Self::known("compromise_of_information");
    pub const HARMFUL_CONTENT: Self = Self::known("harmful_content");
    pub const OTHER: Self = Self::known("other");

    /// The 13 categories of Annex C, in its order.
    pub const ANNEX_C: [Self; 13] = [
        Self::NATURAL_DISASTER,
        Self::SOCIAL_UNREST,
        Self::PHYSICAL_DAMAGE,
        Self::INFRASTRUCTURE_FAILURE,
        Self::RADIATION_DISTURBANCE,
        Self::TECHNICAL_FAILURE,
        Self::MALWARE,
        Self::TECHNICAL_ATTACK,
        Self::RULE_VIOLATION,
        Self::COMPROMISE_OF_FUNCTIONS,
        Self::COMPROMISE_OF_INFORMATION,
        Self::HARMFUL_CONTENT,
        Self::OTHER,
    ];

    /// A code written in this file; a bad one stops the build.
    const fn known(code: &str) -> Self {
        let src = code.as_bytes();
        assert!(!src.is_empty() && src.len() <= CATEGORY_CODE_MAX);
        let mut bytes = [0u8; CATEGORY_CODE_MAX];
        let mut i = 0;
        while i < src.len() {
            assert!(src[i].is_ascii_lowercase() || src[i] == b'_');
            bytes[i] = src[i];
            i += 1;
        }
        Self {
            bytes,
            len: src.len() as u8,
        }
    }

    /// The machine value used in the API and the database.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `parse`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Reads a code: a lower-case letter, then letters, digits or `_`, at
    /// most 32 in all. Whether the scale knows it is checked elsewhere.
    pub fn parse(text: &str) -> Result<Self, String> {
        let b = text.as_bytes();
        let shape = !b.is_empty()
            && b.len() <= CATEGORY_CODE_MAX
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        if !shape {
            return Err(format!(
                "`{text}` is not a category code: a lower-case letter, then lower-case letters, \
                 digits or `_`, at most {CATEGORY_CODE_MAX} in all (e.g. `technical_attack`)"
            ));
        }
        let mut bytes = [0u8; CATEGORY_CODE_MAX];
        bytes[..b.len()].copy_from_slice(b);
        Ok(Self {
            bytes,
            len: b.len() as u8,
        })
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Category({})", self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Category {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[a-z][a-z0-9_]{0,31}$"))
            .description(Some(
                "A category code of the classification scale (`GET /classification-scale`). \
                 The shipped scale has the 13 of ISO/IEC 27035 Annex C: natural_disaster, \
                 social_unrest, physical_damage, infrastructure_failure, radiation_disturbance, \
                 technical_failure, malware, technical_attack, rule_violation, \
                 compromise_of_functions, compromise_of_information, harmful_content, other. \
                 A classification must use one the scale in force has and has not retired.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Category {}

wire_enum!(
    /// Importance of the affected information system, lowest first.
    SystemImportance {
        Ordinary => "ordinary",
        Important => "important",
        ParticularlyImportant => "particularly_important",
    }
);

wire_enum!(
    /// Grade of business loss or social impact, lowest first (`minor` includes none).
    LossGrade {
        Minor => "minor",
        Considerable => "considerable",
        Serious => "serious",
        EspeciallySerious => "especially_serious",
    }
);

wire_enum!(
    /// Severity class, lowest first.
    SeverityClass {
        I => "I",
        II => "II",
        III => "III",
        IV => "IV",
    }
);

wire_enum!(
    /// Estimated effort to resolve; the second key of priority.
    Effort {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);

wire_enum!(
    /// TLP 2.0 sharing marking. `WHITE` is read as `CLEAR`.
    Tlp {
        Clear => "CLEAR",
        Green => "GREEN",
        Amber => "AMBER",
        AmberStrict => "AMBER+STRICT",
        Red => "RED",
    }
);

wire_enum!(
    /// The classes of the Reference Security Incident Taxonomy (RSIT 1003).
    RsitClass {
        AbusiveContent => "abusive-content",
        MaliciousCode => "malicious-code",
        InformationGathering => "information-gathering",
        IntrusionAttempts => "intrusion-attempts",
        Intrusions => "intrusions",
        Availability => "availability",
        InformationContentSecurity => "information-content-security",
        Fraud => "fraud",
        Vulnerable => "vulnerable",
        Other => "other",
        Test => "test",
    }
);

impl RsitClass {
    /// The types of this class, as machine values.
    pub fn types(self) -> &'static [&'static str] {
        match self {
            Self::AbusiveContent => &["spam", "harmful-speech", "violence"],
            Self::MaliciousCode => &[
                "infected-system",
                "c2-server",
                "malware-distribution",
                "malware-configuration",
            ],
            Self::InformationGathering => &["scanner", "sniffing", "social-engineering"],
            Self::IntrusionAttempts => &["ids-alert", "brute-force", "exploit"],
            Self::Intrusions => &[
                "privileged-account-compromise",
                "unprivileged-account-compromise",
                "application-compromise",
                "system-compromise",
                "burglary",
            ],
            Self::Availability => &["dos", "ddos", "misconfiguration", "sabotage", "outage"],
            Self::InformationContentSecurity => &[
                "unauthorised-information-access",
                "unauthorised-information-modification",
                "data-loss",
                "data-leak",
            ],
            Self::Fraud => &[
                "unauthorised-use-of-resources",
                "copyright",
                "masquerade",
                "phishing",
            ],
            Self::Vulnerable => &[
                "weak-crypto",
                "ddos-amplifier",
                "potentially-unwanted-accessible",
                "information-disclosure",
                "vulnerable-system",
            ],
            Self::Other => &["other", "undetermined"],
            Self::Test => &["test"],
        }
    }
}

/// An RSIT class and one of its types, e.g. `intrusion-attempts` / `brute-force`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
#[serde(try_from = "RawRsit")]
pub struct Rsit {
    pub class: RsitClass,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(::serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRsit {
    class: RsitClass,
    #[serde(rename = "type")]
    kind: String,
}

/// One alternative per class, each naming the types that class has.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Rsit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let mut one_of = OneOfBuilder::new().description(Some(
            "An RSIT class and one of its types, e.g. `intrusion-attempts` / `brute-force`",
        ));
        for class in RsitClass::ALL {
            one_of = one_of.item(
                ObjectBuilder::new()
                    .property(
                        "class",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some([class.as_str()])),
                    )
                    .required("class")
                    .property(
                        "type",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(class.types().iter().copied())),
                    )
                    .required("type")
                    .additional_properties(Some(AdditionalProperties::FreeForm(false))),
            );
        }
        one_of.into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Rsit {}

impl TryFrom<RawRsit> for Rsit {
    type Error = String;
    fn try_from(raw: RawRsit) -> Result<Self, String> {
        Self::new(raw.class, &raw.kind)
    }
}

impl Rsit {
    /// A class and type, refused when the type is not one of the class's.
    pub fn new(class: RsitClass, kind: &str) -> Result<Self, String> {
        if class.types().contains(&kind) {
            Ok(Self {
                class,
                kind: kind.to_owned(),
            })
        } else {
            Err(format!(
                "`{kind}` is not a type of RSIT class {class}; expected one of: {}",
                class.types().join(", ")
            ))
        }
    }

    /// The 27035 category this RSIT type most plainly belongs to.
    pub fn category(&self) -> Category {
        use Category as C;
        match (self.class, self.kind.as_str()) {
            (RsitClass::AbusiveContent, _) => C::HARMFUL_CONTENT,
            (RsitClass::MaliciousCode, _) => C::MALWARE,
            (RsitClass::InformationGathering, "social-engineering") => C::COMPROMISE_OF_INFORMATION,
            (RsitClass::InformationGathering, "sniffing") => C::COMPROMISE_OF_INFORMATION,
            (RsitClass::InformationGathering, _) => C::TECHNICAL_ATTACK,
            (RsitClass::IntrusionAttempts, _) => C::TECHNICAL_ATTACK,
            (RsitClass::Intrusions, "burglary") => C::PHYSICAL_DAMAGE,
            (RsitClass::Intrusions, _) => C::COMPROMISE_OF_FUNCTIONS,
            (RsitClass::Availability, "dos" | "ddos") => C::TECHNICAL_ATTACK,
            (RsitClass::Availability, "outage") => C::INFRASTRUCTURE_FAILURE,
            (RsitClass::Availability, "misconfiguration") => C::TECHNICAL_FAILURE,
            (RsitClass::Availability, _) => C::PHYSICAL_DAMAGE,
            (RsitClass::InformationContentSecurity, _) => C::COMPROMISE_OF_INFORMATION,
            (RsitClass::Fraud, "unauthorised-use-of-resources" | "copyright") => C::RULE_VIOLATION,
            (RsitClass::Fraud, _) => C::COMPROMISE_OF_INFORMATION,
            (RsitClass::Vulnerable, _) => C::TECHNICAL_FAILURE,
            (RsitClass::Other | RsitClass::Test, _) => C::OTHER,
        }
    }
}

impl Tlp {
    /// How far the marking restricts sharing, from CLEAR (0) to RED (4): a
    /// recipient cleared for one marking may receive those of lower rank.
    pub fn rank(self) -> u8 {
        match self {
            Self::Clear => 0,
            Self::Green => 1,
            Self::Amber => 2,
            Self::AmberStrict => 3,
            Self::Red => 4,
        }
    }

    /// Reads a marking, accepting the TLP 1.0 `WHITE` as `CLEAR`.
    pub fn parse_lenient(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("WHITE") {
            return Ok(Self::Clear);
        }
        Self::parse(&text.to_ascii_uppercase())
    }
}

#[allow(
    clippy::derivable_impls,
    reason = "the enum is generated by wire_enum!"
)]
impl Default for Tlp {
    fn default() -> Self {
        Self::Amber
    }
}

impl SeverityClass {
    pub fn label(self) -> &'static str {
        match self {
            Self::I => "Small",
            Self::II => "Serious",
            Self::III => "Critical",
            Self::IV => "Emergency",
        }
    }

    /// Classes III and IV are significant: the ISIRT manager is told directly.
    pub fn is_significant(self) -> bool {
        self >= Self::III
    }

    /// 0 for I up to 3 for IV.
    pub fn index(self) -> u8 {
        match self {
            Self::I => 0,
            Self::II => 1,
            Self::III => 2,
            Self::IV => 3,
        }
    }
}

/// The three rated factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeverityFactors {
    pub system_importance: SystemImportance,
    pub business_loss: LossGrade,
    pub social_impact: LossGrade,
}

impl SeverityFactors {
    /// The highest class whose conditions all hold, each read as "at least".
    pub fn class(&self) -> SeverityClass {
        let loss = self.business_loss.max(self.social_impact);
        if self.system_importance >= SystemImportance::ParticularlyImportant
            && loss >= LossGrade::EspeciallySerious
        {
            SeverityClass::IV
        } else if self.system_importance >= SystemImportance::Important
            && loss >= LossGrade::Serious
        {
            SeverityClass::III
        } else if loss >= LossGrade::Considerable {
            SeverityClass::II
        } else {
            SeverityClass::I
        }
    }
}

/// A class set by the ISIRT in place of the computed one, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeverityOverride {
    pub class: SeverityClass,
    pub justification: Text,
}

/// An incident's severity: the rated factors, the class they give, and an
/// optional override shown beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Severity {
    /// The class in force (the override's when there is one).
    pub class: SeverityClass,
    pub label: String,
    pub significant: bool,
    pub computed_class: SeverityClass,
    pub factors: SeverityFactors,
    #[serde(rename = "override")]
    pub override_: Option<SeverityOverride>,
}

impl Severity {
    pub fn new(factors: SeverityFactors, override_: Option<SeverityOverride>) -> Self {
        let computed_class = factors.class();
        let class = override_.as_ref().map_or(computed_class, |o| o.class);
        Self {
            class,
            label: class.label().to_owned(),
            significant: class.is_significant(),
            computed_class,
            factors,
            override_,
        }
    }
}

/// Work order when several incidents run at once: severity first, then the
/// easier incident before the harder one. `1` is the most urgent, `12` the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Priority(u8);

impl Priority {
    pub fn new(class: SeverityClass, effort: Effort) -> Self {
        let effort_rank = match effort {
            Effort::Low => 0,
            Effort::Medium => 1,
            Effort::High => 2,
        };
        Self((3 - class.index()) * 3 + effort_rank + 1)
    }

    pub fn value(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn importance() -> impl Strategy<Value = SystemImportance> {
        proptest::sample::select(SystemImportance::ALL)
    }
    fn grade() -> impl Strategy<Value = LossGrade> {
        proptest::sample::select(LossGrade::ALL)
    }
    fn factors() -> impl Strategy<Value = SeverityFactors> {
        (importance(), grade(), grade()).prop_map(
            |(system_importance, business_loss, social_impact)| SeverityFactors {
                system_importance,
                business_loss,
                social_impact,
            },
        )
    }

    #[test]
    fn the_table_of_annex_c() {
        use LossGrade::*;
        use SystemImportance::*;
        let f = |system_importance, business_loss, social_impact| {
            SeverityFactors {
                system_importance,
                business_loss,
                social_impact,
            }
            .class()
        };
        assert_eq!(
            f(ParticularlyImportant, EspeciallySerious, Minor),
            SeverityClass::IV
        );
        assert_eq!(
            f(ParticularlyImportant, Minor, EspeciallySerious),
            SeverityClass::IV
        );
        assert_eq!(f(Important, EspeciallySerious, Minor), SeverityClass::III);
        assert_eq!(
            f(ParticularlyImportant, Serious, Serious),
            SeverityClass::III
        );
        assert_eq!(f(Important, Considerable, Minor), SeverityClass::II);
        assert_eq!(
            f(Ordinary, EspeciallySerious, EspeciallySerious),
            SeverityClass::II
        );
        assert_eq!(f(ParticularlyImportant, Minor, Minor), SeverityClass::I);
        assert_eq!(f(Ordinary, Minor, Minor), SeverityClass::I);
    }

    #[test]
    fn white_is_clear() {
        assert_eq!(Tlp::parse_lenient("white").unwrap(), Tlp::Clear);
        assert_eq!(
            Tlp::parse_lenient("amber+strict").unwrap(),
            Tlp::AmberStrict
        );
        assert!(Tlp::parse_lenient("PURPLE").is_err());
    }

    #[test]
    fn priority_orders_severity_then_effort() {
        assert_eq!(Priority::new(SeverityClass::IV, Effort::Low).value(), 1);
        assert_eq!(Priority::new(SeverityClass::I, Effort::High).value(), 12);
        assert!(
            Priority::new(SeverityClass::III, Effort::High)
                < Priority::new(SeverityClass::II, Effort::Low)
        );
        assert!(
            Priority::new(SeverityClass::II, Effort::Low)
                < Priority::new(SeverityClass::II, Effort::Medium)
        );
    }

    #[test]
    fn override_wins_and_keeps_the_computed_class() {
        let factors = SeverityFactors {
            system_importance: SystemImportance::Ordinary,
            business_loss: LossGrade::Minor,
            social_impact: LossGrade::Minor,
        };
        let s = Severity::new(
            factors,
            Some(SeverityOverride {
                class: SeverityClass::IV,
                justification: Text::new("regulator watching").unwrap(),
            }),
        );
        assert_eq!(
            (s.class, s.computed_class, s.significant),
            (SeverityClass::IV, SeverityClass::I, true)
        );
        assert_eq!(s.label, "Emergency");
    }

    proptest! {
        /// Raising any one factor never lowers the class.
        #[test]
        fn severity_is_monotone(a in factors(), b in factors()) {
            let dominates = b.system_importance >= a.system_importance
                && b.business_loss >= a.business_loss
                && b.social_impact >= a.social_impact;
            if dominates {
                prop_assert!(b.class() >= a.class(), "{a:?} -> {:?} but {b:?} -> {:?}", a.class(), b.class());
            }
        }

        #[test]
        fn priority_is_monotone_in_class(e in proptest::sample::select(Effort::ALL), a in factors(), b in factors()) {
            if a.class() > b.class() {
                prop_assert!(Priority::new(a.class(), e) < Priority::new(b.class(), e));
            }
        }

        #[test]
        fn unknown_values_are_refused_with_the_accepted_list(s in "[a-z_]{0,12}") {
            if let Err(msg) = Category::parse(&s) {
                prop_assert!(msg.contains("category code"));
            } else {
                let parsed = Category::parse(&s).unwrap();
                prop_assert_eq!(parsed.as_str(), s.as_str());
            }
        }
    }
}
