//! Drawing: one function per screen, from the App's state to a frame. Layouts collapse below
//! [`WIDE`] columns (panes stack or become tabs) so 80x24 stays readable and nothing overlaps.
//! Tables are virtualised: only the visible slice of rows and columns is built per frame.
//! Also the Markdown and CSV forms of a view, for `y` and `e`.

use std::fmt::Write as _;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Points};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Sparkline, Table, Wrap};
use ratatui::Frame;

use super::app::{App, Load, MemberPane, Screen};
use super::keys::{describe, Action};
use super::model::{day_of, fmt_cell, ColumnData, MemberDetail, Members, RunView};
use super::theme::Theme;
use crate::llm::persona::PersonaRecord;
use crate::profile::{fmt_num, SegmentProfile};

/// Widths from which panes sit side by side.
pub const WIDE: u16 = 110;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// Draws the whole UI.
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    let [top, main, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(f, app, top);
    match app.run.clone() {
        None => draw_pipeline(f, app, main),
        Some(run) => match app.screen() {
            Screen::Segments => draw_segments(f, app, &run, main),
            Screen::Persona => draw_persona(f, app, &run, main),
            Screen::Map => draw_map(f, app, &run, main),
            Screen::Members => draw_members(f, app, &run, main),
            Screen::Member => draw_member(f, app, &run, main),
            Screen::Compare => draw_compare(f, app, &run, main),
        },
    }
    draw_status(f, app, bottom);
    if app.help {
        draw_help(f, app, main);
    }
    if let Some(p) = &app.prompt {
        let label = match p.kind {
            super::app::PromptKind::Search => "/",
            super::app::PromptKind::Filter => "filter: ",
        };
        let line = Line::from(vec![
            Span::styled(label, app.theme.title()),
            Span::raw(crate::sanitize::clean(&p.text).into_owned()),
            Span::styled(" ", app.theme.selected()),
        ]);
        f.render_widget(Clear, bottom);
        f.render_widget(Paragraph::new(line), bottom);
    }
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let cur = app.screen();
    let mut spans = vec![Span::styled(" seglens ", t.title())];
    for (i, s) in [
        Screen::Segments,
        Screen::Persona,
        Screen::Map,
        Screen::Members,
        Screen::Compare,
    ]
    .iter()
    .enumerate()
    {
        let on = *s == cur || (cur == Screen::Member && *s == Screen::Members);
        let label = format!(" {} {} ", i + 1, s.title());
        spans.push(if on {
            Span::styled(label, t.selected())
        } else {
            Span::styled(label, t.dim())
        });
    }
    if let Some(run) = &app.run {
        spans.extend(super::view_sub::breadcrumb(app, run, t));
        let dir = crate::sanitize::owned(&run.dir.display().to_string());
        spans.push(Span::styled(format!("  {dir}"), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    if let Some(job) = app.running.values().last() {
        let cancel = if job.cancellable {
            " (Esc cancels)"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!(
                "{} {}{cancel}  ",
                SPINNER[app.spinner % 4],
                crate::sanitize::clean(&job.label)
            ),
            t.warn(),
        ));
    }
    if let Some(s) = &app.status {
        spans.push(Span::raw(crate::sanitize::owned(s)));
    }
    let hint = "  ? help  q back  Q quit";
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if used + hint.len() < area.width as usize {
        let pad = area.width as usize - used - hint.len();
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(hint, t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn block<'a>(title: impl Into<Line<'a>>, focused: bool, t: &Theme) -> Block<'a> {
    let b = Block::default().borders(Borders::ALL).title(title);
    if focused {
        b.border_style(t.focus_border())
    } else {
        b.border_style(t.dim())
    }
}

fn bar(frac: f64, width: usize) -> String {
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let frac = frac.clamp(0.0, 1.0);
    let eighths = (frac * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(PARTS[eighths % 8]);
    s
}

/// Rows `lines` take when word-wrapped at `width`, as `Paragraph` wraps them (greedy, words
/// longer than the width broken), so scroll limits reach the last row.
fn wrapped(lines: &[Line], width: u16) -> usize {
    use unicode_width::UnicodeWidthStr;
    let w = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            let (mut rows, mut used) = (1usize, 0usize);
            for word in text.split(' ') {
                let n = word.width();
                let need = if used == 0 { n } else { n + 1 };
                if used + need <= w {
                    used += need;
                } else if n <= w {
                    rows += 1;
                    used = n;
                } else {
                    // A word wider than the row is broken across rows.
                    rows += usize::from(used > 0) + (n - 1) / w;
                    used = (n - 1) % w + 1;
                }
            }
            rows
        })
        .sum()
}

/// A figure that may be missing (or NaN): "-" then.
fn opt_num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or("-".to_string(), fmt_num)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn tier(s: &SegmentProfile) -> String {
    s.value_tiers
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, v)| format!("{k} {:.0}%", v * 100.0))
        .unwrap_or_default()
}

fn draw_pipeline(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut lines = vec![
        Line::styled("Segmenting the shop", t.title()),
        Line::raw(""),
    ];
    if let Some(p) = &app.pipeline {
        let n = p.stages.len();
        for (i, s) in p.stages.iter().enumerate() {
            let last = i + 1 == n;
            let mark = if !last {
                Span::styled("✓ ", t.good())
            } else if p.failed.is_some() {
                Span::styled("✗ ", t.bad())
            } else {
                Span::styled(format!("{} ", SPINNER[app.spinner % 4]), t.warn())
            };
            lines.push(Line::from(vec![mark, Span::raw(crate::sanitize::owned(s))]));
        }
        if let Some(e) = &p.failed {
            lines.push(Line::raw(""));
            lines.push(Line::styled(crate::sanitize::owned(e), t.bad()));
            lines.push(Line::raw("Q quits."));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" run ", true, t)),
        area,
    );
}

