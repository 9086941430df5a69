//! The typed parts of the Annex D incident record: money (amounts with an
//! ISO 4217 currency), the impact on confidentiality, integrity and
//! availability, the investigation, the conclusion and who was notified.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::classification::wire_enum;
use crate::{Text, Timestamp};

/// Largest amount accepted, in whole units (a thousand billion): far above
/// any incident's cost, and small enough that hundredths stay exact in a
/// JSON number.
pub const MAX_AMOUNT_UNITS: u64 = 1_000_000_000_000;

/// Most people or parties one incident lists as notified, or as investigators.
pub const MAX_PEOPLE: usize = 200;

/// A non-negative amount of money with at most two decimals, held in
/// hundredths so that sums are exact. On the wire it is a JSON number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    const MAX_HUNDREDTHS: u64 = MAX_AMOUNT_UNITS * 100;

    pub fn from_hundredths(n: u64) -> Result<Self, String> {
        if n > Self::MAX_HUNDREDTHS {
            Err(format!("must be at most {MAX_AMOUNT_UNITS}"))
        } else {
            Ok(Self(n))
        }
    }

    pub fn hundredths(self) -> u64 {
        self.0
    }

    /// Reads a decimal such as `1200`, `1200.5` or `1200.50` (a form field).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.starts_with('-') {
            return Err("must not be negative".into());
        }
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) {
            return Err(format!(
                "`{t}` is not an amount; write digits with at most two decimals, e.g. 1200.50"
            ));
        }
        if frac.len() > 2 {
            return Err("must have at most two decimals".into());
        }
        let units: u64 = whole
            .parse()
            .map_err(|_| format!("must be at most {MAX_AMOUNT_UNITS}"))?;
        let cents: u64 = format!("{frac:0<2}").parse().unwrap_or(0);
        units
            .checked_mul(100)
            .and_then(|h| h.checked_add(cents))
            .ok_or_else(|| format!("must be at most {MAX_AMOUNT_UNITS}"))
            .and_then(Self::from_hundredths)
    }

    fn from_f64(v: f64) -> Result<Self, String> {
        if !v.is_finite() {
            return Err("must be a finite number".into());
        }
        if v < 0.0 {
            return Err("must not be negative".into());
        }
        let scaled = v * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 * scaled.max(1.0) {
            return Err("must have at most two decimals".into());
        }
        if rounded > Self::MAX_HUNDREDTHS as f64 {
            return Err(format!("must be at most {MAX_AMOUNT_UNITS}"));
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked finite, non-negative and within bounds above"
        )]
        Self::from_hundredths(rounded as u64)
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .filter(|a| a.0 <= Self::MAX_HUNDREDTHS)
    }

    /// With thousands separators and two decimals: `12,000.50`.
    pub fn grouped(self) -> String {
        grouped_hundredths(u128::from(self.0))
    }
}

/// Hundredths written with thousands separators and two decimals:
/// `12,000.50` (also for sums past what one amount may hold).
pub(crate) fn grouped_hundredths(hundredths: u128) -> String {
    let whole = (hundredths / 100).to_string();
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{:02}", hundredths % 100)
}

/// `1200.50`, as a form field shows it.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(100) {
            s.serialize_u64(self.0 / 100)
        } else {
            #[allow(
                clippy::cast_precision_loss,
                reason = "amounts are bounded far below 2^53 hundredths"
            )]
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number with at most two decimals")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                v.checked_mul(100)
                    .ok_or_else(|| format!("must be at most {MAX_AMOUNT_UNITS}"))
                    .and_then(Amount::from_hundredths)
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom("must not be negative")),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                Amount::from_f64(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some(
                "A non-negative amount with at most two decimals, e.g. 1200.5",
            ))
            .minimum(Some(0))
            .maximum(Some(MAX_AMOUNT_UNITS as f64))
            .multiple_of(Some(0.01))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Amount {}

