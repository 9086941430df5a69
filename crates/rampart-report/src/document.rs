//! A report as a document: a title, a TLP marking and sections of labelled
//! fields, texts and tables. The Annex D builders fill it; the renderers
//! ([`crate::markdown`], [`crate::html`], and the PDF behind the `pdf`
//! feature) lay it out, so the three forms always carry the same content.

use rampart_domain::{Timestamp, Tlp};
use serde::Serialize;

/// What a field shows when the record leaves it empty.
pub const NOT_RECORDED: &str = "Not recorded";

/// Which record a report is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Incident,
    Event,
    Vulnerability,
    /// The management summary of a period.
    Summary,
}

impl ReportKind {
    /// The document's heading: "Incident report".
    pub fn heading(self) -> &'static str {
        match self {
            Self::Incident => "Information security incident report",
            Self::Event => "Information security event report",
            Self::Vulnerability => "Information security vulnerability report",
            Self::Summary => "Management summary of information security incidents",
        }
    }

    /// In the journal and in file names: `incident`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Event => "event",
            Self::Vulnerability => "vulnerability",
            Self::Summary => "summary",
        }
    }
}

/// The journal state a report was made from, and the key that signs it:
/// printed in the footer of every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The journal's last entry when the report was made.
    pub seq: u64,
    /// That entry's hash (hex).
    pub head: String,
    /// The installation's public key (hex) that signs the report.
    pub key: String,
    /// When it was made, and by whom.
    pub made_at: String,
    pub made_by: String,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    pub heading: &'static str,
    /// The record's number (`INC-2026-0042`), or the period of a summary
    /// (`2026-Q1`).
    pub number: String,
    pub title: String,
    /// The TLP marking of the record, on every page.
    pub tlp: Marking,
    pub provenance: Provenance,
    pub sections: Vec<Section>,
}

/// A TLP 2.0 marking with the colours the standard gives it.
#[derive(Debug, Clone, Serialize)]
pub struct Marking {
    /// `TLP:AMBER+STRICT`.
    pub label: String,
    /// Text colour on black, as `#rrggbb`.
    pub colour: &'static str,
    /// What the marking allows, in one sentence.
    pub meaning: &'static str,
}

impl Marking {
    pub fn of(tlp: Tlp) -> Self {
        let (colour, meaning) = match tlp {
            Tlp::Clear => ("#ffffff", "Disclosure is not limited."),
            Tlp::Green => (
                "#33ff00",
                "Limited disclosure: the recipients' community, not public channels.",
            ),
            Tlp::Amber => (
                "#ffc000",
                "Limited disclosure: the recipients' organisation and its clients, on a need-to-know basis.",
            ),
            Tlp::AmberStrict => (
                "#ffc000",
                "Limited disclosure: the recipients' organisation only, on a need-to-know basis.",
            ),
            Tlp::Red => (
                "#ff2b2b",
                "For the eyes and ears of the named recipients only; not to be passed on.",
            ),
        };
        Self {
            label: format!("TLP:{tlp}"),
            colour,
            meaning,
        }
    }
}

/// A numbered part of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: vec![],
        }
    }

    /// Appends a list of labelled fields.
    pub fn fields(mut self, fields: Vec<Field>) -> Self {
        self.blocks.push(Block::Fields { fields });
        self
    }

    /// Appends a longer text under a label; an empty one says so.
    pub fn text(mut self, label: &str, text: Option<String>) -> Self {
        self.blocks.push(Block::Text {
            label: label.to_owned(),
            text: text.filter(|t| !t.trim().is_empty()),
        });
        self
    }

    /// Appends a table; `empty` is what stands in for no rows.
    pub fn table(mut self, table: Table) -> Self {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Appends a remark in italics.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.blocks.push(Block::Note { note: note.into() });
        self
    }
}

/// One piece of a section.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Fields { fields: Vec<Field> },
    Text { label: String, text: Option<String> },
    Table(Table),
    Note { note: String },
}

/// A label and its value; `None` is shown as [`NOT_RECORDED`].
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub label: String,
    pub value: Option<String>,
    /// Set for hashes and identifiers, shown in a fixed-width face.
    pub code: bool,
}

