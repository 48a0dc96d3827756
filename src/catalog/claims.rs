//! Claims: a setting the application sets per request (a dot in its
//! name, not the tenant setting) that a policy's term compares with a
//! column, a constant or a sub-select's rows. A request of one tenant
//! that sets it to another tenant's value reaches that tenant's rows,
//! which no probed tenant's settings do: `OR owner_id =
//! current_setting('app.user_id', true)::int`, `OR current_setting(
//! 'app.support', true) = 'on'`, `OR org_id IN (SELECT org_id FROM
//! members WHERE user_id = auth.uid())`. [`claim_term`] reads such a term
//! into the rows it may reach and the SQL of the value that reaches each
//! ([`ReachClaim`]); [`read_claims`] and [`claim_values`] are the reads'.

use super::*;

/// The terms of the permissive SELECT (and ALL) policies for `role` of
/// each table (OID, tenant column) that compare a column with a setting
/// the application sets per request ([`ReachClaim`], as a DELETE policy's
/// in [`check_variants`]): `OR owner_id = current_setting('app.user_id',
/// true)::int` shows a request of tenant 1 that sets it to 105 the rows
/// of owner 105, whoever's tenant they are.
pub(crate) fn read_claims(
    c: &SpiClient<'_>,
    tables: &[(u32, &str)],
    role: &str,
    search_path: Option<&str>,
    setting: &str,
) -> Result<std::collections::BTreeMap<u32, Vec<ReachClaim>>> {
    let mut out: std::collections::BTreeMap<u32, Vec<ReachClaim>> = Default::default();
    if tables.is_empty() {
        return Ok(out);
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|(o, _)| pg_sys::Oid::from(*o)).collect();
    let Some(as_role) = AsRole::new(role, search_path) else {
        return Ok(out);
    };
    let setting = setting.to_lowercase();
    let mut scratch = pgrx::PgMemoryContexts::new("rls_audit read claims");
    let trees = policy_trees(c, oids, role)?;
    let passing = passing(&trees, tables, &["r", "*"], &as_role, &setting);
    // (a restrictive policy's terms too: `OR owner_id = current_setting(
    // 'app.user_id', true)::int` there lets a request that sets it see
    // rows of others a permissive policy passes, `OR is_public`)
    for PolicyTree {
        table,
        qual,
        cmd,
        permissive,
        ..
    } in trees
    {
        let (Some(qual), true) = (qual, matches!(cmd.as_str(), "r" | "*")) else {
            continue;
        };
        let Some(column) = tables.iter().find(|(o, _)| *o == table).map(|(_, c)| *c) else {
            continue;
        };
        let (Ok(text), Ok(name)) = (std::ffi::CString::new(qual), std::ffi::CString::new(column))
        else {
            continue;
        };
        let relid = pg_sys::Oid::from(table);
        // SAFETY: a catalog cache lookup of the column; the catalog's own
        // node text, read into a tree in the scratch context and only
        // walked (the claims are Rust strings)
        let claims = unsafe {
            let tenant = pg_sys::get_attnum(relid, name.as_ptr());
            let claims = scratch.switch_to(|_| {
                let node = pg_sys::stringToNode(text.as_ptr()).cast::<pg_sys::Node>();
                reach_terms(node, relid, tenant, &as_role, &setting)
            });
            scratch.reset();
            claims
        };
        let out = out.entry(table).or_default();
        for claim in claims.into_iter().filter_map(|(_, _, _, claim)| claim) {
            let claim = claim.within(passing.get(&table), !permissive);
            if !out.contains(&claim) && out.len() < REACH_TERMS {
                out.push(claim);
            }
        }
    }
    Ok(out)
}

/// The terms of a table's other policies a claim's rows must pass for a
/// value of its setting to reach them ([`ReachClaim::within`]).
#[derive(Default)]
pub(super) struct Passing {
    /// its restrictive policies' USING terms that the caller may
    /// evaluate as the role would (`tenant_id = … OR NOT archived`):
    /// without them the value of a row they hold back reaches nothing
    held: Vec<String>,
    /// its permissive policies' USING terms, each one the caller may
    /// evaluate (else none): a restrictive policy's claim (`OR owner_id =
    /// current_setting('app.user_id', true)::int`) reaches a row only
    /// where one of them passes it (`OR is_public`)
    permitted: Option<Vec<String>>,
}

/// For each of `tables` (OID, tenant column), the [`Passing`] terms of its
/// policies for `role` of the commands `cmds` (`r`, `*`): those that read
/// no setting but the tenant's `setting`, nothing the caller must not run
/// (a table with row-level security, the application's code).
pub(super) fn passing(
    trees: &[PolicyTree],
    tables: &[(u32, &str)],
    cmds: &[&str],
    role: &AsRole,
    setting: &str,
) -> std::collections::BTreeMap<u32, Passing> {
    let mut out: std::collections::BTreeMap<u32, Passing> = Default::default();
    let mut scratch = pgrx::PgMemoryContexts::new("rls_audit passing");
    for tree in trees {
        let (Some(qual), true) = (tree.qual.as_deref(), cmds.contains(&tree.cmd.as_str())) else {
            continue;
        };
        let Some(column) = tables
            .iter()
            .find(|(o, _)| *o == tree.table)
            .map(|(_, c)| *c)
        else {
            continue;
        };
        let (Ok(text), Ok(name)) = (std::ffi::CString::new(qual), std::ffi::CString::new(column))
        else {
            continue;
        };
        let relid = pg_sys::Oid::from(tree.table);
        // SAFETY: a catalog cache lookup of the column; the catalog's own
        // node text, read into a tree in the scratch context, walked and
        // printed
        let term = unsafe {
            let tenant = pg_sys::get_attnum(relid, name.as_ptr());
            let term = scratch.switch_to(|_| {
                let node = pg_sys::stringToNode(text.as_ptr()).cast::<pg_sys::Node>();
                let mut seen = Reach::new(tenant);
                reach_walk(node, (&mut seen as *mut Reach).cast());
                let settings = settings_in(node, true);
                if seen.role || settings.iter().any(|s| s != setting) {
                    return None;
                }
                printed_term(as_role(node, role), relid, 0).map(|t| format!("({t})"))
            });
            scratch.reset();
            term
        };
        let passing = out.entry(tree.table).or_insert_with(|| Passing {
            held: Vec::new(),
            permitted: Some(Vec::new()),
        });
        match (tree.permissive, term) {
            (false, Some(term)) if !passing.held.contains(&term) => passing.held.push(term),
            (false, _) => {}
            (true, Some(term)) => {
                if let Some(permitted) = passing.permitted.as_mut() {
                    permitted.push(term);
                }
            }
            (true, None) => passing.permitted = None,
        }
    }
    out
}

