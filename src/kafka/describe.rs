//! Partitions and offsets as log lines say them: words, not tuples.

/// `audit-topic partitions 0, 1, 2` (several topics: `; `-separated).
pub fn partitions(parts: &[(String, i32)]) -> String {
    let mut by_topic: Vec<(&str, Vec<String>)> = Vec::new();
    for (t, p) in parts {
        match by_topic.iter_mut().find(|(name, _)| name == t) {
            Some((_, list)) => list.push(p.to_string()),
            None => by_topic.push((t, vec![p.to_string()])),
        }
    }
    if by_topic.is_empty() {
        return "none".to_owned();
    }
    by_topic
        .into_iter()
        .map(|(t, list)| {
            let word = if list.len() == 1 {
                "partition"
            } else {
                "partitions"
            };
            format!("{t} {word} {}", list.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `audit-topic: partition 0 at offset 95, partition 1 nothing stored`.
pub fn offsets(stored: &[(String, i32, Option<i64>)]) -> String {
    let mut by_topic: Vec<(&str, Vec<String>)> = Vec::new();
    for (t, p, o) in stored {
        let item = match o {
            Some(o) if *o >= 0 => format!("partition {p} at offset {o}"),
            _ => format!("partition {p} nothing stored"),
        };
        match by_topic.iter_mut().find(|(name, _)| name == t) {
            Some((_, list)) => list.push(item),
            None => by_topic.push((t, vec![item])),
        }
    }
    if by_topic.is_empty() {
        return "none".to_owned();
    }
    by_topic
        .into_iter()
        .map(|(t, list)| format!("{t}: {}", list.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
