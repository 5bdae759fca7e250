//! The README's list of operations names every opcode the header has, so a
//! user reading it finds each operation there is.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `#define URB_OP_<NAME> <number>` lines, as lower-case names.
fn header_operations() -> BTreeSet<String> {
    read("include/uringbridge.h")
        .lines()
        .filter_map(|l| l.strip_prefix("#define URB_OP_"))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            let name = parts.next()?;
            parts.next()?.parse::<u32>().ok()?;
            (name != "COUNT").then(|| name.to_ascii_lowercase())
        })
        .collect()
}

/// The words of the README's sentence that begins "Operations:" (it ends
/// at the first line ending in a full stop; the text after it mentions
/// operations again, which must not count).
fn readme_words() -> BTreeSet<String> {
    let readme = read("README.md");
    let start = readme
        .find("\nOperations: ")
        .expect("README.md has a paragraph beginning \"Operations:\"");
    let paragraph = &readme[start + 1..];
    let paragraph = &paragraph[..paragraph.find(".\n").expect("the sentence ends")];
    paragraph
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_names_every_opcode_of_the_header() {
    let ops = header_operations();
    assert!(
        ops.len() >= 39,
        "only {} opcodes read from the header",
        ops.len()
    );
    let words = readme_words();
    let missing: Vec<_> = ops.iter().filter(|op| !words.contains(*op)).collect();
    assert!(
        missing.is_empty(),
        "README.md's \"Operations:\" sentence does not name {missing:?}"
    );
}
