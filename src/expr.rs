//! Deciding whether a policy expression is constantly true.
//!
//! Policies are stored as `pg_get_expr` text, which PostgreSQL's deparser
//! writes in one canonical shape: fully parenthesised, keywords upper case,
//! literals with explicit casts. A small parser over that shape folds the
//! boolean structure (`OR`, `AND`, `NOT`, parentheses) and compares constant
//! literals (`1 = 1`, `'a'::text = 'a'::text`), so `true`, `(true)`,
//! `(1 = 1)` and `((tenant_id = 1) OR true)` are all recognised while
//! anything that reads a column, a setting or a function is "unknown".
//! Unknown is never treated as true: the analysis only errs towards silence.
//!
//! An atom the literal comparison cannot decide (`(2 > 1)`, `COALESCE(NULL,
//! true)`, `1 = ANY (ARRAY[1, 2])`, `true IS TRUE`, `CASE WHEN true THEN
//! true END`, `(SELECT true)`) is handed to PostgreSQL's own constant
//! folding when running inside PostgreSQL (see [`set_folder`]): the planner
//! decides, so every form it folds is recognised. Only atoms that name no
//! column and nothing outside pg_catalog are handed over (see
//! [`foldable_text`]): folding evaluates immutable functions, and a
//! user-defined one must never run with rls_audit's rights.

use once_cell::sync::OnceCell;
use pgrx::pg_sys;

/// Decides a constant atom the way PostgreSQL does (Some(value)) or says
/// it depends on something (None).
pub(crate) type Folder = fn(&str) -> Option<bool>;

static FOLDER: OnceCell<Folder> = OnceCell::new();

/// Install PostgreSQL's constant folding (done once per backend, at load).
pub(crate) fn set_folder(f: Folder) {
    let _ = FOLDER.set(f);
}

/// The [`Folder`] inside PostgreSQL: rls_audit._folds_to (sql/capture.sql)
/// asks the planner, in a subtransaction of its own (PL/pgSQL's exception
/// block), so an expression it cannot plan is simply "not constant".
pub(crate) fn fold_with_postgres(expr: &str) -> Option<bool> {
    // _folds_to splices the text into the statement it plans: only one
    // expression goes there, never text that closes it and adds another
    // statement (a tampered snapshot's)
    if !one_expression(expr) {
        return None;
    }
    pgrx::Spi::connect(|c| {
        c.select("SELECT rls_audit._folds_to($1)", Some(1), &[expr.into()])?
            .first()
            .get_one::<bool>()
    })
    .ok()
    .flatten()
}

/// Is `text` exactly one SQL expression, as PostgreSQL's own parser reads
/// it where rls_audit writes it, in parentheses? `SELECT (<text>)` must
/// parse to one plain SELECT of one unnamed target and nothing else: no
/// second statement, no `;`, no FROM, WHERE, set operation or any other
/// clause, and no comment that swallows the closing parenthesis. Expression text that does not come
/// from the catalog (an imported or edited snapshot) goes into `CREATE
/// POLICY … USING (…)` or a planned statement only then; text such as
/// `true); DROP TABLE t; SELECT (true` would otherwise run as statements
/// of its own, and `true) WITH CHECK (true` would add a clause.
pub(crate) fn one_expression(text: &str) -> bool {
    let Some(list) = crate::capture::raw_parse(format!("SELECT ({text})").as_bytes()) else {
        return false;
    };
    if list.len() != 1 {
        return false;
    }
    let Some(raw) = list.get_ptr(0) else {
        return false;
    };
    // SAFETY: raw_parser's RawStmt list, each with a parse tree that
    // starts with its node tag; a SelectStmt is read as one only after its
    // tag says so
    unsafe {
        // a statement ended by `;` has its length set; the last one without
        // it runs to the end of the string (0)
        if (*raw).stmt_len != 0 || (*raw).stmt.is_null() {
            return false;
        }
        if (*(*raw).stmt).type_ != pg_sys::NodeTag::T_SelectStmt {
            return false;
        }
        let s = &*((*raw).stmt as *const pg_sys::SelectStmt);
        let targets = pgrx::PgList::<pg_sys::ResTarget>::from_pg(s.targetList);
        let one_unnamed = targets.len() == 1
            && targets
                .get_ptr(0)
                .is_some_and(|t| (*t).name.is_null() && !(*t).val.is_null());
        one_unnamed
            && s.op == pg_sys::SetOperation::SETOP_NONE
            && s.distinctClause.is_null()
            && s.intoClause.is_null()
            && s.fromClause.is_null()
            && s.whereClause.is_null()
            && s.groupClause.is_null()
            && s.havingClause.is_null()
            && s.windowClause.is_null()
            && s.valuesLists.is_null()
            && s.sortClause.is_null()
            && s.limitOffset.is_null()
            && s.limitCount.is_null()
            && s.lockingClause.is_null()
            && s.withClause.is_null()
    }
}

