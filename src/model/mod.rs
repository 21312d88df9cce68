//! The domain types users write in their files, and nothing else.

pub mod guild;
pub mod quantity;

pub use guild::{Guild, RESOURCE_FIELDS, ResourceField};
