//! What the domain refuses, and why.

use serde::Serialize;

/// One refused field: its name (a JSON path such as `severity.business_loss`)
/// and a sentence for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A request the domain cannot honour. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more fields are missing or wrong.
    #[error("invalid input: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// The record's lifecycle does not allow the requested move.
    #[error("{entity} is {current} and cannot become {requested}")]
    IllegalTransition {
        entity: String,
        current: String,
        requested: String,
        allowed: Vec<String>,
    },
    /// The actor's roles do not allow the action.
    #[error("{actor} may not {action}; allowed roles: {}", .allowed.join(", "))]
    Forbidden {
        actor: String,
        action: String,
        allowed: Vec<String>,
    },
    /// The roles allow the action, but the API token used does not have
    /// its scope.
    #[error(
        "{actor}'s token may not {action}: that needs the scope `{scope}`, which the token was not given"
    )]
    OutOfScope {
        actor: String,
        action: String,
        scope: String,
    },
    /// No record has that number.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The record exists already (unique names).
    #[error("{0}")]
    Conflict(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl DomainError {
    /// A single field error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Collects field errors while a request is parsed, so one reply names all of them.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value when it parsed, records the error when it did not.
    pub fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}