/// Words that are not columns in a deparsed constant expression.
const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "is",
    "not",
    "and",
    "or",
    "case",
    "when",
    "then",
    "else",
    "end",
    "any",
    "all",
    "some",
    "array",
    "in",
    "between",
    "distinct",
    "from",
    "unknown",
    "select",
    "symmetric",
    "like",
    "ilike",
    "similar",
    "to",
    "escape",
    "collate",
];

/// The atom as text PostgreSQL may fold: no column (a bare word that is
/// neither a keyword, a number, a function name nor a type after `::`), no
/// quoted identifier, no qualified name (anything outside pg_catalog is
/// schema-qualified in pg_get_expr output under search_path = pg_catalog),
/// no `OPERATOR(...)`, no subquery with a FROM. `(SELECT x)` is `x`.
pub(crate) fn foldable_text(toks: &[Tok]) -> Option<String> {
    let toks = match toks.first() {
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("select") => &toks[1..],
        _ => toks,
    };
    if toks.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Ident(_) => return None,
            Tok::Op(op) if op == "." => return None,
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                let numeric = w.chars().all(|c| c.is_ascii_digit() || c == '.');
                let after_cast = i > 0 && toks[i - 1] == Tok::Op("::".into());
                let call = toks.get(i + 1) == Some(&Tok::LParen);
                if lower == "operator" || lower == "from" {
                    return None;
                }
                if !(numeric || after_cast || call || KEYWORDS.contains(&lower.as_str())) {
                    return None;
                }
                out.push_str(w);
            }
            Tok::Str(v) => out.push_str(&crate::ident::quote_literal(v)),
            Tok::Op(op) => out.push_str(op),
            Tok::LParen => out.push('('),
            Tok::RParen => out.push(')'),
            Tok::Comma => out.push(','),
        }
        out.push(' ');
    }
    Some(out.trim_end().to_string())
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    /// a word: identifier, keyword or number
    Word(String),
    /// a quoted string literal (content, unescaped)
    Str(String),
    /// a double-quoted identifier
    Ident(String),
    /// an operator such as `=`, `<>`, `::`
    Op(String),
    Comma,
}

/// One piece: a lexer is one loop over the characters, one arm per token kind.
/// It walks byte offsets of `s` and takes words and operators as slices of
/// it (every policy expression goes through here, several times in lint).
fn tokenize(s: &str) -> Option<Vec<Tok>> {
    // the character at byte offset i (always a character boundary here)
    let at = |i: usize| s.get(i..).and_then(|rest| rest.chars().next());
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let next = i + c.len_utf8();
        if c.is_whitespace() {
            i = next;
        } else if c == '(' {
            out.push(Tok::LParen);
            i = next;
        } else if c == ')' {
            out.push(Tok::RParen);
            i = next;
        } else if c == ',' {
            out.push(Tok::Comma);
            i = next;
        } else if c == '\'' || ((c == 'E' || c == 'e') && at(next) == Some('\'')) {
            // string literal; E'' strings may escape with backslashes
            let escapes = c != '\'';
            i = if escapes { next + 1 } else { next };
            let mut lit = String::new();
            loop {
                let ch = at(i)?;
                let after = i + ch.len_utf8();
                if escapes && ch == '\\' {
                    let escaped = at(after)?;
                    lit.push(escaped);
                    i = after + escaped.len_utf8();
                } else if ch == '\'' {
                    if at(after) == Some('\'') {
                        lit.push('\'');
                        i = after + 1;
                    } else {
                        i = after;
                        break;
                    }
                } else {
                    lit.push(ch);
                    i = after;
                }
            }
            out.push(Tok::Str(lit));
        } else if c == '"' {
            i = next;
            let mut id = String::new();
            loop {
                let ch = at(i)?;
                let after = i + ch.len_utf8();
                if ch == '"' {
                    if at(after) == Some('"') {
                        id.push('"');
                        i = after + 1;
                    } else {
                        i = after;
                        break;
                    }
                } else {
                    id.push(ch);
                    i = after;
                }
            }
            out.push(Tok::Ident(id));
        } else if is_word(c) {
            let start = i;
            i = next;
            while let Some(d) = at(i).filter(|&d| is_word(d)) {
                i += d.len_utf8();
            }
            // numbers with a fractional part stay one word
            if at(i) == Some('.')
                && c.is_ascii_digit()
                && at(i + 1).is_some_and(|d| d.is_ascii_digit())
            {
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
            }
            out.push(Tok::Word(s[start..i].to_string()));
        } else if c == '.' {
            out.push(Tok::Op(".".into()));
            i = next;
        } else if "+-*/<>=~!@#%^&|`?:[]".contains(c) {
            let start = i;
            // operator characters are ASCII: one byte each
            while at(i).is_some_and(|d| "+-*/<>=~!@#%^&|`?:".contains(d)) {
                i += 1;
            }
            if i == start {
                i = next; // a lone [ or ]
            }
            out.push(Tok::Op(s[start..i].to_string()));
        } else {
            return None;
        }
    }
    Some(out)
}

