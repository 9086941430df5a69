//! A report as one self-contained HTML page (no scripts, no outside
//! resources): for reading in a browser and printing. The marking heads
//! and closes the page, and repeats on every printed page.

use std::fmt::Write;

use rampart_domain::escape_html as escape;

use crate::document::{Block, NOT_RECORDED, Report};

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 11pt/1.45 "Libertinus Serif", Georgia, serif; color: #1a1a1a; margin: 0 auto; max-width: 60rem; padding: 1.5rem 2rem 5rem; }
.tlp { display: inline-block; background: #000; font: bold 10pt/1 "DejaVu Sans Mono", monospace; padding: .3rem .6rem; letter-spacing: .04em; }
header.marking, footer.marking { display: flex; justify-content: space-between; align-items: center; gap: 1rem; font-size: 9pt; color: #444; }
header.marking { border-bottom: 1px solid #999; padding-bottom: .5rem; }
footer.marking { border-top: 1px solid #999; padding-top: .5rem; margin-top: 2rem; flex-wrap: wrap; }
h1 { font-size: 13pt; font-weight: 600; text-transform: uppercase; letter-spacing: .06em; color: #555; margin: 1.5rem 0 0; }
h2 { font-size: 20pt; margin: .2rem 0 1rem; }
h3 { font-size: 13pt; border-bottom: 2px solid #1f3a5f; color: #1f3a5f; padding-bottom: .15rem; margin: 1.8rem 0 .6rem; break-after: avoid; }
h4 { font-size: 11pt; margin: .9rem 0 .3rem; }
dl { display: grid; grid-template-columns: minmax(12rem, 30%) 1fr; gap: .15rem 1rem; margin: 0 0 .6rem; }
dt { color: #555; }
dd { margin: 0; }
.missing { color: #777; font-style: italic; }
code, .code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: .2rem 0 .8rem; font-size: 9.5pt; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .2rem .35rem; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
th { background: #eef1f5; }
tr { break-inside: avoid; }
p.text { white-space: pre-wrap; margin: 0 0 .6rem; }
p.note { font-style: italic; color: #555; }
@media print {
  body { padding: 0; max-width: none; }
  header.marking { position: fixed; top: 0; left: 0; right: 0; background: #fff; }
  footer.marking { position: fixed; bottom: 0; left: 0; right: 0; background: #fff; margin: 0; }
  main { margin: 2.5rem 0 3.5rem; }
}
"#;

/// The report as an HTML page.
pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(8192);
    let p = &r.provenance;
    let tlp = format!(
        r#"<span class="tlp" style="color:{}">{}</span>"#,
        r.tlp.colour,
        escape(&r.tlp.label)
    );
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{number} — {heading}</title>
<style>{STYLE}</style>
</head>
<body>
<header class="marking">{tlp}<span>{meaning}</span><span>{number}</span></header>
<main>
<h1>{heading}</h1>
<h2>{number} — {title}</h2>
"#,
        number = escape(&r.number),
        heading = escape(r.heading),
        title = escape(&r.title),
        meaning = escape(r.tlp.meaning),
    );
    for (n, s) in r.sections.iter().enumerate() {
        let _ = writeln!(out, "<section>\n<h3>{}. {}</h3>", n + 1, escape(&s.title));
        for b in &s.blocks {
            block(&mut out, b);
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        r#"</main>
<footer class="marking">{tlp}<span>{number}</span><span>Made from journal entry {seq}, head <code>{head}</code>, at {made_at} by {made_by}.</span><span>Signed by installation key <code>{key}</code>; check with <code>rampart report verify</code>.</span></footer>
</body>
</html>
"#,
        number = escape(&r.number),
        seq = p.seq,
        head = escape(&p.head),
        made_at = escape(&p.made_at),
        made_by = escape(&p.made_by),
        key = escape(&p.key),
    );
    out
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Fields { fields } => {
            out.push_str("<dl>\n");
            for f in fields {
                let value = match &f.value {
                    Some(v) if f.code => format!(r#"<span class="code">{}</span>"#, escape(v)),
                    Some(v) => escape(v),
                    None => format!(r#"<span class="missing">{NOT_RECORDED}</span>"#),
                };
                let _ = writeln!(out, "<dt>{}</dt><dd>{value}</dd>", escape(&f.label));
            }
            out.push_str("</dl>\n");
        }
        Block::Text { label, text } => {
            let _ = writeln!(out, "<h4>{}</h4>", escape(label));
            match text {
                Some(t) => {
                    let _ = writeln!(out, r#"<p class="text">{}</p>"#, escape(t));
                }
                None => {
                    let _ = writeln!(out, r#"<p class="missing">{NOT_RECORDED}</p>"#);
                }
            }
        }
        Block::Table(t) => {
            if t.rows.is_empty() {
                let _ = writeln!(
                    out,
                    "<h4>{}</h4>\n<p class=\"missing\">{}</p>",
                    escape(&t.caption),
                    escape(&t.empty)
                );
                return;
            }
            let total: u32 = t.widths.iter().map(|w| u32::from(*w)).sum::<u32>().max(1);
            let _ = writeln!(
                out,
                "<table>\n<caption>{}</caption>\n<colgroup>",
                escape(&t.caption)
            );
            for w in &t.widths {
                let _ = write!(
                    out,
                    r#"<col style="width:{}%">"#,
                    u32::from(*w) * 100 / total
                );
            }
            out.push_str("</colgroup>\n<thead><tr>");
            for c in &t.columns {
                let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(c));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for row in &t.rows {
                out.push_str("<tr>");
                for c in row {
                    let _ = write!(out, "<td>{}</td>", escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
        Block::Note { note } => {
            let _ = writeln!(out, r#"<p class="note">{}</p>"#, escape(note));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_text_and_the_marking_opens_and_closes_the_page() {
        let page = render(&crate::document::sample());
        assert!(
            page.contains("Block 203.0.113.9 at the edge &lt;firewall&gt; &amp; *log* it | #now")
        );
        assert!(!page.contains("<firewall>"));
        assert_eq!(page.matches(">TLP:AMBER+STRICT</span>").count(), 2);
        assert!(page.contains(r#"<span class="missing">Not recorded</span>"#));
        assert!(page.contains("No communications were recorded."));
        assert!(page.contains("journal entry 1234"));
    }
}
