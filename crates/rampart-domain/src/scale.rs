//! The classification scale as data: the categories an incident may be
//! classified under and the names of the severity classes. The shipped
//! version is the example of ISO/IEC 27035 Annex C; admins adapt it, and
//! each change is a new version. An incident records the version it was
//! classified under, so a later version relabels nothing already decided,
//! and a category is retired rather than removed, so old incidents keep a
//! name and a filter that finds them.

use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::{Category, DomainError, SCALE_VERSION, SeverityClass, Text, Timestamp};

/// Most categories one version holds.
pub const MAX_CATEGORIES: usize = 100;
/// Most versions the scale keeps in its record.
pub const MAX_SCALE_VERSIONS: usize = 200;
/// Longest name of a category or class.
pub const MAX_NAME: usize = 80;
/// Longest description of a category or class.
pub const MAX_DESCRIPTION: usize = 1_000;

/// One category of a version of the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    pub code: Category,
    /// What people read, e.g. `Technical attack` (1-80 characters).
    pub name: Text,
    /// What falls under it, e.g. its example types (at most 1000 characters).
    #[serde(default)]
    pub description: Option<Text>,
    /// No longer offered for new classifications; incidents already
    /// classified under it keep it, and filters still find them.
    #[serde(default)]
    pub retired: bool,
}

/// The name of one severity class in a version of the scale. The classes
/// themselves, and the three-factor rule that computes them, are the
/// standard's and do not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeDef {
    pub class: SeverityClass,
    /// What people read, e.g. `Emergency` (1-80 characters).
    pub name: Text,
    #[serde(default)]
    pub description: Option<Text>,
}

/// One version of the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScaleVersion {
    /// 1 for the shipped scale, then one more for each change.
    pub number: u32,
    /// What an incident records as its `scale`: `iso27035-annex-c/1` for the
    /// shipped version, `local/N` for later ones.
    pub key: String,
    pub categories: Vec<CategoryDef>,
    /// Classes I to IV, in that order.
    pub grades: Vec<GradeDef>,
    /// Why it changed; none on the shipped version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_by: Option<String>,
}

fn text(s: &str) -> Text {
    Text::new(s).unwrap_or_else(|_| unreachable!("the shipped scale's texts are not empty"))
}

impl ScaleVersion {
    /// The key a version of this number is recorded under.
    pub fn key_of(number: u32) -> String {
        if number == 1 {
            SCALE_VERSION.to_owned()
        } else {
            format!("local/{number}")
        }
    }

    /// The version that ships: Annex C's categories and class names.
    pub fn shipped() -> Self {
        let examples = [
            "Earthquake, volcano, flood, violent wind, lightning, tsunami, collapse.",
            "Terrorist attack, war, riot.",
            "Fire, water, static electricity, hostile environment; destruction, theft, loss or tampering of equipment or media.",
            "Failure of power, network, air-conditioning or water supply.",
            "Electromagnetic radiation or pulse, electronic jamming, voltage fluctuation, thermal radiation.",
            "Hardware or software failure, overload, breach of maintainability.",
            "Virus, worm, trojan, botnet, blended attack, malicious web page, malware hosting site.",
            "Network scanning, exploitation of a vulnerability, backdoor, brute-force login attempts, denial of service.",
            "Unauthorised use of resources, copyright violation.",
            "Abuse or forging of rights, denial of actions, mis-operation, breach of personnel availability.",
            "Interception, eavesdropping, disclosure, masquerade, social engineering, phishing; theft, loss or tampering of data.",
            "Illegal, panic-causing, malicious or abusive content.",
            "Anything the categories above do not cover.",
        ];
        let categories = Category::ANNEX_C
            .iter()
            .zip(examples)
            .map(|(code, example)| CategoryDef {
                code: *code,
                name: text(&default_name(*code)),
                description: Some(text(example)),
                retired: false,
            })
            .collect();
        let grades = [
            "No class above applies.",
            "Considerable business loss or social impact.",
            "An important system, with serious loss or impact.",
            "A particularly important system, with especially serious loss or impact.",
        ];
        Self {
            number: 1,
            key: Self::key_of(1),
            categories,
            grades: SeverityClass::ALL
                .iter()
                .zip(grades)
                .map(|(class, d)| GradeDef {
                    class: *class,
                    name: text(class.label()),
                    description: Some(text(d)),
                })
                .collect(),
            note: None,
            made_at: None,
            made_by: None,
        }
    }

    pub fn category(&self, code: Category) -> Option<&CategoryDef> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The categories offered for new classifications, in the scale's order.
    pub fn active(&self) -> impl Iterator<Item = &CategoryDef> {
        self.categories.iter().filter(|c| !c.retired)
    }

    /// The name of a severity class in this version.
    pub fn grade_name(&self, class: SeverityClass) -> &str {
        self.grades
            .iter()
            .find(|g| g.class == class)
            .map_or(class.label(), |g| g.name.as_str())
    }

    /// Refuses a category this version does not have or has retired,
    /// naming `field` and the codes it offers.
    pub fn require_active(&self, code: Category, field: &str) -> Result<(), DomainError> {
        self.check_active(code)
            .map_err(|m| DomainError::field(field, m))
    }