/// The active ISO 4217 currency codes (funds and precious metals left out).
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW",
    "ZWG",
];

/// An ISO 4217 currency code, e.g. `EUR` (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(&'static str);

impl Currency {
    pub const EUR: Self = Self("EUR");

    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|c| **c == t)
            .map(|c| Self(c))
            .ok_or_else(|| {
                format!(
                    "`{}` is not an ISO 4217 currency code such as EUR, USD or GBP",
                    text.trim()
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    pub fn all() -> &'static [&'static str] {
        CURRENCIES
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::EUR
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An ISO 4217 currency code; EUR when absent"))
            .pattern(Some("^[A-Z]{3}$"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

/// An amount in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: Amount,
    /// EUR when absent.
    #[serde(default)]
    pub currency: Currency,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.amount.grouped())
    }
}

/// Sums amounts by currency; `None` when a sum passes [`MAX_AMOUNT_UNITS`].
pub fn totals<'a>(items: impl IntoIterator<Item = &'a Money>) -> Option<Vec<Money>> {
    let mut by: BTreeMap<Currency, Amount> = BTreeMap::new();
    for m in items {
        let sum = by.entry(m.currency).or_default();
        *sum = sum.checked_add(m.amount)?;
    }
    Some(
        by.into_iter()
            .map(|(currency, amount)| Money { amount, currency })
            .collect(),
    )
}

/// The impact on one of confidentiality, integrity or availability.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImpactAspect {
    /// What was affected, in a few words.
    #[serde(default)]
    pub description: Option<Text>,
    /// The value of what was affected.
    #[serde(default)]
    pub value: Option<Money>,
    /// What the impact cost.
    #[serde(default)]
    pub cost: Option<Money>,
}

impl ImpactAspect {
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.value.is_none() && self.cost.is_none()
    }
}

/// Impact on confidentiality, integrity and availability (Annex D).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CiaImpact {
    #[serde(default)]
    pub confidentiality: Option<ImpactAspect>,
    #[serde(default)]
    pub integrity: Option<ImpactAspect>,
    #[serde(default)]
    pub availability: Option<ImpactAspect>,
}

impl CiaImpact {
    /// The three aspects with their names, in order.
    pub fn aspects(&self) -> [(&'static str, Option<&ImpactAspect>); 3] {
        [
            ("confidentiality", self.confidentiality.as_ref()),
            ("integrity", self.integrity.as_ref()),
            ("availability", self.availability.as_ref()),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.aspects()
            .iter()
            .all(|(_, a)| a.is_none_or(ImpactAspect::is_empty))
    }

    /// Drops aspects with nothing in them, so an empty aspect and none are one state.
    pub fn normalized(mut self) -> Self {
        for a in [
            &mut self.confidentiality,
            &mut self.integrity,
            &mut self.availability,
        ] {
            if a.as_ref().is_some_and(ImpactAspect::is_empty) {
                *a = None;
            }
        }
        self
    }

    /// Total value affected, by currency.
    pub fn total_value(&self) -> Option<Vec<Money>> {
        totals(
            self.aspects()
                .into_iter()
                .filter_map(|(_, a)| a?.value.as_ref()),
        )
    }

    /// Total cost of the impact, by currency.
    pub fn total_cost(&self) -> Option<Vec<Money>> {
        totals(
            self.aspects()
                .into_iter()
                .filter_map(|(_, a)| a?.cost.as_ref()),
        )
    }
}

/// The investigation of an incident (Annex D).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Investigation {
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
    /// Who investigates (user names or any named people).
    #[serde(default)]
    pub investigators: Vec<Text>,
    /// Where the investigation report is kept (a document number or link).
    #[serde(default)]
    pub report_reference: Option<Text>,
}

impl Investigation {
    pub fn is_empty(&self) -> bool {
        self.started_at.is_none()
            && self.completed_at.is_none()
            && self.investigators.is_empty()
            && self.report_reference.is_none()
    }
}

/// The ISIRT's conclusion: whether the incident was significant, and why.
///
/// Conclusions written before this version were free text; they read as
/// `{"significant": null, "why": "<the text>"}`, and a request may still send
/// plain text, which is taken the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conclusion {
    /// `null` only on a conclusion written as free text before this version.
    pub significant: Option<bool>,
    pub why: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatedConclusion {
    /// Must be present; `null` only reads back a conclusion written as text.
    #[serde(deserialize_with = "present")]
    significant: Option<bool>,
    why: Text,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<bool>::deserialize(d)
}

impl<'de> Deserialize<'de> for Conclusion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Conclusion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with `significant` (true or false) and `why`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Conclusion, E> {
                Ok(Conclusion {
                    significant: None,
                    why: Text::new(v).map_err(E::custom)?,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Conclusion, A::Error> {
                let c = StatedConclusion::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Conclusion {
                    significant: c.significant,
                    why: c.why,
                })
            }
        }
        d.deserialize_any(V)
    }
}