/// The values of the settings of `claim` (a term of table `relation`,
/// quoted and qualified, tenant column `col`) that reach rows of tenants
/// other than `tenant`: for each setting, the value of a row of each of up
/// to 3 other tenants that pass the term (2 when it may read several),
/// read as the caller with the tenant setting `setting` at `tenant` and
/// row security off; none when the table's policies would apply to the
/// caller.
pub(crate) fn claim_values(
    relation: &str,
    col: &str,
    setting: &str,
    tenant: &str,
    claim: &ReachClaim,
) -> Vec<(String, String)> {
    let most = if claim.givens.len() > 1 { 2 } else { 3 };
    let col = crate::ident::quote_ident(col);
    let (Ok(setting), Ok(tenant)) = (
        std::ffi::CString::new(setting),
        std::ffi::CString::new(tenant),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, given) in &claim.givens {
        let Ok(sql) = std::ffi::CString::new(format!(
            "SELECT g.g FROM (SELECT DISTINCT ON (rls_audit_row.{col}::pg_catalog.text) {given} AS g
               FROM {relation} rls_audit_row
              WHERE (rls_audit_row.{col}::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)) IS NOT TRUE
                AND {term}
              ORDER BY rls_audit_row.{col}::pg_catalog.text, 1 LIMIT {most}) g",
            term = claim.term
        )) else {
            continue;
        };
        let values = crate::shadow::rolled_back(|| {
            // SAFETY: SPI is connected (the caller's client); a plain
            // SELECT with every name qualified, in a rolled-back
            // subtransaction (the settings go with it)
            unsafe {
                crate::shadow::set_local(c"row_security", Some(c"off"));
                crate::shadow::set_local(&setting, Some(&tenant));
                crate::shadow::select_text_over(&sql, &[tenant.to_string_lossy().into_owned()])
            }
        });
        for v in values
            .into_iter()
            .flatten()
            .filter_map(|mut r| r.pop().flatten())
        {
            // (several settings at once, one of them NULL: none)
            if claim_sets(name, &v).is_empty() {
                continue;
            }
            // (a constant's is the same for every tenant)
            let v = (name.clone(), v);
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The settings `n` reads as a whole, ones the application sets per
/// request (a dot in the name, not the tenant setting `tenant`), each
/// with the path of keys of a JSON object it reads them by, outermost
/// first: under casts, `NULLIF(…, '')` and `COALESCE` (each of its
/// arguments; `NULLIF(current_setting('app.user_id', true), '')::int`),
/// keys of it read as JSON (`(current_setting('request.jwt.claims',
/// true)::jsonb -> 'app_metadata' ->> 'org')::uuid`: `org`, then
/// `app_metadata`), or a function of the application's of no column
/// that reads no table, whose body names them (`auth.uid()`; `auth.jwt()
/// ->> 'role'`): each setting it names, by those keys, else as it is and
/// as a JSON object of each of (at most two of) its body's other string
/// literals. Four at most; none for anything else.
unsafe fn claim_reads(n: *mut pg_sys::Node, tenant: &str) -> Vec<(String, Vec<String>)> {
    // SAFETY: a node of a tree being walked, only read
    let mut out = unsafe { claim_reads_by(n, tenant, Vec::new()) };
    out.truncate(4);
    out
}

/// [`claim_reads`] of `n`, read by the keys `path` above it.
unsafe fn claim_reads_by(
    mut n: *mut pg_sys::Node,
    tenant: &str,
    mut path: Vec<String>,
) -> Vec<(String, Vec<String>)> {
    let claimable = |name: &String| name.contains('.') && name != tenant;
    // SAFETY: a node of a tree being walked, only read
    unsafe {
        loop {
            n = under_casts(n);
            if n.is_null() {
                return Vec::new();
            }
            let args = match (*n).type_ {
                pg_sys::NodeTag::T_NullIfExpr => (*n.cast::<pg_sys::OpExpr>()).args,
                // (each of its arguments: `COALESCE(current_setting(
                // 'request.jwt.claim.sub', true), current_setting(
                // 'request.jwt.claims', true)::jsonb ->> 'sub')`)
                pg_sys::NodeTag::T_CoalesceExpr => {
                    let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                        (*n.cast::<pg_sys::CoalesceExpr>()).args,
                    );
                    let mut out = Vec::new();
                    for arg in args.iter_ptr() {
                        for read in claim_reads_by(arg, tenant, path.clone()) {
                            if !out.contains(&read) {
                                out.push(read);
                            }
                        }
                    }
                    return out;
                }
                pg_sys::NodeTag::T_FuncExpr
                    if (*n.cast::<pg_sys::FuncExpr>()).funcformat
                        == pg_sys::CoercionForm::COERCE_EXPLICIT_CAST =>
                {
                    (*n.cast::<pg_sys::FuncExpr>()).args
                }
                // (a key of the setting read as JSON, `->> 'sub'`, and
                // the objects above it, `-> 'app_metadata'`)
                pg_sys::NodeTag::T_OpExpr
                    if matches!(
                        (
                            operator_name((*n.cast::<pg_sys::OpExpr>()).opno).as_str(),
                            path.is_empty()
                        ),
                        ("->>", true) | ("->", false)
                    ) =>
                {
                    let args =
                        pgrx::PgList::<pg_sys::Node>::from_pg((*n.cast::<pg_sys::OpExpr>()).args);
                    let Some(k) = args.get_ptr(1) else {
                        return Vec::new();
                    };
                    let c = k.cast::<pg_sys::Const>();
                    if (*k).type_ != pg_sys::NodeTag::T_Const
                        || (*c).constisnull
                        || (*c).consttype != pg_sys::TEXTOID
                    {
                        return Vec::new();
                    }
                    let Some(key) = String::from_datum((*c).constvalue, false) else {
                        return Vec::new();
                    };
                    path.push(key);
                    (*n.cast::<pg_sys::OpExpr>()).args
                }
                _ => break,
            };
            n = pgrx::PgList::<pg_sys::Node>::from_pg(args)
                .get_ptr(0)
                .unwrap_or(std::ptr::null_mut());
        }
        if let Some(name) = setting_named(n).filter(claimable) {
            return vec![(name, path)];
        }
        // (an application's function of constants alone, as its own
        // value: `auth.uid()`)
        if (*n).type_ != pg_sys::NodeTag::T_FuncExpr
            || (*n.cast::<pg_sys::FuncExpr>()).funcid.to_u32() < pg_sys::FirstNormalObjectId
            || pg_sys::contain_var_clause(n)
            || pg_sys::checkExprHasSubLink(n)
        {
            return Vec::new();
        }
        let Some(body) = live::with_proc((*n.cast::<pg_sys::FuncExpr>()).funcid, |_, text| {
            text(pg_sys::Anum_pg_proc_prosrc)
        })
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned()) else {
            return Vec::new();
        };
        if crate::candidates::may_read_a_table(&body) {
            return Vec::new();
        }
        let settings: Vec<String> = crate::candidates::settings_named_in(&body)
            .into_iter()
            .filter(claimable)
            .collect();
        // (read by keys: the function returns the claims, `auth.jwt()`)
        if !path.is_empty() {
            return settings.into_iter().map(|s| (s, path.clone())).collect();
        }
        let keys: Vec<String> = crate::candidates::literals_in(&body)
            .into_iter()
            .filter(|k| !k.is_empty() && !settings.iter().any(|s| k.eq_ignore_ascii_case(s)))
            .take(2)
            .collect();
        settings
            .into_iter()
            .flat_map(|s| {
                std::iter::once((s.clone(), Vec::new()))
                    .chain(keys.iter().map(move |k| (s.clone(), vec![k.clone()])))
            })
            .collect()
    }
}

