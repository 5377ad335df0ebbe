//! Preview (placeholder).