fn draw_segments(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let wide = area.width >= WIDE;
    let n = run.segments().len() as u16;
    let [list_area, detail_area] = if wide {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(area)
    } else {
        let h = (n + 3).min(area.height / 2).max(5);
        Layout::vertical([Constraint::Length(h), Constraint::Fill(1)]).areas(area)
    };
    app.areas.list.set(list_area);
    let t = app.theme;
    let bar_w = if wide { 12 } else { 6 };
    let max_share = run
        .segments()
        .iter()
        .map(|s| s.share)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let rows: Vec<Row> = run
        .segments()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut cells = vec![
                Cell::from(Span::styled(format!("{:>2}", s.id), t.segment(i))),
                Cell::from({
                    let mut name = vec![Span::raw(run.name(s))];
                    name.extend(super::view_sub::marker(s, &t));
                    if app.streaming.contains_key(&s.key()) {
                        name.push(Span::styled(" ✎ writing", t.warn()));
                    }
                    Line::from(name)
                }),
                Cell::from(Span::styled(bar(s.share / max_share, bar_w), t.segment(i))),
                Cell::from(format!("{:>5}", pct(s.share))),
                Cell::from(tier(s)),
            ];
            if wide {
                cells.push(Cell::from(s.traits.first().cloned().unwrap_or_default()));
            }
            let row = Row::new(cells);
            if i == app.seg {
                row.style(if app.profile_focus {
                    Style::new().add_modifier(Modifier::BOLD)
                } else {
                    t.selected()
                })
            } else {
                row
            }
        })
        .collect();
    // Wide: the name gets a fixed width and the strongest trait the rest; narrow: no trait.
    let mut widths = vec![
        Constraint::Length(2),
        if wide {
            Constraint::Length(22)
        } else {
            Constraint::Fill(1)
        },
        Constraint::Length(bar_w as u16 + 1),
        Constraint::Length(6),
        Constraint::Length(8),
    ];
    let mut titles = vec!["id", "segment", "size", "share", "tier"];
    if wide {
        widths.push(Constraint::Fill(1));
        titles.push("sets it apart");
    }
    let header = Row::new(titles).style(t.dim());
    let title = super::view_sub::list_title(run).unwrap_or_else(|| {
        format!(
            " {} segments · {} customers ",
            run.segments().len(),
            run.profiles.customers
        )
    });
    // Stateful, so the list scrolls to keep the selected segment in view.
    let mut state = ratatui::widgets::TableState::default()
        .with_offset(app.areas.list_offset.get())
        .with_selected(Some(app.seg));
    f.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block(title, !app.profile_focus, &t)),
        list_area,
        &mut state,
    );
    app.areas.list_offset.set(state.offset());
    if let Some(s) = run.segments().get(app.seg) {
        let lines = profile_lines(run, s, app.seg, &t, detail_area.width);
        app.areas.page.set(detail_area.height as usize);
        let max = wrapped(&lines, detail_area.width.saturating_sub(2)).saturating_sub(1) as u16;
        app.profile_scroll = app.profile_scroll.min(max);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((app.profile_scroll, 0))
                .block(block(format!(" {} ", run.name(s)), app.profile_focus, &t)),
            detail_area,
        );
    }
}

fn heading(s: &str, t: &Theme) -> Line<'static> {
    Line::styled(s.to_string(), t.title())
}

/// The profile of one segment: what sets it apart, categories, products, rule, quality.
fn profile_lines(
    run: &RunView,
    s: &SegmentProfile,
    idx: usize,
    t: &Theme,
    width: u16,
) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    l.push(Line::from(vec![
        Span::styled(format!("Segment {} ", s.key()), t.segment(idx)),
        Span::raw(format!(
            "· {} customers · {} of all · confidence {:.2}",
            s.size,
            pct(s.share),
            s.mean_confidence
        )),
    ]));
    if let Some(p) = run.personas.get(&s.key()) {
        l.push(Line::from(vec![
            Span::raw(p.persona.tagline.clone()),
            Span::raw("  "),
            badge_span(p, t),
        ]));
    }
    l.push(Line::raw(""));
    l.push(heading("What sets it apart (segment vs everyone)", t));
    let name_w = 20usize;
    let bar_w = (width as usize).saturating_sub(name_w + 32).clamp(4, 24);
    let mut feats: Vec<&crate::profile::FeatureStat> = s
        .trait_features
        .iter()
        .filter_map(|n| s.features.iter().find(|f| &f.name == n))
        .collect();
    if feats.is_empty() {
        feats = s.features.iter().take(6).collect();
    }
    for f in feats.iter().take(8) {
        let (Some(m), Some(pm)) = (f.mean, f.population_mean) else {
            continue;
        };
        let lift = f.lift.unwrap_or(if pm != 0.0 { m / pm } else { 1.0 });
        let up = lift >= 1.0;
        // log2 of the lift, a 4x difference fills the bar.
        let frac = (lift.max(1e-6).log2().abs() / 2.0).min(1.0);
        l.push(Line::from(vec![
            Span::raw(format!("{:<name_w$.name_w$} ", f.name)),
            Span::raw(format!("{:>9} vs {:<9}", fmt_num(m), fmt_num(pm))),
            Span::styled(
                format!("{}{:<bar_w$}", if up { "▲" } else { "▼" }, bar(frac, bar_w)),
                if up { t.good() } else { t.warn() },
            ),
            Span::raw(format!(" ×{lift:.2}")),
        ]));
    }
    if !s.traits.is_empty() {
        l.push(Line::raw(""));
        for tr in &s.traits {
            l.push(Line::raw(format!("• {tr}")));
        }
    }
    if !s.top_categories.is_empty() {
        l.push(Line::raw(""));
        l.push(heading("Top categories (share of spend)", t));
        for c in &s.top_categories {
            l.push(Line::raw(format!(
                "{:<18} {:>6} vs {:>6}  ×{:.2}",
                c.category,
                pct(c.share),
                pct(c.population_share),
                c.lift
            )));
        }
    }
    if !s.top_products.is_empty() {
        l.push(Line::raw(""));
        l.push(heading("Top products (buyers)", t));
        for p in s.top_products.iter().take(6) {
            l.push(Line::raw(format!(
                "{:<28} {:>6} bought  ×{:.2}",
                p.name.clone().unwrap_or_else(|| p.product_id.clone()),
                pct(p.buyer_share),
                p.lift
            )));
        }
    }
    if !s.value_tiers.is_empty() {
        l.push(Line::raw(""));
        let tiers: Vec<String> = s
            .value_tiers
            .iter()
            .map(|(k, v)| format!("{k} {}", pct(*v)))
            .collect();
        l.push(Line::from(vec![
            Span::styled("Value tiers ", t.title()),
            Span::raw(tiers.join(" · ")),
        ]));
    }
    if let Some(rule) = &s.rule {
        l.push(Line::raw(""));
        l.push(heading("Membership rule (decision tree)", t));
        l.push(Line::raw(rule.text.clone()));
        l.push(Line::styled(
            format!(
                "precision {} · recall {} on all customers",
                pct(rule.precision),
                pct(rule.recall)
            ),
            t.dim(),
        ));
    }
    if let Some(tx) = &s.text {
        l.push(Line::raw(""));
        l.push(heading("Reviews", t));
        l.push(Line::raw(format!(
            "{} reviews · sentiment {} · {} with text",
            tx.reviews,
            tx.mean_sentiment.map_or("-".into(), |m| format!("{m:+.2}")),
            pct(tx.share_with_text)
        )));
        let terms: Vec<&str> = tx.terms.iter().take(8).map(|t| t.term.as_str()).collect();
        if !terms.is_empty() {
            l.push(Line::raw(format!("terms: {}", terms.join(", "))));
        }
        for r in tx.representative_reviews.iter().take(3) {
            l.push(Line::styled(format!("“{r}”"), t.dim()));
        }
    }
    l.extend(super::view_sub::profile_lines(run, s, t));
    l.push(Line::raw(""));
    let q = &run.quality;
    let o = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
    l.push(heading("Clustering quality (whole run)", t));
    l.push(Line::raw(format!(
        "{} k={} · silhouette {} · Calinski-Harabasz {} · Davies-Bouldin {} · stability {}",
        q.algo,
        q.k,
        o(q.silhouette),
        q.calinski_harabasz
            .map_or("-".into(), |v| format!("{v:.0}")),
        o(q.davies_bouldin),
        o(q.stability)
    )));
    l
}

