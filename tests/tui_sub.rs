//! Sub-segments in the terminal UI: Enter on a split segment opens its sub-segments with the
//! same screens, Esc/q goes back up, the members and map show only the parent's customers; an
//! insta snapshot of the sub-segment list at 80x24 and 160x48; runs from before sub-segments
//! still open.
//!
//! The fixture tests/fixtures/tui-sub/run is the 300-customer shop of tests/fixtures/tui
//! segmented with `seglens segment --data tests/fixtures/tui/shop --out tests/fixtures/tui-sub/run
//! --seed 7 --k 2 --sub-k 3` (run.json's data_dir then set to `../../tui/shop`): segment 0 (224
//! customers) has 3 sub-segments, segment 1 (76) stayed whole. It has no personas.

use std::cell::RefCell;
use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use seglens::tui::app::{App, Effect, Msg, Screen};
use seglens::tui::jobs::{self, JobContext};
use seglens::tui::keys::Keymap;
use seglens::tui::model::{Members, RunView};
use seglens::tui::theme::Theme;

const SUB: &str = "tests/fixtures/tui-sub/run";
const OLD: &str = "tests/fixtures/tui/run";

struct Harness {
    app: App,
    term: Terminal<TestBackend>,
    ctx: JobContext,
}

impl Harness {
    fn open(dir: &str, w: u16, h: u16) -> Self {
        let run = RunView::open(Path::new(dir)).unwrap();
        let app = App::new(Some(run), Keymap::default(), Theme { color: false }, false);
        let mut t = Self {
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            ctx: JobContext::default(),
        };
        let fx = t.app.start();
        t.effects(fx);
        t
    }

    /// Runs effects inline, jobs to their end.
    fn effects(&mut self, fx: Vec<Effect>) {
        for e in fx {
            if let Effect::Spawn(job) = e {
                let id = job.id;
                let events = RefCell::new(Vec::new());
                jobs::execute(job, &self.ctx, &|ev| events.borrow_mut().push(ev));
                for ev in events.into_inner() {
                    let more = self.app.update(Msg::Job(id, ev));
                    self.effects(more);
                }
            }
        }
    }

    fn key(&mut self, k: &str) {
        let (code, m) = match k {
            "Enter" => (KeyCode::Enter, KeyModifiers::NONE),
            "Esc" => (KeyCode::Esc, KeyModifiers::NONE),
            s => {
                let c = s.chars().next().unwrap();
                let m = if c.is_uppercase() {
                    KeyModifiers::SHIFT
                } else {
                    KeyModifiers::NONE
                };
                (KeyCode::Char(c), m)
            }
        };
        let fx = self.app.update(Msg::Key(KeyEvent::new(code, m)));
        self.effects(fx);
    }

    fn keys(&mut self, ks: &[&str]) {
        for k in ks {
            self.key(k);
        }
    }

    fn screen(&mut self) -> String {
        let app = &mut self.app;
        self.term
            .draw(|f| seglens::tui::view::draw(f, app))
            .unwrap();
        self.term.backend().to_string()
    }

    fn segments(&self) -> Vec<String> {
        self.app
            .run
            .as_ref()
            .unwrap()
            .segments()
            .iter()
            .map(|s| s.key())
            .collect()
    }
}

#[test]
fn enter_opens_sub_segments_and_esc_goes_back_up() {
    let mut t = Harness::open(SUB, 100, 30);
    let s = t.screen();
    assert!(s.contains("▸ 3 sub"), "{s}");
    assert_eq!(t.segments(), ["0", "1"]);

    t.key("Enter");
    assert!(t.app.level.is_some());
    assert_eq!(t.app.screen(), Screen::Segments);
    assert_eq!(t.segments(), ["0.0", "0.1", "0.2"]);
    let s = t.screen();
    assert!(s.contains("Segment 0 › 0.0"), "{s}");
    assert!(s.contains("3 sub-segments of segment 0"), "{s}");
    t.key("j");
    assert!(t.screen().contains("Segment 0 › 0.1"));

    // Every screen works on the level; q from the level's list goes back up, not out.
    for k in ["2", "3", "5", "1"] {
        t.key(k);
        assert!(t.screen().contains("Segment 0 › 0."), "screen {k}");
    }
    t.key("q");
    assert!(!t.app.quit);
    assert!(t.app.level.is_none());
    assert_eq!(t.segments(), ["0", "1"]);
    assert_eq!(t.app.seg, 0, "the parent stays selected");
    assert!(!t.screen().contains("›"));

    // Enter again, then Esc from the members screen: first to the list, then up.
    t.keys(&["Enter", "4"]);
    assert_eq!(t.app.screen(), Screen::Members);
    t.key("Esc");
    assert_eq!(t.app.screen(), Screen::Segments);
    assert!(t.app.level.is_some());
    t.key("Esc");
    assert!(t.app.level.is_none());

    // A segment that was not split: Enter opens its members as before.
    t.keys(&["j", "Enter"]);
    assert_eq!(t.app.screen(), Screen::Members);
    assert!(t.app.level.is_none());
    let s = t.screen();
    assert!(!s.contains("›"), "{s}");
}