/// A constant literal, normalised for comparison.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Num(String),
    Str(String),
    Bool(bool),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// `None` = unknown, `Some(b)` = constant b.
    fn or_expr(&mut self) -> Option<Option<bool>> {
        let mut acc = self.and_expr()?;
        while is_kw(self.peek(), "OR") {
            self.pos += 1;
            let rhs = self.and_expr()?;
            acc = match (acc, rhs) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        Some(acc)
    }

    fn and_expr(&mut self) -> Option<Option<bool>> {
        let mut acc = self.not_expr()?;
        while is_kw(self.peek(), "AND") {
            self.pos += 1;
            let rhs = self.not_expr()?;
            acc = match (acc, rhs) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
        Some(acc)
    }

    fn not_expr(&mut self) -> Option<Option<bool>> {
        if is_kw(self.peek(), "NOT") {
            self.pos += 1;
            return Some(self.not_expr()?.map(|b| !b));
        }
        self.primary()
    }

    /// A parenthesised expression, or a run of tokens up to the next
    /// top-level AND / OR / `)`, evaluated as a comparison of constants.
    fn primary(&mut self) -> Option<Option<bool>> {
        if self.peek() == Some(&Tok::LParen) {
            // a parenthesised boolean, unless it turns out to be the left
            // operand of a comparison, e.g. `(1)::integer = 1`
            let save = self.pos;
            self.pos += 1;
            let inner = self.or_expr();
            if inner.is_some() && self.peek() == Some(&Tok::RParen) {
                self.pos += 1;
                if self.at_boundary() {
                    return inner;
                }
            }
            self.pos = save;
        }
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen if depth == 0 => break,
                Tok::RParen => depth -= 1,
                Tok::Word(w)
                    if depth == 0
                        && (w.eq_ignore_ascii_case("AND") || w.eq_ignore_ascii_case("OR")) =>
                {
                    break
                }
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return None; // malformed: nothing to evaluate
        }
        let atom = &self.toks[start..self.pos];
        Some(eval_atom(atom).or_else(|| {
            let fold = FOLDER.get()?;
            fold(&foldable_text(atom)?)
        }))
    }

    fn at_boundary(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::RParen))
            || is_kw(self.peek(), "AND")
            || is_kw(self.peek(), "OR")
    }
}

/// Read one literal (with optional `::type` casts) from the front of `toks`;
/// returns it and how many tokens it used.
fn literal(toks: &[Tok]) -> Option<(Lit, usize)> {
    let (mut lit, mut used) = match toks.first()? {
        Tok::Word(w) if w.eq_ignore_ascii_case("true") => (Lit::Bool(true), 1),
        Tok::Word(w) if w.eq_ignore_ascii_case("false") => (Lit::Bool(false), 1),
        Tok::Word(w) if w.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            (Lit::Num(w.trim_start_matches('0').to_string()), 1)
        }
        Tok::Str(s) => (Lit::Str(s.clone()), 1),
        Tok::LParen => {
            // (literal) or (literal)::type
            let (inner, n) = literal(&toks[1..])?;
            if toks.get(1 + n) != Some(&Tok::RParen) {
                return None;
            }
            (inner, n + 2)
        }
        _ => return None,
    };
    // casts: ::word, ::"ident", ::schema.word — the value is what counts
    while let Some(Tok::Op(op)) = toks.get(used) {
        if op != "::" {
            break;
        }
        match toks.get(used + 1) {
            Some(Tok::Word(t)) | Some(Tok::Ident(t)) => {
                if t.eq_ignore_ascii_case("boolean") || t.eq_ignore_ascii_case("bool") {
                    if let Lit::Str(s) = &lit {
                        lit = match s.to_ascii_lowercase().as_str() {
                            "t" | "true" | "yes" | "on" | "1" => Lit::Bool(true),
                            "f" | "false" | "no" | "off" | "0" => Lit::Bool(false),
                            _ => return None,
                        };
                    }
                }
                used += 2;
                if toks.get(used) == Some(&Tok::Op(".".into())) {
                    used += 2;
                }
            }
            _ => return None,
        }
    }
    Some((lit, used))
}

