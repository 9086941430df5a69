//! A report as PDF, typeset by typst from the template `report.typ` and the
//! report's data as JSON, with the fonts compiled into the binary: nothing
//! is read from disk or the network. Values reach the page as text, never
//! as markup.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::document::{Block, Report};

/// The template every report is laid out with.
const TEMPLATE: &str = include_str!("report.typ");

/// The standard library, and the fonts with their book: built once.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> Result<FileId, String> {
    let path = VirtualPath::new(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, path).intern())
}

/// One report being typeset: the template and its data.
struct ReportWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// The report as PDF bytes (unsealed). Fails only when the template does
/// not compile, which the tests rule out.
pub fn render(report: &Report) -> Result<Vec<u8>, String> {
    let mut report = report.clone();
    lists(&mut report);
    breakable(&mut report);
    let data = serde_json::to_vec(&report).map_err(|e| e.to_string())?;
    let world = ReportWorld {
        main: Source::new(file_id("/report.typ")?, TEMPLATE.to_owned()),
        data_id: file_id("/report.json")?,
        data: Bytes::new(data),
    };
    let compiled = typst::compile::<PagedDocument>(&world).output;
    // The typesetter remembers what it laid out; another report will not
    // need it, so memory stays bounded however many reports are made.
    typst::comemo::evict(1);
    let document = compiled.map_err(|errors| describe(&errors))?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(format!("{}/{}", report.kind.as_str(), report.number)),
        creator: Smart::Custom(Some("Rampart".to_owned())),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| describe(&errors))
}

/// Tables longer than this are set as lists: a grid of thousands of rows
/// takes seconds to lay out, a paragraph a row a fraction of that.
const LONGEST_GRID: usize = 300;

/// Turns each table longer than [`LONGEST_GRID`] rows into a list: a row
/// becomes its first cell and the others, each after its heading.
fn lists(report: &mut Report) {
    for s in &mut report.sections {
        for b in &mut s.blocks {
            let Block::Table(t) = b else { continue };
            if t.rows.len() <= LONGEST_GRID {
                continue;
            }
            t.long = true;
            for row in &mut t.rows {
                let rest: Vec<String> = row
                    .iter()
                    .zip(&t.columns)
                    .skip(1)
                    .filter(|(cell, _)| !cell.is_empty())
                    .map(|(cell, heading)| format!("{heading}: {cell}"))
                    .collect();
                let first = row.first().cloned().unwrap_or_default();
                *row = vec![first, rest.join(" · ")];
            }
        }
    }
}

fn describe(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lets long words (hashes, addresses, URLs) wrap in narrow table cells:
/// a zero-width space after the punctuation inside a word longer than 12
/// characters, and after every 16 characters of a run without any (text
/// extracted from such a cell carries them).
fn breakable(report: &mut Report) {
    fn fix(text: &mut String) {
        if !text.split_whitespace().any(|w| w.chars().count() > 12) {
            return;
        }
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        for (n, word) in text.split(' ').enumerate() {
            if n > 0 {
                out.push(' ');
            }
            if word.chars().count() <= 12 {
                out.push_str(word);
                continue;
            }
            let mut run = 0;
            for c in word.chars() {
                out.push(c);
                run += 1;
                if matches!(c, '@' | '.' | '/' | '-' | '_' | ':' | '?' | '&' | '=' | ',')
                    || run == 16
                {
                    out.push('\u{200b}');
                    run = 0;
                }
            }
        }
        *text = out;
    }
    for s in &mut report.sections {
        for b in &mut s.blocks {
            match b {
                // A list runs the width of the page too.
                Block::Table(t) if !t.long => t.rows.iter_mut().flatten().for_each(fix),
                Block::Table(_) => {}
                // Fields and texts run the width of the page.
                Block::Fields { .. } | Block::Text { .. } | Block::Note { .. } => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_typeset_with_its_marking_on_every_page() {
        let mut report = crate::document::sample();
        // Enough rows for several pages.
        if let Some(Block::Table(t)) = report.sections[2].blocks.first_mut() {
            for n in 3..400 {
                t.row(vec![n.to_string(), format!("step {n}"), "carol".into()]);
            }
        }
        let pdf = render(&report).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // So long a table is set as a list: a row, its first cell and the
        // others after their headings.
        lists(&mut report);
        let Some(Block::Table(t)) = report.sections[2].blocks.first() else {
            unreachable!("the sample's third section opens with its table")
        };
        assert!(t.long);
        assert_eq!(
            t.rows[1],
            [
                "2",
                "What: Re-image host\nthen restore from backup · Owner: bob"
            ]
        );
        if let Some(dir) = std::env::var_os("RAMPART_REPORT_SAMPLES") {
            std::fs::write(std::path::Path::new(&dir).join("sample.pdf"), &pdf).unwrap();
        }
    }
}
