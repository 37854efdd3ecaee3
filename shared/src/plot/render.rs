//! Drawing a chart with plotters: one layout generic over the PNG (bitmap) and SVG backends.
//!
//! Text is measured and, in bitmaps, drawn with DejaVu Sans embedded in the binary, because
//! Lambda has no system fonts; SVG writes text as text. Each series is downsampled with LTTB to
//! about two points per pixel column first, so a million points draw as fast as a few thousand
//! and look the same. Sizes scale with the image so small and large images keep proportions.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::bitmap::Bitmap;
use super::legend::{self, Entry, Metrics};
use super::time_axis::TimeAxis;
use super::value_axis::ValueAxis;
use super::{draw_err, encode, lttb, truncate, ImageFormat, PlotParams};
use crate::model::Point;
use crate::{Error, Result};

/// The most series one chart takes: one distinct colour each.
pub const MAX_SERIES: usize = 8;

/// Matplotlib's "tab10" palette without grey and olive, red second: distinct, readable on white.
pub(super) const COLORS: [RGBColor; MAX_SERIES] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

const GRID: RGBColor = RGBColor(225, 225, 225);
const NOTE: RGBColor = RGBColor(110, 110, 110);
/// Legend labels longer than this are cut (series names may be 1 KB).
const MAX_LABEL_CHARS: usize = 60;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// One line of the chart.
#[derive(Debug, Clone, Copy)]
pub struct PlotSeries<'a> {
    pub label: &'a str,
    pub unit: &'a str,
    /// Sorted by `t` ascending.
    pub points: &'a [Point],
}

/// The embedded font, registered (once per process) under the family name the text styles use:
/// plotters measures text with it, the PNG backend draws with it.
fn font() -> Result<FontRef<'static>> {
    static LOADED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            register_font("sans-serif", FontStyle::Normal, FONT).ok()?;
            FontRef::try_from_slice(FONT).ok()
        })
        .clone()
        .ok_or_else(|| Error::Internal("the embedded chart font does not parse".into()))
}

/// Renders a line chart of 1 to 8 series in the params' format; returns the encoded image.
/// `default_title` is used when the params have none.
///
/// Errors: `Invalid` for params out of range or a series count outside 1..=8; `Internal` if
/// drawing or encoding fails. Empty, single-point and constant series render normally.
pub fn render(series: &[PlotSeries], params: &PlotParams, default_title: &str) -> Result<Vec<u8>> {
    params.validate()?;
    if series.is_empty() || series.len() > MAX_SERIES {
        return Err(Error::invalid(
            "series",
            format!(
                "a plot takes 1 to {MAX_SERIES} series, got {}",
                series.len()
            ),
        ));
    }
    let font = font()?;
    let labels: Vec<(String, String)> = series
        .iter()
        .map(|s| (printable(s.label), printable(s.unit)))
        .collect();
    let series: Vec<PlotSeries> = series
        .iter()
        .zip(&labels)
        .map(|(s, (label, unit))| PlotSeries {
            label,
            unit,
            points: s.points,
        })
        .collect();
    let chart = Chart::new(&series, params, default_title);
    let (w, h) = (params.width, params.height);
    match params.format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            chart.draw(SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area())?;
            Ok(svg.into_bytes())
        }
        ImageFormat::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            chart.draw(Bitmap::new(&mut rgb, (w, h), font).into_drawing_area())?;
            encode::png(&rgb, w, h)
        }
    }
}

/// What to draw, prepared independently of the backend.
struct Chart {
    width: i32,
    height: i32,
    /// Size factor: 1 at the default 1200 x 600.
    scale: f64,
    title: String,
    entries: Vec<Entry>,
    lines: Vec<Vec<Point>>,
    y_desc: String,
    /// Data bounds `(t0, t1, v0, v1)`; `None` when no series has a point.
    bounds: Option<(i64, i64, f64, f64)>,
}

