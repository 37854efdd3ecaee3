//! The legend: one row (or several, wrapped) of colour swatches and series labels between the
//! title and the plot, so it never hides data the way a legend box inside the plot can.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_err, truncate};
use crate::Result;

pub(super) struct Entry {
    pub text: String,
    pub color: RGBColor,
}

/// Sizes of the legend's parts in pixels.
pub(super) struct Metrics {
    pub font_px: f64,
    pub swatch: i32,
    pub swatch_gap: i32,
    pub item_gap: i32,
    pub row_height: i32,
}

/// Entries placed on rows: `(entry index, x offset of the swatch)` per row, rows centred.
pub(super) struct Layout {
    rows: Vec<Vec<(usize, i32)>>,
}

impl Layout {
    pub fn height(&self, m: &Metrics) -> i32 {
        self.rows.len() as i32 * m.row_height
    }
}

/// Lays the entries out within `max_width` x `max_height`: labels are cut shorter until the
/// rows fit, and if even short labels do not fit (eight series on a tiny image), the rows that
/// do not fit are left out rather than the plot squeezed to nothing.
pub(super) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    m: &Metrics,
    max_width: i32,
    max_height: i32,
) -> Result<(Vec<Entry>, Layout)> {
    let mut fitted = Vec::new();
    let mut laid = Layout { rows: Vec::new() };
    for max_chars in [usize::MAX, 24, 12, 6] {
        fitted = entries
            .iter()
            .map(|e| Entry {
                text: truncate(&e.text, max_chars),
                color: e.color,
            })
            .collect();
        laid = layout(area, &fitted, m, max_width)?;
        if laid.height(m) <= max_height {
            break;
        }
    }
    laid.rows
        .truncate((max_height / m.row_height.max(1)).max(1) as usize);
    Ok((fitted, laid))
}

/// Lays entries out left to right, wrapping at `max_width`.
fn layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    m: &Metrics,
    max_width: i32,
) -> Result<Layout> {
    let font = TextStyle::from(("sans-serif", m.font_px).into_font());
    let mut widths = Vec::with_capacity(entries.len());
    for e in entries {
        let (w, _) = area.estimate_text_size(&e.text, &font).map_err(draw_err)?;
        widths.push(m.swatch + m.swatch_gap + w as i32);
    }
    let mut rows: Vec<Vec<(usize, i32)>> = Vec::new();
    let mut row: Vec<(usize, i32)> = Vec::new();
    let mut x = 0;
    for (i, &w) in widths.iter().enumerate() {
        if !row.is_empty() && x + m.item_gap + w > max_width {
            rows.push(std::mem::take(&mut row));
            x = 0;
        }
        if !row.is_empty() {
            x += m.item_gap;
        }
        row.push((i, x));
        x += w;
    }
    if !row.is_empty() {
        rows.push(row);
    }
    // Centre each row: shift by half the space left after its last entry.
    for row in &mut rows {
        if let Some(&(last, x)) = row.last() {
            let shift = ((max_width - (x + widths[last])) / 2).max(0);
            for (_, x) in row.iter_mut() {
                *x += shift;
            }
        }
    }
    Ok(Layout { rows })
}

/// Draws the laid-out entries with their top-left corner at `origin` of `area`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    layout: &Layout,
    m: &Metrics,
    origin: (i32, i32),
) -> Result<()> {
    let style = TextStyle::from(("sans-serif", m.font_px).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let thickness = (m.font_px / 5.0).round().max(2.0) as i32;
    for (r, row) in layout.rows.iter().enumerate() {
        let y = origin.1 + r as i32 * m.row_height + m.row_height / 2;
        for &(i, x) in row {
            let x = origin.0 + x;
            let e = &entries[i];
            area.draw(&Rectangle::new(
                [
                    (x, y - thickness / 2),
                    (x + m.swatch, y - thickness / 2 + thickness),
                ],
                e.color.filled(),
            ))
            .map_err(draw_err)?;
            area.draw(&Text::new(
                e.text.as_str(),
                (x + m.swatch + m.swatch_gap, y),
                style.clone(),
            ))
            .map_err(draw_err)?;
        }
    }
    Ok(())
}
