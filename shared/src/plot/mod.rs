//! Line charts of one or several series as PNG or SVG, for plot jobs.
//!
//! The params and downsampling are always compiled (the submit function validates plot params);
//! the renderer and its dependencies only with the `plot` feature, so functions that never draw
//! do not carry them.

mod downsample;
mod params;
#[cfg(feature = "plot")]
mod render;

pub use downsample::lttb;
pub use params::{ImageFormat, PlotParams};
#[cfg(feature = "plot")]
pub use render::{render, PlotSeries};