fn badge_span(p: &PersonaRecord, t: &Theme) -> Span<'static> {
    let text = crate::report::personas::badge(p);
    Span::styled(
        format!("[{text}]"),
        if p.flagged {
            t.bad()
        } else if p.grounding.vouched() {
            t.good()
        } else {
            t.warn()
        },
    )
}

fn draw_persona(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let t = app.theme;
    let Some(s) = run.segments().get(app.seg) else {
        return;
    };
    let width = area.width.saturating_sub(2) as usize;
    let mut l: Vec<Line> = Vec::new();
    let key = s.key();
    let streaming = app.streaming.get(&key);
    let rec = run.personas.get(&key);
    if let Some(text) = streaming {
        l.push(Line::from(vec![
            Span::styled(format!("{} writing ", SPINNER[app.spinner % 4]), t.warn()),
            Span::raw(format!(
                "the persona of segment {} ({} characters so far; Esc cancels)",
                key,
                text.chars().count()
            )),
        ]));
        l.push(Line::raw(""));
        for line in crate::sanitize::clean_lines(text).lines() {
            l.push(Line::raw(line.to_string()));
        }
        if text.is_empty() {
            l.push(Line::styled("(waiting for the first token)", t.dim()));
        }
        // Follow the newest text.
        let h = area.height.saturating_sub(2) as usize;
        app.persona_scroll = wrapped(&l, width as u16).saturating_sub(h) as u16;
    } else if let Some(p) = rec {
        if app.transcript {
            transcript_lines(p, &t, &mut l);
        } else {
            persona_lines(p, &t, &mut l);
            if let Some(e) = &run.evaluation {
                evaluation_lines(e, &key, &t, &mut l);
            }
        }
    } else {
        l.push(Line::raw(format!(
            "Segment {} has no persona yet. r writes one with the local model (`seglens personas` \
             writes them all).",
            key
        )));
    }
    app.areas.page.set(area.height as usize);
    if streaming.is_none() {
        let max = wrapped(&l, area.width.saturating_sub(2)).saturating_sub(1) as u16;
        app.persona_scroll = app.persona_scroll.min(max);
    }
    let title = match rec {
        Some(p) if streaming.is_none() => Line::from(vec![
            Span::raw(format!(" {} ", p.persona.name)),
            badge_span(p, &t),
            Span::raw(if app.transcript { " transcript " } else { " " }),
        ]),
        _ => Line::raw(format!(" {} ", run.name(s))),
    };
    f.render_widget(
        Paragraph::new(l)
            .wrap(Wrap { trim: false })
            .scroll((app.persona_scroll, 0))
            .block(block(title, true, &t)),
        area,
    );
}

