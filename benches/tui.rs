//! The terminal UI at scale: a run with 1M customers (default; `SEGLENS_BENCH_CUSTOMERS` changes
//! it), built by repeating the rows of the test fixture run with fresh ids and jittered map
//! positions.
//!
//! Targets: the members screen renders a frame in <= 5 ms at 160x48 while paging through a
//! 1M-row table (`members_frame_*`); opening the run shows the first frame in <= 1 s
//! (`first_frame`: segments.json, run.json and personas.json read, the App built, the segment
//! screen drawn; the members table loads in the background, timed as `members_load`). Also the
//! map's frame (at most 40k sampled points) and sorting the largest segment (a background job).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use polars::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use seglens::tui::app::{App, Load, Msg};
use seglens::tui::keys::Keymap;
use seglens::tui::model::{Members, RunView};
use seglens::tui::theme::Theme;

const FIXTURE: &str = "tests/fixtures/tui/run";

/// Writes a run of `n` customers into `dir` from the fixture's rows.
fn big_run(dir: &Path, n: usize) {
    for f in ["segments.json", "run.json", "personas.json"] {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).expect("copy fixture");
    }
    for name in ["assignments.parquet", "features.parquet"] {
        let file = std::fs::File::open(Path::new(FIXTURE).join(name)).expect("fixture parquet");
        let small = ParquetReader::new(file).finish().expect("read fixture");
        let m = small.height();
        let idx: Vec<IdxSize> = (0..n).map(|i| (i % m) as IdxSize).collect();
        let mut big = small
            .take(&IdxCa::from_vec("i".into(), idx))
            .expect("repeat rows");
        let ids: Vec<String> = (0..n).map(|i| format!("C{i:07}")).collect();
        big.replace("customer_id", Series::new("customer_id".into(), ids))
            .expect("ids");
        if name == "assignments.parquet" {
            for (c, k) in [("x", 0.37), ("y", 0.61)] {
                let base = big.column(c).expect("xy").f64().expect("f64").clone();
                let jittered: Vec<f64> = base
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| v.unwrap_or(0.0) + ((i as f64 * k).fract() - 0.5) * 0.3)
                    .collect();
                big.replace(c, Series::new(c.into(), jittered)).expect("xy");
            }
        }
        let mut out = std::fs::File::create(dir.join(name)).expect("create");
        ParquetWriter::new(&mut out)
            .finish(&mut big)
            .expect("write");
    }
}

fn key(c: KeyCode, m: KeyModifiers) -> Msg {
    Msg::Key(KeyEvent::new(c, m))
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SEGLENS_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    big_run(dir.path(), n);
    // SEGLENS_BENCH_RUN_DIR keeps a copy of the big run, to open with `seglens tui`.
    if let Ok(keep) = std::env::var("SEGLENS_BENCH_RUN_DIR") {
        std::fs::create_dir_all(&keep).expect("keep dir");
        big_run(Path::new(&keep), n);
    }
    let mut g = c.benchmark_group(format!("tui_{n}"));
    g.sample_size(20)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));

    g.bench_function("first_frame", |b| {
        b.iter(|| {
            let run = RunView::open(dir.path()).expect("open");
            let mut app = App::new(Some(run), Keymap::default(), Theme { color: true }, false);
            let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
            term.draw(|f| seglens::tui::view::draw(f, &mut app))
                .expect("draw");
            black_box(term.backend().buffer().area);
        })
    });
    g.bench_function("members_load", |b| {
        b.iter(|| black_box(Members::load(dir.path()).expect("members").len()))
    });

    let members = Arc::new(Members::load(dir.path()).expect("members"));
    let run = RunView::open(dir.path()).expect("open");
    let mut app = App::new(Some(run), Keymap::default(), Theme { color: true }, false);
    app.members = Load::Ready(members.clone());
    let _ = app.update(key(KeyCode::Char('4'), KeyModifiers::NONE));
    // Every customer in the table, in file order and sorted by monetary (random access).
    let all: Arc<Vec<u32>> = Arc::new((0..members.len() as u32).collect());
    let monetary = members
        .columns
        .iter()
        .position(|c| c.name == "monetary")
        .expect("monetary column");
    let mut sorted: Vec<u32> = all.to_vec();
    if let seglens::tui::model::ColumnData::Num(v) = &members.columns[monetary].data {
        sorted.sort_by(|&a, &b| v[b as usize].total_cmp(&v[a as usize]));
    }
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    for (label, rows) in [("file_order", all.clone()), ("sorted", Arc::new(sorted))] {
        app.table.rows = Some(rows.clone());
        app.table.selected = 0;
        g.bench_function(format!("members_frame_{label}"), |b| {
            b.iter(|| {
                // Half a page down per frame; back to the top at the end of the table.
                if app.table.selected + 30 >= rows.len() {
                    app.table.selected = 0;
                }
                let _ = app.update(key(KeyCode::Char('d'), KeyModifiers::CONTROL));
                term.draw(|f| seglens::tui::view::draw(f, &mut app))
                    .expect("draw");
            })
        });
        // A jump to the far end is the same cost: only the visible slice is built.
        g.bench_function(format!("members_frame_{label}_jump_end"), |b| {
            b.iter(|| {
                let _ = app.update(key(KeyCode::Char('G'), KeyModifiers::SHIFT));
                term.draw(|f| seglens::tui::view::draw(f, &mut app))
                    .expect("draw");
                let _ = app.update(key(KeyCode::Char('g'), KeyModifiers::NONE));
            })
        });
    }
    let _ = app.update(key(KeyCode::Char('3'), KeyModifiers::NONE));
    g.bench_function("map_frame", |b| {
        b.iter(|| {
            let _ = app.update(key(KeyCode::Char(']'), KeyModifiers::NONE));
            term.draw(|f| seglens::tui::view::draw(f, &mut app))
                .expect("draw");
        })
    });
    g.bench_function("members_sort_segment", |b| {
        let seg = *members.by_segment.keys().next().expect("a segment");
        b.iter(|| {
            black_box(
                members
                    .query(seg, None, Some((monetary, true)))
                    .expect("query"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
