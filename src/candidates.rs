//! Values to try for a column a write check reads through an expression
//! that [`crate::catalog::check_variants`] cannot solve by reading it:
//! arithmetic (`n % 7 = 3`, `n / 10 = 5`), a text function compared by
//! its result (`split_part(email, '@', 2) = 'corp.example'`), a part of a
//! date (`extract(dow FROM due) = 0`), a user's own function. They are
//! built from the term's own constants by one or two steps of arithmetic
//! or concatenation, then small numbers, a week of dates, the ends of
//! time; PostgreSQL evaluates the term on each (as the role acting as the
//! tenant) and the first that passes is the value tried. A guess is
//! never trusted: the value only names a statement the probe runs. Pure:
//! no PostgreSQL calls.

/// At most this many candidates per term (before the column's type
/// drops those it does not read).
pub(crate) const MAX_CANDIDATES: usize = 2000;

/// Numbers past this size are not built (`a * b` of large constants).
const MAX_NUMBER: i128 = 1 << 62;

/// Strings longer than this are not built (lengths, concatenations).
const MAX_TEXT: usize = 1000;

/// The candidates for a column compared through an expression with the
/// constants `constants` (each printed in its type), best first: the
/// constants themselves and the strings their patterns match, numbers one
/// or two steps of `+ - * / %` from them, their concatenations, strings
/// as long as a number says, dates in a year, month or day a number
/// names, then a fixed pool (small numbers, booleans, the empty string, a
/// week of dates, the ends of time, the hours). Without duplicates, at
/// most [`MAX_CANDIDATES`].
pub(crate) fn candidates(constants: &[String]) -> Vec<String> {
    // (a term with a long IN list: its first constants; each group below
    // has a share of the bound, so the fixed pool always has room)
    let constants = &constants[..constants.len().min(MAX_CONSTANTS)];
    let mut out = Candidates::default();
    // (a pattern's example first: the pattern itself often matches too,
    // `'pub%' LIKE 'pub%'`, but says less)
    for c in constants {
        out.push(crate::pattern::like_example(c));
        if let Some(example) = crate::pattern::regex_example(c) {
            out.push(example);
        }
        out.push(c.clone());
    }
    let numbers: Vec<i128> = dedup(
        constants
            .iter()
            .filter_map(|c| c.trim().parse::<i128>().ok())
            .filter(|n| n.abs() <= MAX_NUMBER),
    );
    // one step: the constant moved by one, negated, or combined with
    // another (`n % 7 = 3`: 3; `n / 10 = 5`: 50; `n + 5 = 12`: 7)
    let first: Vec<i128> = dedup(
        numbers
            .iter()
            .flat_map(|&a| [a, a + 1, a - 1, -a])
            .chain(
                numbers
                    .iter()
                    .flat_map(|&a| numbers.iter().flat_map(move |&b| steps(a, b))),
            )
            .take(FIRST_STEPS),
    );
    // two steps: `n * 3 + 1 = 10` is (10 - 1) / 3
    let second = dedup(
        first
            .iter()
            .flat_map(|&a| numbers.iter().flat_map(move |&b| steps(a, b)))
            .filter(|n| !first.contains(n))
            .take(SECOND_STEPS),
    );
    for n in first.iter().chain(&second) {
        out.push(n.to_string());
    }
    // numbers that are not integers: one past the constant
    for c in constants {
        if let Some(x) = c.trim().parse::<f64>().ok().filter(|x| x.is_finite()) {
            if x.fract() != 0.0 {
                out.push((x + 1.0).to_string());
                out.push((x - 1.0).to_string());
            }
        }
    }
    // strings: the constants joined (`'@' || 'corp.example'`), turned
    // round, in upper and lower case, one past them
    let joined = &constants[..constants.len().min(MAX_JOINED)];
    for a in joined {
        for b in joined {
            if a.len() + b.len() <= MAX_TEXT {
                out.push(format!("{a}{b}"));
            }
        }
    }
    for c in constants {
        out.push(c.chars().rev().collect());
        out.push(c.to_uppercase());
        out.push(c.to_lowercase());
        out.push(format!("{c}z"));
    }
    // as long as a number says (`length(trim(body)) > 5`), or one step
    // from it (`char_length(body) * 2 = 12`)
    let lengths = numbers
        .iter()
        .chain(&first)
        .flat_map(|&n| [n, n + 1])
        .filter_map(|n| usize::try_from(n).ok())
        .filter(|&n| n <= MAX_TEXT);
    for n in dedup(lengths).into_iter().take(MAX_LENGTHS) {
        out.push("x".repeat(n));
    }
    // dates in the year, month or day a number names
    for &n in &numbers {
        if (1..=9999).contains(&n) {
            out.push(format!("{n:04}-01-01"));
        }
        if (1..=12).contains(&n) {
            out.push(format!("2000-{n:02}-01"));
        }
        if (1..=31).contains(&n) {
            out.push(format!("2000-01-{n:02}"));
        }
    }
    // the fixed pool
    for s in ["", "true", "false", "infinity", "-infinity"] {
        out.push(s.to_string());
    }
    // a week, Sunday 2 January 2000 first
    for d in 2..=8 {
        out.push(format!("2000-01-{d:02}"));
    }
    for h in 0..24 {
        out.push(format!("{h:02}:00"));
    }
    for n in (-16..=256).chain([1000, 1024, 10_000, 65_535, 100_000, 1_000_000]) {
        out.push(n.to_string());
    }
    out.all
}

