//! One error type for the whole extension. Each variant carries the SQLSTATE
//! of SPEC §4, so a caller can branch on the code instead of parsing text.
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgSqlErrorCode;

#[derive(Debug, thiserror::Error)]
pub(crate) enum RlsAuditError {
    #[error("snapshot \"{0}\" does not exist")]
    UnknownSnapshot(String),
    #[error("policy \"{policy}\" for table {table} does not exist")]
    UnknownPolicy { table: String, policy: String },
    #[error("relation with OID {0} does not exist")]
    UnknownTable(u32),
    #[error("role \"{0}\" does not exist")]
    UnknownRole(String),
    #[error("column \"{column}\" does not exist in {table}")]
    UnknownColumn { column: String, table: String },
    #[error("{0}")]
    WrongObjectType(String),
    #[error("{0}")]
    InsufficientPrivilege(String),
    #[error("a snapshot labelled \"{0}\" already exists")]
    DuplicateLabel(String),
    #[error("{0}")]
    NullArgument(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    ObjectState(String),
    /// rls_audit's own machinery failed (never the user's input): XX000
    #[error("{0}")]
    Internal(String),
    #[error(
        "the live RLS state has fingerprint {live}, not {expected}: policies, RLS flags or roles changed since this was prepared; nothing was changed"
    )]
    FingerprintMoved { expected: String, live: String },
    #[error("{0} cannot run on a hot standby: it writes")]
    ReadOnly(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("rls_audit internal error: {0}")]
    Spi(#[from] pgrx::spi::Error),
}

impl RlsAuditError {
    pub(crate) fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            RlsAuditError::UnknownSnapshot(_)
            | RlsAuditError::UnknownPolicy { .. }
            | RlsAuditError::UnknownRole(_) => ERRCODE_UNDEFINED_OBJECT,
            RlsAuditError::UnknownColumn { .. } => ERRCODE_UNDEFINED_COLUMN,
            RlsAuditError::WrongObjectType(_) => ERRCODE_WRONG_OBJECT_TYPE,
            RlsAuditError::InsufficientPrivilege(_) => ERRCODE_INSUFFICIENT_PRIVILEGE,
            RlsAuditError::UnknownTable(_) => ERRCODE_UNDEFINED_TABLE,
            RlsAuditError::DuplicateLabel(_) => ERRCODE_UNIQUE_VIOLATION,
            RlsAuditError::NullArgument(_) => ERRCODE_NULL_VALUE_NOT_ALLOWED,
            RlsAuditError::InvalidParameter(_) => ERRCODE_INVALID_PARAMETER_VALUE,
            RlsAuditError::ObjectState(_) | RlsAuditError::FingerprintMoved { .. } => {
                ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            RlsAuditError::ReadOnly(_) => ERRCODE_READ_ONLY_SQL_TRANSACTION,
            RlsAuditError::Unsupported(_) => ERRCODE_FEATURE_NOT_SUPPORTED,
            RlsAuditError::Spi(_) | RlsAuditError::Internal(_) => ERRCODE_INTERNAL_ERROR,
        }
    }

    /// What the user can do next; shown as the HINT line.
    fn hint(&self) -> Option<&'static str> {
        match self {
            RlsAuditError::UnknownSnapshot(_) => Some(
                "A reference is a label, 'baseline', 'latest' or a snapshot id: \
                 try SELECT * FROM rls_audit.snapshots",
            ),
            RlsAuditError::UnknownPolicy { .. } => Some("try SELECT * FROM pg_catalog.pg_policies"),
            RlsAuditError::DuplicateLabel(_) => {
                Some("labels are unique: choose another one, or forget the old snapshot first")
            }
            RlsAuditError::UnknownRole(_) => Some("\\du in psql lists the roles"),
            RlsAuditError::InsufficientPrivilege(_) => {
                Some("run it as a superuser or as a member of the role (GRANT role TO caller)")
            }
            RlsAuditError::ReadOnly(_) => Some(
                "run it on the primary; on a standby, drift(), lint(), probe(), verify_isolation(..., \
                 write_probes => false), verify_log(), untracked_changes(), report() and \
                 restore_script() work",
            ),
            RlsAuditError::FingerprintMoved { .. } => Some(
                "see what changed with SELECT * FROM rls_audit.drift(), then write a new script with rls_audit.restore_script()",
            ),
            _ => None,
        }
    }
}

impl From<RlsAuditError> for ErrorReport {
    fn from(e: RlsAuditError) -> Self {
        let hint = e.hint();
        let report = ErrorReport::new(e.sqlstate(), e.to_string(), "rls_audit");
        match hint {
            Some(h) => report.set_hint(h),
            None => report,
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, RlsAuditError>;

/// What a `#[pg_extern]` returns: pgrx raises the error with its SQLSTATE.
pub(crate) type SqlResult<T> = std::result::Result<T, ErrorReport>;
