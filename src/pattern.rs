//! A string a pattern matches: LIKE's, a regular expression's (`~`,
//! `~*`) and SIMILAR TO's. The write probes try such a string as the value
//! of a column a check lets rows through by (`OR body ~ '^public-[0-9]+$'`);
//! an example that does not match after all costs one statement that
//! changes nothing, so these are best efforts, not proofs. Pure: no
//! PostgreSQL calls.

/// The string LIKE / ILIKE `pattern` matches with `%` read as nothing and
/// `_` as `x` (`\` escapes the next character).
pub(crate) fn like_example(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.extend(chars.next()),
            '%' => {}
            '_' => out.push('x'),
            ch => out.push(ch),
        }
    }
    out
}

/// A string regular expression `pattern` (PostgreSQL's ARE syntax) finds a
/// match in: each atom once, `*` and `?` as nothing, `{m,n}` m times, the
/// first alternative, a bracket expression's first member (or, negated, a
/// character outside it). None for what this does not read (back
/// references, expanded syntax) or a repeat over 1 000.
pub(crate) fn regex_example(pattern: &str) -> Option<String> {
    // director prefixes: `***=` the rest is a literal, `***:` an ARE
    if let Some(rest) = pattern.strip_prefix("***=") {
        return Some(rest.to_string());
    }
    let mut rest = pattern.strip_prefix("***:").unwrap_or(pattern);
    // embedded options `(?i)`: `q` makes the rest a literal, `x` the
    // expanded syntax (not read here)
    if let Some(after) = rest.strip_prefix("(?") {
        if let Some(end) = after.find(')') {
            let flags = &after[..end];
            if !flags.is_empty() && flags.chars().all(|c| c.is_ascii_alphabetic()) {
                if flags.contains('x') {
                    return None;
                }
                if flags.contains('q') {
                    return Some(after[end + 1..].to_string());
                }
                rest = &after[end + 1..];
            }
        }
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut parser = Regex {
        chars: &chars,
        at: 0,
        depth: 0,
    };
    let out = parser.alternation()?;
    (parser.at == chars.len()).then_some(out)
}

/// A string SIMILAR TO `pattern` matches (`escape` its escape character,
/// `\` unless the statement names another; None for none): `%` as
/// nothing, `_` as `x`, the rest as a regular expression's.
pub(crate) fn similar_example(pattern: &str, escape: Option<char>) -> Option<String> {
    let mut regex = String::new();
    let mut chars = pattern.chars();
    let mut in_bracket = false;
    while let Some(ch) = chars.next() {
        if Some(ch) == escape {
            // (as PostgreSQL's similar_to_escape: the character escaped)
            regex.push('\\');
            regex.push(chars.next()?);
            continue;
        }
        match ch {
            '[' => {
                in_bracket = true;
                regex.push('[');
            }
            ']' => {
                in_bracket = false;
                regex.push(']');
            }
            _ if in_bracket => regex.push(ch),
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            '.' | '^' | '$' | '\\' => {
                regex.push('\\');
                regex.push(ch);
            }
            ch => regex.push(ch),
        }
    }
    regex_example(&regex)
}

/// The longest repeat an example spells out.
const MAX_REPEAT: usize = 1000;

/// The longest example (in bytes) a pattern gives.
const MAX_EXAMPLE: usize = 10_000;

/// A recursive-descent reader of a regular expression, writing one string
/// it matches as it goes.
struct Regex<'a> {
    chars: &'a [char],
    at: usize,
    /// the groups open around `at` (at most [`MAX_DEPTH`]: the reader
    /// recurses per group)
    depth: usize,
}

/// The deepest nesting of groups read.
const MAX_DEPTH: usize = 64;

