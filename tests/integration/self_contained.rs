//! The repository is self-contained: code, tests, benches and scripts read
//! only files inside it, and the docs link only to files inside it.

use std::path::{Path, PathBuf};

use crate::support::repo;

/// Every file below `dir` (recursively).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn nothing_reads_files_beside_the_repository() {
    // Spelled in pieces so that this file does not match itself.
    let forbidden = [["..", "/shared"].concat(), ["shared", "/docs"].concat()];
    let mut hits = Vec::new();
    for dir in ["src", "tests", "benches", "scripts", "examples", ".ci"] {
        for path in files(&repo().join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for (n, line) in text.lines().enumerate() {
                if forbidden.iter().any(|f| line.contains(f.as_str())) {
                    let rel = path.strip_prefix(repo()).unwrap().display().to_string();
                    hits.push(format!("{rel}:{}: {line}", n + 1));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "files outside the repository referenced (copy them into tests/data/ or docs/):\n{}",
        hits.join("\n")
    );
}

/// The `docs/….md` paths cited in `text`.
fn cited_docs(text: &str) -> Vec<&str> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_-./".contains(c);
    text.match_indices("docs/")
        .filter(|(i, _)| !text[..*i].ends_with(|c: char| ok(c)))
        .filter_map(|(i, _)| {
            let path = &text[i..i + text[i..].find(|c: char| !ok(c)).unwrap_or(text.len() - i)];
            let path = path.trim_end_matches('.');
            path.ends_with(".md").then_some(path)
        })
        .collect()
}

#[test]
fn every_doc_the_code_cites_exists() {
    let mut missing = Vec::new();
    for dir in ["src", "tests", "benches", "scripts"] {
        for path in files(&repo().join(dir)) {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for doc in cited_docs(&text) {
                if !repo().join(doc).is_file() {
                    let rel = path.strip_prefix(repo()).unwrap().display().to_string();
                    missing.push(format!("{rel}: {doc}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cited docs that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The targets of the relative Markdown links `[text](target)` in `text`.
fn relative_links(text: &str) -> Vec<&str> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|t| t.split('#').next().unwrap_or(""))
        .filter(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_relative_doc_link_points_inside_the_repository() {
    let root = repo().canonicalize().unwrap();
    let mut docs: Vec<PathBuf> = ["README.md", "BENCHMARKS.md", "DESIGN.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    for dir in ["docs", "tests/data"] {
        docs.extend(
            files(&root.join(dir))
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    let mut broken = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for link in relative_links(&text) {
            let target = doc.parent().unwrap().join(link);
            let inside = target
                .canonicalize()
                .is_ok_and(|t| t.starts_with(&root) && !t.starts_with(root.join("target")));
            if !inside {
                broken.push(format!("{}: {link}", doc.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing files or files outside the repository:\n{}",
        broken.join("\n")
    );
}
