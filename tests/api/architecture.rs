//! The shape of `src/` (README, "Code map"): the domain imports nothing of the crate,
//! gateways and the site know nothing of the ledger, and no two top-level modules depend on each other.
//! Read from the sources: every `crate::name` outside comments and unit tests is an arrow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules its files name.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a file names as `crate::x`, leaving out comments and its unit tests.
fn arrows(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (i, _) in line.match_indices("crate::") {
            let name: String = line[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Every file under `src/`, relative, with the modules it names.
fn files() -> Vec<(String, BTreeSet<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, arrows(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect()
}

fn top_level(file: &str) -> String {
    file.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_owned()
}

#[test]
fn the_domain_imports_nothing_of_the_crate() {
    for (file, names) in files() {
        if [
            "money.rs",
            "lang.rs",
            "donation.rs",
            "total.rs",
            "kept.rs",
            "secret.rs",
            "fund.rs",
        ]
        .contains(&file.as_str())
        {
            assert!(names.is_empty(), "{file} names crate::{names:?}");
        }
    }
}

#[test]
fn gateways_and_the_site_know_nothing_of_the_ledger() {
    for (file, names) in files() {
        if file.starts_with("site/") || file.starts_with("gateway/") {
            assert!(!names.contains("ledger"), "{file} names crate::ledger");
        }
    }
}

#[test]
fn no_two_top_level_modules_depend_on_each_other() {
    let mut graph = Graph::new();
    for (file, names) in files() {
        let from = top_level(&file);
        if from == "lib" || from == "main" {
            continue;
        }
        let to = graph.entry(from.clone()).or_default();
        to.extend(names.into_iter().filter(|n| *n != from));
    }
    // A cycle exists when some module reaches itself.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = stack.pop() {
            assert_ne!(m, start, "{start} depends on itself through {seen:?}");
            if seen.insert(m.clone())
                && let Some(next) = graph.get(m)
            {
                stack.extend(next.iter());
            }
        }
    }
}
