//! Why a message was refused; the text is meant for a dead-letter table.

/// A message that could not be read; the display text names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("the message contains control character U+{code:04X} at offset {offset}")]
    ControlCharacter { code: u32, offset: usize },
    #[error("not a syslog message: {0}")]
    NotSyslog(String),
    #[error("not a valid CEF message: {0}")]
    Cef(String),
    #[error("the message cannot become an event: {0}")]
    Unusable(String),
}
