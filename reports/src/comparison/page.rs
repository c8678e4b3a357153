//! The comparison as an HTML page (written by the report's comparison work).

use ci::Comparison;

/// The comparison as a self-contained HTML page.
pub fn html(c: &Comparison) -> String {
    format!("<!DOCTYPE html><html><body><pre>{}</pre></body></html>", crate::html::escape(&super::terminal(c, true)))
}
