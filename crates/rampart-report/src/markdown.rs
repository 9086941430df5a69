//! A report as Markdown (CommonMark with GitHub tables): for wikis, tickets
//! and e-mail. Every value is escaped, so nothing a record holds is read as
//! markup.

use std::fmt::Write;

use crate::document::{Block, NOT_RECORDED, Report};

/// The report as Markdown. The marking opens and closes it.
pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(4096);
    let p = &r.provenance;
    let _ = writeln!(out, "**{}** — {}\n", r.tlp.label, r.tlp.meaning);
    let _ = writeln!(out, "# {}\n", r.heading);
    let _ = writeln!(out, "## {} — {}\n", escape(&r.number), escape(&r.title));
    for (n, s) in r.sections.iter().enumerate() {
        let _ = writeln!(out, "### {}. {}\n", n + 1, escape(&s.title));
        for b in &s.blocks {
            block(&mut out, b);
        }
    }
    let _ = writeln!(out, "---\n");
    let _ = writeln!(
        out,
        "**{}** · {} · made from journal entry {} (head `{}`) at {} by {} · signed by installation key `{}`; check with `rampart report verify`\n",
        r.tlp.label,
        escape(&r.number),
        p.seq,
        p.head,
        escape(&p.made_at),
        escape(&p.made_by),
        p.key
    );
    out
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Fields { fields } => {
            let _ = writeln!(out, "| Field | Value |\n|---|---|");
            for f in fields {
                let value = match &f.value {
                    Some(v) if f.code => format!("`{}`", v.replace('`', "'")),
                    Some(v) => cell(v),
                    None => format!("*{NOT_RECORDED}*"),
                };
                let _ = writeln!(out, "| {} | {value} |", escape(&f.label));
            }
            out.push('\n');
        }
        Block::Text { label, text } => {
            let _ = writeln!(out, "**{}**\n", escape(label));
            match text {
                Some(t) => {
                    for para in t.split("\n\n") {
                        let lines: Vec<String> = para.lines().map(line).collect();
                        let _ = writeln!(out, "{}\n", lines.join("  \n"));
                    }
                }
                None => {
                    let _ = writeln!(out, "*{NOT_RECORDED}*\n");
                }
            }
        }
        Block::Table(t) => {
            let _ = writeln!(out, "**{}**\n", escape(&t.caption));
            if t.rows.is_empty() {
                let _ = writeln!(out, "*{}*\n", escape(&t.empty));
                return;
            }
            let heads: Vec<String> = t.columns.iter().map(|c| escape(c)).collect();
            let _ = writeln!(out, "| {} |", heads.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(t.columns.len()));
            for row in &t.rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            out.push('\n');
        }
        Block::Note { note } => {
            let _ = writeln!(out, "*{}*\n", escape(note));
        }
    }
}

/// A value inside a table cell: escaped, its line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    text.lines().map(escape).collect::<Vec<_>>().join("<br>")
}

/// A line of text: escaped, and not read as a list item, heading
/// underline or numbered item either.
fn line(text: &str) -> String {
    let text = text.trim_start();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let escaped = escape(text);
    if text.starts_with(['-', '+', '=']) {
        format!("\\{escaped}")
    } else if digits > 0 && text[digits..].starts_with(['.', ')']) {
        format!("{}\\{}", &text[..digits], &escaped[digits..])
    } else {
        escaped
    }
}

/// Escapes what CommonMark would read as markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '|'
                | '#'
                | '!'
                | '&'
                | '~'
                | '{'
                | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_so_nothing_is_read_as_markup() {
        let md = render(&crate::document::sample());
        assert!(
            md.contains(
                r"| 1 | Block 203.0.113.9 at the edge \<firewall\> \& \*log\* it \| \#now | alice |"
            ),
            "{md}"
        );
        assert!(
            md.contains(r"| 2 | Re-image host<br>then restore from backup | bob |"),
            "{md}"
        );
        assert!(
            md.contains(r"## INC-2026-0042 — Ransomware on the \#finance share \[draft\] $x$"),
            "{md}"
        );
        assert!(md.contains("\\- not a list  \n1\\. not numbered"), "{md}");
        assert!(
            md.contains("| Related incidents | *Not recorded* |"),
            "{md}"
        );
        assert!(md.starts_with("**TLP:AMBER+STRICT**"));
        assert!(md.contains("journal entry 1234"));
    }
}
