//! Form errors: messages per field, shown beside the field when a form is re-rendered.

use validator::ValidationErrors;

/// Messages for the fields of one form, in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    /// No errors.
    pub fn new() -> FormErrors {
        FormErrors::default()
    }

    /// Adds `message` for `field` (`"form"` for the form as a whole).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// Adds the message of a failed check, if it failed.
    pub fn check<T, E: Into<String>>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Whether the form is fine.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` has a message.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }

    /// The messages for `field`.
    pub fn for_field(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    /// The messages `validator` found, each under its field.
    pub fn from_validation(errors: &ValidationErrors, fields: &[&'static str]) -> FormErrors {
        let mut out = FormErrors::new();
        for (field, list) in errors.field_errors() {
            let name = fields
                .iter()
                .copied()
                .find(|f| *f == field.as_ref())
                .unwrap_or("form");
            for error in list {
                let message = error.message.as_ref().map_or_else(
                    || format!("Check this field ({}).", error.code),
                    |m| m.to_string(),
                );
                out.add(name, message);
            }
        }
        out
    }
}
