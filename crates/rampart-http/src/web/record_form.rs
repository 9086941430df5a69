//! The values of a record form as a page shows them: what was last posted
//! (or nothing, on a fresh page) and the fields the application refused.
//! Templates draw each field with the `field` macro of `_macros.html`,
//! which takes the field's error from here.

use rampart_domain::FieldError;

use super::form::FormData;
use super::view::FieldErrors;

/// A record form's values and refused fields.
#[derive(Debug, Clone, Default)]
pub struct RecordForm {
    pub values: FormData,
    pub errors: Vec<FieldError>,
}

impl RecordForm {
    /// The form as posted, with what was refused in it.
    pub fn new(values: FormData, errors: Vec<FieldError>) -> Self {
        Self { values, errors }
    }

    /// A field's value, empty when absent.
    pub fn v(&self, name: &str) -> &str {
        self.values.v(name)
    }

    /// Whether a field holds this value (a selected option, a checked radio).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.has(name, value)
    }

    /// Whether a checkbox is ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.values.checked(name)
    }

    /// Why a field was refused, shown beside it.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.for_field(field)
    }

    /// For a field whose refusal the page names only in the list at the top.
    pub fn unmarked(&self) -> Option<&str> {
        None
    }
}
