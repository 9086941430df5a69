//! Administration: users, API tokens, background jobs, machine intake,
//! webhooks and response-time targets.

mod intake;
mod jobs;
mod regulatory;
mod targets;
mod tokens;
mod users;
mod webhooks;

pub use intake::*;
pub use jobs::*;
pub use regulatory::*;
pub use targets::*;
pub use tokens::*;
pub use users::*;
pub use webhooks::*;
