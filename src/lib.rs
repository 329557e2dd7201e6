//! seglens: segment an online shop's customers locally and explain each segment.
//!
//! The library holds the whole pipeline, one module per domain; the `seglens` binary is a thin
//! wrapper around [`cli::main`]. Later front ends (the terminal UI) call the same [`pipeline`]
//! functions.

pub mod cli;
pub mod cluster;
pub mod config;
pub mod data;
pub mod demo;
pub mod embed;
pub mod eval;
pub mod features;
pub mod llm;
pub mod pipeline;
pub mod profile;
pub mod recovery;
pub mod report;
pub mod sanitize;
pub mod text;
pub mod tui;
pub mod util;