/// A setting a reach term compares a column or a constant with, one the
/// application sets per request: `owner_id = current_setting(
/// 'app.user_id', true)::int` reaches another tenant's row of owner 105
/// for a request that sets `app.user_id` to 105, `current_setting(
/// 'app.support', true) = 'on'` every row for one that sets it to `on`;
/// no probed tenant's settings do either.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReachClaim {
    /// the term with that comparison `col IS NOT NULL` (`true` for a
    /// constant's): the rows it may reach for some value of the setting
    pub(crate) term: String,
    /// each setting it may read (lowercased) and the SQL of the table's
    /// row (`rls_audit_row`) giving it the value that reaches the row:
    /// `(rls_audit_row.owner_id)::pg_catalog.text`, or a JSON object of
    /// the key, `pg_catalog.json_build_object('sub',
    /// rls_audit_row.owner_id)::pg_catalog.text`; the constant for a
    /// constant's, `('on'::pg_catalog.text)::pg_catalog.text`
    pub(crate) givens: Vec<(String, String)>,
}

impl ReachClaim {
    /// The claim with its rows also passing the restrictive policies'
    /// terms of `passing` the caller may evaluate, and, for a claim of a
    /// restrictive policy's term (`restrictive`), one of the permissive
    /// policies' terms, when the caller may evaluate each.
    pub(super) fn within(mut self, passing: Option<&Passing>, restrictive: bool) -> Self {
        let Some(passing) = passing else {
            return self;
        };
        let mut terms = vec![self.term.clone()];
        terms.extend(passing.held.iter().cloned());
        match (&passing.permitted, restrictive) {
            (Some(permitted), true) if !permitted.is_empty() => {
                terms.push(format!("({})", permitted.join(" OR ")));
            }
            _ => {}
        }
        if terms.len() > 1 {
            self.term = format!("({})", terms.join(" AND "));
        }
        self
    }
}

/// What a claimed setting is compared with ([`claim_term`]).
enum ClaimSide {
    /// a column of the table (or an expression of its columns alone,
    /// `lower(email)`), or of a table a sub-select of the term reads,
    /// under casts: the comparison's node for it
    Column(*mut pg_sys::Node),
    /// the output of the sub-select the setting is compared with by `IN`
    /// (`current_setting('app.user_id', true)::int IN (SELECT user_id
    /// FROM members WHERE org_id = docs.org_id)`)
    Output,
    /// a constant, as its type's output prints it (`true` for a boolean
    /// setting read as it is, `current_setting('app.admin',
    /// true)::boolean`)
    Constant(String),
}