/// Candidates for a `json` or `jsonb` column read by key or path
/// (`doc ->> 'visibility' = 'public'`, `(doc ->> 'public')::boolean`,
/// `doc -> 'a' ->> 'b' = 'x'`): objects of one key and a value (the
/// constants as strings, as themselves when they are JSON — a number,
/// `true` —, `true`, an array of one), of two keys nested, then the
/// constants as JSON values. Without duplicates, at most
/// [`MAX_CANDIDATES`].
pub(crate) fn json_candidates(constants: &[String]) -> Vec<String> {
    let constants = &constants[..constants.len().min(MAX_JOINED)];
    let string = |c: &str| serde_json::Value::String(c.to_string()).to_string();
    // a constant as a JSON value: itself when it reads as one, else a string
    let value = |c: &str| -> String {
        serde_json::from_str::<serde_json::Value>(c)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| string(c))
    };
    let mut out = Candidates::default();
    for k in constants {
        for v in constants.iter().filter(|v| *v != k) {
            out.push(format!("{{{}: {}}}", string(k), string(v)));
            out.push(format!("{{{}: {}}}", string(k), value(v)));
        }
        // (a number one past: `(doc ->> 'level')::int > 3`)
        for n in constants
            .iter()
            .filter_map(|n| n.trim().parse::<i64>().ok())
        {
            for n in [n.saturating_add(1), n.saturating_sub(1)] {
                out.push(format!("{{{}: {n}}}", string(k)));
            }
        }
        for v in ["true", "1", "\"\""] {
            out.push(format!("{{{}: {v}}}", string(k)));
        }
    }
    for k in constants {
        for v in constants.iter().filter(|v| *v != k) {
            out.push(format!("{{{}: [{}]}}", string(k), value(v)));
        }
    }
    for a in constants {
        for b in constants.iter().filter(|b| *b != a) {
            for v in constants.iter().filter(|v| *v != a && *v != b) {
                out.push(format!(
                    "{{{}: {{{}: {}}}}}",
                    string(a),
                    string(b),
                    string(v)
                ));
                out.push(format!(
                    "{{{}: {{{}: {}}}}}",
                    string(a),
                    string(b),
                    value(v)
                ));
            }
        }
    }
    for c in constants {
        out.push(value(c));
        out.push(string(c));
        out.push(format!("[{}]", value(c)));
    }
    for s in ["{}", "[]", "true", "1", "\"\""] {
        out.push(s.to_string());
    }
    out.all
}

