//! Drawing with plotters: one renderer generic over the PNG (bitmap) and SVG backends. Text in
//! bitmaps uses DejaVu Sans embedded in the binary (Lambda has no system fonts); SVG writes text
//! as text. Each series is downsampled with LTTB to about two points per pixel column first, so
//! a million points draw as fast as a few thousand and look the same.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::{lttb, ImageFormat, PlotParams};
use crate::model::Point;
use crate::{time, Error, Result};

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// One line of the chart.
pub struct PlotSeries<'a> {
    pub label: &'a str,
    pub unit: &'a str,
    pub points: &'a [Point],
}

fn draw_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Internal(format!("plot rendering failed: {e:?}"))
}

/// Renders the chart in the params' format; returns the encoded image.
pub fn render(series: &[PlotSeries], params: &PlotParams, default_title: &str) -> Result<Vec<u8>> {
    REGISTER.call_once(|| {
        // The font is part of the binary: failing to parse it is a build defect, caught by tests.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let title = params.title.as_deref().unwrap_or(default_title);
    let lines: Vec<(&PlotSeries, Vec<Point>)> = series
        .iter()
        .map(|s| (s, lttb(s.points, params.width as usize * 2)))
        .collect();
    let (w, h) = (params.width, params.height);
    match params.format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            draw(
                SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area(),
                &lines,
                title,
            )?;
            Ok(svg.into_bytes())
        }
        ImageFormat::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            draw(
                BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(),
                &lines,
                title,
            )?;
            encode_png(&rgb, w, h)
        }
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Charts are mostly flat colour: fast compression is already small.
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().map_err(draw_err)?;
    writer.write_image_data(rgb).map_err(draw_err)?;
    writer.finish().map_err(draw_err)?;
    Ok(out)
}

/// The tick label format that suits the time span shown.
fn tick_label(ms: i64, span_ms: i64) -> String {
    let s = time::format(ms);
    const DAY: i64 = 86_400_000;
    if span_ms <= 3 * DAY {
        format!("{} {}", &s[5..10], &s[11..16])
    } else if span_ms <= 400 * DAY {
        s[..10].to_owned()
    } else if span_ms <= 10 * 365 * DAY {
        s[..7].to_owned()
    } else {
        s[..4].to_owned()
    }
}

fn y_label(series: &[(&PlotSeries, Vec<Point>)]) -> String {
    let mut units: Vec<&str> = series
        .iter()
        .map(|(s, _)| s.unit)
        .filter(|u| !u.is_empty())
        .collect();
    units.dedup();
    match units.as_slice() {
        [] => "value".to_owned(),
        [u] => format!("value ({u})"),
        many => format!("value ({})", many.join(", ")),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    lines: &[(&PlotSeries, Vec<Point>)],
    title: &str,
) -> Result<()> {
    root.fill(&WHITE).map_err(draw_err)?;
    let all = lines.iter().flat_map(|(_, p)| p.iter());
    let (mut t0, mut t1, mut y0, mut y1) = (i64::MAX, i64::MIN, f64::INFINITY, f64::NEG_INFINITY);
    for p in all {
        t0 = t0.min(p.t);
        t1 = t1.max(p.t);
        y0 = y0.min(p.v);
        y1 = y1.max(p.v);
    }
    let empty = t0 > t1;
    if empty {
        (t0, t1, y0, y1) = (0, 86_400_000, 0.0, 1.0);
    }
    if t0 == t1 {
        (t0, t1) = (t0 - 3_600_000, t1 + 3_600_000);
    }
    let pad = if y1 > y0 {
        (y1 - y0) * 0.05
    } else {
        y0.abs().max(1.0) * 0.1
    };
    let (y0, y1) = (y0 - pad, y1 + pad);
    let span = t1 - t0;

    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(78)
        .build_cartesian_2d(t0..t1, y0..y1)
        .map_err(draw_err)?;
    let x_fmt = move |t: &i64| tick_label(*t, span);
    chart
        .configure_mesh()
        .x_labels(7)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .x_desc("time (UTC)")
        .y_desc(y_label(lines))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;
    if empty {
        let mid = t0 + span / 2;
        chart
            .draw_series(std::iter::once(Text::new(
                "no data in range",
                (mid, 0.5),
                ("sans-serif", 18).into_font(),
            )))
            .map_err(draw_err)?;
    }
    for (i, (s, points)) in lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let style = color.stroke_width(if points.len() > 2000 { 1 } else { 2 });
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.t, p.v)), style))
            .map_err(draw_err)?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
            });
    }
    if !lines.is_empty() {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(draw_err)?;
    }
    root.present().map_err(draw_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: usize, f: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: 1_700_000_000_000 + i as i64 * 60_000,
                v: (i as f64 * f).sin() * 10.0 + 20.0,
            })
            .collect()
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn png_has_size_and_lines() {
        let (a, b) = (wave(50_000, 0.001), wave(50_000, 0.0023));
        let series = [
            PlotSeries {
                label: "alpha",
                unit: "degC",
                points: &a,
            },
            PlotSeries {
                label: "beta",
                unit: "degC",
                points: &b,
            },
        ];
        let params = PlotParams {
            width: 900,
            height: 500,
            ..Default::default()
        };
        let bytes = render(&series, &params, "Test").unwrap();
        let (w, h, px) = decode(&bytes);
        assert_eq!((w, h), (900, 500));
        let first = COLORS[0];
        let count = px
            .chunks(3)
            .filter(|c| c[0] == first.0 && c[1] == first.1 && c[2] == first.2)
            .count();
        assert!(count > 500, "first series colour drawn {count} times");
        let distinct: std::collections::HashSet<&[u8]> = px.chunks(3).collect();
        assert!(distinct.len() > 20);
    }

    #[test]
    fn svg_is_xml_with_title_and_legend() {
        let a = wave(1000, 0.01);
        let series = [PlotSeries {
            label: "alpha & co",
            unit: "m",
            points: &a,
        }];
        let params = PlotParams {
            format: ImageFormat::Svg,
            width: 640,
            height: 360,
            title: Some("Title <1>".into()),
        };
        let svg = String::from_utf8(render(&series, &params, "x").unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("640"));
        assert_eq!(root.attribute("height"), Some("360"));
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.iter().any(|t| t.contains("Title <1>")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("alpha & co")), "{texts:?}");
    }

    #[test]
    fn empty_constant_and_single_point_render() {
        let one = [Point { t: 5, v: 3.0 }];
        let flat: Vec<Point> = (0..10)
            .map(|i| Point {
                t: i * 1000,
                v: 2.0,
            })
            .collect();
        for pts in [&[][..], &one[..], &flat[..]] {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let p = PlotParams {
                    format,
                    ..Default::default()
                };
                let out = render(
                    &[PlotSeries {
                        label: "s",
                        unit: "",
                        points: pts,
                    }],
                    &p,
                    "t",
                )
                .unwrap();
                assert!(!out.is_empty());
            }
        }
    }

    #[test]
    fn a_million_points_render() {
        let big = wave(1_000_000, 0.0001);
        let started = std::time::Instant::now();
        let out = render(
            &[PlotSeries {
                label: "big",
                unit: "",
                points: &big,
            }],
            &PlotParams::default(),
            "big",
        )
        .unwrap();
        eprintln!(
            "1M-point PNG in {:?} ({} bytes)",
            started.elapsed(),
            out.len()
        );
        if let Ok(path) = std::env::var("TSFN_PLOT_SAMPLE") {
            std::fs::write(path, &out).unwrap();
        }
    }
}
