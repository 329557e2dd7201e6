//! The terminal UI without a terminal: every screen drawn into ratatui's TestBackend at 80x24 and
//! 160x48 and compared with insta snapshots; key sequences on the App (jobs run inline); the
//! real event loop fed streamed persona tokens while keys arrive.
//!
//! The fixture in tests/fixtures/tui is a 300-customer demo shop (seed 7, events left out to keep
//! it small) segmented with `seglens segment --seed 7`, personas by template, and one review
//! carrying terminal escape sequences.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use seglens::tui::app::{App, Effect, JobEvent, Msg, Screen};
use seglens::tui::jobs::{self, JobContext};
use seglens::tui::keys::Keymap;
use seglens::tui::model::{Members, RunView};
use seglens::tui::theme::Theme;

const RUN: &str = "tests/fixtures/tui/run";
const PWNED_CUSTOMER: &str = "C000005";

struct Harness {
    app: App,
    term: Terminal<TestBackend>,
    ctx: JobContext,
    copied: Vec<String>,
    /// Streamed persona text events seen, and the screens drawn while they arrived.
    streamed: usize,
}

impl Harness {
    fn open(w: u16, h: u16) -> Self {
        Self::open_at(Path::new(RUN), w, h)
    }

    fn open_at(dir: &Path, w: u16, h: u16) -> Self {
        let run = RunView::open(dir).unwrap();
        let app = App::new(Some(run), Keymap::default(), Theme { color: false }, false);
        let mut h = Self {
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            ctx: JobContext::default(),
            copied: Vec::new(),
            streamed: 0,
        };
        let fx = h.app.start();
        h.effects(fx);
        h
    }

    /// Runs effects inline: jobs to their end, each reported event applied in order.
    fn effects(&mut self, fx: Vec<Effect>) {
        for e in fx {
            match e {
                Effect::Spawn(job) => {
                    let id = job.id;
                    let events = RefCell::new(Vec::new());
                    jobs::execute(job, &self.ctx, &|ev| events.borrow_mut().push(ev));
                    for ev in events.into_inner() {
                        if matches!(ev, JobEvent::PersonaText { .. }) {
                            self.streamed += 1;
                        }
                        let more = self.app.update(Msg::Job(id, ev));
                        self.effects(more);
                    }
                }
                Effect::Copy(t) => self.copied.push(t),
                Effect::Mouse(_) => {}
            }
        }
    }

    fn key(&mut self, k: &str) {
        let ev = key_event(k);
        let fx = self.app.update(Msg::Key(ev));
        self.effects(fx);
    }

    fn keys(&mut self, ks: &[&str]) {
        for k in ks {
            self.key(k);
        }
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(&c.to_string());
        }
    }

    fn screen(&mut self) -> String {
        let app = &mut self.app;
        self.term
            .draw(|f| seglens::tui::view::draw(f, app))
            .unwrap();
        self.term.backend().to_string()
    }
}

