//! docker (in progress)
