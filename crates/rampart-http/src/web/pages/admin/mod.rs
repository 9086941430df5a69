//! Administration: users, API tokens, background jobs and machine intake.

mod intake;
mod jobs;
mod tokens;
mod users;

pub use intake::*;
pub use jobs::*;
pub use tokens::*;
pub use users::*;
