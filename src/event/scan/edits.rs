//! Test support: every record one edit away from a given one, for the
//! differential tests of the scanner and of the detector's extra fields
//! (each against the typed parse, each with the tokens that matter to it).

/// Calls `f` with each record one edit away from `line`: at every `step`-th
/// byte that starts a character, that character deleted, and each of
/// `inserts` put before it.
pub(crate) fn one_edit(line: &str, step: usize, inserts: &[&str], mut f: impl FnMut(&str)) {
    for at in (0..line.len()).step_by(step.max(1)) {
        if !line.is_char_boundary(at) {
            continue;
        }
        let next = line[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        f(&format!("{}{}", &line[..at], &line[next..]));
        for ins in inserts {
            f(&format!("{}{ins}{}", &line[..at], &line[at..]));
        }
    }
}
