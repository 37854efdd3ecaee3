//! Plot job params: image format and size, optional title.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    #[default]
    Png,
    Svg,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Svg => "image/svg+xml",
        }
    }
}

fn default_width() -> u32 {
    1200
}

fn default_height() -> u32 {
    600
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlotParams {
    /// `png` (default) or `svg`.
    #[serde(default)]
    pub format: ImageFormat,
    /// Image width in pixels, 200 to 4000.
    #[serde(default = "default_width", deserialize_with = "crate::json::whole")]
    pub width: u32,
    /// Image height in pixels, 150 to 3000.
    #[serde(default = "default_height", deserialize_with = "crate::json::whole")]
    pub height: u32,
    /// At most 200 characters. A submitted job gets [`PlotParams::default_title`] when it has
    /// none; jobs stored before that was filled in draw with the default title they are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Default for PlotParams {
    fn default() -> Self {
        PlotParams {
            format: ImageFormat::Png,
            width: default_width(),
            height: default_height(),
            title: None,
        }
    }
}

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

impl PlotParams {
    /// The title of a chart without one: its series ids, comma-separated, cut (with an ellipsis)
    /// to the longest title allowed, so eight long ids still make a valid recorded title.
    pub fn default_title<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
        let joined = ids.into_iter().collect::<Vec<_>>().join(", ");
        if joined.chars().count() <= MAX_TITLE_CHARS {
            return joined;
        }
        let mut cut: String = joined.chars().take(MAX_TITLE_CHARS - 1).collect();
        cut.push('…');
        cut
    }

    pub fn validate(&self) -> Result<()> {
        if !(200..=4000).contains(&self.width) {
            return Err(Error::invalid(
                "params.width",
                "width must be from 200 to 4000 pixels",
            ));
        }
        if !(150..=3000).contains(&self.height) {
            return Err(Error::invalid(
                "params.height",
                "height must be from 150 to 3000 pixels",
            ));
        }
        if self
            .title
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_TITLE_CHARS)
        {
            return Err(Error::invalid(
                "params.title",
                "title must be at most 200 characters",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_title_is_the_ids_within_the_limit() {
        assert_eq!(PlotParams::default_title(["a", "b.c"]), "a, b.c");
        let long = "x".repeat(128);
        let t = PlotParams::default_title([long.as_str(); 8]);
        assert_eq!(t.chars().count(), MAX_TITLE_CHARS);
        assert!(
            t.starts_with(&format!("{long}, x")) && t.ends_with('…'),
            "{t}"
        );
        let p = PlotParams {
            title: Some(t),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
    }

    #[test]
    fn validation_names_fields() {
        let field = |p: PlotParams| match p.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(PlotParams {
                width: 100,
                ..Default::default()
            }),
            "params.width"
        );
        assert_eq!(
            field(PlotParams {
                height: 5000,
                ..Default::default()
            }),
            "params.height"
        );
        assert_eq!(
            field(PlotParams {
                title: Some("x".repeat(201)),
                ..Default::default()
            }),
            "params.title"
        );
        for (width, height) in [(4001, 600), (1200, 149), (1200, 3001), (199, 600)] {
            let f = field(PlotParams {
                width,
                height,
                ..Default::default()
            });
            let want = if width == 1200 {
                "params.height"
            } else {
                "params.width"
            };
            assert_eq!(f, want, "{width}x{height}");
        }
        for (width, height) in [(200, 150), (4000, 3000)] {
            let p = PlotParams {
                width,
                height,
                title: Some("é".repeat(200)),
                ..Default::default()
            };
            assert!(p.validate().is_ok(), "{width}x{height}");
        }
        let e = serde_json::from_str::<PlotParams>(r#"{"format": "gif"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("gif"), "{e}");
        // The path names the field, as the job submission reports it.
        let de = &mut serde_json::Deserializer::from_str(r#"{"format": "gif"}"#);
        let e = serde_path_to_error::deserialize::<_, PlotParams>(de).unwrap_err();
        assert_eq!(e.path().to_string(), "format");
        // An integer beyond the type still reaches validation, which names the bounds.
        let p = serde_json::from_str::<PlotParams>(r#"{"width": -5}"#).unwrap();
        assert_eq!(field(p), "params.width");
        let p = serde_json::from_str::<PlotParams>(r#"{"height": 1e3}"#);
        assert!(p.is_err(), "a float is not a pixel count");
        let e = serde_json::from_str::<PlotParams>(r#"{"colour": "red"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
        let p: PlotParams = serde_json::from_str(r#"{"format": "svg"}"#).unwrap();
        assert_eq!((p.format, p.width, p.height), (ImageFormat::Svg, 1200, 600));
        assert_eq!(p.format.content_type(), "image/svg+xml");
        assert_eq!(ImageFormat::Png.content_type(), "image/png");
    }
}