/// The first comparison of reach term `term`, at its own level or in
/// the WHERE of a sub-select of it, of a setting the application sets per
/// request ([`claim_reads`]) with a column (`col = <setting>`) or a
/// constant (`<setting> = 'on'`, `IN ('on', 'yes')`, a boolean setting
/// alone, `NOT` one), or of such a setting `IN` a sub-select: the term
/// with it `col IS NOT NULL` (a constant's: `true`; `IN` a sub-select:
/// `EXISTS` of it), and the settings with the SQL of a row that gives
/// each the value that passes it ([`ReachClaim`]). A sub-select's column
/// gives the value of one of its rows that passes the sub-select for the
/// row (`org_id IN (SELECT org_id FROM members WHERE user_id = auth.uid())`:
/// `(SELECT user_id FROM members WHERE user_id IS NOT NULL AND org_id =
/// rls_audit_row.org_id LIMIT 1)`). None when it has none.
pub(super) unsafe fn claim_term(
    term: *mut pg_sys::Node,
    relid: pg_sys::Oid,
    tenant: &str,
    path: &std::ffi::CStr,
) -> Option<(*mut pg_sys::Node, Vec<(String, String)>)> {
    /// the comparison, what it compares the settings with, the settings
    /// and their keys, and the sub-select it is in (null at the term's
    /// own level)
    type Hit = (
        *mut pg_sys::Node,
        ClaimSide,
        Vec<(String, Vec<String>)>,
        *mut pg_sys::SubLink,
    );
    struct Found<'a> {
        tenant: &'a str,
        hit: Option<Hit>,
        /// the sub-select being walked, null at the term's own level
        sublink: *mut pg_sys::SubLink,
    }
    /// the constant `n` is under casts, as its type's output prints it
    unsafe fn constant(n: *mut pg_sys::Node) -> Option<String> {
        // SAFETY: as typed_constant
        unsafe { typed_constant(n).map(|(value, _)| value) }
    }
    /// the constant `n` is under casts, as its type's output prints it,
    /// and that type
    unsafe fn typed_constant(n: *mut pg_sys::Node) -> Option<(String, pg_sys::Oid)> {
        // SAFETY: a node of the tree being walked, only read
        unsafe {
            let n = under_casts(n);
            if n.is_null() || (*n).type_ != pg_sys::NodeTag::T_Const {
                return None;
            }
            let c = n.cast::<pg_sys::Const>();
            (!(*c).constisnull)
                .then(|| (print_datum((*c).consttype, (*c).constvalue), (*c).consttype))
        }
    }
    /// the first element of the array `n` is (`IN (7, 9)`'s list)
    unsafe fn first_element(n: *mut pg_sys::Node) -> Option<String> {
        // SAFETY: a node of the tree being walked, only read
        unsafe {
            let n = under_casts(n);
            if n.is_null() {
                return None;
            }
            match (*n).type_ {
                pg_sys::NodeTag::T_ArrayExpr => {
                    let elements = pgrx::PgList::<pg_sys::Node>::from_pg(
                        (*n.cast::<pg_sys::ArrayExpr>()).elements,
                    );
                    let first = elements.iter_ptr().find_map(|e| constant(e));
                    first
                }
                pg_sys::NodeTag::T_Const if !(*n.cast::<pg_sys::Const>()).constisnull => {
                    let c = n.cast::<pg_sys::Const>();
                    let elem = pg_sys::get_element_type((*c).consttype);
                    if elem == pg_sys::InvalidOid {
                        return None;
                    }
                    array_texts((*c).constvalue, elem).into_iter().next()
                }
                _ => None,
            }
        }
    }
    /// whether `n` is a boolean that may be a setting read as it is: a
    /// cast (or a function, a COALESCE) of type boolean (not a List, whose
    /// type PostgreSQL's `exprType` refuses)
    unsafe fn boolean_read(n: *mut pg_sys::Node) -> bool {
        // SAFETY: a node of the tree being walked, only read
        unsafe {
            matches!(
                (*n).type_,
                pg_sys::NodeTag::T_CoerceViaIO
                    | pg_sys::NodeTag::T_FuncExpr
                    | pg_sys::NodeTag::T_RelabelType
                    | pg_sys::NodeTag::T_CoalesceExpr
                    | pg_sys::NodeTag::T_NullIfExpr
            ) && pg_sys::exprType(n) == pg_sys::BOOLOID
        }
    }
    /// a comparison `n` of a setting a request sets with a constant, on
    /// either side (`<setting> >= 5`, `5 <= <setting>`), or its opposite
    /// when `negate` (`NOT (<setting> = 'guest')`): a value of the setting
    /// past the constant that passes it ([`values_passing`]) and the
    /// settings it may read
    unsafe fn passing_constant(
        n: *mut pg_sys::Node,
        negate: bool,
        tenant: &str,
    ) -> Option<(String, Reads)> {
        // SAFETY: a node of the tree being walked, only read
        unsafe {
            if n.is_null() || (*n).type_ != pg_sys::NodeTag::T_OpExpr {
                return None;
            }
            let args = pgrx::PgList::<pg_sys::Node>::from_pg((*n.cast::<pg_sys::OpExpr>()).args);
            let (Some(l), Some(r)) = (args.get_ptr(0), args.get_ptr(1)) else {
                return None;
            };
            let name = operator_name((*n.cast::<pg_sys::OpExpr>()).opno);
            // (the setting on the left: `5 <= s` is `s >= 5`)
            let flipped = match name.as_str() {
                "<" => Some(">"),
                ">" => Some("<"),
                "<=" => Some(">="),
                ">=" => Some("<="),
                "<>" => Some("<>"),
                "=" => Some("="),
                _ => None,
            };
            for (read, side, name) in [(l, r, Some(name.as_str())), (r, l, flipped)] {
                let (Some(name), Some((value, typ))) = (name, typed_constant(side)) else {
                    continue;
                };
                let name = match negate {
                    true => negated(name),
                    false => name.to_string(),
                };
                let Some(value) = values_passing(&name, &value, kind_of(typ))
                    .into_iter()
                    .next()
                else {
                    continue;
                };
                let reads = claim_reads(read, tenant);
                if !reads.is_empty() {
                    return Some((value, reads));
                }
            }
            None
        }
    }
    /// what makes `NOT n` (`n IS FALSE`) hold for a setting a request
    /// sets: a boolean setting read as it is `false`, a comparison of one
    /// with a constant its opposite's value
    unsafe fn negation(n: *mut pg_sys::Node, tenant: &str) -> Option<(String, Reads)> {
        // SAFETY: a node of the tree being walked, only read
        unsafe {
            if n.is_null() {
                return None;
            }
            if boolean_read(n) {
                let reads = claim_reads(n, tenant);
                return (!reads.is_empty()).then(|| ("false".to_string(), reads));
            }
            passing_constant(n, true, tenant)
        }
    }
    unsafe extern "C-unwind" fn find(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of the tree being walked; ctx is claim_term's
        // Found
        unsafe {
            let found = &mut *ctx.cast::<Found<'_>>();
            match (*node).type_ {
                pg_sys::NodeTag::T_Query => return false,
                pg_sys::NodeTag::T_OpExpr if is_equality((*node.cast::<pg_sys::OpExpr>()).opno) => {
                    let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                        (*node.cast::<pg_sys::OpExpr>()).args,
                    );
                    if let (Some(l), Some(r)) = (args.get_ptr(0), args.get_ptr(1)) {
                        for (side, read) in [(l, r), (r, l)] {
                            let column = match found.sublink.is_null() {
                                true => column_var(side).is_some() || row_expression(side),
                                false => var_under(side).is_some() || sub_expression(side),
                            };
                            let side = if column {
                                ClaimSide::Column(side)
                            } else if let Some(value) = constant(side) {
                                ClaimSide::Constant(value)
                            } else {
                                continue;
                            };
                            let reads = claim_reads(read, found.tenant);
                            if !reads.is_empty() {
                                found.hit = Some((node, side, reads, found.sublink));
                                return true;
                            }
                        }
                    }
                }
                // (`<setting> >= 5`, `<> 'guest'`, `LIKE 'adm%'`: a value
                // past the constant that passes, as a check's column is
                // given one, [`values_passing`])
                pg_sys::NodeTag::T_OpExpr => {
                    if let Some((value, reads)) = passing_constant(node, false, found.tenant) {
                        found.hit = Some((node, ClaimSide::Constant(value), reads, found.sublink));
                        return true;
                    }
                }
                // (`<setting> IN ('on', 'yes')`: its first)
                pg_sys::NodeTag::T_ScalarArrayOpExpr
                    if (*node.cast::<pg_sys::ScalarArrayOpExpr>()).useOr
                        && is_equality((*node.cast::<pg_sys::ScalarArrayOpExpr>()).opno) =>
                {
                    let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                        (*node.cast::<pg_sys::ScalarArrayOpExpr>()).args,
                    );
                    if let (Some(read), Some(Some(value))) =
                        (args.get_ptr(0), args.get_ptr(1).map(|a| first_element(a)))
                    {
                        let reads = claim_reads(read, found.tenant);
                        if !reads.is_empty() {
                            found.hit =
                                Some((node, ClaimSide::Constant(value), reads, found.sublink));
                            return true;
                        }
                    }
                }
                // a sub-select of the term's own level: `<setting> IN
                // (SELECT …)`, or a comparison in its WHERE
                pg_sys::NodeTag::T_SubLink if found.sublink.is_null() => {
                    let link = node.cast::<pg_sys::SubLink>();
                    let query = (*link).subselect.cast::<pg_sys::Query>();
                    let exists = (*link).subLinkType == pg_sys::SubLinkType::EXISTS_SUBLINK;
                    if !simple_query(query, exists) {
                        return pg_sys::expression_tree_walker(node, Some(find), ctx);
                    }
                    let test = (*link).testexpr;
                    if (*link).subLinkType == pg_sys::SubLinkType::ANY_SUBLINK
                        && !test.is_null()
                        && (*test).type_ == pg_sys::NodeTag::T_OpExpr
                        && is_equality((*test.cast::<pg_sys::OpExpr>()).opno)
                    {
                        let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                            (*test.cast::<pg_sys::OpExpr>()).args,
                        );
                        if let (Some(l), Some(r)) = (args.get_ptr(0), args.get_ptr(1)) {
                            for (output, read) in [(l, r), (r, l)] {
                                let output = under_casts(output);
                                if output.is_null() || (*output).type_ != pg_sys::NodeTag::T_Param {
                                    continue;
                                }
                                let reads = claim_reads(read, found.tenant);
                                if !reads.is_empty() {
                                    found.hit = Some((node, ClaimSide::Output, reads, link));
                                    return true;
                                }
                            }
                        }
                    }
                    if matches!(
                        (*link).subLinkType,
                        pg_sys::SubLinkType::ANY_SUBLINK | pg_sys::SubLinkType::EXISTS_SUBLINK
                    ) {
                        found.sublink = link;
                        if find((*(*query).jointree).quals, ctx) {
                            return true;
                        }
                        let found = &mut *ctx.cast::<Found<'_>>();
                        found.sublink = std::ptr::null_mut();
                    }
                }
                // (`NOT current_setting('app.readonly', true)::boolean`)
                pg_sys::NodeTag::T_BoolExpr
                    if (*node.cast::<pg_sys::BoolExpr>()).boolop
                        == pg_sys::BoolExprType::NOT_EXPR =>
                {
                    let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                        (*node.cast::<pg_sys::BoolExpr>()).args,
                    );
                    if let Some((value, reads)) =
                        args.get_ptr(0).and_then(|a| negation(a, found.tenant))
                    {
                        found.hit = Some((node, ClaimSide::Constant(value), reads, found.sublink));
                        return true;
                    }
                    // (nothing under any other NOT: `col IS NOT NULL` there
                    // would pass fewer rows, not more, than the term does
                    // for some value; the term stays a plain reach term)
                    return false;
                }
                // (`(<setting> = 'on') IS TRUE` as the comparison;
                // `current_setting('app.readonly', true)::boolean IS NOT
                // TRUE`, `(<setting> = 'guest') IS FALSE` as NOT; nothing
                // under IS [NOT] UNKNOWN)
                pg_sys::NodeTag::T_BooleanTest => {
                    let test = node.cast::<pg_sys::BooleanTest>();
                    match (*test).booltesttype {
                        pg_sys::BoolTestType::IS_TRUE | pg_sys::BoolTestType::IS_NOT_FALSE => {
                            return pg_sys::expression_tree_walker(node, Some(find), ctx);
                        }
                        pg_sys::BoolTestType::IS_FALSE | pg_sys::BoolTestType::IS_NOT_TRUE => {
                            if let Some((value, reads)) = negation((*test).arg.cast(), found.tenant)
                            {
                                found.hit =
                                    Some((node, ClaimSide::Constant(value), reads, found.sublink));
                                return true;
                            }
                        }
                        _ => {}
                    }
                    return false;
                }
                // (a boolean setting as it is: `OR current_setting(
                // 'app.admin', true)::boolean`)
                _ if boolean_read(node) => {
                    let reads = claim_reads(node, found.tenant);
                    if !reads.is_empty() {
                        found.hit = Some((
                            node,
                            ClaimSide::Constant("true".into()),
                            reads,
                            found.sublink,
                        ));
                        return true;
                    }
                }
                _ => {}
            }
            pg_sys::expression_tree_walker(node, Some(find), ctx)
        }
    }
    unsafe extern "C-unwind" fn swap(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        // SAFETY: a node of the tree being copied; ctx is the comparison
        // and its replacement
        unsafe {
            let (from, to) = *ctx.cast::<(*mut pg_sys::Node, *mut pg_sys::Node)>();
            if node == from {
                return to;
            }
            if node.is_null() {
                return node;
            }
            if (*node).type_ == pg_sys::NodeTag::T_Query {
                return query_mutator(node.cast(), swap, ctx).cast();
            }
            expression_mutator(node, swap, ctx)
        }
    }
    let mut found = Found {
        tenant,
        hit: None,
        sublink: std::ptr::null_mut(),
    };
    let replaced = |node: *mut pg_sys::Node, from: *mut pg_sys::Node, to: *mut pg_sys::Node| {
        let mut ctx = (from, to);
        // SAFETY: a copy of the caller's tree with `from` replaced
        unsafe {
            swap(
                node,
                (&mut ctx as *mut (*mut pg_sys::Node, *mut pg_sys::Node)).cast(),
            )
        }
    };
    // SAFETY: the caller's term, walked, then copied with the comparison
    // replaced by a NullTest of a copy of its column side (a constant's
    // by `true`); again for each further comparison
    unsafe {
        // (`col = (SELECT …)` read as `col IN (SELECT …)`: the same rows
        // where the sub-select gives one)
        // (an application's SQL function read as its body: `org_id =
        // app.current_org()` as `org_id = (SELECT org_id FROM profiles
        // WHERE id = auth.uid())`)
        let term = super::inline::inlined(term, path);
        let mut term = scalar_to_in(term, std::ptr::null_mut());
        // (each comparison's settings with their keys, and the SQL of the
        // value that passes it; the sub-selects relaxed so far)
        let mut hits: Vec<Claimed> = Vec::new();
        let mut sub_select = false;
        while hits.len() < CLAIMED_COMPARISONS {
            found.hit = None;
            found.sublink = std::ptr::null_mut();
            find(term, (&mut found as *mut Found<'_>).cast());
            let Some((cmp, side, reads, link)) = found.hit.take() else {
                break;
            };
            // (one sub-select at most: a second comparison in one already
            // relaxed would need its first row to pass both, and its copy
            // here is no longer the one relaxed; not claimed)
            if sub_select && !link.is_null() {
                break;
            }
            let Some((copy, value, relaxed)) = relax(term, cmp, side, link, relid, &replaced)
            else {
                break;
            };
            sub_select |= !relaxed.is_null();
            term = copy;
            hits.push((reads, value));
        }
        let givens = several_givens(&hits)?;
        Some((term, givens))
    }
}

/// One comparison [`claim_term`] made to pass: the settings it may read,
/// each with the JSON keys it reads them by ([`claim_reads`]), and the
/// SQL of a row's value that passes it.
type Claimed = (Reads, String);

/// The settings a comparison may read, each with the JSON keys it reads
/// them by, outermost first ([`claim_reads`]).
type Reads = Vec<(String, Vec<String>)>;

/// How many comparisons of one term by settings a request sets
/// [`claim_term`] gives values to together (`owner_id = auth.uid() AND
/// org_id = current_setting('app.org_id', true)::int`: two).
const CLAIMED_COMPARISONS: usize = 3;

/// The givens of a claim of the comparisons `hits` (each's settings with
/// their keys, and the SQL of the value that passes it): one comparison's
/// settings each with its value; for several, each choice of one setting
/// per comparison (of distinct settings, at most 4) as one given of them
/// together ([`SEVERAL`]). None when no choice has distinct settings
/// (`owner_id = auth.uid() AND editor_id = auth.uid()`: one value would
/// have to pass both).
fn several_givens(hits: &[Claimed]) -> Option<Vec<(String, String)>> {
    let one = |(setting, path): &(String, Vec<String>), value: &str| {
        (setting.clone(), claim_given(value, path))
    };
    match hits {
        [] => None,
        [(reads, value)] => Some(reads.iter().map(|r| one(r, value)).collect()),
        _ => {
            let mut choices: Vec<Vec<(String, String)>> = vec![Vec::new()];
            for (reads, value) in hits {
                let mut next = Vec::new();
                for choice in &choices {
                    for read in reads {
                        if choice.iter().any(|(s, _)| *s == read.0) {
                            continue;
                        }
                        let mut more = choice.clone();
                        more.push(one(read, value));
                        next.push(more);
                    }
                }
                next.truncate(4);
                choices = next;
            }
            let givens: Vec<(String, String)> = choices
                .into_iter()
                .map(|choice| {
                    let pairs: Vec<String> = choice
                        .iter()
                        .map(|(s, g)| format!("{}, {g}", crate::ident::quote_literal(s)))
                        .collect();
                    (
                        SEVERAL.to_string(),
                        format!(
                            "(pg_catalog.json_build_object({}))::pg_catalog.text",
                            pairs.join(", ")
                        ),
                    )
                })
                .collect();
            (!givens.is_empty()).then_some(givens)
        }
    }
}

/// The name a claim's given goes by when it sets several settings at
/// once ([`several_givens`]): its value is a JSON object of them, each
/// setting's name with its value (text). A setting a request sets always
/// has a dot in its name: this one cannot be one.
pub(crate) const SEVERAL: &str = "";

/// The value of a [`SEVERAL`] given that sets each of `sets` (a setting's
/// name and its value) at once: the JSON object [`claim_sets`] reads.
pub(crate) fn several_value<'a>(sets: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = sets
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                serde_json::Value::String(value.to_string()),
            )
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// The settings a claim's given `(name, value)` sets: itself, or each of
/// a [`SEVERAL`]'s JSON object (none when one of them is not text: a
/// row's NULL column, which passes no comparison).
pub(crate) fn claim_sets(name: &str, value: &str) -> Vec<(String, String)> {
    if name != SEVERAL {
        return vec![(name.to_string(), value.to_string())];
    }
    let Ok(serde_json::Value::Object(sets)) = serde_json::from_str::<serde_json::Value>(value)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in sets {
        match value {
            serde_json::Value::String(v) if !name.is_empty() => out.push((name, v)),
            _ => return Vec::new(),
        }
    }
    out
}

