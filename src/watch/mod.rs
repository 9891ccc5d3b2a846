//! watch (to be written)