#[test]
fn level_members_and_map_hold_only_the_parents_customers() {
    let all = Members::load(Path::new(SUB)).unwrap();
    let run = RunView::open(Path::new(SUB)).unwrap();
    let parent = &run.segments()[0];
    let mut t = Harness::open(SUB, 160, 48);
    t.keys(&["Enter", "j", "4"]);
    assert_eq!(t.app.screen(), Screen::Members);
    let m = t.app.members.ready().expect("level members cut").clone();
    assert_eq!(m.len(), parent.size);
    for id in &m.ids {
        let r = all.row_of(id).unwrap();
        assert_eq!(all.segment[r], parent.id, "{id} is not in the parent");
    }
    // The table lists sub-segment 0.1 only, with a subsegment column.
    let rows = t.app.table.rows.clone().unwrap();
    assert_eq!(rows.len(), parent.children[1].size);
    let sub = m
        .columns
        .iter()
        .position(|c| c.name == "subsegment")
        .unwrap();
    let seglens::tui::model::ColumnData::Num(v) = &m.columns[sub].data else {
        panic!("subsegment is numeric")
    };
    assert!(rows.iter().all(|&r| v[r as usize] == 1.0));
    let s = t.screen();
    assert!(s.contains("subsegment"), "{s}");
    assert!(s.contains(&format!("{} members", rows.len())), "{s}");

    // The member screen inside the level compares with the sub-segment.
    t.key("Enter");
    assert_eq!(t.app.screen(), Screen::Member);

    // The map: only the parent's customers, in the level's three groups.
    t.keys(&["q", "3"]);
    assert_eq!(t.app.screen(), Screen::Map);
    let m = t.app.members.ready().unwrap();
    assert!(m.map_sample.len() <= parent.size);
    assert_eq!(m.by_segment.len(), 3);
    let s = t.screen();
    assert!(s.contains("0.1") || s.contains(" 1 "), "{s}");

    // Back at the top the whole table is there again.
    t.keys(&["1", "q"]);
    assert!(t.app.level.is_none());
    assert_eq!(t.app.members.ready().unwrap().len(), all.len());
}

#[test]
fn enter_before_the_members_loaded_still_cuts_the_level() {
    let run = RunView::open(Path::new(SUB)).unwrap();
    let size = run.segments()[0].size;
    let mut app = App::new(Some(run), Keymap::default(), Theme { color: false }, false);
    // The members load is queued but not run yet.
    let start = app.start();
    let _ = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(app.level.is_some());
    let mut t = Harness {
        app,
        term: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        ctx: JobContext::default(),
    };
    t.effects(start);
    assert_eq!(t.app.members.ready().unwrap().len(), size);
    t.key("q");
    assert!(t.app.members.ready().unwrap().len() > size);
}

#[test]
fn help_lists_the_sub_segment_key() {
    let mut t = Harness::open(SUB, 100, 40);
    t.key("?");
    let s = t.screen();
    assert!(s.contains("its sub-segments"), "{s}");
}

fn snapshot_level(w: u16, h: u16) {
    let mut t = Harness::open(SUB, w, h);
    t.keys(&["Enter", "j"]);
    insta::assert_snapshot!(format!("sub_segments_{w}x{h}"), t.screen());
}

#[test]
fn snapshot_sub_segments_80x24() {
    snapshot_level(80, 24);
}

#[test]
fn snapshot_sub_segments_160x48() {
    snapshot_level(160, 48);
}

/// A run from before sub-segments (no children, split or subsegment column; persona records
/// without keys) opens, and Enter still drills into members.
#[test]
fn runs_without_sub_segments_still_open() {
    let run = RunView::open(Path::new(OLD)).unwrap();
    assert!(run.segments().iter().all(|s| s.children.is_empty()));
    let keys: Vec<&String> = run.personas.keys().collect();
    assert!(!keys.is_empty());
    for (k, p) in &run.personas {
        assert_eq!(k, &p.segment.to_string());
    }
    let m = Members::load(Path::new(OLD)).unwrap();
    assert!(m.subsegment.iter().all(|&s| s == -1));
    assert!(m.column("subsegment").is_none());
    let mut t = Harness::open(OLD, 80, 24);
    assert!(!t.screen().contains('▸'));
    t.key("Enter");
    assert_eq!(t.app.screen(), Screen::Members);
    assert!(t.app.level.is_none());
}
