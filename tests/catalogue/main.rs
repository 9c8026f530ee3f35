//! Tests of the provider catalogue (`devgen::catalogue`): one test binary,
//! one module per concern.

mod csv;
mod embedded;
mod fit;
mod format;
mod props;
mod support;
