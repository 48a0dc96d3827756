//! An application's SQL functions read as their bodies, for claims: a
//! policy's `org_id = app.current_org()`, whose body is `SELECT org_id
//! FROM profiles WHERE id = auth.uid()`, compares the column with a
//! setting a request sets through a table the function reads, which
//! [`super::claims::claim_term`] finds only in the body. [`inlined`]
//! puts each such call's body in its place (`org_id = (SELECT org_id
//! FROM profiles WHERE id = auth.uid())`), as the planner inlines a
//! simple SQL function, but also for one that reads a table, is
//! SECURITY DEFINER or sets its own search_path: the result is only read
//! for rows and values to try, never trusted as the policy (the real
//! statements as the role decide).

use super::*;

/// pg_language's `sql` (SQLlanguageId, fixed in pg_language.dat).
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
const SQL_LANGUAGE: u32 = 14;

/// How many levels of calls [`inlined`] reads into (a body that calls
/// another such function, `auth.uid()` in `app.current_org()`).
const INLINE_DEPTH: u32 = 3;

/// A copy of `node` (a policy's term) with each call of an application's
/// SQL function (not SETOF, not volatile, its body one SELECT of one
/// output) replaced by its body: the output itself when the SELECT reads
/// no table (`SELECT EXISTS (SELECT FROM members WHERE org_id = $1 AND
/// …)`), else the SELECT as a scalar sub-select; its arguments in place
/// of its parameters. The body is read under the function's own
/// search_path, else `path` (the role's). Calls in a body too, up to
/// [`INLINE_DEPTH`] levels. `node` itself when nothing is replaced.
pub(super) unsafe fn inlined(node: *mut pg_sys::Node, path: &std::ffi::CStr) -> *mut pg_sys::Node {
    #[cfg(any(feature = "pg13", feature = "pg14"))]
    {
        let _ = path;
        node
    }
    #[cfg(not(any(feature = "pg13", feature = "pg14")))]
    {
        let mut ctx = Inlining {
            path,
            depth: INLINE_DEPTH,
        };
        // SAFETY: the caller's tree, copied where a call is replaced
        unsafe { inline_calls(node, (&mut ctx as *mut Inlining<'_>).cast()) }
    }
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
struct Inlining<'a> {
    path: &'a std::ffi::CStr,
    /// levels of calls left
    depth: u32,
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe extern "C-unwind" fn inline_calls(
    node: *mut pg_sys::Node,
    ctx: *mut std::ffi::c_void,
) -> *mut pg_sys::Node {
    if node.is_null() {
        return node;
    }
    // SAFETY: a node of the tree being copied; ctx is inlined's Inlining
    unsafe {
        if (*node).type_ == pg_sys::NodeTag::T_Query {
            return query_mutator(node.cast(), inline_calls, ctx).cast();
        }
        let node = expression_mutator(node, inline_calls, ctx);
        let state = &mut *ctx.cast::<Inlining<'_>>();
        if (*node).type_ != pg_sys::NodeTag::T_FuncExpr || state.depth == 0 {
            return node;
        }
        let call = node.cast::<pg_sys::FuncExpr>();
        if (*call).funcid.to_u32() < pg_sys::FirstNormalObjectId || (*call).funcretset {
            return node;
        }
        let Some(body) = body_of((*call).funcid, state.path) else {
            return node;
        };
        let args: Vec<*mut pg_sys::Node> = pgrx::PgList::<pg_sys::Node>::from_pg((*call).args)
            .iter_ptr()
            .collect();
        let query = body.cast::<pg_sys::Query>();
        let targets = pgrx::PgList::<pg_sys::TargetEntry>::from_pg((*query).targetList);
        let Some(output) = targets.get_ptr(0) else {
            return node;
        };
        // (a body of no table: its output; else the SELECT as a scalar
        // sub-select)
        let plain = pgrx::PgList::<pg_sys::Node>::from_pg((*(*query).jointree).fromlist).is_empty()
            && (*(*query).jointree).quals.is_null()
            && !(*query).hasAggs
            && (*query).havingQual.is_null()
            && (*query).groupClause.is_null()
            && (*query).sortClause.is_null()
            && (*query).limitCount.is_null()
            && (*query).limitOffset.is_null();
        let replacement = if plain {
            with_arguments((*output).expr.cast(), &args, 0)
        } else {
            let link =
                pgrx::PgBox::<pg_sys::SubLink>::alloc_node(pg_sys::NodeTag::T_SubLink).into_pg();
            (*link).subLinkType = pg_sys::SubLinkType::EXPR_SUBLINK;
            (*link).subselect = with_arguments(body, &args, 0);
            (*link).location = -1;
            link.cast()
        };
        // (the body's own calls, one level further)
        state.depth -= 1;
        let replacement = inline_calls(replacement, ctx);
        let state = &mut *ctx.cast::<Inlining<'_>>();
        state.depth += 1;
        // (in the call's type: a body of a type it is coerced to)
        if pg_sys::exprType(replacement) != (*call).funcresulttype {
            return node;
        }
        replacement
    }
}

/// A copy of `node` (a function's body, or its output) with its
/// parameters (`$1`, or by name) the call's arguments `args`, each moved
/// one level out for each sub-select it lands in; `depth` the sub-select
/// levels `node` is already in.
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn with_arguments(
    node: *mut pg_sys::Node,
    args: &[*mut pg_sys::Node],
    depth: i32,
) -> *mut pg_sys::Node {
    struct Args<'a> {
        args: &'a [*mut pg_sys::Node],
        depth: i32,
    }
    unsafe extern "C-unwind" fn swap(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        if node.is_null() {
            return node;
        }
        // SAFETY: a node of the body being copied; ctx is Args
        unsafe {
            let state = &mut *ctx.cast::<Args<'_>>();
            if (*node).type_ == pg_sys::NodeTag::T_Query {
                state.depth += 1;
                let out = query_mutator(node.cast(), swap, ctx).cast();
                let state = &mut *ctx.cast::<Args<'_>>();
                state.depth -= 1;
                return out;
            }
            if (*node).type_ == pg_sys::NodeTag::T_Param
                && (*node.cast::<pg_sys::Param>()).paramkind == pg_sys::ParamKind::PARAM_EXTERN
            {
                let at = (*node.cast::<pg_sys::Param>()).paramid as usize;
                if let Some(arg) = at.checked_sub(1).and_then(|i| state.args.get(i)) {
                    let arg = pg_sys::copyObjectImpl((*arg).cast()).cast::<pg_sys::Node>();
                    if state.depth > 0 {
                        pg_sys::IncrementVarSublevelsUp(arg, state.depth, 0);
                    }
                    return arg;
                }
            }
            expression_mutator(node, swap, ctx)
        }
    }
    let mut ctx = Args { args, depth };
    // SAFETY: a copy of the caller's body; ctx lives through the walk
    unsafe { swap(node, (&mut ctx as *mut Args<'_>).cast()) }
}

/// The body of SQL function `funcid` as one SELECT of one output: its
/// `BEGIN ATOMIC` / `RETURN` tree, else its text parsed and analyzed
/// under its own search_path (its SET clause), else `path`, its
/// parameters by number or name. None for a function of another
/// language, a volatile one, one of several statements or outputs, or a
/// body PostgreSQL does not parse now.
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn body_of(funcid: pg_sys::Oid, path: &std::ffi::CStr) -> Option<*mut pg_sys::Node> {
    struct Proc {
        src: Option<Vec<u8>>,
        tree: Option<Vec<u8>>,
        own_path: Option<String>,
        types: Vec<pg_sys::Oid>,
        names: Vec<String>,
    }
    let proc = live::with_proc(funcid, |p, text| {
        let sql = p.prolang == pg_sys::Oid::from(SQL_LANGUAGE);
        let stable = p.provolatile != pg_sys::PROVOLATILE_VOLATILE as std::ffi::c_char;
        (sql && stable && !p.proretset).then(|| Proc {
            src: text(pg_sys::Anum_pg_proc_prosrc),
            tree: text(pg_sys::Anum_pg_proc_prosqlbody),
            own_path: None,
            types: Vec::new(),
            names: Vec::new(),
        })
    })
    .flatten()?;
    let mut proc = proc;
    // SAFETY: a syscache lookup of the function, released before
    // returning; its argument names and types copied out
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(funcid),
        );
        if tup.is_null() {
            return None;
        }
        let mut types: *mut pg_sys::Oid = std::ptr::null_mut();
        let mut names: *mut *mut std::ffi::c_char = std::ptr::null_mut();
        let mut modes: *mut std::ffi::c_char = std::ptr::null_mut();
        let n = pg_sys::get_func_arg_info(tup, &mut types, &mut names, &mut modes);
        for i in 0..n.max(0) as usize {
            // (OUT parameters are not the call's)
            if !modes.is_null() && matches!(*modes.add(i) as u8, b'o' | b't') {
                continue;
            }
            proc.types.push(*types.add(i));
            proc.names
                .push(if names.is_null() || (*names.add(i)).is_null() {
                    String::new()
                } else {
                    name_or_empty(*names.add(i))
                });
        }
        let mut isnull = false;
        let config = pg_sys::SysCacheGetAttr(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            tup,
            pg_sys::Anum_pg_proc_proconfig as pg_sys::AttrNumber,
            &mut isnull,
        );
        if !isnull {
            for item in array_texts(config, pg_sys::TEXTOID) {
                if let Some(p) = item.strip_prefix("search_path=") {
                    proc.own_path = Some(p.to_string());
                }
            }
        }
        pg_sys::ReleaseSysCache(tup);
    }
    // (a BEGIN ATOMIC or RETURN body: PostgreSQL's own tree of it)
    if let Some(tree) = proc.tree.and_then(|t| std::ffi::CString::new(t).ok()) {
        // SAFETY: the catalog's own node text
        return unsafe { one_select(pg_sys::stringToNode(tree.as_ptr()).cast()) };
    }
    let src = std::ffi::CString::new(proc.src?).ok()?;
    let own = proc.own_path.and_then(|p| std::ffi::CString::new(p).ok());
    let path = own.as_deref().unwrap_or(path);
    let hooks = Hooks {
        types: proc.types,
        names: proc.names,
    };
    // (in a subtransaction: an ERROR of the parser, a body naming what is
    // gone, leaves no lock, search_path or other state behind)
    crate::shadow::rolled_back(|| {
        crate::capture::with_path(path, || {
            // SAFETY: PostgreSQL parses and analyzes the body as a SQL
            // function's, its parameters resolved by the hooks below
            unsafe {
                let raw =
                    pgrx::PgList::<pg_sys::RawStmt>::from_pg(pg_sys::pg_parse_query(src.as_ptr()));
                let (1, Some(stmt)) = (raw.len(), raw.get_ptr(0)) else {
                    return None;
                };
                let queries = pg_sys::pg_analyze_and_rewrite_withcb(
                    stmt,
                    src.as_ptr(),
                    Some(setup_hooks),
                    (&hooks as *const Hooks).cast_mut().cast(),
                    std::ptr::null_mut(),
                );
                one_select(queries.cast())
            }
        })
    })
    .ok()
    .flatten()
}

/// The one SELECT of one output `node` is (a Query, or a list of one, or
/// a `BEGIN ATOMIC` list of one list of one).
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn one_select(mut node: *mut pg_sys::Node) -> Option<*mut pg_sys::Node> {
    // SAFETY: a tree PostgreSQL built, only read
    unsafe {
        while !node.is_null() && (*node).type_ == pg_sys::NodeTag::T_List {
            let list = pgrx::PgList::<pg_sys::Node>::from_pg(node.cast());
            let (1, Some(one)) = (list.len(), list.get_ptr(0)) else {
                return None;
            };
            node = one;
        }
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_Query {
            return None;
        }
        let query = node.cast::<pg_sys::Query>();
        let outputs = pgrx::PgList::<pg_sys::TargetEntry>::from_pg((*query).targetList)
            .iter_ptr()
            .filter(|t| !(**t).resjunk)
            .count();
        ((*query).commandType == pg_sys::CmdType::CMD_SELECT
            && (*query).utilityStmt.is_null()
            && (*query).setOperations.is_null()
            && (*query).cteList.is_null()
            && !(*query).hasTargetSRFs
            && !(*query).hasModifyingCTE
            && !(*query).jointree.is_null()
            && outputs == 1)
            .then_some(node)
    }
}

/// A SQL function's parameters for the parser: their types, by number,
/// and their names.
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
struct Hooks {
    types: Vec<pg_sys::Oid>,
    names: Vec<String>,
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe extern "C-unwind" fn setup_hooks(
    pstate: *mut pg_sys::ParseState,
    arg: *mut std::ffi::c_void,
) {
    // SAFETY: the parser's own state; arg is body_of's Hooks, alive while
    // it parses
    unsafe {
        (*pstate).p_ref_hook_state = arg;
        (*pstate).p_paramref_hook = Some(param_by_number);
        (*pstate).p_post_columnref_hook = Some(param_by_name);
    }
}

/// The parameter `n` (1-based) of the function as a Param of its type.
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn param(hooks: &Hooks, n: usize, location: i32) -> *mut pg_sys::Node {
    let Some(typ) = n.checked_sub(1).and_then(|i| hooks.types.get(i)) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a new node in the parser's memory context
    unsafe {
        let param = pgrx::PgBox::<pg_sys::Param>::alloc_node(pg_sys::NodeTag::T_Param).into_pg();
        (*param).paramkind = pg_sys::ParamKind::PARAM_EXTERN;
        (*param).paramid = n as i32;
        (*param).paramtype = *typ;
        (*param).paramtypmod = -1;
        (*param).paramcollid = pg_sys::get_typcollation(*typ);
        (*param).location = location;
        param.cast()
    }
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe extern "C-unwind" fn param_by_number(
    pstate: *mut pg_sys::ParseState,
    pref: *mut pg_sys::ParamRef,
) -> *mut pg_sys::Node {
    // SAFETY: the parser's state, whose hook state is a Hooks
    unsafe {
        let hooks = &*(*pstate).p_ref_hook_state.cast::<Hooks>();
        param(hooks, (*pref).number.max(0) as usize, (*pref).location)
    }
}

/// A bare name that is no column: the parameter of that name, as a SQL
/// function's body reads it.
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe extern "C-unwind" fn param_by_name(
    pstate: *mut pg_sys::ParseState,
    cref: *mut pg_sys::ColumnRef,
    var: *mut pg_sys::Node,
) -> *mut pg_sys::Node {
    // SAFETY: the parser's state and column reference, only read
    unsafe {
        if !var.is_null() {
            return std::ptr::null_mut();
        }
        let fields = pgrx::PgList::<pg_sys::Node>::from_pg((*cref).fields);
        let (1, Some(field)) = (fields.len(), fields.get_ptr(0)) else {
            return std::ptr::null_mut();
        };
        if (*field).type_ != pg_sys::NodeTag::T_String {
            return std::ptr::null_mut();
        }
        let name = name_or_empty((*field.cast::<pg_sys::String>()).sval);
        let hooks = &*(*pstate).p_ref_hook_state.cast::<Hooks>();
        match hooks.names.iter().position(|n| !n.is_empty() && *n == name) {
            Some(i) => param(hooks, i + 1, (*cref).location),
            None => std::ptr::null_mut(),
        }
    }
}