fn key_event(k: &str) -> KeyEvent {
    let (code, m) = match k {
        "Enter" => (KeyCode::Enter, KeyModifiers::NONE),
        "Esc" => (KeyCode::Esc, KeyModifiers::NONE),
        "Tab" => (KeyCode::Tab, KeyModifiers::NONE),
        "Down" => (KeyCode::Down, KeyModifiers::NONE),
        "Backspace" => (KeyCode::Backspace, KeyModifiers::NONE),
        "ctrl-d" => (KeyCode::Char('d'), KeyModifiers::CONTROL),
        "ctrl-u" => (KeyCode::Char('u'), KeyModifiers::CONTROL),
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
    KeyEvent::new(code, m)
}

/// Position of the segment that holds `customer` in the segment list.
fn segment_index_of(customer: &str) -> usize {
    let m = Members::load(Path::new(RUN)).unwrap();
    let row = m.row_of(customer).unwrap();
    let seg = m.segment[row];
    let run = RunView::open(Path::new(RUN)).unwrap();
    run.segments().iter().position(|s| s.id == seg).unwrap()
}

fn snapshot_all(w: u16, h: u16) {
    let name = |s: &str| format!("{s}_{w}x{h}");
    let mut t = Harness::open(w, h);
    insta::assert_snapshot!(name("segments"), t.screen());
    t.keys(&["j", "Tab", "ctrl-d"]);
    insta::assert_snapshot!(name("segments_profile_scrolled"), t.screen());
    t.keys(&["k", "k", "k", "Tab", "2"]);
    insta::assert_snapshot!(name("persona"), t.screen());
    t.key("3");
    insta::assert_snapshot!(name("map"), t.screen());
    t.keys(&["+", "+", "l", "]"]);
    insta::assert_snapshot!(name("map_zoomed"), t.screen());
    t.keys(&["[", "0", "4"]);
    insta::assert_snapshot!(name("members"), t.screen());
    t.keys(&["Enter"]);
    insta::assert_snapshot!(name("member"), t.screen());
    t.keys(&["Tab", "Tab"]);
    insta::assert_snapshot!(name("member_reviews"), t.screen());
    t.keys(&["q", "q", "5"]);
    insta::assert_snapshot!(name("compare"), t.screen());
    t.key("?");
    insta::assert_snapshot!(name("help"), t.screen());

    // A persona being written: the streamed text so far.
    t.keys(&["Esc", "2"]);
    let seg = t.app.segment_id().unwrap().to_string();
    t.app.streaming.insert(
        seg,
        "{\"name\": \"Weekend Gadget Hunters\", \"tagline\": \"Buy big, \u{1b}[2J rarely\"".into(),
    );
    insta::assert_snapshot!(name("persona_streaming"), t.screen());

    // `run --tui` before the run exists: the pipeline's stages.
    let mut p = Harness {
        app: App::new(None, Keymap::default(), Theme { color: false }, false),
        term: Terminal::new(TestBackend::new(w, h)).unwrap(),
        ctx: JobContext::default(),
        copied: Vec::new(),
        streamed: 0,
    };
    p.app.pipeline = Some(seglens::tui::app::PipelineView {
        stages: vec![
            "loading data".into(),
            "engineering features".into(),
            "clustering".into(),
        ],
        failed: None,
    });
    insta::assert_snapshot!(name("pipeline"), p.screen());
}

#[test]
fn every_screen_at_80x24() {
    snapshot_all(80, 24);
}

#[test]
fn every_screen_at_160x48() {
    snapshot_all(160, 48);
}

#[test]
fn navigate_drill_down_sort_search_back_quit() {
    let mut t = Harness::open(160, 48);
    assert_eq!(t.app.screen(), Screen::Segments);
    t.keys(&["j", "j"]);
    assert_eq!(t.app.seg, 2);
    t.key("G");
    let n = t.app.run.as_ref().unwrap().segments().len();
    assert_eq!(t.app.seg, n - 1);
    t.key("g");
    assert_eq!(t.app.seg, 0);

    // Drill down into the members of the first segment.
    t.key("Enter");
    assert_eq!(t.app.screen(), Screen::Members);
    let members = t.app.members.ready().unwrap().clone();
    let rows = t.app.table.rows.clone().unwrap();
    let seg0 = t.app.segment_id().unwrap();
    assert!(rows.iter().all(|&r| members.segment[r as usize] == seg0));

    // Sort by monetary: largest first, then reversed.
    let col = members
        .columns
        .iter()
        .position(|c| c.name == "monetary")
        .unwrap();
    for _ in 0..col {
        t.key("l");
    }
    t.key("s");
    let sorted = t.app.table.rows.clone().unwrap();
    let seglens::tui::model::ColumnData::Num(v) = &members.columns[col].data else {
        panic!("monetary is numeric")
    };
    let vals: Vec<f64> = sorted.iter().map(|&r| v[r as usize]).collect();
    assert!(vals.windows(2).all(|w| w[0] >= w[1]), "{vals:?}");
    assert!(t.screen().contains("sorted by monetary ↓"));
    t.key("s");
    let asc: Vec<f64> = t
        .app
        .table
        .rows
        .clone()
        .unwrap()
        .iter()
        .map(|&r| v[r as usize])
        .collect();
    assert!(asc.windows(2).all(|w| w[0] <= w[1]));

    // Filter, then clear it.
    t.key("f");
    t.typed("monetary>500");
    t.key("Enter");
    let filtered = t.app.table.rows.clone().unwrap();
    assert!(!filtered.is_empty() && filtered.len() < rows.len());
    assert!(filtered.iter().all(|&r| v[r as usize] > 500.0));
    t.key("f");
    for _ in 0.."monetary>500".len() {
        t.key("Backspace");
    }
    t.key("Enter");
    assert_eq!(t.app.table.rows.as_ref().unwrap().len(), rows.len());

    // Search for a member id, n / N move between matches.
    let target = members.ids[rows[rows.len() / 2] as usize].clone();
    t.key("/");
    t.typed(&target);
    t.key("Enter");
    let sel = t.app.table.selected;
    let shown = t.app.table.rows.clone().unwrap();
    assert_eq!(members.ids[shown[sel] as usize], target);
    t.key("n");
    assert_eq!(t.app.table.selected, sel, "one match: n stays on it");
    t.key("/");
    t.typed("C0000");
    t.key("Enter");
    let first = t.app.table.selected;
    t.key("n");
    assert!(t.app.table.selected > first);
    t.key("N");
    assert_eq!(t.app.table.selected, first);

    // Open the member: features, orders and reviews of that customer.
    t.key("Enter");
    assert_eq!(t.app.screen(), Screen::Member);
    let d = t.app.member.detail.clone().expect("member detail loaded");
    assert_eq!(d.id, members.ids[t.app.member.row]);
    assert!(!d.orders.is_empty());
    assert!(t.screen().contains(&d.id));

    // y copies the member id; back twice; Q quits.
    t.key("y");
    assert_eq!(t.copied.last().unwrap(), &d.id);
    t.key("q");
    assert_eq!(t.app.screen(), Screen::Members);
    t.key("Esc");
    assert_eq!(t.app.screen(), Screen::Segments);
    t.key("Esc");
    assert!(!t.app.quit, "Esc on the first screen does not quit");
    t.key("Q");
    assert!(t.app.quit);
}

#[test]
fn q_on_the_first_screen_quits_and_help_lists_keys() {
    let mut t = Harness::open(80, 24);
    t.key("?");
    let s = t.screen();
    assert!(s.contains("Segments screen") && s.contains("Ctrl-d"), "{s}");
    t.key("Esc");
    assert!(!t.app.help);
    t.key("q");
    assert!(t.app.quit);
}

#[test]
fn hostile_review_is_drawn_as_harmless_text() {
    let mut t = Harness::open(160, 48);
    let idx = segment_index_of(PWNED_CUSTOMER);
    for _ in 0..idx {
        t.key("j");
    }
    t.key("Enter");
    t.key("/");
    t.typed(PWNED_CUSTOMER);
    t.key("Enter");
    t.key("Enter");
    let d = t.app.member.detail.clone().unwrap();
    assert_eq!(d.id, PWNED_CUSTOMER);
    let screen = t.screen();
    assert!(screen.contains("^[]0;PWNED^G"), "{screen}");
    assert!(screen.contains("^[[2J"), "{screen}");
    let buf = t.term.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| !c.symbol().chars().any(|ch| ch.is_control())),
        "a control character reached the buffer"
    );
}

