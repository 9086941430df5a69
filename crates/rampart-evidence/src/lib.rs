//! Rampart's evidence vault.
//!
//! - [`blob`]: content stored by SHA-256, received and read in chunks,
//!   hashed while streaming.
//! - [`bundle`]: an incident's evidence as one signed archive, and its
//!   offline verification.

pub mod blob;
pub mod bundle;

pub use blob::{BlobError, BlobStore, Incoming, Reading, StoredBlob};
pub use bundle::{BundleCheck, BundleError, BundleFile, Manifest, ManifestItem};