/// Candidates for an array column tested by its elements or its size
/// (`cardinality(tags) > 3`, `tags[1] = 'x'`), from candidates for its
/// elements `elements` (each read by the element type, best first) and the
/// term's numbers: arrays of one element, of two, of as many copies of the
/// first as a number (or one more) says, and the empty array. As array
/// literals, each element quoted.
pub(crate) fn array_candidates(elements: &[String], numbers: &[String]) -> Vec<String> {
    let quoted = |e: &str| {
        let mut q = String::from("\"");
        for ch in e.chars() {
            if ch == '"' || ch == '\\' {
                q.push('\\');
            }
            q.push(ch);
        }
        q.push('"');
        q
    };
    let elements: Vec<String> = elements
        .iter()
        .take(ARRAY_ELEMENTS)
        .map(|e| quoted(e))
        .collect();
    let mut out = Candidates::default();
    for e in &elements {
        out.push(format!("{{{e}}}"));
    }
    for a in elements.iter().take(MAX_JOINED) {
        for b in elements.iter().take(MAX_JOINED) {
            out.push(format!("{{{a},{b}}}"));
        }
    }
    if let Some(first) = elements.first() {
        let lengths = numbers
            .iter()
            .filter_map(|n| n.trim().parse::<usize>().ok())
            .flat_map(|n| [n, n + 1])
            .filter(|&n| n <= MAX_LENGTHS);
        for n in lengths {
            out.push(format!("{{{}}}", vec![first.as_str(); n].join(",")));
        }
    }
    out.push("{}".to_string());
    out.all
}

/// The first of `candidates` that passes, by `run` (which answers for a
/// slice of them at once: the first that passes, None when none does, or
/// an error when the term raised one on some candidate). A slice that
/// errors is split in two and each half tried in turn, so a candidate
/// that makes the term fail (a division by zero, a cast of a JSON
/// `true` to an integer) costs its neighbours nothing; at most `budget`
/// runs.
pub(crate) fn first_passing<E>(
    candidates: &[String],
    budget: &mut usize,
    run: &mut impl FnMut(&[String]) -> Result<Option<String>, E>,
) -> Option<String> {
    if candidates.is_empty() || *budget == 0 {
        return None;
    }
    *budget -= 1;
    match run(candidates) {
        Ok(found) => found,
        Err(_) if candidates.len() == 1 => None,
        Err(_) => {
            let (left, right) = candidates.split_at(candidates.len() / 2);
            first_passing(left, budget, run).or_else(|| first_passing(right, budget, run))
        }
    }
}

/// [`candidates`] for one column of a term of several: the term's
/// constants and their patterns' strings first, then the simplest values
/// ([`SIMPLE`]), then the rest as [`candidates`] orders them. A row of
/// several columns combines each column's first few (`score + partner =
/// 50` passes with 50 and 0, `partner * score = extract(day FROM due)`
/// with 1, 2 and a second of the month).
pub(crate) fn for_rows(constants: &[String]) -> Vec<String> {
    let all = candidates(constants);
    // (the constants' own group: as many as the constants and their
    // patterns' strings give)
    let own = all
        .iter()
        .take_while(|c| {
            constants.contains(c)
                || constants.iter().any(|k| {
                    crate::pattern::like_example(k) == **c
                        || crate::pattern::regex_example(k).as_deref() == Some(c.as_str())
                })
        })
        .count();
    let mut out: Vec<String> = all[..own].to_vec();
    out.extend(
        SIMPLE
            .iter()
            .filter(|s| all[own..].iter().any(|c| c == *s))
            .map(|s| s.to_string()),
    );
    out.extend(
        all[own..]
            .iter()
            .filter(|c| !SIMPLE.contains(&c.as_str()))
            .cloned(),
    );
    out
}