#[test]
fn export_writes_csv_and_markdown_and_says_where() {
    let tmp = tempfile::tempdir().unwrap();
    let mut t = Harness::open(120, 40);
    t.app.export_dir = Some(tmp.path().to_path_buf());
    t.key("e");
    let status = t.app.status.clone().unwrap();
    assert!(status.starts_with("exported to "), "{status}");
    let path = PathBuf::from(status.trim_start_matches("exported to "));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("segment,name,size,share"));
    assert_eq!(
        csv.lines().count(),
        t.app.run.as_ref().unwrap().segments().len() + 1
    );

    t.key("Enter");
    t.key("e");
    let status = t.app.status.clone().unwrap();
    let path = PathBuf::from(status.trim_start_matches("exported to "));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        csv.lines().count(),
        t.app.table.rows.as_ref().unwrap().len() + 1
    );
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("customer_id,segment,confidence"));

    t.key("2");
    t.key("e");
    let status = t.app.status.clone().unwrap();
    let path = PathBuf::from(status.trim_start_matches("exported to "));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("## Campaigns"));
}

#[test]
fn copy_on_the_persona_screen_is_the_persona_markdown() {
    let mut t = Harness::open(80, 24);
    t.key("2");
    t.key("y");
    let text = t.copied.last().unwrap();
    let name = &t
        .app
        .run
        .as_ref()
        .unwrap()
        .personas
        .values()
        .next()
        .unwrap()
        .persona
        .name;
    assert!(text.starts_with(&format!("# {name}")), "{text}");
}

