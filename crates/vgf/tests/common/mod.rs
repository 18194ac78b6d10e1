//! Shared helpers of the integration tests: fixture paths and the reference set. The zoo
//! graphs, fixture location and scratch folders come from `vgforge-testkit`.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

pub mod tools;

pub use vgforge_testkit::{Scratch, arm_fixture as fixture, zoo};

pub fn read_fixture(name: &str) -> Vec<u8> {
    vgforge_testkit::read_arm_fixture(name).unwrap_or_else(|e| panic!("{e}"))
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