wire_enum!(
    /// Whether a notified party is inside the organization.
    NotifiedParty {
        Internal => "internal",
        External => "external",
    }
);

/// Someone told of the incident (Annex D: individuals and entities notified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// A person, team, authority or organization.
    pub who: Text,
    pub party: NotifiedParty,
    #[serde(default)]
    pub at: Option<Timestamp>,
    /// How they were told, and anything to note.
    #[serde(default)]
    pub note: Option<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_read_from_numbers_and_decimals() {
        let a: Amount = serde_json::from_str("1200.5").unwrap();
        assert_eq!(a.hundredths(), 120_050);
        assert_eq!(serde_json::to_string(&a).unwrap(), "1200.5");
        let b: Amount = serde_json::from_str("7").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "7");
        assert_eq!(Amount::parse("0.1").unwrap().hundredths(), 10);
        assert_eq!(Amount::parse("12,000").map_err(|_| ()), Err(()));
        assert!(serde_json::from_str::<Amount>("-1").is_err());
        assert!(serde_json::from_str::<Amount>("1.005").is_err());
        assert!(serde_json::from_str::<Amount>("\"12\"").is_err());
        assert!(Amount::parse("-3").unwrap_err().contains("negative"));
        assert_eq!(
            Amount::parse("1234567.5").unwrap().grouped(),
            "1,234,567.50"
        );
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("ABC").is_err());
        let m: Money = serde_json::from_str(r#"{"amount": 5}"#).unwrap();
        assert_eq!(m.currency, Currency::EUR);
    }

    #[test]
    fn totals_are_by_currency() {
        let m = |a: &str, c: &str| Money {
            amount: Amount::parse(a).unwrap(),
            currency: Currency::parse(c).unwrap(),
        };
        let t = totals(&[m("1.10", "EUR"), m("2", "USD"), m("0.90", "EUR")]).unwrap();
        assert_eq!(t, vec![m("2", "EUR"), m("2", "USD")]);
    }

    #[test]
    fn conclusions_read_old_text_and_new_objects() {
        let old: Conclusion = serde_json::from_str(r#""contained quickly""#).unwrap();
        assert_eq!(old.significant, None);
        let new: Conclusion =
            serde_json::from_str(r#"{"significant": true, "why": "customer data"}"#).unwrap();
        assert_eq!(new.significant, Some(true));
        assert!(serde_json::from_str::<Conclusion>(r#"{"why": "x"}"#).is_err());
        let back: Conclusion = serde_json::from_value(serde_json::to_value(&old).unwrap()).unwrap();
        assert_eq!(back, old);
    }

    proptest! {
        #[test]
        fn amounts_survive_the_wire(h in 0u64..=MAX_AMOUNT_UNITS * 100) {
            let a = Amount::from_hundredths(h).unwrap();
            let back: Amount = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            prop_assert_eq!(a, back);
            prop_assert_eq!(Amount::parse(&a.to_string()).unwrap(), a);
        }
    }
}