/// What `seglens eval` found about this persona and the run.
fn evaluation_lines(e: &crate::eval::Evaluation, key: &str, t: &Theme, l: &mut Vec<Line<'static>>) {
    l.push(Line::raw(""));
    l.push(Line::styled("Evaluation (seglens eval)", t.title()));
    if let Some(j) = &e.judge {
        if let Some(s) = j.segments.iter().find(|s| s.key == key) {
            let style = if s.correct * 2 > s.trials {
                t.good()
            } else {
                t.bad()
            };
            let mut text = match j.method {
                crate::eval::judge::Method::Pairs if s.correct > 0 => {
                    "• the judge picked this persona for this segment's card".to_string()
                }
                crate::eval::judge::Method::Pairs => {
                    "• the judge did not pick this persona for this segment's card".to_string()
                }
                crate::eval::judge::Method::List => format!(
                    "• the judge matched this segment to this persona in {} of {} shuffles",
                    s.correct, s.trials
                ),
            };
            if !s.mistaken_for.is_empty() {
                let other: Vec<String> = s
                    .mistaken_for
                    .iter()
                    .map(|(k, n)| format!("{k} ({n}x)"))
                    .collect();
                text.push_str(&format!("; took it for segment {}", other.join(", ")));
            }
            l.push(Line::styled(text, style));
        }
        l.push(Line::styled(
            format!(
                "• whole run: judge recovery {:.0}% (chance {:.0}%{}), claims supported {:.0}%",
                j.accuracy * 100.0,
                j.chance * 100.0,
                j.ceiling
                    .map(|c| format!(", this judge's ceiling {:.0}%", c * 100.0))
                    .unwrap_or_default(),
                e.grounding.precision * 100.0
            ),
            t.dim(),
        ));
    }
    if let Some(g) = e.grounding.personas.iter().find(|g| g.key == key) {
        l.push(Line::raw(format!(
            "• {} of {} claims supported, {} contradicted; {} its strongest trait ({})",
            g.supported,
            g.checked,
            g.contradicted,
            if g.names_strongest_trait {
                "names"
            } else {
                "does not name"
            },
            g.strongest_trait
        )));
    }
}

fn persona_lines(p: &PersonaRecord, t: &Theme, l: &mut Vec<Line<'static>>) {
    let x = &p.persona;
    l.push(Line::styled(
        x.tagline.clone(),
        Style::new().add_modifier(Modifier::ITALIC),
    ));
    l.push(Line::styled(
        format!(
            "segment {} · {} customers · {} · {}{}",
            p.key,
            p.size,
            pct(p.share),
            p.written_by,
            if p.from_cache { " · from cache" } else { "" }
        ),
        t.dim(),
    ));
    l.push(Line::raw(""));
    l.push(Line::raw(x.summary.clone()));
    let unsupported: Vec<&crate::llm::grounding::Claim> =
        p.grounding.claims.iter().filter(|c| !c.supported).collect();
    let mark = |text: &str| -> Line<'static> {
        let bad = unsupported
            .iter()
            .any(|c| text.contains(c.claim.as_str()) || text.contains(c.context.as_str()));
        if bad {
            Line::from(vec![
                Span::styled("✗ ", t.bad()),
                Span::styled(text.to_string(), t.bad()),
            ])
        } else {
            Line::raw(format!("• {text}"))
        }
    };
    for (title, items) in [
        ("Facts it relies on", &x.facts),
        ("Motivations", &x.motivations),
        ("Pain points", &x.pain_points),
        ("Preferred channels", &x.preferred_channels),
    ] {
        if items.is_empty() {
            continue;
        }
        l.push(Line::raw(""));
        l.push(heading(title, t));
        for i in items {
            l.push(mark(i));
        }
    }
    if !x.campaigns.is_empty() {
        l.push(Line::raw(""));
        l.push(heading("Campaigns", t));
        for c in &x.campaigns {
            l.push(Line::from(vec![
                Span::styled(c.title.clone(), Style::new().add_modifier(Modifier::BOLD)),
                Span::styled(format!("  [{}]", c.channel), t.dim()),
            ]));
            l.push(Line::raw(format!("  offer: {}", c.offer)));
            l.push(Line::raw(format!("  message: {}", c.message)));
            l.push(Line::styled(format!("  KPI: {}", c.target_kpi), t.dim()));
        }
    }
    if !p.grounding.unsupported.is_empty() {
        l.push(Line::raw(""));
        l.push(Line::styled("Claims the data does not support", t.bad()));
        for u in &p.grounding.unsupported {
            l.push(Line::styled(format!("✗ {u}"), t.bad()));
        }
    }
    for n in &p.notes {
        l.push(Line::styled(format!("note: {n}"), t.warn()));
    }
}

fn transcript_lines(p: &PersonaRecord, t: &Theme, l: &mut Vec<Line<'static>>) {
    if p.tools.is_empty() {
        l.push(Line::styled(
            "No tool calls were made for this persona.",
            t.dim(),
        ));
    }
    for (i, step) in p.tools.iter().enumerate() {
        l.push(Line::styled(
            format!("call {}: {}", i + 1, step.call),
            t.title(),
        ));
        for r in step.result.lines() {
            l.push(Line::raw(format!("  {r}")));
        }
    }
    l.push(Line::raw(""));
    l.push(heading("Conversation", t));
    for m in &p.transcript {
        l.push(Line::styled(format!("[{}]", m.role), t.dim()));
        for r in m.content.lines() {
            l.push(Line::raw(r.to_string()));
        }
    }
}