#[test]
fn esc_cancels_a_running_job_before_going_back() {
    let mut t = Harness::open(80, 24);
    // Inline jobs finish at once, so start one by hand and keep its cancel flag.
    let fx = t.app.update(Msg::Key(key_event("r")));
    let job = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::Spawn(j) => Some(j),
            _ => None,
        })
        .expect("r starts a persona job");
    assert_eq!(t.app.screen(), Screen::Persona);
    t.key("Esc");
    assert!(job.cancel.load(std::sync::atomic::Ordering::Relaxed));
    assert_eq!(
        t.app.screen(),
        Screen::Persona,
        "Esc cancelled instead of going back"
    );
    let fx = t.app.update(Msg::Job(job.id, JobEvent::Cancelled));
    assert!(fx.is_empty());
    assert!(t.app.persona_job.is_none());
    t.key("Esc");
    assert_eq!(t.app.screen(), Screen::Segments);
}

#[test]
fn streamed_tokens_show_while_the_loop_stays_responsive() {
    let run = RunView::open(Path::new(RUN)).unwrap();
    let seg = run.segments()[0].key();
    let mut app = App::new(Some(run), Keymap::default(), Theme { color: false }, false);
    // The streaming view of segment 0, as a persona job would start it.
    app.streaming.insert(seg.clone(), String::new());
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    const TOKENS: usize = 300;
    let feeder = {
        let tx = tx.clone();
        let seg = seg.clone();
        rt.spawn(async move {
            let _ = tx.send(Msg::Key(key_event("2")));
            for i in 0..TOKENS {
                let _ = tx.send(Msg::Job(
                    9999,
                    JobEvent::PersonaText {
                        segment: seg.clone(),
                        text: format!("tok{i} "),
                    },
                ));
                if i == TOKENS / 2 {
                    // A key in the middle of the stream: the help overlay opens...
                    let _ = tx.send(Msg::Key(key_event("?")));
                }
                if i == TOKENS * 3 / 4 {
                    // ...and closes again while tokens still arrive.
                    let _ = tx.send(Msg::Key(key_event("Esc")));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = tx.send(Msg::Key(key_event("Q")));
        })
    };
    let frames: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let frame_text = |b: &ratatui::buffer::Buffer| -> String {
        b.content().iter().map(|c| c.symbol()).collect::<String>()
    };
    rt.block_on(async {
        seglens::tui::event_loop(
            &mut term,
            &mut app,
            rx,
            tx,
            Arc::new(JobContext::default()),
            Duration::from_millis(16),
            &mut |_| {},
            &mut |b| frames.borrow_mut().push(frame_text(b)),
        )
        .await
        .unwrap();
    });
    rt.block_on(feeder).unwrap();
    let frames = frames.into_inner();
    let last_token = format!("tok{} ", TOKENS - 1);
    // Frames were drawn mid-stream, each showing part of the text so far.
    let partial = frames
        .iter()
        .position(|f| f.contains("writing") && f.contains("tok10 ") && !f.contains(&last_token))
        .expect("a frame drawn while tokens were still arriving");
    // The key sent mid-stream was drawn before the stream ended.
    let help = frames
        .iter()
        .position(|f| f.contains("Persona screen"))
        .expect("the help overlay opened");
    let done = frames
        .iter()
        .position(|f| f.contains(&last_token))
        .expect("the last token was drawn");
    assert!(
        partial < help && help < done,
        "partial {partial}, help {help}, done {done}"
    );
    // Several tokens are drawn per frame, never a frame per message.
    assert!(
        frames.len() < TOKENS,
        "{} frames for {TOKENS} tokens",
        frames.len()
    );
    assert!(app.streaming[&seg].contains(&last_token));
    assert!(app.quit);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A writable copy of the fixture run and its shop: (the temporary folder, the run in it).
fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new(RUN), &tmp.path().join("run"));
    copy_dir(
        Path::new("tests/fixtures/tui/shop"),
        &tmp.path().join("shop"),
    );
    let run = tmp.path().join("run");
    (tmp, run)
}

/// Real-model tests run one at a time: two llama.cpp thread pools on 2 cores slow both down.
fn model_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Persona settings for the real test model, small and quick (no tools, one sequence).
fn smollm_options(cache: &Path) -> seglens::llm::writer::PersonaOptions {
    seglens::llm::writer::PersonaOptions {
        model: "smollm2-135m".into(),
        threads: 2,
        gpu_layers: None,
        parallel: 1,
        ctx_per_sequence: 4096,
        sampling: seglens::llm::engine::Sampling {
            temperature: 0.7,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
        },
        seed: 7,
        tools: false,
        max_tool_calls: 0,
        threshold: 0.8,
        tolerance: seglens::llm::grounding::Tolerance::default(),
        prompts_dir: None,
        cache_dir: Some(cache.to_path_buf()),
        fresh: false,
        segments: None,
        max_traits: 6,
        neighbours: 2,
        name_vote: false,
        cancel: None,
    }
}

/// The small model either wrote the persona, or its reply was degenerate and seglens put the
/// template in its place, flagged and saying why; nothing else is acceptable.
fn written_or_caught(p: &seglens::llm::persona::PersonaRecord) {
    use seglens::llm::persona::Origin;
    match p.origin {
        Origin::Model => assert_eq!(p.written_by, "model-written"),
        Origin::Template => {
            assert_eq!(p.written_by, "not model-written");
            assert!(p.flagged, "a replaced reply is flagged");
            assert!(
                p.notes.iter().any(|n| n.contains("degenerate text")),
                "the template stands in only for a degenerate reply: {:?}",
                p.notes
            );
        }
    }
}

/// `r` on the real path: SmolLM2-135M through llama.cpp writes the selected segment's persona,
/// streamed as events, and personas.json keeps the other segments' records.
#[test]
fn regenerate_writes_a_real_persona_and_keeps_the_others() {
    let _one = model_lock();
    let (tmp, run_dir) = fixture_copy();
    let mut t = Harness::open_at(&run_dir, 100, 30);
    t.ctx.persona = Some(smollm_options(&tmp.path().join("cache")));
    t.key("j");
    let seg = t.app.segment_id().unwrap().to_string();
    let before = t.app.run.as_ref().unwrap().personas.clone();
    t.key("r");
    assert_eq!(t.app.screen(), Screen::Persona);
    assert!(t.streamed > 10, "only {} text events streamed", t.streamed);
    assert!(t.app.persona_job.is_none());
    let status = t.app.status.clone().unwrap_or_default();
    assert!(status.contains("written to personas.json"), "{status}");
    let now = t.app.run.as_ref().unwrap().personas.clone();
    written_or_caught(&now[&seg]);
    assert!(t.screen().contains(&now[&seg].persona.name));

    // `t`: the transcript of that conversation.
    t.key("t");
    let s = t.screen();
    assert!(s.contains("Conversation") && s.contains("[system]"), "{s}");

    let file: seglens::llm::writer::PersonaRun =
        serde_json::from_slice(&std::fs::read(run_dir.join("personas.json")).unwrap()).unwrap();
    assert_eq!(file.personas.len(), before.len(), "other segments kept");
    for p in &file.personas {
        if p.key == seg {
            written_or_caught(p);
        } else {
            assert_eq!(p.persona.name, before[&p.key].persona.name);
        }
    }
}

/// `run --tui`: the App starts with the pipeline, shows its stages, then the finished run.
#[test]
fn pipeline_runs_in_the_background_then_the_run_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = seglens::config::Config {
        seed: 7,
        ..Default::default()
    };
    config.text.enabled = false;
    let out = tmp.path().join("run");
    let app = App::new(None, Keymap::default(), Theme { color: false }, false);
    let mut t = Harness {
        app,
        term: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        ctx: JobContext {
            persona: None,
            segment: Some(seglens::pipeline::SegmentRequest {
                data: PathBuf::from("tests/fixtures/tui/shop"),
                out: out.clone(),
                config,
            }),
        },
        copied: Vec::new(),
        streamed: 0,
    };
    let fx = t.app.start();
    assert!(t.app.pipeline.is_some());
    assert!(t.screen().contains("Segmenting the shop"));
    // Keys while there is no run yet do nothing harmful.
    t.keys(&["4", "j", "Enter"]);
    t.effects(fx);
    assert!(t.app.pipeline.is_none(), "pipeline finished");
    let run = t.app.run.clone().expect("the run opened");
    assert_eq!(run.profiles.customers, 300);
    assert!(out.join("segments.json").is_file());
    assert!(t.app.members.ready().is_some());
    assert!(t.screen().contains("300 customers"));
}