/// A field of `label` with `value`, when there is one.
pub fn field(label: &str, value: Option<impl ToString>) -> Field {
    Field {
        label: label.to_owned(),
        value: value
            .map(|v| v.to_string())
            .filter(|v| !v.trim().is_empty()),
        code: false,
    }
}

/// A field in a fixed-width face (hashes, identifiers).
pub fn code_field(label: &str, value: Option<impl ToString>) -> Field {
    Field {
        code: true,
        ..field(label, value)
    }
}

/// Rows under column headings.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    /// Relative column widths, one per column.
    pub widths: Vec<u8>,
    pub rows: Vec<Vec<String>>,
    /// What stands in for no rows: "No response actions were recorded."
    pub empty: String,
    /// Set by a layout that sets the rows as a list: each row then holds
    /// its first cell and the others joined after their headings.
    pub long: bool,
}

impl Table {
    /// A table of `columns`, each a `(heading, relative width)`.
    pub fn new(caption: &str, columns: &[(&str, u8)], empty: &str) -> Self {
        Self {
            caption: caption.to_owned(),
            columns: columns.iter().map(|(c, _)| (*c).to_owned()).collect(),
            widths: columns.iter().map(|(_, w)| *w).collect(),
            rows: vec![],
            empty: empty.to_owned(),
            long: false,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// A time as Annex D writes it: `2026-03-14 09:26:53 UTC`.
pub fn when(t: &Timestamp) -> String {
    let text = t.to_rfc3339();
    match (text.get(..10), text.get(11..19)) {
        (Some(day), Some(time)) if text.len() >= 20 => format!("{day} {time} UTC"),
        _ => text,
    }
}

/// A time in a table whose column heading says "(UTC)":
/// `2026-03-14 09:26:53`.
pub fn at(t: &Timestamp) -> String {
    let full = when(t);
    full.strip_suffix(" UTC")
        .map_or(full.clone(), str::to_owned)
}

/// An optional time as Annex D writes it.
pub fn when_opt(t: Option<&Timestamp>) -> Option<String> {
    t.map(when)
}

/// A wire name for people: `criminal_gain` → `criminal gain`.
pub fn words(wire: &str) -> String {
    wire.replace('_', " ")
}

/// Yes or no.
pub fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// A list joined by commas; `None` when empty.
pub fn list<T: ToString>(items: &[T]) -> Option<String> {
    (!items.is_empty()).then(|| {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// A small report with every kind of block, for the renderers' tests.
#[cfg(test)]
pub(crate) fn sample() -> Report {
    let mut actions = Table::new(
        "Response actions",
        &[("#", 1), ("What", 6), ("Owner", 2)],
        "No response actions were recorded.",
    );
    actions.row(vec![
        "1".into(),
        "Block 203.0.113.9 at the edge <firewall> & *log* it | #now".into(),
        "alice".into(),
    ]);
    actions.row(vec![
        "2".into(),
        "Re-image host\nthen restore from backup".into(),
        "bob".into(),
    ]);
    Report {
        kind: ReportKind::Incident,
        heading: ReportKind::Incident.heading(),
        number: "INC-2026-0042".into(),
        title: "Ransomware on the #finance share [draft] $x$".into(),
        tlp: Marking::of(Tlp::AmberStrict),
        provenance: Provenance {
            seq: 1234,
            head: "ab".repeat(32),
            key: "cd".repeat(32),
            made_at: "2026-03-14 09:26:53 UTC".into(),
            made_by: "alice".into(),
        },
        sections: vec![
            Section::new("Identification").fields(vec![
                field("Incident number", Some("INC-2026-0042")),
                field("Related incidents", None::<String>),
                code_field(
                    "Hash",
                    Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                ),
            ]),
            Section::new("Description")
                .text(
                    "What occurred",
                    Some("Files were encrypted.\n\n- not a list\n1. not numbered".into()),
                )
                .text("Why", None),
            Section::new("Response actions")
                .table(actions)
                .table(Table::new(
                    "Communications",
                    &[("#", 1)],
                    "No communications were recorded.",
                )),
            Section::new("Evidence").note("The evidence list is not shown."),
        ],
    }
}