fn draw_map(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let t = app.theme;
    let wide = area.width >= WIDE;
    let [map_area, legend_area] = if wide {
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(32)]).areas(area)
    } else {
        let h = (run.segments().len() as u16 + 2).min(area.height / 3);
        Layout::vertical([Constraint::Fill(1), Constraint::Length(h)]).areas(area)
    };
    let ids: Vec<i32> = run.segments().iter().map(|s| s.id).collect();
    let sel = app.seg;
    let legend: Vec<Line> = run
        .segments()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = if i == sel { t.selected() } else { t.segment(i) };
            Line::from(vec![
                Span::styled("● ", t.segment(i)),
                Span::styled(format!("{:>2} {}", s.id, run.name(s)), st),
            ])
        })
        .collect();
    let title = format!(
        " map · zoom {:.1}x · [ ] segment · +/- zoom · hjkl pan ",
        app.map.zoom
    );
    let Load::Ready(m) = &app.members else {
        let msg = match &app.members {
            Load::Failed(e) => crate::sanitize::owned(e),
            _ => "loading the projection…".into(),
        };
        f.render_widget(Paragraph::new(msg).block(block(title, true, &t)), map_area);
        f.render_widget(
            Paragraph::new(legend).block(block(" segments ", false, &t)),
            legend_area,
        );
        return;
    };
    let [x0, x1, y0, y1] = m.map_bounds;
    let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    let (cx, cy) = (x0 + w * (0.5 + app.map.cx), y0 + h * (0.5 + app.map.cy));
    let (hw, hh) = (w / 2.0 / app.map.zoom, h / 2.0 / app.map.zoom);
    let mut by_seg: Vec<Vec<(f64, f64)>> = vec![Vec::new(); ids.len()];
    for (n, &r) in m.map_sample.iter().enumerate() {
        let r = r as usize;
        if let Some(i) = ids.iter().position(|&s| s == m.segment[r]) {
            // Without colour, other segments are drawn sparser so the selected one stands out.
            if !t.color && i != sel && n % 4 != 0 {
                continue;
            }
            by_seg[i].push((f64::from(m.x[r]), f64::from(m.y[r])));
        }
    }
    let canvas = Canvas::default()
        .block(block(title, true, &t))
        .marker(Marker::Braille)
        .x_bounds([cx - hw, cx + hw])
        .y_bounds([cy - hh, cy + hh])
        .paint(move |ctx| {
            for (i, pts) in by_seg.iter().enumerate() {
                if i == sel {
                    continue;
                }
                ctx.draw(&Points {
                    coords: pts,
                    color: t.segment_color(i).unwrap_or(ratatui::style::Color::Reset),
                });
            }
            ctx.layer();
            if let Some(pts) = by_seg.get(sel) {
                ctx.draw(&Points {
                    coords: pts,
                    color: t.segment_color(sel).unwrap_or(ratatui::style::Color::Reset),
                });
                if !pts.is_empty() {
                    let n = pts.len() as f64;
                    let (sx, sy) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
                    ctx.print(
                        sx / n,
                        sy / n,
                        Span::styled(
                            "◆",
                            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                        ),
                    );
                }
            }
        });
    f.render_widget(canvas, map_area);
    f.render_widget(
        Paragraph::new(legend).block(block(" segments ", false, &t)),
        legend_area,
    );
}

/// Visible columns from `first` that fit in `width`, widths included.
fn visible_columns(m: &Members, first: usize, width: u16) -> Vec<(usize, u16)> {
    let mut out = Vec::new();
    let mut used = 0u16;
    for (i, c) in m.columns.iter().enumerate().skip(first) {
        let w = col_width(c);
        if used + w + 1 > width && !out.is_empty() {
            break;
        }
        used += w + 1;
        out.push((i, w));
    }
    out
}

fn col_width(c: &super::model::MemberColumn) -> u16 {
    let base = match &c.data {
        ColumnData::Text(_) => 12,
        ColumnData::Num(_) => 9,
    };
    (c.name.chars().count() as u16).clamp(base, 18)
}

