//! Fitting an event's JSON into a byte budget without breaking it.
//!
//! Syslog receivers cut or drop messages over their size limit, and a cut
//! in the middle of a frame or of a UTF-8 character corrupts what follows.
//! So the sink shrinks the event itself: the longest string *values* are
//! cut to a common length (water-filling: the fewest, largest fields lose
//! the most; a field is cut only when that saves more bytes than listing
//! its path costs), each cut lands on a character boundary and never
//! inside an escape sequence, and the JSON paths of the cut fields are recorded in
//! `enrichment.truncated` so a reader knows the event is incomplete.
//! Everything else (key order, numbers beyond 2^53, unknown fields) is
//! copied byte for byte: the text is edited, never re-serialised.

use std::borrow::Cow;

/// The event as it will be sent.
#[derive(Debug)]
pub struct Fitted<'a> {
    pub json: Cow<'a, str>,
    /// Paths of the cut fields (`data.request.data.config.x`, `a.list[2]`).
    pub cut: Vec<String>,
}

/// Even with every string value emptied the event exceeds the budget
/// (it is mostly structure). The caller dead-letters it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event cannot be made to fit {budget} bytes even with every string field emptied")]
pub struct TooLarge {
    pub budget: usize,
}

/// Shrinks `json` (a valid JSON object, as rendered by `event::render`) to
/// at most `budget` bytes. Returns it unchanged when it already fits.
pub fn fit(json: &str, budget: usize) -> Result<Fitted<'_>, TooLarge> {
    if json.len() <= budget {
        return Ok(Fitted {
            json: Cow::Borrowed(json),
            cut: Vec::new(),
        });
    }
    let scan = scan(json);
    let costs: Vec<usize> = scan
        .strings
        .iter()
        .map(|s| quoted(&s.path).len() + 1)
        .collect();
    let lens: Vec<usize> = scan.strings.iter().map(|s| s.end - s.start).collect();
    let base = usize::from(scan.needs_comma) + scan.marker_key.len() + 4;
    let mut excess = json.len() - budget;
    // Cuts only move back to a boundary (they remove more than planned)
    // and the marker is costed exactly, so one round normally suffices;
    // the loop covers rounding at the marker's edges.
    for _ in 0..8 {
        let level = water_level(&lens, &costs, base, excess).ok_or(TooLarge { budget })?;
        let chosen: Vec<usize> = (0..lens.len())
            .filter(|&i| lens[i] > level + costs[i])
            .collect();
        let out = rewrite(json, &scan, &chosen, level);
        if out.json.len() <= budget {
            return Ok(out);
        }
        excess += out.json.len() - budget;
    }
    Err(TooLarge { budget })
}

/// A string value: its escaped content is `json[start..end]`.
struct Str {
    start: usize,
    end: usize,
    path: String,
}

struct Scan {
    strings: Vec<Str>,
    /// Where the marker goes: the `}` of the top-level `enrichment` object,
    /// else the top-level object's own `}`.
    insert_at: usize,
    /// The key the marker is written under.
    marker_key: &'static str,
    /// Whether that object already has members (a comma is needed).
    needs_comma: bool,
}

