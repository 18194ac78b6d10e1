//! Shared helpers of the integration tests: fixture paths and the reference set.
#![allow(dead_code)]

pub mod tools;
pub mod zoo;

use std::path::PathBuf;

/// `fixtures/vgf` of the workspace.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/vgf").join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Every `.vgf` written by Arm's tools (and the team's Python writer) in the fixture set.
pub const REFERENCE_VGF: [&str; 8] = [
    "conv_i8.vgf",
    "conv_f32.vgf",
    "minicnn_i8.vgf",
    "bigconv_i8.vgf",
    "handwritten_minicnn_i8.vgf",
    "handwritten_minicnn_i8_minimal.vgf",
    "upscaler_i8.vgf",
    "upscaler_i8_debuginfo.vgf",
];
