//! Administration: users, API tokens, background jobs, machine intake and webhooks.

mod intake;
mod jobs;
mod tokens;
mod users;
mod webhooks;

pub use intake::*;
pub use jobs::*;
pub use tokens::*;
pub use users::*;
pub use webhooks::*;
