//! Rampart's evidence vault.
//!
//! - [`blob`]: content stored by SHA-256, received and read in chunks,
//!   hashed while streaming.
//! - [`bundle`]: an incident's evidence as one signed archive, and its
//!   offline verification.
//! - [`key_file`]: the installation's signing key on disk, kept private.
//! - [`space`]: whether a directory can take writes now (free space and a
//!   probe write), for readiness.

pub mod blob;
pub mod bundle;
pub mod key_file;
pub mod space;

pub use blob::{BlobError, BlobStore, Incoming, Reading, StoredBlob};
pub use bundle::{BundleCheck, BundleError, BundleFile, Manifest, ManifestItem};