/// `SET a = 'x'` for each setting a claim's given sets ([`claim_sets`]),
/// as a DBA would type them: `` SET app.org = '2'` and `SET app.user_id
/// = '105' `` (inside the caller's backquotes).
pub(crate) fn claim_text(name: &str, value: &str) -> String {
    claim_sets(name, value)
        .iter()
        .map(|(n, v)| format!("SET {n} = {}", crate::ident::quote_literal(v)))
        .collect::<Vec<_>>()
        .join("` and `")
}

/// One comparison [`claim_term`] found (`cmp`, compared with `side`, in
/// sub-select `link` or null) made to pass: the term with it `col IS NOT
/// NULL` (`true`; `EXISTS`), the SQL of the value of a row that passes it,
/// and the sub-select relaxed (null when none was).
unsafe fn relax(
    term: *mut pg_sys::Node,
    cmp: *mut pg_sys::Node,
    side: ClaimSide,
    link: *mut pg_sys::SubLink,
    relid: pg_sys::Oid,
    replaced: &dyn Fn(*mut pg_sys::Node, *mut pg_sys::Node, *mut pg_sys::Node) -> *mut pg_sys::Node,
) -> Option<(*mut pg_sys::Node, String, *mut pg_sys::Node)> {
    // SAFETY: nodes of the caller's tree, copied before any change
    unsafe {
        Some(match side {
            // (`<setting> IN (SELECT user_id …)`: EXISTS of it; the value
            // of its first row)
            ClaimSide::Output => {
                let exists = pg_sys::copyObjectImpl(link.cast()).cast::<pg_sys::SubLink>();
                (*exists).subLinkType = pg_sys::SubLinkType::EXISTS_SUBLINK;
                (*exists).testexpr = std::ptr::null_mut();
                (*exists).operName = std::ptr::null_mut();
                let query = (*link).subselect.cast::<pg_sys::Query>();
                let output =
                    pgrx::PgList::<pg_sys::TargetEntry>::from_pg((*query).targetList).get_ptr(0)?;
                let value = first_of(query, (*output).expr.cast(), std::ptr::null_mut());
                // (a row that gives a value)
                let asked = (*value).subselect.cast::<pg_sys::Query>();
                (*(*asked).jointree).quals = pg_sys::make_and_qual(
                    (*(*asked).jointree).quals,
                    not_null((*output).expr.cast()),
                );
                (
                    replaced(term, link.cast(), exists.cast()),
                    printed_term(value.cast(), relid, 0)?,
                    exists.cast(),
                )
            }
            // (a column of a sub-select's table: the sub-select with the
            // comparison `col IS NOT NULL`, and the column's value in its
            // first row that passes for the row)
            ClaimSide::Column(col) if !link.is_null() => {
                let relaxed = replaced(link.cast(), cmp, not_null(col)).cast::<pg_sys::SubLink>();
                let value = first_of(
                    (*relaxed).subselect.cast(),
                    col,
                    match (*link).subLinkType {
                        pg_sys::SubLinkType::ANY_SUBLINK => (*link).testexpr,
                        _ => std::ptr::null_mut(),
                    },
                );
                (
                    replaced(term, link.cast(), relaxed.cast()),
                    printed_term(value.cast(), relid, 0)?,
                    relaxed.cast(),
                )
            }
            // (an expression of the row's columns, `lower(email)`: its
            // value on the row)
            ClaimSide::Column(col) if column_var(col).is_none() => (
                replaced(term, cmp, not_null(col)),
                format!("({})", printed_term(col, relid, 0)?),
                std::ptr::null_mut(),
            ),
            ClaimSide::Column(col) => {
                let var = column_var(col)?;
                let name = pg_sys::get_attname(relid, (*var).varattno, true);
                if name.is_null() {
                    return None;
                }
                let column = format!(
                    "rls_audit_row.{}",
                    crate::ident::quote_ident(&name_or_empty(name))
                );
                (
                    replaced(term, cmp, not_null(col)),
                    column,
                    std::ptr::null_mut(),
                )
            }
            ClaimSide::Constant(value) => (
                replaced(term, cmp, pg_sys::makeBoolConst(true, false)),
                format!("{}::pg_catalog.text", crate::ident::quote_literal(&value)),
                std::ptr::null_mut(),
            ),
        })
    }
}

