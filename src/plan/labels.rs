//! The compose label keys now live in the model ([`crate::model::labels`]); re-exported here so
//! that existing `plan::labels::*` call sites keep working until they import the model's.

pub use crate::model::labels::*;