/// The values [`for_rows`] tries first after a term's constants, those of
/// them [`candidates`] gives.
const SIMPLE: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "3",
    "10",
    "",
    "x",
    "true",
    "false",
    "2000-01-02",
    "00:00",
];

/// Rows to try for a term of several columns (`a + b = 10`, `partner =
/// tenant_id`): the candidates of each column (`columns`, each best
/// first) combined best first, the rows of the first few of every column
/// before the later ones of any; when the term reads the tenant column
/// too, each row once per value in `tenants`, that value last. Each row a
/// JSON array of strings; at most `most` rows, and [`MAX_ROW_BYTES`] in
/// all.
pub(crate) fn rows(
    columns: &[Vec<String>],
    tenants: Option<&[String]>,
    most: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    if columns.is_empty()
        || columns.iter().any(Vec::is_empty)
        || tenants.is_some_and(<[String]>::is_empty)
    {
        return out;
    }
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut bytes = 0;
    // (level m: the rows whose latest candidate is some column's m-th)
    for m in 0..longest {
        let bounds: Vec<usize> = columns.iter().map(|c| c.len().min(m + 1)).collect();
        let mut at = vec![0usize; columns.len()];
        loop {
            if at.contains(&m) {
                let mut row: Vec<&str> = at
                    .iter()
                    .zip(columns)
                    .map(|(i, c)| c[*i].as_str())
                    .collect();
                for tenant in tenants.unwrap_or(&[String::new()]) {
                    if tenants.is_some() {
                        row.push(tenant);
                    }
                    let text = serde_json::to_string(&row).unwrap_or_default();
                    if tenants.is_some() {
                        row.pop();
                    }
                    bytes += text.len();
                    if out.len() >= most || bytes > MAX_ROW_BYTES {
                        return out;
                    }
                    out.push(text);
                }
            }
            // (the next index vector within the bounds, the last column
            // fastest)
            let Some(k) = (0..at.len()).rev().find(|k| at[*k] + 1 < bounds[*k]) else {
                break;
            };
            at[k] += 1;
            for later in at.iter_mut().skip(k + 1) {
                *later = 0;
            }
        }
    }
    out
}

/// At most this many bytes of [`rows`] per term.
pub(crate) const MAX_ROW_BYTES: usize = 64 * 1024;

/// The settings a function's body (its `prosrc`, SQL or PL/pgSQL) names
/// in `current_setting('name' …)`, lowercased, each once: read as text,
/// never run.
pub(crate) fn settings_named_in(body: &str) -> Vec<String> {
    let lower = body.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("current_setting") {
        rest = &rest[at + "current_setting".len()..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix('(') else {
            continue;
        };
        if let Some((name, _)) = literal_at(after.trim_start()) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Whether a function's body may read a table: it has the word `FROM`
/// (also `extract(… FROM …)`, which only makes this say yes more often).
pub(crate) fn may_read_a_table(body: &str) -> bool {
    body.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == "from")
}

/// The string literals of a function's body (`'sub'` in `->> 'sub'`), each
/// once, at most 32 of at most 200 characters.
pub(crate) fn literals_in(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find('\'') {
        match literal_at(&rest[at..]) {
            Some((literal, after)) => {
                if literal.chars().count() <= 200 && !out.contains(&literal) && out.len() < 32 {
                    out.push(literal);
                }
                rest = after;
            }
            None => break,
        }
    }
    out
}

/// The SQL string literal `text` starts with (`'it''s'`: `it's`) and the
/// text after it.
fn literal_at(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices().peekable();
    let body = &text[1..];
    let mut out = String::new();
    while let Some((i, ch)) = chars.next() {
        if ch == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                out.push('\'');
                continue;
            }
            return Some((out, &body[i + 1..]));
        }
        out.push(ch);
    }
    None
}