fn eval_atom(toks: &[Tok]) -> Option<bool> {
    // a lone boolean literal
    if let Some((Lit::Bool(b), n)) = literal(toks) {
        if n == toks.len() {
            return Some(b);
        }
    }
    // literal OP literal
    let (a, n) = literal(toks)?;
    let op = match toks.get(n)? {
        Tok::Op(op) => op.as_str(),
        _ => return None,
    };
    let (b, m) = literal(&toks[n + 1..])?;
    if n + 1 + m != toks.len() {
        return None;
    }
    let same_kind = std::mem::discriminant(&a) == std::mem::discriminant(&b);
    if !same_kind {
        return None;
    }
    match op {
        "=" => Some(a == b),
        "<>" | "!=" => Some(a != b),
        ">=" | "<=" if a == b => Some(true),
        _ => None,
    }
}

/// `Some(true)` when the expression is constantly true, `Some(false)` when
/// constantly false, `None` when it depends on anything else.
pub(crate) fn constant_value(expr: &str) -> Option<bool> {
    value_of(tokenize(expr)?)
}

fn value_of(toks: Vec<Tok>) -> Option<bool> {
    let mut p = Parser { toks, pos: 0 };
    let v = p.or_expr()?;
    if p.pos != p.toks.len() {
        return None;
    }
    v
}

/// What lint and the access model ask of one expression, from one pass of
/// the lexer: its calls ([`calls`]) and its constant value
/// ([`constant_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Examined {
    pub(crate) calls: Vec<Call>,
    pub(crate) value: Option<bool>,
}

pub(crate) fn examine(expr: &str) -> Examined {
    match tokenize(expr) {
        Some(toks) => Examined {
            calls: calls_in(&toks),
            value: value_of(toks),
        },
        None => Examined::default(),
    }
}

/// A function call found in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// the schema it was qualified with, if any
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
    /// number of arguments
    pub(crate) args: usize,
    /// inside a `(SELECT ...)`, i.e. evaluated once per statement
    pub(crate) in_subselect: bool,
}

/// Every `name(...)` call in a deparsed expression, with whether it sits
/// inside a scalar sub-select. Keywords the deparser writes with
/// parentheses (`COALESCE(`, `NULLIF(`, `ANY (`) come back too; callers look
/// names up in the function catalog, where those do not exist.
#[cfg(test)]
pub(crate) fn calls(expr: &str) -> Vec<Call> {
    examine(expr).calls
}

fn calls_in(toks: &[Tok]) -> Vec<Call> {
    let mut out = Vec::new();
    // one entry per open parenthesis: does it open a sub-select?
    let mut stack: Vec<bool> = Vec::new();
    for i in 0..toks.len() {
        match &toks[i] {
            Tok::LParen => {
                stack.push(is_kw(toks.get(i + 1), "SELECT"));
                continue;
            }
            Tok::RParen => {
                stack.pop();
                continue;
            }
            _ => {}
        }
        let name = match &toks[i] {
            Tok::Word(w) | Tok::Ident(w) => w,
            _ => continue,
        };
        if toks.get(i + 1) != Some(&Tok::LParen) {
            continue;
        }
        // `::numeric(10,2)` is a type modifier, not a call
        let prev = if i >= 1 { toks.get(i - 1) } else { None };
        if matches!(prev, Some(Tok::Op(op)) if op == "::") {
            continue;
        }
        let schema = match (prev, if i >= 2 { toks.get(i - 2) } else { None }) {
            (Some(Tok::Op(dot)), Some(Tok::Word(s) | Tok::Ident(s))) if dot == "." => {
                Some(s.clone())
            }
            _ => None,
        };
        // count the arguments: top-level commas inside the call's parentheses
        let (mut depth, mut commas, mut empty) = (0usize, 0usize, true);
        for t in &toks[i + 1..] {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Comma if depth == 1 => commas += 1,
                _ => {}
            }
            if depth >= 1 && !matches!(t, Tok::LParen) || depth > 1 {
                empty = false;
            }
        }
        out.push(Call {
            schema,
            name: name.clone(),
            args: if empty { 0 } else { commas + 1 },
            in_subselect: stack.iter().any(|s| *s),
        });
    }
    out
}