impl Regex<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    /// branch (`|` branch)*: the first branch (None when any does not read)
    fn alternation(&mut self) -> Option<String> {
        let first = self.branch()?;
        while self.peek() == Some('|') {
            self.at += 1;
            self.branch()?;
        }
        Some(first)
    }

    fn branch(&mut self) -> Option<String> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let times = self.quantifier()?;
            // (nested repeats multiply: `((a{1000}){1000}){1000}`)
            if out.len() + atom.len().saturating_mul(times) > MAX_EXAMPLE {
                return None;
            }
            out.push_str(&atom.repeat(times));
        }
        Some(out)
    }

    /// how many times the atom before is spelled out (`*` none, `+` once,
    /// `{m,n}` m), the non-greedy `?` after it read too
    fn quantifier(&mut self) -> Option<usize> {
        let times = match self.peek() {
            Some('*') | Some('?') => {
                self.at += 1;
                0
            }
            Some('+') => {
                self.at += 1;
                1
            }
            Some('{') => {
                let close = self.chars[self.at..].iter().position(|c| *c == '}')?;
                let inner: String = self.chars[self.at + 1..self.at + close].iter().collect();
                let low = inner.split(',').next()?.trim();
                let m: usize = low.parse().ok()?;
                self.at += close + 1;
                m
            }
            _ => return Some(1),
        };
        if self.peek() == Some('?') {
            self.at += 1;
        }
        (times <= MAX_REPEAT).then_some(times)
    }

    fn atom(&mut self) -> Option<String> {
        let c = self.next()?;
        Some(match c {
            '(' => {
                let lookaround = if self.peek() == Some('?') {
                    self.at += 1;
                    match self.next()? {
                        ':' => false,
                        '=' | '!' => true,
                        '<' => {
                            // (?<= and (?<!
                            self.next()?;
                            true
                        }
                        _ => return None,
                    }
                } else {
                    false
                };
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let inner = self.alternation()?;
                self.depth -= 1;
                if self.next()? != ')' {
                    return None;
                }
                // a look-around matches no characters of its own
                if lookaround {
                    String::new()
                } else {
                    inner
                }
            }
            '[' => self.bracket()?.to_string(),
            '.' => "x".into(),
            '^' | '$' => String::new(),
            '\\' => self.escape()?,
            c => c.to_string(),
        })
    }

    fn escape(&mut self) -> Option<String> {
        let c = self.next()?;
        Some(match c {
            'd' => "0".into(),
            'D' | 'w' | 'S' => "a".into(),
            'W' | 's' => " ".into(),
            // anchors and word boundaries match no character
            'm' | 'M' | 'y' | 'Y' | 'A' | 'Z' => String::new(),
            'n' => "\n".into(),
            't' => "\t".into(),
            'r' => "\r".into(),
            // back references and codes not read here
            '0'..='9' | 'x' | 'u' | 'U' | 'c' | 'e' | 'B' => return None,
            c => c.to_string(),
        })
    }

    /// a bracket expression (after `[`): its first member, or for `[^…]` a
    /// character none of its members is
    fn bracket(&mut self) -> Option<char> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut members: Vec<Member> = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let member = match c {
                '[' if matches!(self.peek(), Some(':') | Some('.') | Some('=')) => {
                    let kind = self.next()?;
                    let close = self.chars[self.at..]
                        .windows(2)
                        .position(|w| w[0] == kind && w[1] == ']')?;
                    let name: String = self.chars[self.at..self.at + close].iter().collect();
                    self.at += close + 2;
                    if kind == ':' {
                        Member::Class(name)
                    } else {
                        Member::Range(name.chars().next()?, name.chars().next()?)
                    }
                }
                '\\' => match self.next()? {
                    'd' => Member::Class("digit".into()),
                    'w' => Member::Class("word".into()),
                    's' => Member::Class("space".into()),
                    'D' | 'W' | 'S' => return None,
                    e => Member::Range(e, e),
                },
                c => {
                    if self.peek() == Some('-') && self.chars.get(self.at + 1) != Some(&']') {
                        self.at += 1;
                        let hi = self.next()?;
                        Member::Range(c, hi)
                    } else {
                        Member::Range(c, c)
                    }
                }
            };
            members.push(member);
        }
        if negated {
            ['x', 'a', 'Z', '0', ' ', '-', '_', '~', '!', 'é']
                .into_iter()
                .find(|c| !members.iter().any(|m| m.holds(*c)))
        } else {
            members.first().and_then(Member::example)
        }
    }
}

