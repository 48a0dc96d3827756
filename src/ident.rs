//! Identifier quoting with PostgreSQL's own rules (`quote_ident`).
//!
//! Every name that rls_audit writes into SQL text (restore scripts,
//! `policy_ddl`) goes through [`quote_ident`]; nothing is spliced raw. It is a
//! pure function so the rules are unit-tested without a server, and a
//! `#[pg_test]` checks it against the server's own `quote_ident` for every
//! keyword the server knows.

/// Keywords that `quote_ident` must quote: every keyword PostgreSQL does not
/// class as unreserved. The list is PostgreSQL 15's, plus the few words that
/// 16 and 17 promoted; quoting one of those on an older server is harmless,
/// leaving one bare on a newer server would not be.
const QUOTED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// True when `ident` can be written without double quotes.
fn is_bare_safe(ident: &str) -> bool {
    let mut chars = ident.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return false;
    }
    QUOTED_KEYWORDS.binary_search(&ident).is_err()
}

/// Quote an identifier exactly when PostgreSQL's `quote_ident` would.
pub(crate) fn quote_ident(ident: &str) -> String {
    if is_bare_safe(ident) {
        return ident.to_string();
    }
    let mut out = String::with_capacity(ident.len() + 2);
    out.push('"');
    for c in ident.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `schema.name`, each part quoted.
pub(crate) fn quote_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A string literal for generated SQL. Standard-conforming strings are on by
/// default since 9.1; a backslash makes us switch to the E'' form so the
/// literal means the same whatever that setting is.
pub(crate) fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    if value.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn keyword_list_is_sorted_for_binary_search() {
        let mut sorted = QUOTED_KEYWORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, QUOTED_KEYWORDS);
    }

    #[test]
    fn plain_lowercase_names_stay_bare() {
        assert_eq!(quote_ident("tenant_id"), "tenant_id");
        assert_eq!(quote_ident("_x9"), "_x9");
        // unreserved keywords need no quotes
        assert_eq!(quote_ident("policy"), "policy");
        assert_eq!(quote_ident("tables"), "tables");
    }

    #[test]
    fn capitals_spaces_quotes_and_unicode_are_quoted() {
        assert_eq!(quote_ident("Tenant"), "\"Tenant\"");
        assert_eq!(quote_ident("Role With Space"), "\"Role With Space\"");
        assert_eq!(quote_ident("forms \"v2\""), "\"forms \"\"v2\"\"\"");
        assert_eq!(quote_ident("Intake Ω"), "\"Intake Ω\"");
        assert_eq!(quote_ident("ωmega"), "\"ωmega\"");
        assert_eq!(quote_ident("9lives"), "\"9lives\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("a-b"), "\"a-b\"");
    }

    #[test]
    fn reserved_and_column_name_keywords_are_quoted() {
        for kw in [
            "select", "user", "table", "order", "check", "between", "true", "all",
        ] {
            assert_eq!(quote_ident(kw), format!("\"{kw}\""), "{kw}");
        }
    }

    #[test]
    fn qualified_names_quote_each_part() {
        assert_eq!(
            quote_qualified("Intake Ω", "forms \"v2\""),
            "\"Intake Ω\".\"forms \"\"v2\"\"\""
        );
        assert_eq!(quote_qualified("public", "t"), "public.t");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(quote_literal(""), "''");
    }
}