/// True when `expr` is constantly true. A missing expression (NULL) is not.
pub(crate) fn is_constant_true(expr: Option<&str>) -> bool {
    expr.and_then(constant_value) == Some(true)
}

#[cfg(test)]
mod unit {
    use super::*;

    /// The lexer as first written, over a vector of characters: the oracle
    /// for the one over byte offsets.
    fn tokenize_by_chars(s: &str) -> Option<Vec<Tok>> {
        let chars: Vec<char> = s.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if c == '(' {
                out.push(Tok::LParen);
                i += 1;
            } else if c == ')' {
                out.push(Tok::RParen);
                i += 1;
            } else if c == ',' {
                out.push(Tok::Comma);
                i += 1;
            } else if c == '\'' || ((c == 'E' || c == 'e') && chars.get(i + 1) == Some(&'\'')) {
                // string literal; E'' strings may escape with backslashes
                let escapes = c != '\'';
                i += if escapes { 2 } else { 1 };
                let mut lit = String::new();
                loop {
                    let ch = *chars.get(i)?;
                    if escapes && ch == '\\' {
                        lit.push(*chars.get(i + 1)?);
                        i += 2;
                    } else if ch == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            lit.push('\'');
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    } else {
                        lit.push(ch);
                        i += 1;
                    }
                }
                out.push(Tok::Str(lit));
            } else if c == '"' {
                i += 1;
                let mut id = String::new();
                loop {
                    let ch = *chars.get(i)?;
                    if ch == '"' {
                        if chars.get(i + 1) == Some(&'"') {
                            id.push('"');
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    } else {
                        id.push(ch);
                        i += 1;
                    }
                }
                out.push(Tok::Ident(id));
            } else if c.is_alphanumeric() || c == '_' || c == '$' {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                // numbers with a fractional part stay one word
                if i < chars.len()
                    && chars[i] == '.'
                    && chars[start].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            } else if c == '.' {
                out.push(Tok::Op(".".into()));
                i += 1;
            } else if "+-*/<>=~!@#%^&|`?:[]".contains(c) {
                let start = i;
                while i < chars.len() && "+-*/<>=~!@#%^&|`?:".contains(chars[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1; // a lone [ or ]
                }
                out.push(Tok::Op(chars[start..i].iter().collect()));
            } else {
                return None;
            }
        }
        Some(out)
    }

    #[test]
    fn the_lexer_over_byte_offsets_gives_the_tokens_of_the_one_over_characters() {
        let cases = [
            "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)",
            "((owner_id = ( SELECT (NULLIF(current_setting('app.user_id'::text, true), ''::text))::integer AS \"nullif\")))",
            "(public OR (tenant_id IS NOT NULL))",
            "(\"Größe é\" >= 1.5) AND (x.\"we\"\"ird\" <> E'it\\'s \\\\ ok') AND ('don''t' = 'ünï')",
            "arr[1] = ANY (ARRAY[1, 2]) AND a->>'k' ~~ 'x%' AND b @> '{}'::jsonb AND c !~* '$'",
            "3.14 + .5 - 2. * 1e10 / $1 || e'\\x' || E'",
            "x = 'unterminated",
            "\"unterminated",
            "E'ends in a backslash \\",
            "tenant_id = 1 ; DROP TABLE t",
            "日本語 = 'データ' AND ÿ$ = 1",
            "",
            "   ",
            "[",
            "a.b.c.d(e, f)::g[]",
        ];
        for e in cases {
            assert_eq!(tokenize(e), tokenize_by_chars(e), "{e}");
        }
        // eight are expressions; the unterminated, the `;` and the blank are not
        let lexed = cases
            .iter()
            .filter(|e| tokenize(e).is_some_and(|t| !t.is_empty()));
        assert_eq!(lexed.count(), 8);
        assert_eq!(
            tokenize(cases[3]).map(|t| t[1].clone()),
            Some(Tok::Ident("Größe é".into()))
        );
        // every prefix and suffix of the awkward ones, at character boundaries
        for e in cases {
            for (k, _) in e.char_indices() {
                assert_eq!(tokenize(&e[..k]), tokenize_by_chars(&e[..k]), "{}", &e[..k]);
                assert_eq!(tokenize(&e[k..]), tokenize_by_chars(&e[k..]), "{}", &e[k..]);
            }
        }
    }