/// A copy of `node` with each `x = (SELECT y FROM …)` of its own level
/// (a plain sub-select, [`simple_query`]; the sub-select on either side
/// when both have one type) as `x IN (SELECT y FROM …)`: an `ANY`
/// sub-select whose test compares `x` with its output, as PostgreSQL
/// builds one.
unsafe extern "C-unwind" fn scalar_to_in(
    node: *mut pg_sys::Node,
    ctx: *mut std::ffi::c_void,
) -> *mut pg_sys::Node {
    // SAFETY: a node of the caller's tree, copied; new nodes in the
    // current memory context
    unsafe {
        if node.is_null() || (*node).type_ == pg_sys::NodeTag::T_Query {
            return node;
        }
        if (*node).type_ == pg_sys::NodeTag::T_OpExpr
            && is_equality((*node.cast::<pg_sys::OpExpr>()).opno)
        {
            let op = node.cast::<pg_sys::OpExpr>();
            let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
            if let (2, Some(l), Some(r)) = (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                let scalar = |n: *mut pg_sys::Node| {
                    (*n).type_ == pg_sys::NodeTag::T_SubLink
                        && (*n.cast::<pg_sys::SubLink>()).subLinkType
                            == pg_sys::SubLinkType::EXPR_SUBLINK
                        && simple_query((*n.cast::<pg_sys::SubLink>()).subselect.cast(), false)
                };
                let pair = if scalar(r) && !pg_sys::checkExprHasSubLink(l) {
                    Some((l, r))
                } else if scalar(l)
                    && !pg_sys::checkExprHasSubLink(r)
                    && pg_sys::exprType(l) == pg_sys::exprType(r)
                {
                    Some((r, l))
                } else {
                    None
                };
                if let Some((x, link)) = pair {
                    let link = pg_sys::copyObjectImpl(link.cast()).cast::<pg_sys::SubLink>();
                    let output = pgrx::PgList::<pg_sys::TargetEntry>::from_pg(
                        (*(*link).subselect.cast::<pg_sys::Query>()).targetList,
                    )
                    .get_ptr(0);
                    if let Some(output) = output {
                        let expr = (*output).expr.cast::<pg_sys::Node>();
                        let param =
                            pgrx::PgBox::<pg_sys::Param>::alloc_node(pg_sys::NodeTag::T_Param)
                                .into_pg();
                        (*param).paramkind = pg_sys::ParamKind::PARAM_SUBLINK;
                        (*param).paramid = 1;
                        (*param).paramtype = pg_sys::exprType(expr);
                        (*param).paramtypmod = pg_sys::exprTypmod(expr);
                        (*param).paramcollid = pg_sys::exprCollation(expr);
                        (*param).location = -1;
                        let test = pg_sys::copyObjectImpl(op.cast()).cast::<pg_sys::OpExpr>();
                        let mut list = std::ptr::null_mut();
                        list = pg_sys::lappend(list, pg_sys::copyObjectImpl(x.cast()));
                        list = pg_sys::lappend(list, param.cast());
                        (*test).args = list;
                        (*link).subLinkType = pg_sys::SubLinkType::ANY_SUBLINK;
                        (*link).testexpr = test.cast();
                        return link.cast();
                    }
                }
            }
        }
        expression_mutator(node, scalar_to_in, ctx)
    }
}