    /// Why a category may not be used now, if it may not.
    pub fn check_active(&self, code: Category) -> Result<(), String> {
        match self.category(code) {
            Some(c) if !c.retired => Ok(()),
            found => {
                let offered: Vec<&str> = self.active().map(|c| c.code.as_str()).collect();
                let what = if found.is_some() {
                    format!(
                        "`{code}` is retired in classification scale version {}",
                        self.number
                    )
                } else {
                    format!(
                        "`{code}` is not a category of classification scale version {}",
                        self.number
                    )
                };
                Err(format!("{what}; expected one of: {}", offered.join(", ")))
            }
        }
    }
}

/// `technical_attack` -> `Technical attack`.
fn default_name(code: Category) -> String {
    let words = code.as_str().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The scale with every version it has had; the last is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassificationScale {
    /// The number of the version in force.
    pub version: u32,
    /// Every version, oldest first.
    pub versions: Vec<ScaleVersion>,
}

impl Default for ClassificationScale {
    fn default() -> Self {
        Self {
            version: 1,
            versions: vec![ScaleVersion::shipped()],
        }
    }
}

/// An admin's new version of the scale.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScaleInput {
    /// The version the change was made from; refused if another admin
    /// saved a newer one meanwhile.
    pub version: u32,
    /// Every category, in the order they are offered. Each of the version
    /// in force must stay (mark it `retired` to stop offering it).
    pub categories: Vec<CategoryDef>,
    /// A name for each of the classes I to IV.
    pub grades: Vec<GradeDef>,
    /// Why it changes (1-1000 characters).
    pub note: Text,
}

impl ClassificationScale {
    /// The version in force.
    pub fn current(&self) -> &ScaleVersion {
        self.versions
            .last()
            .unwrap_or_else(|| unreachable!("a scale always has its first version"))
    }

    /// The version an incident records as its `scale`.
    pub fn by_key(&self, key: &str) -> Option<&ScaleVersion> {
        self.versions.iter().find(|v| v.key == key)
    }

    /// What a category is called in the version `key` names, else in the
    /// latest version that has it, else its code in words.
    pub fn category_name(&self, key: &str, code: Category) -> String {
        self.by_key(key)
            .and_then(|v| v.category(code))
            .or_else(|| self.versions.iter().rev().find_map(|v| v.category(code)))
            .map_or_else(|| default_name(code), |c| c.name.as_str().to_owned())
    }

    /// Every category any version has had, the current ones first in their
    /// order, then those only older versions have: what a filter offers.
    pub fn every_category(&self) -> Vec<&CategoryDef> {
        let mut all: Vec<&CategoryDef> = self.current().categories.iter().collect();
        for v in self.versions.iter().rev() {
            for c in &v.categories {
                if !all.iter().any(|a| a.code == c.code) {
                    all.push(c);
                }
            }
        }
        all
    }

    /// Adds `input` as the next version, made by `by` at `at`.
    pub fn revise(
        &mut self,
        input: ScaleInput,
        by: &str,
        at: Timestamp,
    ) -> Result<(), DomainError> {
        let current = self.current();
        if input.version != current.number {
            return Err(DomainError::field(
                "version",
                format!(
                    "the classification scale changed since version {} was read; the current version is {}",
                    input.version, current.number
                ),
            ));
        }
        let mut p = Problems::default();
        if self.versions.len() >= MAX_SCALE_VERSIONS {
            p.push(
                "version",
                format!("the scale holds {MAX_SCALE_VERSIONS} versions, the most it keeps"),
            );
        }
        if input.categories.is_empty() || input.categories.len() > MAX_CATEGORIES {
            p.push(
                "categories",
                format!("give 1 to {MAX_CATEGORIES} categories"),
            );
        }
        for (i, c) in input.categories.iter().enumerate() {
            if input.categories[..i].iter().any(|o| o.code == c.code) {
                p.push(
                    format!("categories[{i}].code"),
                    format!("`{}` is listed twice", c.code),
                );
            }
            check_words(
                &mut p,
                &format!("categories[{i}]"),
                &c.name,
                c.description.as_ref(),
            );
        }
        if !input.categories.iter().any(|c| !c.retired) {
            p.push("categories", "keep at least one category not retired");
        }
        for old in &current.categories {
            if !input.categories.iter().any(|c| c.code == old.code) {
                p.push(
                    "categories",
                    format!(
                        "`{}` is missing: a category is retired, never removed, so the incidents classified under it keep it",
                        old.code
                    ),
                );
            }
        }
        let classes: Vec<SeverityClass> = input.grades.iter().map(|g| g.class).collect();
        if classes != SeverityClass::ALL {
            p.push(
                "grades",
                "name each of the classes I, II, III and IV once, in that order",
            );
        }
        for (i, g) in input.grades.iter().enumerate() {
            check_words(
                &mut p,
                &format!("grades[{i}]"),
                &g.name,
                g.description.as_ref(),
            );
        }
        if input.note.as_str().chars().count() > MAX_DESCRIPTION {
            p.push(
                "note",
                format!("must be at most {MAX_DESCRIPTION} characters"),
            );
        }
        p.into_result()?;
        let same = input.categories == current.categories && input.grades == current.grades;
        if same {
            return Err(DomainError::field(
                "categories",
                "changes nothing; the version in force has these categories and names",
            ));
        }
        let number = current.number + 1;
        self.versions.push(ScaleVersion {
            number,
            key: ScaleVersion::key_of(number),
            categories: input.categories,
            grades: input.grades,
            note: Some(input.note),
            made_at: Some(at),
            made_by: Some(by.to_owned()),
        });
        self.version = number;
        Ok(())
    }
}