/// At most this many runs of a term over candidates per tenant.
pub(crate) const SEARCH_RUNS: usize = 32;

/// At most this many elements' candidates make up arrays.
pub(crate) const ARRAY_ELEMENTS: usize = 16;

/// At most this many of a term's constants are read.
const MAX_CONSTANTS: usize = 16;

/// At most this many constants are joined in pairs.
const MAX_JOINED: usize = 8;

/// At most this many numbers one step from the constants, and two.
const FIRST_STEPS: usize = 400;
const SECOND_STEPS: usize = 600;

/// At most this many strings of a length a number says.
const MAX_LENGTHS: usize = 64;

/// `a + b`, `a - b`, `a * b`, `a / b` (truncated, and rounded up when it
/// is not exact), `a % b`, each within [`MAX_NUMBER`].
fn steps(a: i128, b: i128) -> Vec<i128> {
    let mut out = vec![a + b, a - b];
    out.extend(a.checked_mul(b));
    if b != 0 {
        let q = a / b;
        out.push(q);
        if q * b != a {
            out.push(q + a.signum() * b.signum());
        }
        out.push(a % b);
    }
    out.retain(|n| n.abs() <= MAX_NUMBER);
    out
}

/// The items of `v` in order, without their later duplicates.
pub(crate) fn dedup<T: Eq + std::hash::Hash + Clone>(v: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|n| seen.insert(n.clone())).collect()
}

/// Candidates in order, each once, at most [`MAX_CANDIDATES`].
#[derive(Default)]
struct Candidates {
    all: Vec<String>,
    seen: std::collections::HashSet<String>,
}

