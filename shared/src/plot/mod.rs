//! Line charts of one or several series as PNG or SVG, for plot jobs.
//!
//! The params and downsampling are always compiled (the submit function validates plot params);
//! the renderer and its dependencies only with the `plot` feature, so functions that never draw
//! do not carry them.

mod downsample;
mod params;

#[cfg(feature = "plot")]
mod bitmap;
#[cfg(feature = "plot")]
mod encode;
#[cfg(feature = "plot")]
mod legend;
#[cfg(feature = "plot")]
mod render;
#[cfg(feature = "plot")]
mod time_axis;
#[cfg(feature = "plot")]
mod value_axis;

pub use downsample::lttb;
pub use params::{ImageFormat, PlotParams};
#[cfg(feature = "plot")]
pub use render::{render, PlotSeries, MAX_SERIES};

/// The error for a failure inside plotters or the PNG encoder (a bug, not bad input).
#[cfg(feature = "plot")]
fn draw_err<E: std::fmt::Debug>(e: E) -> crate::Error {
    crate::Error::Internal(format!("plot rendering failed: {e:?}"))
}

/// At most `max` characters, the last one an ellipsis when cut.
#[cfg(feature = "plot")]
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
