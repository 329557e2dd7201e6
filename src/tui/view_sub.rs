//! Drawing helpers for sub-segments ([`super::level`]): the marker on a segment that was split,
//! the breadcrumb, the profile's sub-segment section and the help line. Used by
//! [`super::view`]; every string here comes from profiles already cleaned by the model.

use ratatui::text::{Line, Span};

use super::app::App;
use super::keys::Action;
use super::model::RunView;
use super::theme::Theme;
use crate::profile::SegmentProfile;

/// "▸ 3 sub" after the name of a segment with sub-segments.
pub fn marker(s: &SegmentProfile, t: &Theme) -> Option<Span<'static>> {
    (!s.children.is_empty()).then(|| Span::styled(format!(" ▸ {} sub", s.children.len()), t.dim()))
}

/// The breadcrumb of the tab line inside a level: " Segment 3 › 3.1 ".
pub fn breadcrumb(app: &App, run: &RunView, t: &Theme) -> Option<Span<'static>> {
    run.breadcrumb(app.seg)
        .map(|b| Span::styled(format!("  {b} "), t.title()))
}

/// The list title inside a level; `None` at the top level.
pub fn list_title(run: &RunView) -> Option<String> {
    let p = run.parent.as_ref()?;
    Some(format!(
        " {} sub-segments of segment {} · {} customers · Esc back ",
        run.segments().len(),
        p.id,
        p.size
    ))
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The profile's lines about sub-segments: a split segment's sub-segments (Enter opens them),
/// why a segment stayed whole, or, inside a level, where the sub-segment sits in its parent.
pub fn profile_lines(run: &RunView, s: &SegmentProfile, t: &Theme) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    let figures = |n: &crate::profile::SplitNote| {
        let o = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
        format!(
            "k={} · stability {} · silhouette {}",
            n.k,
            o(n.stability),
            o(n.silhouette)
        )
    };
    if let Some(p) = &run.parent {
        l.push(Line::raw(""));
        l.push(Line::styled(
            format!("Sub-segment {} of segment {}", s.key(), p.id),
            t.title(),
        ));
        let share = s.size as f64 / p.size.max(1) as f64;
        l.push(Line::raw(format!(
            "{} of segment {}'s {} customers ({})",
            pct(share),
            p.id,
            p.size,
            p.label
        )));
        if let Some(n) = &p.split {
            l.push(Line::styled(format!("split: {}", figures(n)), t.dim()));
        }
        return l;
    }
    if !s.children.is_empty() {
        l.push(Line::raw(""));
        l.push(Line::styled(
            format!("Sub-segments ({}; Enter opens them)", s.children.len()),
            t.title(),
        ));
        for c in &s.children {
            l.push(Line::raw(format!(
                "{:<5} {:>6} of the segment  {}",
                c.key(),
                pct(c.size as f64 / s.size.max(1) as f64),
                run.name(c)
            )));
        }
        if let Some(n) = &s.split {
            l.push(Line::styled(figures(n), t.dim()));
        }
    } else if let Some(n) = s.split.as_ref().filter(|n| n.k == 0 && !n.note.is_empty()) {
        l.push(Line::raw(""));
        l.push(Line::styled(format!("Not split: {}", n.note), t.dim()));
    }
    l
}

/// The help screen's line for opening sub-segments (Segments screen).
pub fn help_line(app: &App, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{:<14}", app.keys.keys_of(Action::Open)), t.good()),
        Span::raw("on a ▸ segment: open its sub-segments (q: back)"),
    ])
}
