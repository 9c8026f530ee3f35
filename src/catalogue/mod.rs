//! Provider catalogue (filled in by the catalogue work).
