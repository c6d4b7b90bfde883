//! A field of a request body: why one was refused, and the rules owner-written text and whole
//! numbers follow wherever they appear.

/// Why a field was refused: its path in the body and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl crate::error::Refusal for FieldError {}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Text an owner writes: at most `max` characters, no control characters but line breaks and
/// tabs, and not blank when `required`.
pub(crate) fn text_within(field: &str, value: &str, max: usize, required: bool) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(())
}

/// Whole numbers the way the OpenAPI document's `integer` means them: a JSON number with no
/// fraction, `5` or `5.0` alike (serde alone refuses `5.0` for an integer field).
pub(crate) mod whole {
    use serde::{de::Error, Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Whole(u64),
        Float(f64),
    }

    fn of<T: TryFrom<u64>, E: Error>(n: Number) -> Result<T, E> {
        let n = match n {
            Number::Whole(n) => n,
            // Below 2^53 every whole float is exact.
            Number::Float(f) if f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&f) => f as u64,
            Number::Float(f) => return Err(E::custom(format!("expected a whole number, got {f}"))),
        };
        T::try_from(n).map_err(|_| E::custom(format!("{n} is out of range")))
    }

    pub fn required<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
        of(Number::deserialize(d)?)
    }

    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
        Option::<Number>::deserialize(d)?.map(of).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_text_is_bounded_and_plain() {
        assert_eq!(text_within("f", "two\nlines\tand a tab", 30, true), Ok(()));
        assert_eq!(text_within("f", "", 30, false), Ok(()));
        assert_eq!(text_within("f", " ", 30, true).unwrap_err().message, "must not be empty");
        assert_eq!(text_within("f", "é".repeat(4).as_str(), 3, false).unwrap_err().field, "f");
        assert!(text_within("f", "bell\x07", 30, false).is_err());
    }
}