#[test]
fn search_lands_on_a_match_in_the_first_row() {
    let mut t = Harness::open(120, 40);
    t.key("Enter");
    let m = t.app.members.ready().unwrap().clone();
    let first = m.ids[t.app.table.rows.as_ref().unwrap()[0] as usize].clone();
    t.key("/");
    t.typed(&first);
    t.key("Enter");
    assert_eq!(t.app.table.selected, 0);
    assert_eq!(t.app.status.as_deref(), Some("match 1 of 1"));
}

#[test]
fn scrolling_up_after_the_end_moves_at_once() {
    let mut t = Harness::open(80, 24);
    t.keys(&["Enter", "Enter"]);
    t.screen();
    t.key("G");
    t.screen();
    let end = t.app.member.scroll[0];
    assert!(end > 0 && end < 1000, "clamped to the content: {end}");
    t.key("k");
    t.screen();
    assert_eq!(t.app.member.scroll[0], end - 1);
}

/// Over a slow link only changed cells go out: after the first frame, a spinner tick or a
/// cursor move writes a small fraction of a full repaint, and an idle tick draws nothing.
#[test]
fn redraws_send_only_what_changed() {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{TerminalOptions, Viewport};
    let run = RunView::open(Path::new(RUN)).unwrap();
    let mut app = App::new(Some(run), Keymap::default(), Theme { color: true }, false);
    /// Counts the bytes a frame sends to the terminal.
    #[derive(Clone)]
    struct Counter(Arc<std::sync::atomic::AtomicUsize>);
    impl std::io::Write for Counter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .fetch_add(b.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let bytes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let backend = CrosstermBackend::new(Counter(bytes.clone()));
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap();
    let frame = |app: &mut App, term: &mut Terminal<CrosstermBackend<Counter>>| -> usize {
        bytes.store(0, std::sync::atomic::Ordering::Relaxed);
        term.draw(|f| seglens::tui::view::draw(f, app)).unwrap();
        app.dirty = false;
        bytes.load(std::sync::atomic::Ordering::Relaxed)
    };
    let full = frame(&mut app, &mut term);
    assert!(full > 160 * 48 / 2, "first frame {full} bytes");
    // No job running: a tick changes nothing and asks for no frame.
    let _ = app.update(Msg::Tick);
    assert!(!app.dirty);
    // A job running (a persona being written): the tick moves the spinners, a few cells.
    let _ = app.update(Msg::Key(key_event("r")));
    assert!(!app.running.is_empty());
    frame(&mut app, &mut term);
    let _ = app.update(Msg::Tick);
    assert!(app.dirty);
    let tick = frame(&mut app, &mut term);
    assert!(tick * 20 < full, "a tick wrote {tick} of {full} bytes");
    // In the members table a cursor move redraws two rows and the title.
    app.members = seglens::tui::app::Load::Ready(Arc::new(Members::load(Path::new(RUN)).unwrap()));
    let _ = app.update(Msg::Key(key_event("4")));
    assert!(app.table.rows.as_ref().is_some_and(|r| r.len() > 10));
    let table = frame(&mut app, &mut term);
    let _ = app.update(Msg::Key(key_event("j")));
    let moved = frame(&mut app, &mut term);
    assert!(
        moved * 5 < table,
        "a cursor move wrote {moved} of {table} bytes"
    );
    eprintln!("bytes sent: first frame {full}, spinner tick {tick}, members frame {table}, cursor move {moved}");
}

#[test]
fn mouse_clicks_select_rows_and_the_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let click = |column: u16, row: u16| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut t = Harness::open(160, 48);
    let s = t.screen();
    // The third segment's row: tab bar, border and header come first.
    let row = s.lines().position(|l| l.contains("│ 2 ")).unwrap() as u16;
    let _ = t.app.update(click(5, row));
    assert_eq!(t.app.seg, 2, "{s}");
    let _ = t.app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 5,
        row,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(t.app.seg, 1);
    t.key("Enter");
    t.screen();
    let _ = t.app.update(click(10, 1 + 1 + 1 + 4));
    assert_eq!(t.app.table.selected, 4);
}