fn draw_members(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let t = app.theme;
    let seg_name = run
        .segments()
        .iter()
        .find(|s| s.id == app.table.segment)
        .map(|s| run.name(s))
        .unwrap_or_default();
    app.areas.table.set(area);
    let Load::Ready(m) = &app.members else {
        let msg = match &app.members {
            Load::Failed(e) => crate::sanitize::owned(e),
            _ => "loading members…".into(),
        };
        f.render_widget(
            Paragraph::new(msg).block(block(format!(" {seg_name} · members "), true, &t)),
            area,
        );
        return;
    };
    let m = m.clone();
    let Some(rows) = app.table.rows.clone() else {
        return;
    };
    let inner_w = area.width.saturating_sub(2);
    let body_h = area.height.saturating_sub(3) as usize;
    app.areas.page.set(body_h);
    let tb = &mut app.table;
    // Keep the cursor on screen.
    tb.selected = tb.selected.min(rows.len().saturating_sub(1));
    if tb.selected < tb.offset {
        tb.offset = tb.selected;
    } else if body_h > 0 && tb.selected >= tb.offset + body_h {
        tb.offset = tb.selected + 1 - body_h;
    }
    tb.offset = tb.offset.min(rows.len().saturating_sub(body_h.max(1)));
    // Column 0 (the id) stays; the rest scroll so the cursor column is visible.
    tb.col = tb.col.min(m.columns.len().saturating_sub(1));
    if tb.col > 0 && tb.col < tb.col_offset.max(1) {
        tb.col_offset = tb.col;
    }
    tb.col_offset = tb.col_offset.max(1);
    loop {
        let id_w = col_width(&m.columns[0]) + 1;
        let vis = visible_columns(&m, tb.col_offset, inner_w.saturating_sub(id_w));
        let last = vis.last().map_or(tb.col_offset, |v| v.0);
        if tb.col > last && tb.col_offset < tb.col {
            tb.col_offset += 1;
        } else {
            break;
        }
    }
    let id_w = col_width(&m.columns[0]);
    let mut cols = vec![(0usize, id_w)];
    cols.extend(visible_columns(
        &m,
        tb.col_offset,
        inner_w.saturating_sub(id_w + 1),
    ));
    let sort = tb.sort;
    let header = Row::new(cols.iter().map(|(i, _)| {
        let c = &m.columns[*i];
        let arrow = match sort {
            Some((s, true)) if s == *i => " ↓",
            Some((s, false)) if s == *i => " ↑",
            _ => "",
        };
        let st = if *i == tb.col {
            t.title().add_modifier(Modifier::UNDERLINED)
        } else {
            t.title()
        };
        Cell::from(Span::styled(format!("{}{arrow}", c.name), st))
    }));
    let end = (tb.offset + body_h).min(rows.len());
    let hits = &tb.hits;
    let body: Vec<Row> = rows[tb.offset..end]
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let pos = tb.offset + k;
            let cells = cols.iter().map(|(i, _)| {
                let c = &m.columns[*i];
                let text = match &c.data {
                    ColumnData::Num(v) => {
                        format!("{:>w$}", fmt_cell(v[r as usize]), w = col_width(c) as usize)
                    }
                    ColumnData::Text(v) => v[r as usize].clone(),
                };
                let cell = Cell::from(text);
                if pos == tb.selected && *i == tb.col {
                    cell.style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
                } else {
                    cell
                }
            });
            let row = Row::new(cells.collect::<Vec<_>>());
            if pos == tb.selected {
                row.style(t.selected())
            } else if hits.binary_search(&pos).is_ok() {
                row.style(t.warn())
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let mut title = format!(
        " {seg_name} · {} members · row {}/{} ",
        rows.len(),
        if rows.is_empty() { 0 } else { tb.selected + 1 },
        rows.len()
    );
    if let Some((c, d)) = tb.sort {
        let _ = write!(
            title,
            "· sorted by {} {} ",
            m.columns[c].name,
            if d { "↓" } else { "↑" }
        );
    }
    if let Some(fl) = &tb.filter {
        let _ = write!(title, "· filter {} ", crate::sanitize::clean(fl));
    }
    if let Some(s) = &tb.search {
        let n = tb.hits.len();
        let _ = write!(
            title,
            "· /{} ({n} {}) ",
            crate::sanitize::clean(s),
            if n == 1 { "match" } else { "matches" }
        );
    }
    f.render_widget(
        Table::new(body, widths)
            .header(header)
            .column_spacing(1)
            .block(block(title, true, &t)),
        area,
    );
}

fn draw_member(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let t = app.theme;
    let (Load::Ready(_), Some(d)) = (&app.members, &app.member.detail) else {
        let msg = match (&app.shop, &app.members) {
            (Load::Failed(e), _) | (_, Load::Failed(e)) => crate::sanitize::owned(e),
            _ => "reading the member's orders and reviews… (Esc cancels)".into(),
        };
        f.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: false })
                .block(block(" member ", true, &t)),
            area,
        );
        return;
    };
    let seg = run
        .segments()
        .iter()
        .find(|s| s.id == d.segment)
        .map(|s| run.name(s))
        .unwrap_or_default();
    let wide = area.width >= WIDE;
    let pane = app.member.pane;
    app.areas.page.set(area.height as usize);
    let title = |name: &str, p: MemberPane| {
        let on = p == pane;
        block(
            Line::from(vec![Span::styled(
                format!(" {name} "),
                if on { t.selected() } else { t.dim() },
            )]),
            on,
            &t,
        )
    };
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {} ", d.id), t.title()),
            Span::raw(format!(
                "· {seg} · {} order lines · {} reviews · Tab: next pane",
                d.orders.len(),
                d.reviews.len()
            )),
        ])),
        head,
    );
    let feature_lines: Vec<Line> = std::iter::once(Line::styled(
        format!(
            "{:<22} {:>10} {:>10} {:>10}",
            "feature", "member", "segment", "everyone"
        ),
        t.dim(),
    ))
    .chain(d.features.iter().map(|(n, v, s, p)| {
        let o = opt_num;
        Line::raw(format!(
            "{:<22.22} {:>10} {:>10} {:>10}",
            n,
            o(Some(*v)),
            o(*s),
            o(*p)
        ))
    }))
    .collect();
    let order_lines: Vec<Line> = d
        .orders
        .iter()
        .map(|o| {
            Line::raw(format!(
                "{}  {:<10} {:<26.26} {:<12.12} {:>9}{}",
                day_of(o.ts),
                o.order_id,
                o.product,
                o.category,
                fmt_num(o.amount),
                if o.returned { " returned" } else { "" }
            ))
        })
        .collect();
    let mut review_lines: Vec<Line> = Vec::new();
    for r in &d.reviews {
        let stars = r
            .rating
            .map(|x| "★".repeat(x.round().clamp(0.0, 5.0) as usize))
            .unwrap_or_default();
        review_lines.push(Line::from(vec![
            Span::styled(r.ts.map(day_of).unwrap_or_default(), t.dim()),
            Span::raw(format!("  {stars:<5}  ")),
            Span::styled(r.product.clone(), t.title()),
        ]));
        review_lines.push(Line::raw(r.text.clone()));
        review_lines.push(Line::raw(""));
    }
    if review_lines.is_empty() {
        review_lines.push(Line::styled("no reviews", t.dim()));
    }
    // Scroll positions are clamped to the content and kept so, so `k` after `G` moves at once.
    let pane_w = if wide { body.width / 2 } else { body.width }.saturating_sub(2);
    for (i, lines) in [&feature_lines, &order_lines, &review_lines]
        .iter()
        .enumerate()
    {
        let max = wrapped(lines, pane_w).saturating_sub(1) as u16;
        app.member.scroll[i] = app.member.scroll[i].min(max);
    }
    let s = app.member.scroll;
    let para = |lines: Vec<Line<'static>>, sc: u16| {
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((sc, 0))
    };
    let monthly: Vec<u64> = d.monthly.iter().map(|(_, v)| v.round() as u64).collect();
    let spark_title = match (d.monthly.first(), d.monthly.last()) {
        (Some(a), Some(b)) => format!(" spend per month {} … {} ", a.0, b.0),
        _ => " spend per month ".into(),
    };
    let orders_widget = |f: &mut Frame, r: Rect| {
        let b = title("Orders", MemberPane::Orders);
        let inner = b.inner(r);
        f.render_widget(b, r);
        let [sp, list] =
            Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(inner);
        f.render_widget(
            Sparkline::default()
                .data(&monthly)
                .style(t.good())
                .block(Block::default().title(Span::styled(spark_title.clone(), t.dim()))),
            sp,
        );
        f.render_widget(para(order_lines.clone(), s[1]), list);
    };
    if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Length(58), Constraint::Fill(1)]).areas(body);
        let [o, r] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(right);
        f.render_widget(
            para(feature_lines, s[0]).block(title("Features", MemberPane::Features)),
            left,
        );
        orders_widget(f, o);
        f.render_widget(
            para(review_lines, s[2]).block(title("Reviews", MemberPane::Reviews)),
            r,
        );
    } else {
        match pane {
            MemberPane::Features => f.render_widget(
                para(feature_lines, s[0]).block(title("Features", MemberPane::Features)),
                body,
            ),
            MemberPane::Orders => orders_widget(f, body),
            MemberPane::Reviews => f.render_widget(
                para(review_lines, s[2]).block(title("Reviews", MemberPane::Reviews)),
                body,
            ),
        }
    }
}