/// A member of a bracket expression.
enum Member {
    /// the characters from .0 to .1
    Range(char, char),
    /// `[:alpha:]` and the like
    Class(String),
}

impl Member {
    fn holds(&self, c: char) -> bool {
        match self {
            Member::Range(lo, hi) => (*lo..=*hi).contains(&c),
            Member::Class(name) => match name.as_str() {
                "alpha" => c.is_alphabetic(),
                "alnum" => c.is_alphanumeric(),
                "word" => c.is_alphanumeric() || c == '_',
                "digit" => c.is_ascii_digit(),
                "xdigit" => c.is_ascii_hexdigit(),
                "upper" => c.is_uppercase(),
                "lower" => c.is_lowercase(),
                "space" => c.is_whitespace(),
                "blank" => c == ' ' || c == '\t',
                "punct" => c.is_ascii_punctuation(),
                "print" => !c.is_control(),
                "graph" => !c.is_control() && !c.is_whitespace(),
                "cntrl" => c.is_control(),
                // a class this does not know: assume it holds everything,
                // so a negation finds nothing rather than a wrong guess
                _ => true,
            },
        }
    }

    fn example(&self) -> Option<char> {
        match self {
            Member::Range(lo, hi) => (lo <= hi).then_some(*lo),
            Member::Class(name) => Some(match name.as_str() {
                "alpha" | "alnum" | "word" | "lower" | "print" | "graph" => 'a',
                "upper" => 'A',
                "digit" | "xdigit" => '0',
                "space" | "blank" => ' ',
                "punct" => '!',
                "cntrl" => '\u{1}',
                _ => return None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// what `pattern` should match, per the rules above; checked against
    /// PostgreSQL itself in the pg test and in isolation.sql
    #[test]
    fn regex_examples_are_strings_the_pattern_matches() {
        let r = |p| regex_example(p);
        assert_eq!(r("^public"), Some("public".into()));
        assert_eq!(r("^public-[0-9]+$"), Some("public-0".into()));
        assert_eq!(r("^(shared|global)\\.\\d{3}$"), Some("shared.000".into()));
        assert_eq!(r("a*b?c+d{2,5}"), Some("cdd".into()));
        assert_eq!(r("^[^a-z0-9]x$"), Some("Zx".into()));
        assert_eq!(r("[[:upper:]][[:digit:]]"), Some("A0".into()));
        assert_eq!(r("[]a]"), Some("]".into()));
        assert_eq!(r("(?:ab)+(?=c)"), Some("ab".into()));
        assert_eq!(r("(?i)^Pub"), Some("Pub".into()));
        assert_eq!(r("***=a.b"), Some("a.b".into()));
        assert_eq!(r("(a)\\1"), None);
        assert_eq!(r("a{2000}"), None);
        assert_eq!(r("a{1000}").map(|s| s.len()), Some(1000));
        assert_eq!(r("((a{1000}){1000}){1000}"), None);
        assert_eq!(regex_example(&"(".repeat(100_000)), None);
        assert_eq!(
            regex_example(&format!("{}a{}", "(".repeat(64), ")".repeat(64))),
            Some("a".into())
        );
        assert_eq!(r("(unclosed"), None);
        assert_eq!(r("x|(y"), None);
        assert_eq!(r(""), Some(String::new()));
    }

    #[test]
    fn similar_and_like_examples() {
        assert_eq!(similar_example("pub%", Some('\\')), Some("pub".into()));
        assert_eq!(
            similar_example("(a|b)_c.d", Some('\\')),
            Some("axc.d".into())
        );
        assert_eq!(similar_example("50\\%", Some('\\')), Some("50%".into()));
        assert_eq!(similar_example("[0-9]+", None), Some("0".into()));
        assert_eq!(like_example("pub\\_%"), "pub_");
        assert_eq!(like_example("a_c%"), "axc");
    }
}