impl Candidates {
    fn push(&mut self, s: String) {
        if self.all.len() < MAX_CANDIDATES && !self.seen.contains(&s) {
            self.seen.insert(s.clone());
            self.all.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(constants: &[&str], pass: impl Fn(&str) -> bool) -> Option<String> {
        let constants: Vec<String> = constants.iter().map(|c| c.to_string()).collect();
        candidates(&constants).into_iter().find(|c| pass(c))
    }

    fn int(s: &str) -> Option<i64> {
        s.parse().ok()
    }

    #[test]
    fn arithmetic_on_the_column_is_solved_from_its_constants() {
        // n % 7 = 3
        let v = search(&["7", "3"], |s| int(s).is_some_and(|n| n % 7 == 3));
        assert_eq!(v.as_deref(), Some("3"));
        // n / 10 = 5 (integer division)
        let v = search(&["10", "5"], |s| int(s).is_some_and(|n| n / 10 == 5));
        assert!(v.is_some_and(|v| int(&v).is_some_and(|n| n / 10 == 5)));
        // n * 3 + 1 = 10
        let v = search(&["3", "1", "10"], |s| {
            int(s).is_some_and(|n| n * 3 + 1 == 10)
        });
        assert_eq!(v.as_deref(), Some("3"));
        // (n + 5) % 7 = 0
        let v = search(&["5", "7", "0"], |s| {
            int(s).is_some_and(|n| (n + 5) % 7 == 0)
        });
        assert!(v.is_some());
        // n * 1000 > 123456789 (two steps past the constant)
        let v = search(&["1000", "123456789"], |s| {
            int(s).is_some_and(|n| n.checked_mul(1000).is_some_and(|m| m > 123_456_789))
        });
        assert!(v.is_some());
        // abs(n - 500) < 3 and no constant helps the fixed pool: 498..502
        let v = search(&["500", "3"], |s| {
            int(s).is_some_and(|n| (n - 500).abs() < 3)
        });
        assert!(v.is_some());
    }

    #[test]
    fn text_functions_are_solved_by_joining_turning_and_lengthening() {
        // split_part(email, '@', 2) = 'corp.example'
        let v = search(&["@", "2", "corp.example"], |s| {
            s.split('@').nth(1) == Some("corp.example")
        });
        assert_eq!(v.as_deref(), Some("@corp.example"));
        // reverse(code) = 'cba'
        let v = search(&["cba"], |s| s.chars().rev().collect::<String>() == "cba");
        assert_eq!(v.as_deref(), Some("abc"));
        // upper(kind) = 'PUBLIC'
        let v = search(&["PUBLIC"], |s| s.to_uppercase() == "PUBLIC");
        assert_eq!(v.as_deref(), Some("PUBLIC"));
        // length(btrim(body)) > 5
        let v = search(&["5"], |s| s.trim().len() > 5);
        assert_eq!(v.as_deref(), Some("xxxxxx"));
        // char_length(body) * 2 = 12
        let v = search(&["2", "12"], |s| s.len() * 2 == 12);
        assert_eq!(v.as_deref(), Some("xxxxxx"));
        // lower(body) LIKE '%@corp'
        let v = search(&["%@corp"], |s| s.to_lowercase().ends_with("@corp"));
        assert_eq!(v.as_deref(), Some("@corp"));
        // lower(code) = 'a_b': the constant, after LIKE's reading fails
        let v = search(&["a_b"], |s| s == "a_b");
        assert_eq!(v.as_deref(), Some("a_b"));
        // body::int > 41
        let v = search(&["41"], |s| int(s).is_some_and(|n| n > 41));
        assert_eq!(v.as_deref(), Some("42"));
    }

    #[test]
    fn dates_are_tried_by_the_parts_a_number_names() {
        let has = |constants: &[&str], want: &str| {
            let constants: Vec<String> = constants.iter().map(|c| c.to_string()).collect();
            candidates(&constants).iter().any(|c| c == want)
        };
        // extract(year FROM due) = 2031, extract(month …) = 12, a Sunday
        assert!(has(&["2031"], "2031-01-01"));
        assert!(has(&["12"], "2000-12-01"));
        assert!(has(&[], "2000-01-02"));
        assert!(has(&[], "infinity") && has(&[], "-infinity"));
        assert!(has(&[], "23:00"));
    }

    #[test]
    fn json_objects_hold_the_keys_and_values_a_term_reads() {
        let json = |constants: &[&str]| {
            let constants: Vec<String> = constants.iter().map(|c| c.to_string()).collect();
            json_candidates(&constants)
        };
        let parsed = |all: Vec<String>| -> Vec<serde_json::Value> {
            all.iter()
                .map(|c| serde_json::from_str(c).expect("JSON"))
                .collect()
        };
        // doc ->> 'visibility' = 'public'
        let all = parsed(json(&["visibility", "public"]));
        assert!(all.contains(&serde_json::json!({"visibility": "public"})));
        // (doc ->> 'public')::boolean
        assert!(parsed(json(&["public"])).contains(&serde_json::json!({"public": true})));
        // (doc ->> 'level')::int >= 4: the number as itself; > 3: one past
        assert!(parsed(json(&["level", "4"])).contains(&serde_json::json!({"level": 4})));
        assert!(parsed(json(&["level", "3"])).contains(&serde_json::json!({"level": 4})));
        // doc -> 'a' ->> 'b' = 'x'
        assert!(parsed(json(&["a", "b", "x"])).contains(&serde_json::json!({"a": {"b": "x"}})));
        // quotes and backslashes stay JSON
        assert!(parsed(json(&["k\"ey", "v\\al"])).contains(&serde_json::json!({"k\"ey": "v\\al"})));
    }

    #[test]
    fn arrays_hold_the_elements_and_sizes_a_term_reads() {
        let elements = vec!["public".to_string(), "a\"b".to_string()];
        let all = array_candidates(&elements, &["3".to_string()]);
        assert_eq!(all[0], "{\"public\"}");
        assert!(all.contains(&"{\"a\\\"b\"}".to_string()));
        assert!(all.contains(&"{\"public\",\"public\",\"public\",\"public\"}".to_string()));
        assert!(all.contains(&"{}".to_string()));
    }

    #[test]
    fn a_candidate_that_errors_costs_its_neighbours_nothing() {
        // (x::int > 3) on JSON-ish values: 'true' raises, as the cast
        // would; '4' passes
        let all: Vec<String> = ["1", "true", "x", "2", "4", "5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut runs = 0;
        let mut run = |slice: &[String]| -> Result<Option<String>, ()> {
            runs += 1;
            for c in slice {
                let n: i64 = c.parse().map_err(|_| ())?;
                if n > 3 {
                    return Ok(Some(c.clone()));
                }
            }
            Ok(None)
        };
        let mut budget = SEARCH_RUNS;
        assert_eq!(
            super::first_passing(&all, &mut budget, &mut run).as_deref(),
            Some("4")
        );
        assert!(runs > 1 && runs <= SEARCH_RUNS);
        // none passes: None, within the budget
        let mut budget = 3;
        let mut never = |_: &[String]| -> Result<Option<String>, ()> { Err(()) };
        assert_eq!(super::first_passing(&all, &mut budget, &mut never), None);
        assert_eq!(budget, 0);
    }

    #[test]
    fn function_bodies_are_read_for_settings_and_literals() {
        let uid = "SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                   (nullif(Current_Setting ( 'request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid";
        assert_eq!(
            settings_named_in(uid),
            ["request.jwt.claim.sub", "request.jwt.claims"]
        );
        assert_eq!(
            literals_in(uid),
            ["request.jwt.claim.sub", "", "request.jwt.claims", "sub"]
        );
        // PL/pgSQL, a quote inside a literal, an unterminated one
        let plpgsql = "BEGIN RETURN current_setting('app.User_Id')::int; -- it''s\n END";
        assert_eq!(settings_named_in(plpgsql), ["app.user_id"]);
        assert_eq!(literals_in("x := 'it''s'; y := 'open"), ["it's"]);
        assert!(settings_named_in("current_setting(name)").is_empty());
        assert!(!may_read_a_table(uid));
        assert!(may_read_a_table(
            "SELECT org FROM members WHERE u = current_setting('app.u')"
        ));
        assert!(!may_read_a_table("SELECT from_tenant, fromage FROM_x"));
    }

    #[test]
    fn many_constants_leave_room_for_the_fixed_pool() {
        // `n % 7 = ANY (ARRAY[1000 numbers])`: the first constants only
        // (each group of candidates has a share), and the small numbers,
        // the week and the hours still among them
        let constants: Vec<String> = (0..1000)
            .map(|i| (i * 7919 + 1_000_003).to_string())
            .collect();
        let all = candidates(&constants);
        assert!(all.len() <= MAX_CANDIDATES);
        assert!(all.contains(&"0".to_string()) && all.contains(&"256".to_string()));
        assert!(all.contains(&"2000-01-08".to_string()) && all.contains(&"23:00".to_string()));
    }

    #[test]
    fn candidates_are_bounded_and_unique() {
        // many large constants: no overflow, no more than the bound
        let constants: Vec<String> = (0..40)
            .map(|i| (i128::from(i64::MAX) - i).to_string())
            .chain((0..40).map(|i| "y".repeat(600 + i)))
            .collect();
        let all = candidates(&constants);
        assert!(all.len() <= MAX_CANDIDATES);
        let unique: std::collections::HashSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        assert!(all.iter().all(|c| c.len() <= 2 * 640));
        // nothing at all: the fixed pool
        let pool = candidates(&[]);
        assert!(pool.contains(&"0".to_string()) && pool.contains(&"true".to_string()));
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The first row of `rows` whose values pass `pass`.
    fn first_row(rows: &[String], pass: impl Fn(&[i64]) -> bool) -> Option<Vec<i64>> {
        rows.iter()
            .map(|r| {
                serde_json::from_str::<Vec<String>>(r)
                    .unwrap()
                    .iter()
                    .map(|v| v.parse::<i64>().unwrap_or(i64::MIN))
                    .collect::<Vec<i64>>()
            })
            .find(|r| pass(r))
    }

    #[test]
    fn rows_combine_each_columns_first_candidates_first() {
        let a = strings(&["a0", "a1", "a2"]);
        let b = strings(&["b0", "b1"]);
        let all = rows(&[a.clone(), b.clone()], None, 100);
        // every combination once, those of the first candidates first
        assert_eq!(
            all,
            [
                r#"["a0","b0"]"#,
                r#"["a0","b1"]"#,
                r#"["a1","b0"]"#,
                r#"["a1","b1"]"#,
                r#"["a2","b0"]"#,
                r#"["a2","b1"]"#,
            ]
        );
        // the tenants' values last, each row once per tenant
        let with = rows(std::slice::from_ref(&a), Some(&strings(&["2", "3"])), 100);
        assert_eq!(
            with[..3],
            [r#"["a0","2"]"#, r#"["a0","3"]"#, r#"["a1","2"]"#]
        );
        // bounded in rows and bytes; nothing for a column with no
        // candidates or no tenant to try
        assert_eq!(rows(&[a.clone(), b.clone()], None, 4).len(), 4);
        let long = vec!["x".repeat(40_000), "y".repeat(40_000)];
        assert_eq!(rows(&[long.clone(), long], None, 100).len(), 0);
        assert!(rows(&[a.clone(), Vec::new()], None, 100).is_empty());
        assert!(rows(&[a], Some(&[]), 100).is_empty());
        // quotes and backslashes survive as JSON
        let odd = rows(&[strings(&["it's \\ \"q\""])], None, 10);
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&odd[0]).unwrap(),
            ["it's \\ \"q\""]
        );
    }

    #[test]
    fn rows_of_candidates_solve_terms_of_several_columns() {
        let of = |constants: &[&str]| -> Vec<String> {
            for_rows(&strings(constants))
                .into_iter()
                .filter(|c| c.parse::<i64>().is_ok())
                .take(64)
                .collect()
        };
        // `score + partner = 50`: 50 and 0
        let c = of(&["50"]);
        let all = rows(&[c.clone(), c], None, 1000);
        assert_eq!(first_row(&all, |r| r[0] + r[1] == 50), Some(vec![50, 0]));
        // `u * v = w + 5`: three columns
        let c = of(&["5"]);
        let all = rows(&[c.clone(), c.clone(), c], None, 1000);
        assert_eq!(
            first_row(&all, |r| r[0] * r[1] == r[2] + 5),
            Some(vec![5, 1, 0])
        );
        // `partner = tenant_id * 10` for tenant 2 or 3: 20 for 2
        let c = of(&["10"]);
        let all = rows(&[c], Some(&strings(&["2", "3"])), 1000);
        assert_eq!(first_row(&all, |r| r[0] == r[1] * 10), Some(vec![20, 2]));
        // `100 / (score - partner) > 1`: one that passes, past those equal
        let c = of(&["100", "1"]);
        let all = rows(&[c.clone(), c], None, 1000);
        let found = first_row(&all, |r| r[0] != r[1] && 100 / (r[0] - r[1]) > 1).unwrap();
        assert!(100 / (found[0] - found[1]) > 1);
    }

    #[test]
    fn for_rows_puts_constants_then_simple_values_first() {
        let all = for_rows(&strings(&["50"]));
        assert_eq!(all[..5], strings(&["50", "0", "1", "2", "-1"]));
        // the same candidates as for one column, in another order
        let mut one = candidates(&strings(&["50"]));
        let mut several = all.clone();
        one.sort();
        several.sort();
        assert_eq!(one, several);
        // a pattern's string among the constants' own
        let all = for_rows(&strings(&["pub%"]));
        assert_eq!(all[0], crate::pattern::like_example("pub%"));
    }
}
