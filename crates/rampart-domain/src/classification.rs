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

wire_enum!(
    /// The 13 incident categories of Annex C.
    Category {
        NaturalDisaster => "natural_disaster",
        SocialUnrest => "social_unrest",
        PhysicalDamage => "physical_damage",
        InfrastructureFailure => "infrastructure_failure",
        RadiationDisturbance => "radiation_disturbance",
        TechnicalFailure => "technical_failure",
        Malware => "malware",
        TechnicalAttack => "technical_attack",
        RuleViolation => "rule_violation",
        CompromiseOfFunctions => "compromise_of_functions",
        CompromiseOfInformation => "compromise_of_information",
        HarmfulContent => "harmful_content",
        Other => "other",
    }
);

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
            (RsitClass::AbusiveContent, _) => C::HarmfulContent,
            (RsitClass::MaliciousCode, _) => C::Malware,
            (RsitClass::InformationGathering, "social-engineering") => C::CompromiseOfInformation,
            (RsitClass::InformationGathering, "sniffing") => C::CompromiseOfInformation,
            (RsitClass::InformationGathering, _) => C::TechnicalAttack,
            (RsitClass::IntrusionAttempts, _) => C::TechnicalAttack,
            (RsitClass::Intrusions, "burglary") => C::PhysicalDamage,
            (RsitClass::Intrusions, _) => C::CompromiseOfFunctions,
            (RsitClass::Availability, "dos" | "ddos") => C::TechnicalAttack,
            (RsitClass::Availability, "outage") => C::InfrastructureFailure,
            (RsitClass::Availability, "misconfiguration") => C::TechnicalFailure,
            (RsitClass::Availability, _) => C::PhysicalDamage,
            (RsitClass::InformationContentSecurity, _) => C::CompromiseOfInformation,
            (RsitClass::Fraud, "unauthorised-use-of-resources" | "copyright") => C::RuleViolation,
            (RsitClass::Fraud, _) => C::CompromiseOfInformation,
            (RsitClass::Vulnerable, _) => C::TechnicalFailure,
            (RsitClass::Other | RsitClass::Test, _) => C::Other,
        }
    }
}

impl Tlp {
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
                prop_assert!(msg.contains("natural_disaster"));
            }
        }
    }
}
