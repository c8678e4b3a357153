//! The copies a message costs on each transport of a run, as
//! [`TransportKind::copies`] counts them for the capacity modes the run
//! has it in: a table in section 3, one row per transport, or one per
//! group of its modes where the count differs between them (iceoryx2
//! lends its samples in bounded:N and is copied into and out of them in
//! the modes the channel layer builds on top of it). Composing and
//! checking a message, one pass each that every transport pays, are not
//! counted.

use vocabulary::{Capacity, Copies, TransportKind};

use crate::{Input, html, select};

/// The copies table of one input: every transport in its results.
pub(super) fn table(input: &Input) -> String {
    let scenarios: Vec<_> = input.results.scenarios.iter().collect();
    let mut transports = select::distinct(&scenarios, |s| s.transport);
    transports.sort();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for t in transports {
        let of_t: Vec<_> = scenarios.iter().copied().filter(|s| s.transport == t).collect();
        let mut modes = select::distinct(&of_t, |s| s.capacity);
        modes.sort();
        let (lent, copied): (Vec<Capacity>, Vec<Capacity>) = modes.iter().partition(|&&m| t.lends_slots(m));
        if !lent.is_empty() && !copied.is_empty() {
            notes.push(format!(
                "{t} realises {} itself, with loans; in {} ringside's channel layer builds the mode on top of it \
                 and copies through the transport contract.",
                modes_named(&lent),
                modes_named(&copied)
            ));
        }
        rows.extend(rows_of(t, &modes));
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h4>Copies per message</h4>\n");
    out.push_str(
        "<p>How many times each transport copies a message's bytes between the producer composing them and the \
         consumer checking them, as ringside drives it, and where. Composing and checking (one pass each, which \
         every transport pays) are not counted; a loan is a slot of shared memory the producer writes in and the \
         consumer reads in place. A message that waits in an unbounded kernel transport's sender-side spill \
         queue is copied once more, into it.</p>\n",
    );
    out.push_str(&html::table(&["transport", "capacity modes", "copies per message"], &rows));
    out.push_str(&html::notes(&notes));
    out
}

/// A transport's rows: one per distinct [`Copies`] among `modes`, naming
/// the modes only when they do not all cost the same.
fn rows_of(transport: TransportKind, modes: &[Capacity]) -> Vec<Vec<String>> {
    let mut groups: Vec<(Copies, Vec<Capacity>)> = Vec::new();
    for &mode in modes {
        let copies = transport.copies(mode);
        match groups.iter_mut().find(|(c, _)| *c == copies) {
            Some((_, group)) => group.push(mode),
            None => groups.push((copies, vec![mode])),
        }
    }
    let alone = groups.len() == 1;
    groups
        .into_iter()
        .map(|(copies, group)| {
            let named = if alone { "every mode run".to_owned() } else { modes_named(&group) };
            vec![transport.to_string(), named, copies_text(copies)]
        })
        .collect()
}

/// `two: into the pipe buffer by write(2), out by read(2)`; a loan's
/// text says `none` itself.
fn copies_text(copies: Copies) -> String {
    let count = match copies.count {
        0 => return copies.how.to_owned(),
        1 => "one".to_owned(),
        2 => "two".to_owned(),
        n => n.to_string(),
    };
    format!("{count}: {}", copies.how)
}

/// Capacity modes in a few words: several bounded modes are `bounded:N`.
fn modes_named(modes: &[Capacity]) -> String {
    let bounded = modes.iter().filter(|m| matches!(m, Capacity::Bounded(_))).count();
    let mut names: Vec<String> = Vec::new();
    for mode in modes {
        match mode {
            Capacity::Bounded(_) if bounded > 1 => {
                if !names.iter().any(|n| n == "bounded:N") {
                    names.push("bounded:N".to_owned());
                }
            }
            _ => names.push(mode.to_string()),
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_whose_copies_differ_by_mode_gets_a_row_per_group() {
        let modes = [Capacity::Rendezvous, Capacity::Bounded(1), Capacity::Bounded(8), Capacity::Unbounded];
        let rows = rows_of(TransportKind::Iceoryx2, &modes);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0][1], "rendezvous, unbounded");
        assert!(rows[0][2].starts_with("two: "), "{rows:?}");
        assert_eq!(rows[1][1], "bounded:N");
        assert!(rows[1][2].starts_with("none") && rows[1][2].contains("loans"), "{rows:?}");
        let pipe = rows_of(TransportKind::Pipe, &modes);
        assert_eq!(pipe, [["pipe", "every mode run", "two: into the pipe buffer by write(2), out by read(2)"]]);
        assert_eq!(rows_of(TransportKind::Iceoryx2, &[Capacity::Bounded(8)])[0][1], "every mode run");
        assert_eq!(modes_named(&[Capacity::Bounded(8)]), "bounded:8");
    }
}
