//! The domain types users write in their files, and nothing else.

pub mod capacity;
pub mod guild;
pub mod placement;
pub mod quantity;
pub mod tenant;

pub use guild::{Guild, RESOURCE_FIELDS, ResourceField};
pub use tenant::Tenant;