/// Whether `n` is an expression of the policy's table's columns at the
/// term's own level and nothing else that changes (no sub-select, setting
/// or volatile function): `lower(email)`, `owner_id + 1`, `data ->>
/// 'owner'`. A setting compared with it passes a row given its value on
/// the row.
unsafe fn row_expression(n: *mut pg_sys::Node) -> bool {
    // SAFETY: a node of the tree being walked, only read
    unsafe { reads_a_column(n, 0) && settings_in(n, true).is_empty() }
}

/// Whether `n`, in a sub-select's WHERE, is an expression of that
/// sub-select's own columns and nothing else that changes (no outer
/// column, sub-select, aggregate, setting or volatile function):
/// `lower(m.email)`.
unsafe fn sub_expression(n: *mut pg_sys::Node) -> bool {
    // SAFETY: a node of the tree being walked, only read
    unsafe {
        pg_sys::contain_vars_of_level(n, 0)
            && !pg_sys::contain_vars_of_level(n, 1)
            && !pg_sys::checkExprHasSubLink(n)
            && !pg_sys::contain_agg_clause(n)
            && !pg_sys::contain_volatile_functions(n)
            && settings_in(n, true).is_empty()
    }
}

/// `col IS NOT NULL`, of a copy of `col`.
unsafe fn not_null(col: *mut pg_sys::Node) -> *mut pg_sys::Node {
    // SAFETY: a new node of the current memory context
    unsafe {
        let test = pgrx::PgBox::<pg_sys::NullTest>::alloc_node(pg_sys::NodeTag::T_NullTest);
        let test = test.into_pg();
        (*test).arg = pg_sys::copyObjectImpl(col.cast()).cast();
        (*test).nulltesttype = pg_sys::NullTestType::IS_NOT_NULL;
        (*test).location = -1;
        test.cast()
    }
}

/// Whether sub-select `query` is a plain SELECT whose rows [`first_of`]
/// can ask for another output: no grouping, aggregate, DISTINCT, window,
/// set operation or set-returning output; of one output unless `any`
/// output will do (an EXISTS's).
unsafe fn simple_query(query: *mut pg_sys::Query, any: bool) -> bool {
    // SAFETY: a node of the tree being walked, only read
    unsafe {
        !query.is_null()
            && (*query).type_ == pg_sys::NodeTag::T_Query
            && (*query).commandType == pg_sys::CmdType::CMD_SELECT
            && !(*query).jointree.is_null()
            && (*query).setOperations.is_null()
            && (*query).groupClause.is_null()
            && (*query).groupingSets.is_null()
            && (*query).distinctClause.is_null()
            && (*query).havingQual.is_null()
            && !(*query).hasAggs
            && !(*query).hasWindowFuncs
            && !(*query).hasTargetSRFs
            && (any || pgrx::PgList::<pg_sys::TargetEntry>::from_pg((*query).targetList).len() == 1)
    }
}

