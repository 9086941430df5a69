use rampart_domain::DomainError;

/// Why storage could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The domain refused the change; nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database is unreachable or failed; the message is for logs only.
    #[error("database error: {0}")]
    Database(String),
    /// A stored row cannot be read back (corruption or a bug).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The writer has stopped (shutdown).
    #[error("the store is shutting down")]
    Closed,
}