/// Esc while the real model writes: generation stops, nothing is written, the UI goes on.
#[test]
fn esc_stops_a_real_persona_being_written() {
    let _one = model_lock();
    let (tmp, run_dir) = fixture_copy();
    let before = std::fs::read(run_dir.join("personas.json")).unwrap();
    let run = RunView::open(&run_dir).unwrap();
    let mut app = App::new(Some(run), Keymap::default(), Theme { color: false }, false);
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = Arc::new(JobContext {
        persona: Some(smollm_options(&tmp.path().join("cache"))),
        segment: None,
    });
    tx.send(Msg::Key(key_event("r"))).unwrap();
    {
        // Give up after two minutes whatever happens.
        let tx = tx.clone();
        rt.spawn(async move {
            tokio::time::sleep(Duration::from_secs(120)).await;
            let _ = tx.send(Msg::Key(key_event("Q")));
        });
    }
    let keys = tx.clone();
    let (mut esc_sent, mut cancelled_seen) = (false, false);
    rt.block_on(async {
        seglens::tui::event_loop(
            &mut term,
            &mut app,
            rx,
            tx,
            ctx,
            Duration::from_millis(16),
            &mut |_| {},
            &mut |b| {
                let f: String = b.content().iter().map(|c| c.symbol()).collect();
                if !esc_sent && f.contains("characters so far") && !f.contains("(0 characters") {
                    esc_sent = true;
                    let _ = keys.send(Msg::Key(key_event("Esc")));
                } else if esc_sent && !cancelled_seen && f.contains("cancelled") {
                    cancelled_seen = true;
                    let _ = keys.send(Msg::Key(key_event("Q")));
                }
            },
        )
        .await
        .unwrap();
    });
    assert!(esc_sent, "no streamed text was drawn");
    assert!(cancelled_seen, "the UI never said the job was cancelled");
    assert!(app.persona_job.is_none() && app.streaming.is_empty());
    assert_eq!(
        app.screen(),
        Screen::Persona,
        "Esc cancelled instead of going back"
    );
    assert_eq!(
        std::fs::read(run_dir.join("personas.json")).unwrap(),
        before
    );
}