/// `(SELECT <output> FROM … WHERE … [AND <test>] LIMIT 1)`: a copy of
/// sub-select `query` (of the policy's term, its own Vars at level 0)
/// asked for `output` (an expression of its own rows) in its first row,
/// and, with `test` (an `IN (SELECT …)`'s comparison of the term's
/// expression with the sub-select's output), in its first row whose
/// output the term's expression matches (`org_id = rls_audit_row.org_id`).
unsafe fn first_of(
    query: *mut pg_sys::Query,
    output: *mut pg_sys::Node,
    test: *mut pg_sys::Node,
) -> *mut pg_sys::SubLink {
    /// `test` with its sub-select's outputs (Params) the expressions
    /// they are
    unsafe extern "C-unwind" fn unparam(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        // SAFETY: a node of the comparison being copied; ctx is the
        // sub-select's target list
        unsafe {
            if node.is_null() || (*node).type_ == pg_sys::NodeTag::T_Query {
                return node;
            }
            if (*node).type_ == pg_sys::NodeTag::T_Param
                && (*node.cast::<pg_sys::Param>()).paramkind == pg_sys::ParamKind::PARAM_SUBLINK
            {
                let targets = pgrx::PgList::<pg_sys::TargetEntry>::from_pg(ctx.cast());
                let at = (*node.cast::<pg_sys::Param>()).paramid as usize;
                if let Some(target) = at.checked_sub(1).and_then(|i| targets.get_ptr(i)) {
                    return pg_sys::copyObjectImpl((*target).expr.cast()).cast();
                }
            }
            expression_mutator(node, unparam, ctx)
        }
    }
    // SAFETY: copies of the caller's nodes, built in the current memory
    // context
    unsafe {
        let query = pg_sys::copyObjectImpl(query.cast()).cast::<pg_sys::Query>();
        if !test.is_null() {
            // (the term's own Vars one level further out, in the
            // sub-select)
            let test = pg_sys::copyObjectImpl(test.cast()).cast::<pg_sys::Node>();
            pg_sys::IncrementVarSublevelsUp(test, 1, 0);
            let test = unparam(test, (*query).targetList.cast());
            (*(*query).jointree).quals = pg_sys::make_and_qual((*(*query).jointree).quals, test);
        }
        let target = pg_sys::makeTargetEntry(
            pg_sys::copyObjectImpl(output.cast()).cast(),
            1,
            c"v".as_ptr().cast_mut(),
            false,
        );
        (*query).targetList = pg_sys::lappend(std::ptr::null_mut(), target.cast());
        (*query).sortClause = std::ptr::null_mut();
        (*query).limitOffset = std::ptr::null_mut();
        (*query).limitCount = pg_sys::makeConst(
            pg_sys::INT8OID,
            -1,
            pg_sys::InvalidOid,
            8,
            pg_sys::Datum::from(1i64),
            false,
            true,
        )
        .cast();
        (*query).limitOption = pg_sys::LimitOption::LIMIT_OPTION_COUNT;
        let link = pgrx::PgBox::<pg_sys::SubLink>::alloc_node(pg_sys::NodeTag::T_SubLink);
        let link = link.into_pg();
        (*link).subLinkType = pg_sys::SubLinkType::EXPR_SUBLINK;
        (*link).subselect = query.cast();
        (*link).location = -1;
        link
    }
}

/// The SQL of the text a setting read by the JSON keys `path` (outermost
/// first, [`claim_reads`]) is given for its read to be `value`'s (SQL):
/// `(value)::pg_catalog.text` with none, else the JSON object of the keys
/// around it, `pg_catalog.json_build_object('app_metadata',
/// pg_catalog.json_build_object('org', value))::pg_catalog.text`.
fn claim_given(value: &str, path: &[String]) -> String {
    let mut given = value.to_string();
    for key in path {
        given = format!(
            "pg_catalog.json_build_object({}, {given})",
            crate::ident::quote_literal(key)
        );
    }
    format!("({given})::pg_catalog.text")
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn several_comparisons_give_their_settings_together_from_one_row() {
        let read = |s: &str| (s.to_string(), Vec::new());
        // (one comparison: each setting it may read, alone)
        let one: Vec<Claimed> = vec![(
            vec![read("request.jwt.claim.sub"), read("request.jwt.claims")],
            "rls_audit_row.owner_id".into(),
        )];
        assert_eq!(
            several_givens(&one).unwrap(),
            [
                (
                    "request.jwt.claim.sub".to_string(),
                    "(rls_audit_row.owner_id)::pg_catalog.text".to_string()
                ),
                (
                    "request.jwt.claims".to_string(),
                    "(rls_audit_row.owner_id)::pg_catalog.text".to_string()
                )
            ]
        );
        // (two: one setting of each, as one JSON object of the row's
        // values; two choices)
        let mut two = one.clone();
        two.push((vec![read("app.org_id")], "rls_audit_row.org_id".into()));
        let givens = several_givens(&two).unwrap();
        assert_eq!(givens.len(), 2);
        assert_eq!(givens[0].0, SEVERAL);
        assert_eq!(
            givens[0].1,
            "(pg_catalog.json_build_object('request.jwt.claim.sub', \
             (rls_audit_row.owner_id)::pg_catalog.text, 'app.org_id', \
             (rls_audit_row.org_id)::pg_catalog.text))::pg_catalog.text"
        );
        // (the same setting twice: no value passes both for every row)
        let same: Vec<Claimed> = vec![
            (vec![read("app.user_id")], "rls_audit_row.owner_id".into()),
            (vec![read("app.user_id")], "rls_audit_row.editor_id".into()),
        ];
        assert_eq!(several_givens(&same), None);
        assert_eq!(several_givens(&[]), None);
    }

    #[test]
    fn a_given_of_several_settings_sets_and_names_each() {
        assert_eq!(
            claim_sets("app.user_id", "105"),
            [("app.user_id".to_string(), "105".to_string())]
        );
        let json = r#"{"app.role": "manager", "app.user_id": "it's"}"#;
        assert_eq!(
            claim_sets(SEVERAL, json),
            [
                ("app.role".to_string(), "manager".to_string()),
                ("app.user_id".to_string(), "it's".to_string())
            ]
        );
        // (what several_value writes, claim_sets reads back)
        assert_eq!(
            claim_sets(
                SEVERAL,
                &several_value([("app.user_id", "it's"), ("app.role", "manager")])
            ),
            claim_sets(SEVERAL, json)
        );
        assert_eq!(
            claim_text(SEVERAL, json),
            "SET app.role = 'manager'` and `SET app.user_id = 'it''s'"
        );
        // (a row's NULL, or not an object: nothing to set)
        assert!(claim_sets(SEVERAL, r#"{"app.role": "manager", "app.user_id": null}"#).is_empty());
        assert!(claim_sets(SEVERAL, "105").is_empty());
        assert!(claim_sets(SEVERAL, r#"{"": "x"}"#).is_empty());
    }

    #[test]
    fn a_claimed_value_is_given_inside_the_json_keys_a_setting_is_read_by() {
        assert_eq!(
            claim_given("rls_audit_row.owner_id", &[]),
            "(rls_audit_row.owner_id)::pg_catalog.text"
        );
        // (`-> 'app_metadata' ->> 'role'`: the keys outermost first)
        assert_eq!(
            claim_given(
                "'service'::pg_catalog.text",
                &["role".to_string(), "app_metadata".to_string()]
            ),
            "(pg_catalog.json_build_object('app_metadata', \
             pg_catalog.json_build_object('role', 'service'::pg_catalog.text)))::pg_catalog.text"
        );
        // (a key is a quoted literal)
        assert_eq!(
            claim_given("1", &["it's".to_string()]),
            "(pg_catalog.json_build_object('it''s', 1))::pg_catalog.text"
        );
    }
}
