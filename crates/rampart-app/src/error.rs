//! The application's one error: what the domain refused, or what failed
//! underneath (the database, the evidence store, a file), with the cause
//! kept as the error's source so logs show the root of it. Every front door
//! maps [`AppError::kind`] to its own answer, from one table each.

use rampart_domain::DomainError;
use rampart_evidence::BlobError;
use rampart_store::StoreError;

/// Every way a command or query can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The domain refused the request (fields, roles, existence, state);
    /// nothing was changed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database failed, could not be reached or is shutting down.
    #[error("storage failed")]
    Store(#[source] StoreError),
    /// The evidence store could not be read or written.
    #[error("the evidence store failed")]
    Vault(#[source] BlobError),
    /// Evidence storage is not configured on this server.
    #[error("evidence storage is not configured on this server")]
    NoVault,
    /// A file or stream outside the stores failed.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Something that should not happen (unreadable stored data, a bug).
    #[error("{0}")]
    Internal(String),
}

/// What kind of failure an [`AppError`] is: the one thing an interface needs
/// to choose its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Fields missing or wrong.
    Invalid,
    /// The actor's roles do not allow it.
    Forbidden,
    /// No such record, or not one the actor may see.
    NotFound,
    /// The lifecycle does not allow this transition now.
    IllegalTransition,
    /// Not possible in the record's present state.
    Conflict,
    /// Storage cannot be reached or written now; try again later.
    Unavailable,
    /// A failure the requester cannot do anything about.
    Internal,
}

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Domain(d) => match d {
                DomainError::Invalid(_) => ErrorKind::Invalid,
                DomainError::Forbidden { .. } | DomainError::OutOfScope { .. } => {
                    ErrorKind::Forbidden
                }
                DomainError::NotFound(_) => ErrorKind::NotFound,
                DomainError::IllegalTransition { .. } => ErrorKind::IllegalTransition,
                DomainError::Conflict(_) => ErrorKind::Conflict,
            },
            Self::Store(StoreError::Domain(d)) => Self::Domain(d.clone()).kind(),
            Self::Store(StoreError::Database(_) | StoreError::Closed)
            | Self::Vault(_)
            | Self::NoVault
            | Self::Io { .. } => ErrorKind::Unavailable,
            Self::Store(StoreError::Corrupt(_)) | Self::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The domain's refusal, when that is what this is.
    pub fn domain(&self) -> Option<&DomainError> {
        match self {
            Self::Domain(d) | Self::Store(StoreError::Domain(d)) => Some(d),
            _ => None,
        }
    }

    /// The error with every cause under it, for logs.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // A message that already quotes its cause is not repeated.
            if !text.ends_with(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        text
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => Self::Domain(d),
            other => Self::Store(other),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { limit } => DomainError::field(
                "file",
                format!("is larger than the evidence limit of {limit} bytes"),
            )
            .into(),
            other => Self::Vault(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_kept_for_the_log() {
        let e = AppError::Io {
            context: "cannot write the bundle".into(),
            source: std::io::Error::other("No space left on device"),
        };
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(
            e.chain(),
            "cannot write the bundle: No space left on device"
        );
        let store: AppError = StoreError::Database("connection refused".into()).into();
        assert_eq!(store.kind(), ErrorKind::Unavailable);
        assert_eq!(
            store.chain(),
            "storage failed: database error: connection refused"
        );
    }

    #[test]
    fn domain_refusals_keep_their_kind_however_they_travel() {
        let refused = DomainError::field("title", "is required");
        assert_eq!(AppError::from(refused.clone()).kind(), ErrorKind::Invalid);
        let through_store: AppError = StoreError::Domain(refused).into();
        assert!(matches!(through_store, AppError::Domain(_)));
        assert_eq!(
            AppError::from(StoreError::Corrupt("bad row".into())).kind(),
            ErrorKind::Internal
        );
        assert_eq!(
            AppError::from(DomainError::NotFound("event E-1".into())).kind(),
            ErrorKind::NotFound
        );
    }
}