fn draw_compare(f: &mut Frame, app: &mut App, run: &RunView, area: Rect) {
    let t = app.theme;
    let (Some(a), Some(b)) = (run.segments().get(app.seg), run.segments().get(app.compare)) else {
        return;
    };
    let [head, body] = Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(area);
    let side = |s: &SegmentProfile, i: usize, on: bool| -> Paragraph<'static> {
        Paragraph::new(vec![
            Line::raw(format!(
                "{} customers · {} · {}",
                s.size,
                pct(s.share),
                tier(s)
            )),
            Line::raw(s.traits.first().cloned().unwrap_or_default()),
        ])
        .block(block(
            Line::styled(format!(" {} {} ", s.id, run.name(s)), t.segment(i)),
            on,
            &t,
        ))
    };
    let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(head);
    f.render_widget(side(a, app.seg, !app.compare_right), l);
    f.render_widget(side(b, app.compare, app.compare_right), r);
    let mut names: Vec<String> = a.trait_features.clone();
    for n in &b.trait_features {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    for fs in &a.features {
        if names.len() >= 14 {
            break;
        }
        if !names.contains(&fs.name) {
            names.push(fs.name.clone());
        }
    }
    let o = opt_num;
    let mut rows: Vec<Row> = names
        .iter()
        .map(|n| {
            let fa = a.features.iter().find(|f| &f.name == n);
            let fb = b.features.iter().find(|f| &f.name == n);
            Row::new(vec![
                n.clone(),
                o(fa.and_then(|f| f.mean)),
                o(fb.and_then(|f| f.mean)),
                o(fa.and_then(|f| f.population_mean)),
            ])
        })
        .collect();
    rows.push(Row::new(vec![String::new(); 4]));
    let cats = |s: &SegmentProfile| -> Vec<String> {
        s.top_categories
            .iter()
            .map(|c| format!("{} {}", c.category, pct(c.share)))
            .collect()
    };
    let (ca, cb) = (cats(a), cats(b));
    for i in 0..ca.len().max(cb.len()).min(5) {
        rows.push(Row::new(vec![
            if i == 0 {
                "top categories".into()
            } else {
                String::new()
            },
            ca.get(i).cloned().unwrap_or_default(),
            cb.get(i).cloned().unwrap_or_default(),
            String::new(),
        ]));
    }
    let header = Row::new(vec![
        "feature".to_string(),
        format!("seg {}", a.key()),
        format!("seg {}", b.key()),
        "everyone".to_string(),
    ])
    .style(t.title());
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Fill(2),
                Constraint::Fill(1),
                Constraint::Fill(1),
                Constraint::Fill(1),
            ],
        )
        .header(header)
        .block(block(
            " side by side · Tab/h/l: side · j/k: segment ",
            false,
            &t,
        )),
        body,
    );
}

/// The actions worth listing on each screen.
fn screen_actions(s: Screen) -> &'static [Action] {
    use Action::*;
    match s {
        Screen::Segments => &[
            Up, Down, Top, Bottom, PageDown, PageUp, NextPane, Open, Regenerate,
        ],
        Screen::Persona => &[
            Up,
            Down,
            PageDown,
            PageUp,
            PrevSegment,
            NextSegment,
            Regenerate,
            Transcript,
        ],
        Screen::Map => &[
            Left,
            Right,
            Up,
            Down,
            ZoomIn,
            ZoomOut,
            ZoomReset,
            PrevSegment,
            NextSegment,
        ],
        Screen::Members => &[
            Up,
            Down,
            Left,
            Right,
            Top,
            Bottom,
            PageDown,
            PageUp,
            Sort,
            Filter,
            Search,
            NextMatch,
            PrevMatch,
            Open,
            PrevSegment,
            NextSegment,
        ],
        Screen::Member => &[NextPane, PrevPane, Up, Down, PageDown, PageUp, Bottom],
        Screen::Compare => &[NextPane, Left, Right, Up, Down],
    }
}

