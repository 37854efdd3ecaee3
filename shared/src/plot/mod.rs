//! Line charts of one or several series as PNG or SVG.
