//! Drawing a report's chart as SVG, with plotters (see Cargo.toml for why a library).

use plotters::prelude::*;

/// One line of a chart: its label in the legend, and a value per point (`None`: no figure, as
/// a median of no connection).
pub struct Line {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// The lines' colours, in order: distinct to most forms of colour blindness (Okabe and Ito's
/// palette), and each line is named in the legend and the table too.
const COLOURS: [RGBColor; 5] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];

/// Pixels; the page scales the SVG to its width (viewBox), so a phone shows it whole.
const WIDTH: u32 = 720;
const HEIGHT: u32 = 260;

/// The chart of `lines` over points starting at `starts` (Unix seconds), `x_label` telling each
/// point's time as the axis shows it. The y axis starts at zero and reaches above the largest
/// value; `unit` names it ("connections", "bytes", "seconds"). An empty string if drawing failed,
/// which plotters reports only for a backend that cannot write, never for a string.
pub fn svg(lines: &[Line], starts: &[i64], unit: &str, x_label: impl Fn(i64) -> String) -> String {
    let mut out = String::new();
    if let Err(error) = draw(&mut out, lines, starts, unit, x_label).map_err(|error| error.to_string()) {
        tracing::warn!(%error, "could not draw a chart");
        return String::new();
    }
    out
}

fn draw<'a>(
    out: &'a mut String,
    lines: &[Line],
    starts: &[i64],
    unit: &str,
    x_label: impl Fn(i64) -> String,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = SVGBackend::with_string(out, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let largest = lines.iter().flat_map(|line| line.values.iter().flatten()).fold(0.0_f64, |a, &b| a.max(b));
    let top = if largest <= 0.0 { 1.0 } else { largest * 1.1 };
    let points = starts.len().max(2) as i64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(0..points - 1, 0.0..top)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|index| starts.get(*index as usize).map(|start| x_label(*start)).unwrap_or_default())
        .y_label_formatter(&|value| short_number(*value))
        .y_desc(unit)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (line, colour) in lines.iter().zip(COLOURS.iter().cycle()) {
        let style = ShapeStyle::from(colour).stroke_width(2);
        let points: Vec<(i64, f64)> = line
            .values
            .iter()
            .enumerate()
            .filter_map(|(index, value)| value.map(|value| (index as i64, value)))
            .collect();
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    if lines.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// 1200 → "1.2k", 3500000 → "3.5M": axis labels short enough for the label area.
pub fn short_number(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e9 {
        (value / 1e9, "G")
    } else if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.1}");
    format!("{}{suffix}", text.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_its_legend_and_axis_labels() {
        let lines = vec![
            Line { label: "to origin".into(), values: vec![Some(0.0), Some(1500.0), None] },
            Line { label: "to visitors".into(), values: vec![Some(10.0), Some(20.0), Some(30.0)] },
        ];
        let svg = svg(&lines, &[0, 60, 120], "bytes", |start| format!("t{start}"));
        assert!(svg.starts_with("<svg"), "{svg}");
        for text in ["to origin", "to visitors", "bytes", "t0", "1.5k"] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert_eq!(short_number(2_500_000.0), "2.5M");
        assert_eq!(short_number(3.0), "3");
    }
}