const GLOBAL_ACTIONS: &[Action] = &[
    Action::Segments,
    Action::Persona,
    Action::Map,
    Action::Members,
    Action::Compare,
    Action::Back,
    Action::Quit,
    Action::Copy,
    Action::Export,
    Action::Mouse,
    Action::Help,
];

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let s = app.screen();
    let row = |a: &Action| {
        Line::from(vec![
            Span::styled(format!("{:<14}", app.keys.keys_of(*a)), t.good()),
            Span::raw(describe(*a)),
        ])
    };
    let mut here = vec![Line::styled(format!("{} screen", s.title()), t.title())];
    here.extend(screen_actions(s).iter().map(row));
    if s == Screen::Segments {
        here.push(super::view_sub::help_line(app, t));
    }
    let mut everywhere = vec![Line::styled("Everywhere", t.title())];
    everywhere.extend(GLOBAL_ACTIONS.iter().map(row));
    let foot = Line::styled(
        "Keys: [tui.keys] in seglens.toml. ? or Esc closes.",
        t.dim(),
    );
    let stacked = here.len() + everywhere.len() + 4;
    // Side by side when one column would not fit the height.
    let two = stacked as u16 > area.height && area.width >= 76;
    let (w, h) = if two {
        (
            area.width.min(110),
            (here.len().max(everywhere.len()) as u16 + 4).min(area.height),
        )
    } else {
        (area.width.min(64), (stacked as u16).min(area.height))
    };
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    let b = block(" help ", true, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let [body, foot_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    if two {
        let [a, c] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
        f.render_widget(Paragraph::new(here), a);
        f.render_widget(Paragraph::new(everywhere), c);
    } else {
        let mut lines = here;
        lines.push(Line::raw(""));
        lines.extend(everywhere);
        f.render_widget(Paragraph::new(lines), body);
    }
    f.render_widget(Paragraph::new(foot), foot_area);
}

/// A persona as Markdown (for `y` and `e`).
pub fn persona_markdown(p: &PersonaRecord) -> String {
    let x = &p.persona;
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n\n_{}_\n", x.name, x.tagline);
    let _ = writeln!(
        o,
        "Segment {} · {} customers · {} · {}\n",
        p.key,
        p.size,
        pct(p.share),
        crate::report::personas::badge(p)
    );
    let _ = writeln!(o, "{}\n", x.summary);
    for (title, items) in [
        ("Facts", &x.facts),
        ("Motivations", &x.motivations),
        ("Pain points", &x.pain_points),
        ("Preferred channels", &x.preferred_channels),
    ] {
        let _ = writeln!(o, "## {title}\n");
        for i in items {
            let _ = writeln!(o, "- {i}");
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Campaigns\n");
    for c in &x.campaigns {
        let _ = writeln!(
            o,
            "- **{}** ({}): {} — {} (KPI: {})",
            c.title, c.channel, c.offer, c.message, c.target_kpi
        );
    }
    if !p.grounding.unsupported.is_empty() {
        let _ = writeln!(o, "\n## Unsupported claims\n");
        for u in &p.grounding.unsupported {
            let _ = writeln!(o, "- {u}");
        }
    }
    o
}

use crate::sanitize::csv_cell as csv_field;

/// The segment list as CSV.
pub fn segments_csv(run: &RunView) -> String {
    let mut o = String::from("segment,name,size,share,top_tier,traits\n");
    for s in run.segments() {
        let _ = writeln!(
            o,
            "{},{},{},{:.6},{},{}",
            s.key(),
            csv_field(&run.name(s)),
            s.size,
            s.share,
            csv_field(&tier(s)),
            csv_field(&s.traits.join("; "))
        );
    }
    o
}

/// The given rows of the members table as CSV, every column.
pub fn members_csv(m: &Members, rows: &[u32]) -> String {
    let mut o = m
        .columns
        .iter()
        .map(|c| csv_field(&c.name))
        .collect::<Vec<_>>()
        .join(",");
    o.push('\n');
    for &r in rows {
        let line: Vec<String> = m
            .columns
            .iter()
            .map(|c| csv_field(&c.cell(r as usize)))
            .collect();
        o.push_str(&line.join(","));
        o.push('\n');
    }
    o
}

/// The map's sampled points as CSV.
pub fn map_csv(m: &Members) -> String {
    let mut o = String::from("customer_id,segment,x,y\n");
    for &r in &m.map_sample {
        let r = r as usize;
        let _ = writeln!(
            o,
            "{},{},{},{}",
            csv_field(&m.ids[r]),
            m.segment[r],
            m.x[r],
            m.y[r]
        );
    }
    o
}

/// Two segments side by side as a Markdown table.
pub fn compare_markdown(run: &RunView, a: &SegmentProfile, b: &SegmentProfile) -> String {
    let mut o = format!(
        "# Segment {} vs segment {}\n\n| feature | {} | {} | everyone |\n|---|---:|---:|---:|\n",
        a.key(),
        b.key(),
        run.name(a),
        run.name(b)
    );
    let v = opt_num;
    for fa in &a.features {
        let fb = b.features.iter().find(|f| f.name == fa.name);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            fa.name,
            v(fa.mean),
            v(fb.and_then(|f| f.mean)),
            v(fa.population_mean)
        );
    }
    o
}

/// One member as Markdown.
pub fn member_markdown(d: &MemberDetail) -> String {
    let mut o = format!("# Customer {} (segment {})\n\n## Features\n\n| feature | member | segment | everyone |\n|---|---:|---:|---:|\n", d.id, d.segment);
    let v = opt_num;
    for (n, x, s, p) in &d.features {
        let _ = writeln!(o, "| {n} | {} | {} | {} |", fmt_num(*x), v(*s), v(*p));
    }
    let _ = writeln!(
        o,
        "\n## Orders\n\n| date | order | product | category | amount |\n|---|---|---|---|---:|"
    );
    for l in &d.orders {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            day_of(l.ts),
            l.order_id,
            l.product,
            l.category,
            fmt_num(l.amount)
        );
    }
    let _ = writeln!(o, "\n## Reviews\n");
    for r in &d.reviews {
        let _ = writeln!(
            o,
            "- {} {}: {}",
            r.ts.map(day_of).unwrap_or_default(),
            r.rating.map_or(String::new(), |x| format!("{x:.0}/5")),
            r.text
        );
    }
    o
}

/// `s` with everything but letters, digits, `-` and `_` replaced, for file names.
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::widgets::Widget;

    /// `wrapped` counts the rows ratatui's word wrapping really takes.
    #[test]
    fn wrapped_matches_paragraph_rendering() {
        let cases: Vec<Vec<Line<'static>>> = vec![
            vec![
                Line::raw("aaa bbb ccc"),
                Line::raw("x".repeat(25)),
                Line::raw("short"),
            ],
            vec![Line::raw(
                "the quick brown fox jumps over the lazy dog again and again",
            )],
            vec![
                Line::raw(""),
                Line::raw("ab cd ef gh ij kl mn op"),
                Line::raw(""),
            ],
            vec![Line::raw("a verylongwordthatdoesnotfit b")],
        ];
        for lines in cases {
            for width in [7u16, 10, 13] {
                let area = Rect::new(0, 0, width, 40);
                let mut buf = Buffer::empty(area);
                // Mark the end of the text so trailing empty lines count.
                let mut marked = lines.clone();
                marked.push(Line::raw("#"));
                Paragraph::new(marked)
                    .wrap(Wrap { trim: false })
                    .render(area, &mut buf);
                let end = (0..40)
                    .find(|&y| buf[(0, y)].symbol() == "#")
                    .expect("marker drawn");
                assert_eq!(wrapped(&lines, width), end as usize, "{lines:?} at {width}");
            }
        }
    }
}
