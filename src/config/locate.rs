//! Maps a key path such as `sinks[1].endpoint` to its line in the TOML
//! text, so every configuration problem can say where it is.

use toml_edit::{Array, ArrayOfTables, ImDocument, InlineTable, Item, Table, Value};

/// The parsed document, kept only for its spans.
pub struct Locator {
    text: String,
    doc: Option<ImDocument<String>>,
}

enum Node<'a> {
    Table(&'a Table),
    Inline(&'a InlineTable),
    Tables(&'a ArrayOfTables),
    Array(&'a Array),
    Leaf,
}

fn item_node(item: &Item) -> Node<'_> {
    match item {
        Item::Table(t) => Node::Table(t),
        Item::ArrayOfTables(a) => Node::Tables(a),
        Item::Value(v) => value_node(v),
        Item::None => Node::Leaf,
    }
}

fn value_node(v: &Value) -> Node<'_> {
    match v {
        Value::InlineTable(t) => Node::Inline(t),
        Value::Array(a) => Node::Array(a),
        _ => Node::Leaf,
    }
}

impl Locator {
    /// Parses `text` for its spans (no spans when it does not parse).
    pub fn new(text: &str) -> Locator {
        Locator {
            text: text.to_owned(),
            doc: ImDocument::parse(text.to_owned()).ok(),
        }
    }

    /// The 1-based line of the deepest part of `path` that exists.
    pub fn line(&self, path: &str) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Table(doc.as_table());
        let mut best = None;
        for seg in split(path) {
            node = match (seg, node) {
                (Seg::Key(k), Node::Table(t)) => {
                    let Some(it) = t.get(k) else { break };
                    best = t.key(k).and_then(|k| k.span()).or(it.span()).or(best);
                    item_node(it)
                }
                (Seg::Key(k), Node::Inline(t)) => {
                    let Some(v) = t.get(k) else { break };
                    best = t.key(k).and_then(|k| k.span()).or(v.span()).or(best);
                    value_node(v)
                }
                (Seg::Index(i), Node::Tables(a)) => {
                    let Some(t) = a.get(i) else { break };
                    best = t.span().or(best);
                    Node::Table(t)
                }
                (Seg::Index(i), Node::Array(a)) => {
                    let Some(v) = a.get(i) else { break };
                    best = v.span().or(best);
                    value_node(v)
                }
                _ => break,
            };
        }
        best.map(|span| self.line_of(span.start))
    }

    fn line_of(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[2].c` → Key(a), Key(b), Index(2), Key(c).
fn split(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

#[cfg(test)]
mod tests;