enum Container {
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

fn scan(json: &str) -> Scan {
    let b = json.as_bytes();
    let mut stack: Vec<Container> = Vec::new();
    let mut strings = Vec::new();
    let mut enrichment_end = None;
    let mut top_end = json.len().saturating_sub(1);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push(Container::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Container::Array { index: 0 }),
            b'}' | b']' => {
                if b[i] == b'}' && stack.len() == 2 {
                    if let Some(Container::Object { key: Some(k), .. }) = stack.first() {
                        if k == "enrichment" {
                            enrichment_end = Some(i);
                        }
                    }
                }
                if stack.len() == 1 {
                    top_end = i;
                }
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Container::Object { expect_key, .. }) => *expect_key = true,
                Some(Container::Array { index }) => *index += 1,
                None => {}
            },
            b':' => {
                if let Some(Container::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'"' => {
                let start = i + 1;
                let end = string_end(b, start);
                match stack.last_mut() {
                    Some(Container::Object {
                        key,
                        expect_key: true,
                    }) => *key = Some(decode_key(&json[start..end])),
                    _ => strings.push(Str {
                        start,
                        end,
                        path: path_of(&stack),
                    }),
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    let (insert_at, marker_key) = match enrichment_end {
        Some(at) => (at, "truncated"),
        None => (top_end, "_truncated"),
    };
    let before = json[..insert_at].trim_end();
    Scan {
        strings,
        insert_at,
        marker_key,
        needs_comma: !before.ends_with('{'),
    }
}

/// Index of the closing quote of the string whose content starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

fn decode_key(raw: &str) -> String {
    if raw.contains('\\') {
        serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned())
    } else {
        raw.to_owned()
    }
}

fn path_of(stack: &[Container]) -> String {
    let mut p = String::new();
    for c in stack {
        match c {
            Container::Object { key: Some(k), .. } => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(k);
            }
            Container::Object { key: None, .. } => {}
            Container::Array { index } => p.push_str(&format!("[{index}]")),
        }
    }
    p
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// The largest length `L` such that cutting the strings longer than `L`
/// down to `L` saves at least `need` bytes, counting what each cut adds to
/// the `truncated` list (its quoted path and a comma) and the list itself
/// (`base`). A string is only cut when that saves more than it costs, so
/// short fields with long paths are left alone. `None` when even emptying
/// every string that pays for itself is not enough.
fn water_level(lens: &[usize], costs: &[usize], base: usize, need: usize) -> Option<usize> {
    let saved = |level: usize| -> usize {
        let mut any = false;
        let mut total = 0;
        for (&l, &c) in lens.iter().zip(costs) {
            if l > level + c {
                total += l - level - c;
                any = true;
            }
        }
        if any {
            total.saturating_sub(base)
        } else {
            0
        }
    };
    if saved(0) < need {
        return None;
    }
    let (mut lo, mut hi) = (0, lens.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if saved(mid) >= need {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

/// The longest prefix of escaped JSON string content of at most `limit`
/// bytes that ends on a character boundary, outside an escape sequence,
/// and does not separate a surrogate pair (`\ud83d\ude00`).
fn safe_cut(content: &str, limit: usize) -> usize {
    let b = content.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let unit = if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'u') {
                let high = content
                    .get(i + 2..i + 6)
                    .and_then(|h| u16::from_str_radix(h, 16).ok())
                    .is_some_and(|v| (0xD800..0xDC00).contains(&v));
                if high && content[i + 6..].starts_with("\\u") {
                    12
                } else {
                    6
                }
            } else {
                2
            }
        } else {
            utf8_len(b[i])
        };
        if i + unit > limit {
            break;
        }
        i += unit;
    }
    i.min(b.len())
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn rewrite<'a>(json: &str, scan: &Scan, chosen: &[usize], level: usize) -> Fitted<'a> {
    let cut: Vec<String> = chosen
        .iter()
        .map(|&i| scan.strings[i].path.clone())
        .collect();
    let marker = marker_text(scan, &cut);
    // Edits as (from, to, text): json[from..to] is replaced by text. The
    // marker goes at a `}`, never inside a string, so edits never overlap.
    let mut edits: Vec<(usize, usize, &str)> = chosen
        .iter()
        .map(|&i| {
            let s = &scan.strings[i];
            (s.start + safe_cut(&json[s.start..s.end], level), s.end, "")
        })
        .collect();
    edits.push((scan.insert_at, scan.insert_at, &marker));
    edits.sort_by_key(|e| e.0);
    let kept: usize = edits.iter().map(|(f, t, _)| t - f).sum();
    let mut out = String::with_capacity(json.len() - kept + marker.len());
    let mut at = 0;
    for (from, to, text) in edits {
        out.push_str(&json[at..from]);
        out.push_str(text);
        at = to;
    }
    out.push_str(&json[at..]);
    Fitted {
        json: Cow::Owned(out),
        cut,
    }
}

fn marker_text(scan: &Scan, cut: &[String]) -> String {
    let list: Vec<String> = cut.iter().map(|p| quoted(p)).collect();
    format!(
        "{}\"{}\":[{}]",
        if scan.needs_comma { "," } else { "" },
        scan.marker_key,
        list.join(",")
    )
}

#[cfg(test)]
mod tests;
