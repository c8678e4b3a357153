//! HTML building blocks: escaping, the page's inline style sheet, figures
//! (an inline SVG chart, or a note saying why it is missing), tables
//! (rows optionally marked with a class, for highlights; cells optionally
//! carrying a note shown on hover, such as why a figure is missing) and
//! footnotes.

use crate::charts::ChartError;

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A `<figure class="chart">` with the chart's SVG and its caption, or a
/// `<p class="missing">` naming the chart and why it is not drawn.
pub fn figure(id: &str, caption: &str, svg: Result<String, ChartError>) -> String {
    match svg {
        Ok(svg) => format!(
            "<figure class=\"chart\" id=\"{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(id),
            escape(caption)
        ),
        Err(why) => missing(&format!("{caption}: not drawn ({why}).")),
    }
}

/// A note that something could not be shown, and why.
pub fn missing(why: &str) -> String {
    format!("<p class=\"missing\">{}</p>\n", escape(why))
}

/// A table cell: its text and, optionally, a note that the page shows
/// when the pointer rests on the cell (why a figure is missing, why it is
/// marked). Plain `String`s are cells without a note.
pub trait Cell {
    /// The text shown.
    fn text(&self) -> &str;
    /// The note, if any.
    fn note(&self) -> Option<&str> {
        None
    }
}

impl Cell for String {
    fn text(&self) -> &str {
        self
    }
}

/// A cell with a note.
#[derive(Debug, Clone, PartialEq)]
pub struct Noted {
    /// The text shown.
    pub text: String,
    /// Shown on hover; `None` for none.
    pub note: Option<String>,
}

impl Noted {
    /// A cell without a note.
    pub fn plain(text: impl Into<String>) -> Noted {
        Noted { text: text.into(), note: None }
    }
}

impl Cell for Noted {
    fn text(&self) -> &str {
        &self.text
    }

    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// A table: header cells and rows of cells, all escaped here.
pub fn table<C: Cell>(header: &[&str], rows: &[Vec<C>]) -> String {
    marked_table(header, rows.iter().map(|row| (None, row.as_slice())))
}

/// A table whose rows may each carry a CSS class (a highlight): header
/// cells and `(class, cells)` rows, all escaped here. A cell's note is its
/// `title`.
pub fn marked_table<'a, C: Cell + 'a>(
    header: &[&str],
    rows: impl IntoIterator<Item = (Option<&'a str>, &'a [C])>,
) -> String {
    let mut body = String::new();
    for (class, row) in rows {
        match class {
            Some(class) => body.push_str(&format!("<tr class=\"{}\">", escape(class))),
            None => body.push_str("<tr>"),
        }
        for cell in row {
            match cell.note() {
                Some(note) => body.push_str(&format!("<td title=\"{}\">{}</td>", escape(note), escape(cell.text()))),
                None => body.push_str(&format!("<td>{}</td>", escape(cell.text()))),
            }
        }
        body.push_str("</tr>\n");
    }
    if body.is_empty() {
        return missing("No rows to tabulate.");
    }
    let mut out = String::from("<div class=\"table\"><table>\n<thead><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    out.push_str(&body);
    out.push_str("</tbody></table></div>\n");
    out
}

/// Footnotes to a figure or table: one line each, escaped here; nothing
/// when there are none.
pub fn notes(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let items: String = lines.iter().map(|l| format!("<li>{}</li>\n", escape(l))).collect();
    format!("<ul class=\"notes\">\n{items}</ul>\n")
}

/// A `<section id>` with its `<h2>` title and body.
pub fn section(id: &str, title: &str, body: &str) -> String {
    format!("<section id=\"{}\">\n<h2>{}</h2>\n{body}</section>\n", escape(id), escape(title))
}

/// The page's style sheet: readable on a laptop, printable.
pub const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; color: #1b1b1b; max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem; line-height: 1.45; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid #ccd; padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { margin-bottom: 0.3rem; }
nav ol { columns: 2; }
figure.chart { margin: 1rem 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; }
div.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0 1.2rem; }
th, td { border: 1px solid #ccd; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef0f6; }
td { font-variant-numeric: tabular-nums; }
td[title] { text-decoration: underline dotted; cursor: help; }
ul.notes { font-size: 0.85rem; color: #444; margin: -0.6rem 0 1.2rem; padding-left: 1.2rem; }
p.missing { color: #7a4b00; background: #fff6e0; border-left: 4px solid #e0a400; padding: 0.4rem 0.7rem; }
div.banner { background: #fde2e2; border: 2px solid #c62828; color: #8e0000; padding: 0.7rem 1rem; font-weight: 600; }
ul.warnings li { color: #8e0000; }
@media print {
  body { max-width: none; padding: 0; }
  nav { display: none; }
  figure.chart, table { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; }
  th { background: none; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert!(figure("f", "A chart", Err(ChartError::Empty)).starts_with("<p class=\"missing\">"));
    }

    #[test]
    fn a_cell_note_is_its_title_and_notes_are_a_list() {
        let rows = vec![vec![Noted { text: "—".into(), note: Some("p99.9 needs 10000 samples, 3000 taken".into()) }]];
        assert!(table(&["p99.9"], &rows).contains("<td title=\"p99.9 needs 10000 samples, 3000 taken\">—</td>"));
        assert!(table(&["a"], &[vec!["<b>".to_owned()]]).contains("<td>&lt;b&gt;</td>"));
        assert_eq!(notes(&[]), "");
        assert!(notes(&["a & b".into()]).contains("<li>a &amp; b</li>"));
    }
}