impl Chart {
    fn new(series: &[PlotSeries], params: &PlotParams, default_title: &str) -> Chart {
        let threshold = 2 * params.width as usize;
        let lines: Vec<Vec<Point>> = series.iter().map(|s| lttb(s.points, threshold)).collect();
        let (label_units, y_desc) = units(series);
        let entries = series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut text = truncate(s.label, MAX_LABEL_CHARS);
                if label_units && !s.unit.is_empty() {
                    text = format!("{text} ({})", truncate(s.unit, 20));
                }
                if s.points.is_empty() {
                    text.push_str(" – no data");
                }
                Entry {
                    text,
                    color: COLORS[i],
                }
            })
            .collect();
        let scale = (f64::from(params.width) / 1200.0)
            .min(f64::from(params.height) / 600.0)
            .clamp(0.75, 2.5);
        Chart {
            width: params.width as i32,
            height: params.height as i32,
            scale,
            title: printable(params.title.as_deref().unwrap_or(default_title)),
            entries,
            lines,
            y_desc,
            // The bounds come from every point, not the downsampled ones, so the axes show the
            // true extremes even where a line cannot.
            bounds: bounds(series),
        }
    }

    fn px(&self, at_default: f64) -> f64 {
        (at_default * self.scale).round()
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(draw_err)?;
        let margin = self.px(12.0) as i32;
        let title_font = TextStyle::from(("sans-serif", self.px(22.0)).into_font());
        let tick_px = self.px(13.0);
        let tick_font = TextStyle::from(("sans-serif", tick_px).into_font());
        let desc_font = ("sans-serif", self.px(15.0)).into_font();

        // Title, cut to the width.
        let title = fit(&root, &self.title, &title_font, self.width - 2 * margin)?;
        root.draw(&Text::new(
            title,
            (self.width / 2, margin),
            title_font.pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_err)?;
        let mut top = margin + (self.px(22.0) * 1.25) as i32;

        // Legend rows under the title.
        let metrics = Metrics {
            font_px: self.px(14.0),
            swatch: self.px(24.0) as i32,
            swatch_gap: self.px(6.0) as i32,
            item_gap: self.px(22.0) as i32,
            row_height: (self.px(14.0) * 1.6) as i32,
        };
        // The legend may take up to 30% of the height; the plot keeps the rest.
        let (entries, layout) = legend::fit(
            &root,
            &self.entries,
            &metrics,
            self.width - 2 * margin,
            self.height * 3 / 10,
        )?;
        legend::draw(&root, &entries, &layout, &metrics, (margin, top))?;
        top += layout.height(&metrics) + self.px(4.0) as i32;

        // Axis sizes: the y label column fits the widest label; the right margin fits half of
        // the last x label, which is centred on its tick at the plot's edge.
        let (_, area) = root.split_vertically(top);
        let area_h = self.height - top;
        let margin_top = (tick_px * 0.7) as i32;
        let x_area = (tick_px + self.px(15.0) + self.px(18.0)) as i32;
        let plot_h = f64::from(area_h - margin_top - margin - x_area);
        let (t0, t1, v0, v1) = self.bounds.unwrap_or((0, 1, 0.0, 1.0));
        let y_axis = match self.bounds {
            Some(_) => {
                let (lo, hi) = pad(v0, v1);
                ValueAxis::new(lo, hi, (plot_h / (tick_px * 3.2)).clamp(2.0, 10.0) as usize)
            }
            None => ValueAxis::blank(v0, v1),
        };
        let mut label_w = 0;
        for label in y_axis.labels() {
            let (w, _) = root
                .estimate_text_size(&label, &tick_font)
                .map_err(draw_err)?;
            label_w = label_w.max(w as i32);
        }
        let y_area = label_w + (self.px(15.0) * 1.3 + self.px(16.0)) as i32;
        let (digits_w, _) = root
            .estimate_text_size("0000000000", &tick_font)
            .map_err(draw_err)?;
        let char_px = f64::from(digits_w) / 10.0;
        let x_axis = |right: i32| match self.bounds {
            Some(_) => TimeAxis::new(
                t0,
                t1,
                f64::from(self.width - margin - y_area - right),
                char_px,
            ),
            None => TimeAxis::blank(t0, t1),
        };
        let first = x_axis(margin);
        let right = margin.max((first.label_chars() as f64 * char_px / 2.0) as i32 + 4);
        let x_axis = x_axis(right);
        let x_desc = x_axis.description();

        let mut chart = ChartBuilder::on(&area)
            .margin_top(margin_top)
            .margin_bottom(margin)
            .margin_left(margin)
            .margin_right(right)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .axis_style(BLACK)
            .label_style(tick_font)
            .axis_desc_style(desc_font)
            .x_desc(x_desc)
            .y_desc(&self.y_desc)
            .draw()
            .map_err(draw_err)?;

        let plot_w = chart.plotting_area().dim_in_pixel().0 as usize;
        let stroke = self.scale.round().max(1.0) as u32;
        for (line, entry) in self.lines.iter().zip(&self.entries) {
            // Dense lines (after downsampling, about two points per pixel) are drawn thin so
            // their detail stays visible; sparse ones get thicker lines and point markers.
            let sparse = line.len() * 20 <= plot_w;
            let style = entry.color.stroke_width(if line.len() * 4 <= plot_w {
                2 * stroke
            } else {
                stroke
            });
            let series = LineSeries::new(line.iter().map(|p| (p.t, p.v)), style);
            let series = if sparse {
                series.point_size(2 * stroke + 1)
            } else {
                series
            };
            chart.draw_series(series).map_err(draw_err)?;
        }

        if self.bounds.is_none() {
            let plot = chart.plotting_area().strip_coord_spec();
            let (pw, ph) = plot.dim_in_pixel();
            plot.draw(&Text::new(
                "no data in the requested range",
                (pw as i32 / 2, ph as i32 / 2),
                TextStyle::from(("sans-serif", self.px(18.0)).into_font())
                    .color(&NOTE)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
        Ok(())
    }
}

/// Whether legend entries carry their unit, and the y axis title: `value (unit)` when every
/// series has the same unit, else the distinct units listed (and named in the legend).
fn units(series: &[PlotSeries]) -> (bool, String) {
    let mut distinct: Vec<&str> = Vec::new();
    for s in series {
        if !distinct.contains(&s.unit) {
            distinct.push(s.unit);
        }
    }
    match distinct.as_slice() {
        [""] => (false, "value".to_owned()),
        [unit] => (false, format!("value ({})", truncate(unit, 40))),
        many => {
            let named: Vec<String> = many
                .iter()
                .filter(|u| !u.is_empty())
                .map(|u| truncate(u, 20))
                .collect();
            (true, format!("value ({})", named.join(", ")))
        }
    }
}

/// Time and value bounds over every finite point; `None` without any.
fn bounds(series: &[PlotSeries]) -> Option<(i64, i64, f64, f64)> {
    let (mut t0, mut t1) = (i64::MAX, i64::MIN);
    let (mut v0, mut v1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flat_map(|s| s.points) {
        if p.v.is_finite() {
            t0 = t0.min(p.t);
            t1 = t1.max(p.t);
            v0 = v0.min(p.v);
            v1 = v1.max(p.v);
        }
    }
    if t0 > t1 {
        return None;
    }
    if t0 == t1 {
        // A single instant: an hour either side, so the point sits mid-chart.
        (t0, t1) = (t0 - 3_600_000, t1 + 3_600_000);
    }
    Some((t0, t1, v0, v1))
}

/// The value range with 5% headroom either side; a constant gets ±10% of itself (±1 at zero).
fn pad(v0: f64, v1: f64) -> (f64, f64) {
    // Halves first: `v1 - v0` overflows for values near ±f64::MAX.
    let half = v1 / 2.0 - v0 / 2.0;
    let pad = if half > 0.0 {
        half * 0.1
    } else if v0 != 0.0 {
        v0.abs() * 0.1
    } else {
        1.0
    };
    let lo = (v0 - pad).max(-f64::MAX);
    let hi = (v1 + pad).min(f64::MAX);
    (lo, hi)
}

/// `s` without the characters XML 1.0 forbids (an SVG holding them is not well-formed) and
/// that no font draws: line breaks and tabs become spaces, other control characters and
/// U+FFFE, U+FFFF are dropped. Titles, names and units are user text and may hold any of them.
pub(super) fn printable(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{fffe}' | '\u{ffff}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `text` cut (with an ellipsis) until it fits `max_width` pixels in `font`.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle,
    max_width: i32,
) -> Result<String> {
    let mut chars = text.chars().count();
    let mut out = text.to_owned();
    while chars > 1 {
        let (w, _) = area.estimate_text_size(&out, font).map_err(draw_err)?;
        if w as i32 <= max_width {
            break;
        }
        chars -= 1;
        out = truncate(text, chars);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;

    fn wave(n: usize, step_ms: i64, period: f64, amp: f64, offset: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: 1_704_067_200_000 + i as i64 * step_ms,
                v: (i as f64 / period * std::f64::consts::TAU).sin() * amp + offset,
            })
            .collect()
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let px = buf.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        (info.width, info.height, px)
    }

    fn one<'a>(label: &'a str, unit: &'a str, points: &'a [Point]) -> PlotSeries<'a> {
        PlotSeries {
            label,
            unit,
            points,
        }
    }

    #[test]
    fn png_has_size_colours_and_lines() {
        let a = wave(50_000, 60_000, 9_000.0, 10.0, 20.0);
        let b = wave(50_000, 60_000, 4_000.0, 5.0, 12.0);
        let params = PlotParams {
            width: 900,
            height: 500,
            ..Default::default()
        };
        let series = [one("alpha", "degC", &a), one("beta", "degC", &b)];
        let (w, h, px) = decode(&render(&series, &params, "Test").unwrap());
        assert_eq!((w, h), (900, 500));
        let is = |c: RGBColor| move |p: &&[u8; 3]| **p == [c.0, c.1, c.2];
        let first = px.iter().filter(is(COLORS[0])).count();
        let second = px.iter().filter(is(COLORS[1])).count();
        assert!(first > 500, "first series colour drawn {first} times");
        assert!(second > 500, "second series colour drawn {second} times");
        let distinct: std::collections::HashSet<&[u8; 3]> = px.iter().collect();
        assert!(distinct.len() > 20, "{} colours", distinct.len());
        // The middle of the image is plot area: most of its rows cross a line.
        let (cx0, cx1) = (w as usize / 4, w as usize * 3 / 4);
        let inked = (h as usize / 4..h as usize * 3 / 4)
            .filter(|&y| (cx0..cx1).any(|x| px[y * w as usize + x] != [255, 255, 255]))
            .count();
        assert!(inked > (h as usize / 2) * 9 / 10, "{inked} rows inked");
    }

    #[test]
    fn svg_is_xml_with_size_title_and_legend() {
        let a = wave(1000, 60_000, 100.0, 1.0, 0.0);
        let b = wave(1000, 60_000, 50.0, 1.0, 0.0);
        let params = PlotParams {
            format: ImageFormat::Svg,
            width: 640,
            height: 360,
            title: Some("Title <1>".into()),
        };
        let series = [one("alpha & co", "m", &a), one("beta", "s", &b)];
        let svg = String::from_utf8(render(&series, &params, "x").unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("640"));
        assert_eq!(root.attribute("height"), Some("360"));
        let texts: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for want in ["Title <1>", "alpha & co (m)", "beta (s)", "value (m, s)"] {
            assert!(texts.iter().any(|t| t.contains(want)), "{want}: {texts:?}");
        }
    }

    #[test]
    fn default_title_and_shared_unit() {
        let a = wave(10, 60_000, 5.0, 1.0, 0.0);
        let params = PlotParams {
            format: ImageFormat::Svg,
            ..Default::default()
        };
        let series = [one("a", "kWh", &a), one("b", "kWh", &a)];
        let svg = String::from_utf8(render(&series, &params, "a, b").unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert!(texts.contains(&"a, b"), "{texts:?}");
        assert!(texts.contains(&"value (kWh)"), "{texts:?}");
    }

    #[test]
    fn empty_constant_single_and_extreme_series_render() {
        let single = [Point { t: 5, v: 3.0 }];
        let constant: Vec<Point> = (0..10)
            .map(|i| Point {
                t: i * 1000,
                v: 2.0,
            })
            .collect();
        let zero: Vec<Point> = (0..10)
            .map(|i| Point {
                t: i * 1000,
                v: 0.0,
            })
            .collect();
        let huge = [
            Point {
                t: time::MIN_MS,
                v: -f64::MAX,
            },
            Point {
                t: time::MAX_MS,
                v: f64::MAX,
            },
        ];
        let tiny = [Point { t: 0, v: 1e-300 }, Point { t: 1, v: 2e-300 }];
        let cases: [&[Point]; 6] = [&[], &single, &constant, &zero, &huge, &tiny];
        for pts in cases {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let params = PlotParams {
                    format,
                    width: 200,
                    height: 150,
                    ..Default::default()
                };
                let out = render(&[one("s", "", pts)], &params, "t").unwrap();
                if format == ImageFormat::Png {
                    assert_eq!(decode(&out).0, 200);
                } else {
                    roxmltree::Document::parse(std::str::from_utf8(&out).unwrap()).unwrap();
                }
            }
        }
        // An empty series next to a full one is named as such in the legend.
        let params = PlotParams {
            format: ImageFormat::Svg,
            ..Default::default()
        };
        let svg = render(&[one("a", "", &constant), one("b", "", &[])], &params, "t").unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("b – no data"));
        let svg = render(&[one("a", "", &[])], &params, "t").unwrap();
        assert!(String::from_utf8(svg)
            .unwrap()
            .contains("no data in the requested range"));
    }

    #[test]
    fn series_count_and_params_are_checked() {
        let a = wave(10, 1000, 5.0, 1.0, 0.0);
        let field = |r: Result<Vec<u8>>| match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{:?}", other.map(|b| b.len())),
        };
        let params = PlotParams::default();
        assert_eq!(field(render(&[], &params, "t")), "series");
        let nine: Vec<PlotSeries> = (0..9).map(|_| one("series", "", &a)).collect();
        assert_eq!(field(render(&nine, &params, "t")), "series");
        assert!(render(&nine[..8], &params, "t").is_ok());
        // Eight legend rows do not fit the smallest image; it still renders.
        let long = "a long series name that takes a row of its own";
        let eight: Vec<PlotSeries> = (0..8).map(|_| one(long, "", &a)).collect();
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let tiny = PlotParams {
                format,
                width: 200,
                height: 150,
                ..Default::default()
            };
            assert!(render(&eight, &tiny, "t").is_ok());
        }
        let bad = PlotParams {
            width: 10,
            ..Default::default()
        };
        assert_eq!(field(render(&nine[..1], &bad, "t")), "params.width");
    }

    #[test]
    fn svg_of_any_text_is_well_formed_xml() {
        // Every character XML 1.0 forbids, plus ones it must escape, in the title, a series
        // label and a unit (names and units are user text too).
        let mut nasty: String = (0u32..0x20).filter_map(char::from_u32).collect();
        nasty.push_str("\u{7f}\u{85}\u{9f}\u{fffe}\u{ffff}<&>\"'");
        let title = format!("T{nasty}itle");
        let label = format!("lab{nasty}el");
        let unit = format!("u{nasty}nit");
        let a = wave(100, 60_000, 20.0, 1.0, 0.0);
        let b = wave(100, 60_000, 30.0, 1.0, 0.0);
        for default_title in [false, true] {
            let params = PlotParams {
                format: ImageFormat::Svg,
                title: (!default_title).then(|| title.clone()),
                ..Default::default()
            };
            let series = [one(&label, &unit, &a), one("plain", "m", &b)];
            let svg = String::from_utf8(render(&series, &params, &title).unwrap()).unwrap();
            let doc = roxmltree::Document::parse(&svg)
                .unwrap_or_else(|e| panic!("SVG is not well-formed XML: {e}"));
            let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
            // Line breaks and tabs became spaces, the rest of the controls are gone, and what
            // XML escapes is kept.
            let kept = "   <&>\"'";
            for want in [format!("T{kept}itle"), format!("lab{kept}el (u{kept}nit)")] {
                assert!(
                    texts.iter().any(|t| t.contains(&want)),
                    "{want:?} in {texts:?}"
                );
            }
        }
        let png = render(
            &[one(&label, &unit, &a)],
            &PlotParams {
                title: Some(title.clone()),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        assert_eq!(decode(&png).0, 1200);
        assert_eq!(printable("a\u{0}b\nc\u{1}"), "ab c");
    }

    #[test]
    fn long_labels_and_titles_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
        assert_eq!(truncate("ééééé", 3), "éé…");
        let a = wave(10, 1000, 5.0, 1.0, 0.0);
        let long = "x".repeat(1000);
        let params = PlotParams {
            format: ImageFormat::Svg,
            width: 300,
            title: Some("t".repeat(200)),
            ..Default::default()
        };
        let svg = render(&[one(&long, &long, &a)], &params, "t").unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("xxx…"));
    }

    /// Prints render times (run with `--release --nocapture`); writes sample charts of two
    /// 100k-point series over a year to the directory in `TSFN_PLOT_SAMPLES` when it is set.
    #[test]
    fn timings_and_samples() {
        let year_ms = 365 * 86_400_000;
        for n in [100_000, 1_000_000] {
            let step = year_ms / n as i64;
            let a = wave(n, step, n as f64 / 4.0, 8.0, 15.0);
            let b = wave(n, step, n as f64 / 52.0, 3.0, 9.0);
            let two = [one("outdoor", "degC", &a), one("indoor", "degC", &b)];
            for (series, format) in [
                (&two[..1], ImageFormat::Png),
                (&two[..], ImageFormat::Png),
                (&two[..], ImageFormat::Svg),
            ] {
                let params = PlotParams {
                    format,
                    ..Default::default()
                };
                let started = std::time::Instant::now();
                let out = render(series, &params, "outdoor, indoor").unwrap();
                eprintln!(
                    "plot: {} x {n} points -> {format:?} in {:?} ({} bytes)",
                    series.len(),
                    started.elapsed(),
                    out.len()
                );
                if let (Ok(dir), 100_000, 2) = (std::env::var("TSFN_PLOT_SAMPLES"), n, series.len())
                {
                    let ext = if format == ImageFormat::Png {
                        "png"
                    } else {
                        "svg"
                    };
                    std::fs::write(format!("{dir}/plot-sample.{ext}"), &out).unwrap();
                }
            }
        }
    }
}