    #[test]
    fn plain_and_parenthesised_true() {
        for e in [
            "true",
            "(true)",
            "((true))",
            "TRUE",
            "'t'::boolean",
            "(1 = 1)",
            "1 = 1",
        ] {
            assert_eq!(constant_value(e), Some(true), "{e}");
        }
    }

    #[test]
    fn or_true_anywhere_makes_it_true() {
        assert_eq!(constant_value("((tenant_id = 1) OR true)"), Some(true));
        assert_eq!(
            constant_value("(true OR (owner_id = auth.uid()))"),
            Some(true)
        );
        assert_eq!(
            constant_value("((tenant_id = 1) OR ((x > 2) AND false) OR (1 = 1))"),
            Some(true)
        );
    }

    #[test]
    fn constants_compared_by_value() {
        assert_eq!(constant_value("('a'::text = 'a'::text)"), Some(true));
        assert_eq!(constant_value("('a'::text = 'b'::text)"), Some(false));
        assert_eq!(constant_value("(1 <> 2)"), Some(true));
        assert_eq!(constant_value("((1)::integer = 1)"), Some(true));
        assert_eq!(constant_value("(NOT false)"), Some(true));
        assert_eq!(constant_value("(true AND (2 >= 2))"), Some(true));
    }

    #[test]
    fn anything_reading_data_is_unknown() {
        for e in [
            "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)",
            "(tenant_id = tenant_id)",
            "((tenant_id = 1) AND true)",
            "(owner_id = auth.uid())",
            "(x OR false)",
            "current_setting('app.open'::text)::boolean",
            "(1 < 2)",
            "",
        ] {
            assert_eq!(constant_value(e), None, "{e}");
        }
        assert!(!is_constant_true(None));
    }

    #[test]
    fn false_is_false_not_true() {
        assert_eq!(constant_value("false"), Some(false));
        assert_eq!(constant_value("((x = 1) AND false)"), Some(false));
        assert!(!is_constant_true(Some("false")));
    }

    #[test]
    fn quoted_text_cannot_fake_keywords() {
        assert_eq!(constant_value("(name = 'x OR true'::text)"), None);
        assert_eq!(constant_value("(\"OR\" = 1)"), None);
        assert_eq!(constant_value("'it''s'::text = 'it''s'::text"), Some(true));
    }

    #[test]
    fn calls_know_whether_they_are_wrapped() {
        let c = calls("(owner_id = auth.uid())");
        assert_eq!(
            c,
            vec![Call {
                schema: Some("auth".into()),
                name: "uid".into(),
                args: 0,
                in_subselect: false
            }]
        );
        let c = calls("(owner_id = ( SELECT auth.uid() AS uid))");
        assert_eq!(c.len(), 1);
        assert!(c[0].in_subselect);
    }

    #[test]
    fn calls_count_arguments() {
        let c = calls("(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)");
        let cs: Vec<_> = c.iter().map(|c| (c.name.as_str(), c.args)).collect();
        assert_eq!(cs, vec![("NULLIF", 2), ("current_setting", 2)]);
        let c = calls("((tenant)::text = current_setting('app.tenant'::text))");
        assert_eq!(c[0].args, 1);
        // casts with type modifiers are not calls
        assert!(calls("((x)::numeric(10,2) > (0)::numeric)").is_empty());
        assert_eq!(
            calls("(f(g(1, 2), 3) AND h())")
                .iter()
                .map(|c| c.args)
                .collect::<Vec<_>>(),
            vec![2, 2, 0]
        );
    }

    #[test]
    fn malformed_text_is_unknown() {
        for e in ["(true", "true)", "'open", "OR true", "true OR", "(())"] {
            assert_eq!(constant_value(e), None, "{e}");
        }
    }
}