fn check_words(p: &mut Problems, at: &str, name: &Text, description: Option<&Text>) {
    if name.as_str().chars().count() > MAX_NAME {
        p.push(
            format!("{at}.name"),
            format!("must be at most {MAX_NAME} characters"),
        );
    }
    if description.is_some_and(|d| d.as_str().chars().count() > MAX_DESCRIPTION) {
        p.push(
            format!("{at}.description"),
            format!("must be at most {MAX_DESCRIPTION} characters"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2026-12-07T10:00:00Z").unwrap()
    }

    fn input_from(v: &ScaleVersion) -> ScaleInput {
        ScaleInput {
            version: v.number,
            categories: v.categories.clone(),
            grades: v.grades.clone(),
            note: Text::new("adapted").unwrap(),
        }
    }

    #[test]
    fn the_shipped_scale_is_annex_c() {
        let s = ClassificationScale::default();
        let v = s.current();
        assert_eq!(v.key, SCALE_VERSION);
        assert_eq!(v.categories.len(), 13);
        assert_eq!(
            v.category(Category::TECHNICAL_ATTACK)
                .unwrap()
                .name
                .as_str(),
            "Technical attack"
        );
        assert_eq!(v.grade_name(SeverityClass::IV), "Emergency");
        assert!(v.require_active(Category::MALWARE, "category").is_ok());
    }

    #[test]
    fn a_new_version_renames_retires_and_adds() {
        let mut s = ClassificationScale::default();
        let mut input = input_from(s.current());
        input.categories[7].name = Text::new("Cyber attack").unwrap();
        input.categories[4].retired = true;
        input.categories.push(CategoryDef {
            code: Category::parse("ransomware").unwrap(),
            name: Text::new("Ransomware").unwrap(),
            description: None,
            retired: false,
        });
        input.grades[3].name = Text::new("Major incident").unwrap();
        s.revise(input, "ada", at()).unwrap();
        assert_eq!((s.version, s.current().key.as_str()), (2, "local/2"));
        // Each incident reads the names of the version it was classified under.
        assert_eq!(
            s.category_name(SCALE_VERSION, Category::TECHNICAL_ATTACK),
            "Technical attack"
        );
        assert_eq!(
            s.category_name("local/2", Category::TECHNICAL_ATTACK),
            "Cyber attack"
        );
        let ransomware = Category::parse("ransomware").unwrap();
        assert_eq!(s.category_name(SCALE_VERSION, ransomware), "Ransomware");
        let err = s
            .current()
            .require_active(Category::RADIATION_DISTURBANCE, "category");
        assert!(err.unwrap_err().to_string().contains("retired"));
        assert!(s.current().require_active(ransomware, "category").is_ok());
        assert_eq!(s.every_category().len(), 14);
        assert_eq!(s.current().grade_name(SeverityClass::IV), "Major incident");
        assert_eq!(s.versions[0].grade_name(SeverityClass::IV), "Emergency");
    }

    #[test]
    fn bad_versions_are_refused_and_change_nothing() {
        let mut s = ClassificationScale::default();
        let before = s.clone();
        let mut stale = input_from(s.current());
        stale.version = 7;
        assert!(
            s.revise(stale, "ada", at())
                .unwrap_err()
                .to_string()
                .contains("version")
        );
        let same = input_from(s.current());
        assert!(
            s.revise(same, "ada", at())
                .unwrap_err()
                .to_string()
                .contains("changes nothing")
        );
        let mut removed = input_from(s.current());
        removed.categories.remove(0);
        let msg = s.revise(removed, "ada", at()).unwrap_err().to_string();
        assert!(
            msg.contains("natural_disaster") && msg.contains("retired, never removed"),
            "{msg}"
        );
        let mut twice = input_from(s.current());
        twice.categories.push(twice.categories[0].clone());
        assert!(
            s.revise(twice, "ada", at())
                .unwrap_err()
                .to_string()
                .contains("categories[13].code")
        );
        let mut grades = input_from(s.current());
        grades.grades.swap(0, 1);
        assert!(
            s.revise(grades, "ada", at())
                .unwrap_err()
                .to_string()
                .contains("grades")
        );
        let mut none = input_from(s.current());
        for c in &mut none.categories {
            c.retired = true;
        }
        assert!(
            s.revise(none, "ada", at())
                .unwrap_err()
                .to_string()
                .contains("at least one")
        );
        assert_eq!(s, before);
    }
}
