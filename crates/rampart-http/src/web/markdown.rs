//! A document's Markdown as HTML, safely: raw HTML in the text is shown as
//! text, never passed through; links keep only `http`, `https` and `mailto`
//! addresses and in-page anchors (`#containment`); images are shown as their
//! description, so that reading a document fetches nothing from elsewhere.
//! Headings carry the anchors [`rampart_domain::document::sections`] gives,
//! so that a citation `plan#containment` lands on its section.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
use rampart_domain::document::sections;

/// Whether a link target may be followed from a document.
fn safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('#')
}

/// The text as HTML, its headings anchored.
pub fn render(markdown: &str) -> String {
    let anchors: Vec<String> = sections(markdown).into_iter().map(|s| s.anchor).collect();
    let mut next_anchor = anchors.into_iter();
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // Links and images whose target is not safe are dropped with their
    // tags; their text stays. Images become their description.
    let mut dropped_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Heading {
            level,
            classes,
            attrs,
            ..
        }) => Some(Event::Start(Tag::Heading {
            level,
            id: next_anchor.next().map(CowStr::from),
            classes,
            attrs,
        })),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let safe = safe_link(&dest_url);
            dropped_links.push(!safe);
            safe.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            let dropped = dropped_links.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(TagEnd::Link))
        }
        Event::Start(Tag::Image { .. }) => Some(Event::Text(CowStr::from("[image: "))),
        Event::End(TagEnd::Image) => Some(Event::Text(CowStr::from("]"))),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = render(
            "# Plan\n\n<script>alert(1)</script>\n\nText <img src=x onerror=alert(2)> here.\n",
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn unsafe_links_lose_their_target_and_images_fetch_nothing() {
        let out = render(
            "[click](javascript:alert(1)) [ok](https://example.org/) ![logo](https://tracker.example/x.png) [x](data:text/html,hi)",
        );
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(
            out.contains(r#"<a href="https://example.org/">ok</a>"#),
            "{out}"
        );
        assert!(!out.contains("tracker.example"), "{out}");
        assert!(out.contains("[image: logo]"), "{out}");
        assert!(out.contains("click"), "{out}");
    }

    #[test]
    fn headings_carry_the_anchors_citations_use() {
        let out = render("# Plan\n\n## Containment\n\n## Containment\n");
        assert!(out.contains(r#"<h2 id="containment">"#), "{out}");
        assert!(out.contains(r#"<h2 id="containment-2">"#), "{out}");
    }

    #[test]
    fn attribute_quotes_in_links_are_escaped() {
        let out = render(r#"[x](https://example.org/"onmouseover="alert(1))"#);
        assert!(!out.contains(r#""onmouseover"#), "{out}");
    }
}
