//! The UI's state and its update function: every input and every background result arrives as a
//! [`Msg`]; [`App::update`] changes the state and returns the [`Effect`]s the runtime must carry
//! out (start a job, copy to the clipboard, toggle the mouse). Nothing here blocks or touches the
//! terminal, so key sequences are tested on the App alone.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::keys::{Action, Keymap};
use super::model::{MemberDetail, Members, RunView, ShopIndex};
use super::theme::Theme;
use crate::llm::writer::PersonaRun;

/// The screens, in the order of their number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Segments,
    Persona,
    Map,
    Members,
    Member,
    Compare,
}

impl Screen {
    pub fn title(self) -> &'static str {
        match self {
            Self::Segments => "Segments",
            Self::Persona => "Persona",
            Self::Map => "Map",
            Self::Members => "Members",
            Self::Member => "Member",
            Self::Compare => "Compare",
        }
    }
}

/// Identifies a background job and its results.
pub type JobId = u64;

/// Input and background results, all through one queue.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Tick,
    /// The terminal's input is gone (closed pty, read error): the UI ends.
    InputClosed,
    Job(JobId, JobEvent),
}

/// What a background job reports.
#[derive(Debug)]
pub enum JobEvent {
    Members(Result<Arc<Members>, String>),
    /// The members of an open sub-segment level (the parent segment's id), cut from the whole
    /// table.
    SubMembers(i32, Arc<Members>),
    Shop(Result<Arc<ShopIndex>, String>),
    Detail(Box<MemberDetail>),
    Rows(Result<Arc<Vec<u32>>, String>),
    Hits(Vec<usize>),
    /// A stage of the pipeline or the persona writer starts.
    Stage(String),
    /// A tolerated problem, shown in the status line.
    Warning(String),
    /// Persona text streamed for the segment with key `segment` (`3`, `3.1`).
    PersonaText {
        segment: String,
        text: String,
    },
    PersonaReplied {
        segment: String,
    },
    Personas(Result<Box<PersonaRun>, String>),
    RunReady(Result<Box<RunView>, String>),
    Exported(Result<PathBuf, String>),
    /// The job ended after being cancelled.
    Cancelled,
    /// The job failed unexpectedly (it panicked); the message says how.
    Failed(String),
}

/// Work for the runtime.
#[derive(Debug)]
pub enum Effect {
    Spawn(Job),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Turn mouse capture on or off.
    Mouse(bool),
}

/// A background job.
#[derive(Debug)]
pub struct Job {
    pub id: JobId,
    pub cancel: Arc<AtomicBool>,
    pub kind: JobKind,
}

#[derive(Debug)]
pub enum JobKind {
    LoadMembers(PathBuf),
    /// Cut the members of segment `parent` out of the whole table, grouped by sub-segment.
    SubMembers {
        members: Arc<Members>,
        parent: i32,
    },
    LoadShop(Arc<RunView>),
    Detail {
        shop: Arc<ShopIndex>,
        run: Arc<RunView>,
        members: Arc<Members>,
        row: usize,
    },
    Query {
        members: Arc<Members>,
        segment: i32,
        filter: Option<String>,
        sort: Option<(usize, bool)>,
    },
    Search {
        members: Arc<Members>,
        rows: Arc<Vec<u32>>,
        needle: String,
    },
    /// Write personas (all top-level segments when `None`; else these keys, `3.1` for a
    /// sub-segment) with this seed, merged into personas.json.
    Personas {
        run_dir: PathBuf,
        segments: Option<Vec<String>>,
        seed: u64,
        fresh: bool,
    },
    /// Segment the shop (the `run --tui` start).
    Pipeline,
    /// Build an export's text (members can be a million rows) and write it atomically.
    Export {
        path: PathBuf,
        content: ExportContent,
    },
}

/// What an export holds.
#[derive(Debug)]
pub enum ExportContent {
    Text(String),
    Members {
        members: Arc<Members>,
        rows: Arc<Vec<u32>>,
    },
    /// The map's points: customer, segment, x, y.
    Map {
        members: Arc<Members>,
    },
}

/// Whether a background value is there yet.
#[derive(Debug, Clone, Default)]
pub enum Load<T> {
    #[default]
    Idle,
    Loading(JobId),
    Ready(T),
    Failed(String),
}

impl<T> Load<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Self::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// A running job as the status line shows it.
#[derive(Debug, Clone)]
pub struct Running {
    pub label: String,
    pub cancel: Arc<AtomicBool>,
    /// Esc stops it (loads the UI needs to work do not count).
    pub cancellable: bool,
}

/// The members table of one segment.
#[derive(Debug, Clone, Default)]
pub struct TableState {
    pub segment: i32,
    pub rows: Option<Arc<Vec<u32>>>,
    pub selected: usize,
    pub offset: usize,
    pub col: usize,
    pub col_offset: usize,
    pub sort: Option<(usize, bool)>,
    pub filter: Option<String>,
    pub search: Option<String>,
    pub hits: Vec<usize>,
    pub query_job: Option<JobId>,
    pub search_job: Option<JobId>,
}

/// Panes of the member screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberPane {
    #[default]
    Features,
    Orders,
    Reviews,
}

#[derive(Debug, Clone, Default)]
pub struct MemberState {
    pub row: usize,
    pub detail: Option<Box<MemberDetail>>,
    pub pane: MemberPane,
    pub scroll: [u16; 3],
    pub job: Option<JobId>,
}

/// A one-line text prompt (search or filter).
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Filter,
}

/// The pipeline's progress while `run --tui` segments.
#[derive(Debug, Clone, Default)]
pub struct PipelineView {
    pub stages: Vec<String>,
    pub failed: Option<String>,
}

/// Map viewport: centre and zoom (1 = the whole projection).
#[derive(Debug, Clone, Copy)]
pub struct MapView {
    pub zoom: f64,
    pub cx: f64,
    pub cy: f64,
}

/// Where the last frame drew things, for mouse clicks and paging.
#[derive(Debug, Default)]
pub struct Areas {
    pub list: Cell<Rect>,
    /// First segment row shown in the list.
    pub list_offset: Cell<usize>,
    pub table: Cell<Rect>,
    pub page: Cell<usize>,
}

/// The whole UI state.
pub struct App {
    pub run: Option<Arc<RunView>>,
    pub members: Load<Arc<Members>>,
    pub shop: Load<Arc<ShopIndex>>,
    pub stack: Vec<Screen>,
    pub help: bool,
    pub seg: usize,
    pub profile_focus: bool,
    pub profile_scroll: u16,
    pub persona_scroll: u16,
    pub transcript: bool,
    /// Persona text being streamed, by segment key.
    pub streaming: BTreeMap<String, String>,
    pub persona_job: Option<JobId>,
    pub regenerations: u64,
    pub map: MapView,
    pub table: TableState,
    pub member: MemberState,
    pub compare: usize,
    pub compare_right: bool,
    pub prompt: Option<Prompt>,
    pub status: Option<String>,
    pub running: BTreeMap<JobId, Running>,
    pub pipeline: Option<PipelineView>,
    /// Write every segment's persona once the pipeline is done (`run --tui`).
    pub personas_after_pipeline: bool,
    pub keys: Keymap,
    pub theme: Theme,
    pub mouse: bool,
    pub quit: bool,
    pub spinner: usize,
    pub areas: Areas,
    pub export_dir: Option<PathBuf>,
    /// The parent level while a segment's sub-segments are open ([`super::level`]).
    pub level: Option<Box<super::level::Saved>>,
    next_job: JobId,
    /// Something changed since the last frame.
    pub dirty: bool,
}

const PERSONA_LABEL: &str = "writing personas";

impl App {
    /// An App over a finished run; call [`App::start`] for the jobs it needs.
    pub fn new(run: Option<RunView>, keys: Keymap, theme: Theme, mouse: bool) -> Self {
        Self {
            run: run.map(Arc::new),
            members: Load::Idle,
            shop: Load::Idle,
            stack: vec![Screen::Segments],
            help: false,
            seg: 0,
            profile_focus: false,
            profile_scroll: 0,
            persona_scroll: 0,
            transcript: false,
            streaming: BTreeMap::new(),
            persona_job: None,
            regenerations: 0,
            map: MapView {
                zoom: 1.0,
                cx: 0.0,
                cy: 0.0,
            },
            table: TableState::default(),
            member: MemberState::default(),
            compare: 1,
            compare_right: true,
            prompt: None,
            status: None,
            running: BTreeMap::new(),
            pipeline: None,
            personas_after_pipeline: false,
            keys,
            theme,
            mouse,
            quit: false,
            spinner: 0,
            areas: Areas::default(),
            export_dir: None,
            level: None,
            next_job: 1,
            dirty: true,
        }
    }

    /// The first jobs: load the members of an open run, or run the pipeline.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.run.is_some() {
            self.load_members(&mut fx);
        } else {
            self.pipeline = Some(PipelineView::default());
            self.spawn(&mut fx, JobKind::Pipeline, "segmenting", true);
        }
        fx
    }

    pub fn screen(&self) -> Screen {
        self.stack.last().copied().unwrap_or(Screen::Segments)
    }

    /// Registers a job (status line, Esc) and queues it for the runtime.
    pub(super) fn spawn(
        &mut self,
        fx: &mut Vec<Effect>,
        kind: JobKind,
        label: &str,
        cancellable: bool,
    ) -> JobId {
        let id = self.next_job;
        self.next_job += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running.insert(
            id,
            Running {
                label: label.to_string(),
                cancel: cancel.clone(),
                cancellable,
            },
        );
        fx.push(Effect::Spawn(Job { id, cancel, kind }));
        id
    }

    fn load_members(&mut self, fx: &mut Vec<Effect>) {
        if let Some(run) = &self.run {
            let dir = run.dir.clone();
            let id = self.spawn(fx, JobKind::LoadMembers(dir), "loading members", false);
            self.members = Load::Loading(id);
        }
    }

    /// The selected segment's id.
    pub fn segment_id(&self) -> Option<i32> {
        Some(self.run.as_ref()?.segments().get(self.seg)?.id)
    }

    fn segment_count(&self) -> usize {
        self.run.as_ref().map_or(0, |r| r.segments().len())
    }

    /// Applies one message.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Key(k) => {
                self.dirty = true;
                self.on_key(k, &mut fx);
            }
            Msg::Mouse(m) => self.on_mouse(m, &mut fx),
            Msg::Resize(..) => self.dirty = true,
            Msg::InputClosed => self.quit = true,
            Msg::Tick => {
                if !self.running.is_empty() {
                    self.spinner = self.spinner.wrapping_add(1);
                    self.dirty = true;
                }
            }
            Msg::Job(id, ev) => {
                self.dirty = true;
                self.on_job(id, ev, &mut fx);
            }
        }
        fx
    }

    fn on_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        if k.kind == ratatui::crossterm::event::KeyEventKind::Release {
            return;
        }
        if self.prompt.is_some() {
            self.on_prompt_key(k, fx);
            return;
        }
        let Some(action) = self.keys.action(&k) else {
            return;
        };
        if self.help {
            if matches!(action, Action::Help | Action::Back) {
                self.help = false;
            } else if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        self.status = None;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Mouse => {
                self.mouse = !self.mouse;
                self.status = Some(format!(
                    "mouse capture {}",
                    if self.mouse {
                        "on"
                    } else {
                        "off: the terminal selects text"
                    }
                ));
                fx.push(Effect::Mouse(self.mouse));
            }
            Action::Back => self.back(k.code == KeyCode::Esc),
            _ if self.run.is_none() => {}
            Action::Segments => self.goto(Screen::Segments, fx),
            Action::Persona => self.goto(Screen::Persona, fx),
            Action::Map => self.goto(Screen::Map, fx),
            Action::Members => self.goto(Screen::Members, fx),
            Action::Compare => self.goto(Screen::Compare, fx),
            Action::Copy => {
                if let Some(text) = self.copy_text() {
                    let n = text.chars().count();
                    fx.push(Effect::Copy(text));
                    self.status = Some(format!("copied {n} characters (OSC 52)"));
                }
            }
            Action::Export => self.export(fx),
            a => match self.screen() {
                Screen::Segments => self.segments_key(a, fx),
                Screen::Persona => self.persona_key(a, fx),
                Screen::Map => self.map_key(a),
                Screen::Members => self.members_key(a, fx),
                Screen::Member => self.member_key(a),
                Screen::Compare => self.compare_key(a),
            },
        }
    }

    /// Esc cancels the newest cancellable job first; otherwise Esc and `q` go back, and `q`
    /// on the first screen quits.
    fn back(&mut self, esc: bool) {
        if esc {
            if let Some(r) = self
                .running
                .values()
                .rev()
                .find(|r| r.cancellable && !r.cancel.load(Ordering::Relaxed))
            {
                r.cancel.store(true, Ordering::Relaxed);
                self.status = Some(format!("cancelling {}…", r.label));
                return;
            }
        }
        if self.stack.len() > 1 {
            self.stack.pop();
        } else if !self.leave_level() && !esc {
            self.quit = true;
        }
    }

    fn goto(&mut self, s: Screen, fx: &mut Vec<Effect>) {
        if s == Screen::Members {
            self.open_members(fx);
        }
        if s == Screen::Compare
            && (self.compare == self.seg || self.compare >= self.segment_count())
        {
            self.compare = (self.seg + 1) % self.segment_count().max(1);
        }
        // Number keys jump: the stack keeps the first screen below any other.
        self.stack.truncate(1);
        if s != Screen::Segments {
            self.stack.push(s);
        }
    }

    fn move_sel(sel: &mut usize, n: usize, a: Action, page: usize) -> bool {
        if n == 0 {
            return false;
        }
        let before = *sel;
        let half = (page / 2).max(1);
        *sel = match a {
            Action::Up => sel.saturating_sub(1),
            Action::Down => (*sel + 1).min(n - 1),
            Action::Top => 0,
            Action::Bottom => n - 1,
            Action::PageDown => (*sel + half).min(n - 1),
            Action::PageUp => sel.saturating_sub(half),
            _ => *sel,
        };
        before != *sel
    }

    fn scroll(v: &mut u16, a: Action, page: usize) {
        let half = (page / 2).max(1) as u16;
        *v = match a {
            Action::Up => v.saturating_sub(1),
            Action::Down => v.saturating_add(1),
            Action::Top => 0,
            Action::PageDown => v.saturating_add(half),
            Action::PageUp => v.saturating_sub(half),
            _ => *v,
        };
    }

    fn step_segment(&mut self, a: Action) -> bool {
        let n = self.segment_count();
        if n == 0 {
            return false;
        }
        match a {
            Action::NextSegment => self.seg = (self.seg + 1) % n,
            Action::PrevSegment => self.seg = (self.seg + n - 1) % n,
            _ => return false,
        }
        self.persona_scroll = 0;
        self.profile_scroll = 0;
        true
    }

    fn segments_key(&mut self, a: Action, fx: &mut Vec<Effect>) {
        let page = self.areas.page.get().max(10);
        match a {
            Action::NextPane | Action::PrevPane => self.profile_focus = !self.profile_focus,
            Action::Left => self.profile_focus = false,
            Action::Right => self.profile_focus = true,
            Action::Open if self.can_open_level() => self.enter_level(fx),
            Action::Open => self.goto(Screen::Members, fx),
            Action::NextSegment | Action::PrevSegment => {
                self.step_segment(a);
            }
            Action::Regenerate => self.regenerate(fx),
            _ if self.profile_focus => Self::scroll(&mut self.profile_scroll, a, page),
            _ => {
                let n = self.segment_count();
                if Self::move_sel(&mut self.seg, n, a, page) {
                    self.profile_scroll = 0;
                }
            }
        }
    }

    fn persona_key(&mut self, a: Action, fx: &mut Vec<Effect>) {
        let page = self.areas.page.get().max(10);
        match a {
            Action::Regenerate => self.regenerate(fx),
            Action::Transcript => {
                self.transcript = !self.transcript;
                self.persona_scroll = 0;
            }
            Action::NextSegment | Action::PrevSegment | Action::Left | Action::Right => {
                let a = match a {
                    Action::Left => Action::PrevSegment,
                    Action::Right => Action::NextSegment,
                    a => a,
                };
                self.step_segment(a);
            }
            Action::Open => self.goto(Screen::Members, fx),
            _ => Self::scroll(&mut self.persona_scroll, a, page),
        }
    }

    /// `r`: the selected segment's persona again, with a new seed, streamed as it is written.
    fn regenerate(&mut self, fx: &mut Vec<Effect>) {
        let Some(run) = self.run.clone() else {
            return;
        };
        let Some((seg, key)) = run.segments().get(self.seg).map(|s| (s.id, s.key())) else {
            return;
        };
        if seg < 0 {
            self.status = Some("noise customers get no persona".into());
            return;
        }
        if self.persona_job.is_some() {
            self.status = Some("a persona is being written; Esc cancels it".into());
            return;
        }
        self.regenerations += 1;
        let base = run
            .persona_meta
            .as_ref()
            .map_or(run.seed.unwrap_or_default(), |m| m.seed);
        let seed = base.wrapping_add(self.regenerations.wrapping_mul(0x9E37_79B9));
        self.streaming.insert(key.clone(), String::new());
        let id = self.spawn(
            fx,
            JobKind::Personas {
                run_dir: run.dir.clone(),
                segments: Some(vec![key.clone()]),
                seed,
                fresh: true,
            },
            PERSONA_LABEL,
            true,
        );
        self.persona_job = Some(id);
        if self.screen() != Screen::Persona {
            self.stack.truncate(1);
            self.stack.push(Screen::Persona);
        }
        self.transcript = false;
        self.persona_scroll = 0;
        self.status = Some(format!(
            "rewriting the persona of segment {key} (seed {seed})"
        ));
    }

    fn map_key(&mut self, a: Action) {
        let step = 0.15 / self.map.zoom;
        match a {
            Action::ZoomIn => self.map.zoom = (self.map.zoom * 1.5).min(200.0),
            Action::ZoomOut => self.map.zoom = (self.map.zoom / 1.5).max(1.0),
            Action::ZoomReset => {
                self.map = MapView {
                    zoom: 1.0,
                    cx: 0.0,
                    cy: 0.0,
                }
            }
            Action::Left => self.map.cx -= step,
            Action::Right => self.map.cx += step,
            Action::Up => self.map.cy += step,
            Action::Down => self.map.cy -= step,
            Action::NextSegment | Action::PrevSegment | Action::NextPane | Action::PrevPane => {
                let a = match a {
                    Action::NextPane => Action::NextSegment,
                    Action::PrevPane => Action::PrevSegment,
                    a => a,
                };
                self.step_segment(a);
            }
            _ => {}
        }
        self.map.cx = self.map.cx.clamp(-0.5, 0.5);
        self.map.cy = self.map.cy.clamp(-0.5, 0.5);
    }

    fn open_members(&mut self, fx: &mut Vec<Effect>) {
        let Some(seg) = self.segment_id() else { return };
        if self.table.segment == seg && self.table.rows.is_some() {
            return;
        }
        self.table = TableState {
            segment: seg,
            ..TableState::default()
        };
        if let Load::Ready(m) = &self.members {
            self.table.rows = Some(
                m.by_segment
                    .get(&seg)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Vec::new())),
            );
        }
        // Inside a level the members are cut from the whole table once that arrives.
        if self.level.is_none() && matches!(self.members, Load::Failed(_) | Load::Idle) {
            self.load_members(fx);
        }
    }

    fn members_key(&mut self, a: Action, fx: &mut Vec<Effect>) {
        let Load::Ready(m) = &self.members else {
            return;
        };
        let m = m.clone();
        let page = self.areas.page.get().max(1);
        let n = self.table.rows.as_ref().map_or(0, |r| r.len());
        let cols = m.columns.len();
        match a {
            Action::Left => self.table.col = self.table.col.saturating_sub(1),
            Action::Right => self.table.col = (self.table.col + 1).min(cols.saturating_sub(1)),
            Action::NextSegment | Action::PrevSegment => {
                if self.step_segment(a) {
                    self.table.rows = None;
                    self.open_members(fx);
                }
            }
            Action::Sort => {
                let desc = match self.table.sort {
                    Some((c, d)) if c == self.table.col => !d,
                    // Numbers first largest, names first A.
                    _ => matches!(
                        m.columns.get(self.table.col).map(|c| &c.data),
                        Some(super::model::ColumnData::Num(_))
                    ),
                };
                self.table.sort = Some((self.table.col, desc));
                self.requery(&m, fx);
            }
            Action::Filter => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Filter,
                    text: self.table.filter.clone().unwrap_or_default(),
                })
            }
            Action::Search => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    text: String::new(),
                })
            }
            Action::NextMatch | Action::PrevMatch => self.jump_match(a == Action::NextMatch),
            Action::Open => self.open_member(fx),
            a => {
                Self::move_sel(&mut self.table.selected, n, a, page);
            }
        }
    }

    fn requery(&mut self, m: &Arc<Members>, fx: &mut Vec<Effect>) {
        // Matches of a search still running refer to the old row order.
        self.table.search_job = None;
        let id = self.spawn(
            fx,
            JobKind::Query {
                members: m.clone(),
                segment: self.table.segment,
                filter: self.table.filter.clone(),
                sort: self.table.sort,
            },
            "sorting and filtering",
            false,
        );
        self.table.query_job = Some(id);
    }

    fn jump_match(&mut self, forward: bool) {
        let hits = &self.table.hits;
        if hits.is_empty() {
            if self.table.search.is_some() {
                self.status = Some("no match".into());
            }
            return;
        }
        let cur = self.table.selected;
        let next = if forward {
            hits.iter().find(|&&h| h > cur).or(hits.first())
        } else {
            hits.iter().rev().find(|&&h| h < cur).or(hits.last())
        };
        if let Some(&h) = next {
            self.table.selected = h;
            let i = hits.iter().position(|&x| x == h).unwrap_or(0);
            self.status = Some(format!("match {} of {}", i + 1, hits.len()));
        }
    }

    fn on_prompt_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        if k.modifiers
            .contains(ratatui::crossterm::event::KeyModifiers::CONTROL)
        {
            // Ctrl-C still quits from a prompt; other chords do not type letters.
            if k.code == KeyCode::Char('c') {
                self.quit = true;
            }
            return;
        }
        match k.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                p.text.pop();
            }
            KeyCode::Enter => {
                let Some(p) = self.prompt.take() else { return };
                let Load::Ready(m) = &self.members else {
                    return;
                };
                let m = m.clone();
                match p.kind {
                    PromptKind::Filter => {
                        let f = p.text.trim().to_string();
                        self.table.filter = (!f.is_empty()).then_some(f);
                        self.table.selected = 0;
                        self.requery(&m, fx);
                    }
                    PromptKind::Search => {
                        let needle = p.text.trim().to_string();
                        if needle.is_empty() {
                            self.table.search = None;
                            self.table.hits.clear();
                            return;
                        }
                        self.table.search = Some(needle.clone());
                        if let Some(rows) = self.table.rows.clone() {
                            let id = self.spawn(
                                fx,
                                JobKind::Search {
                                    members: m,
                                    rows,
                                    needle,
                                },
                                "searching",
                                false,
                            );
                            self.table.search_job = Some(id);
                        }
                    }
                }
            }
            KeyCode::Char(c) if !c.is_control() => p.text.push(c),
            _ => {}
        }
    }

    fn open_member(&mut self, fx: &mut Vec<Effect>) {
        let Some(rows) = &self.table.rows else { return };
        let Some(&row) = rows.get(self.table.selected) else {
            return;
        };
        self.member = MemberState {
            row: row as usize,
            ..MemberState::default()
        };
        self.stack.push(Screen::Member);
        match &self.shop {
            Load::Ready(_) => self.request_detail(fx),
            Load::Loading(_) => {}
            _ => {
                if let Some(run) = self.run.clone() {
                    let id = self.spawn(
                        fx,
                        JobKind::LoadShop(run),
                        "reading orders and reviews",
                        true,
                    );
                    self.shop = Load::Loading(id);
                }
            }
        }
    }

    fn request_detail(&mut self, fx: &mut Vec<Effect>) {
        let (Load::Ready(shop), Load::Ready(members), Some(run)) =
            (&self.shop, &self.members, &self.run)
        else {
            return;
        };
        let kind = JobKind::Detail {
            shop: shop.clone(),
            run: run.clone(),
            members: members.clone(),
            row: self.member.row,
        };
        let id = self.spawn(fx, kind, "reading the member", false);
        self.member.job = Some(id);
    }

    fn member_key(&mut self, a: Action) {
        let page = self.areas.page.get().max(10);
        let i = self.member.pane as usize;
        match a {
            Action::NextPane | Action::Right => {
                self.member.pane = match self.member.pane {
                    MemberPane::Features => MemberPane::Orders,
                    MemberPane::Orders => MemberPane::Reviews,
                    MemberPane::Reviews => MemberPane::Features,
                }
            }
            Action::PrevPane | Action::Left => {
                self.member.pane = match self.member.pane {
                    MemberPane::Features => MemberPane::Reviews,
                    MemberPane::Orders => MemberPane::Features,
                    MemberPane::Reviews => MemberPane::Orders,
                }
            }
            Action::Bottom => self.member.scroll[i] = u16::MAX / 2,
            a => Self::scroll(&mut self.member.scroll[i], a, page),
        }
    }

    fn compare_key(&mut self, a: Action) {
        let n = self.segment_count();
        if n == 0 {
            return;
        }
        match a {
            Action::NextPane | Action::PrevPane => self.compare_right = !self.compare_right,
            Action::Left => self.compare_right = false,
            Action::Right => self.compare_right = true,
            Action::Up | Action::Down | Action::NextSegment | Action::PrevSegment => {
                let fwd = matches!(a, Action::Down | Action::NextSegment);
                let v = if self.compare_right {
                    &mut self.compare
                } else {
                    &mut self.seg
                };
                *v = if fwd { (*v + 1) % n } else { (*v + n - 1) % n };
            }
            _ => {}
        }
    }

    fn on_mouse(&mut self, m: MouseEvent, fx: &mut Vec<Effect>) {
        let action = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        if let Some(a) = action {
            self.dirty = true;
            match self.screen() {
                Screen::Segments => self.segments_key(a, fx),
                Screen::Persona => self.persona_key(a, fx),
                Screen::Members => self.members_key(a, fx),
                Screen::Member => self.member_key(a),
                Screen::Map => self.map_key(if a == Action::Down {
                    Action::ZoomOut
                } else {
                    Action::ZoomIn
                }),
                Screen::Compare => self.compare_key(a),
            }
            return;
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
        // Tables start below their border and header row.
        let inside = |r: Rect| {
            m.column >= r.x
                && m.column < r.x + r.width
                && m.row > r.y + 1
                && m.row + 1 < r.y + r.height
        };
        match self.screen() {
            Screen::Segments if inside(self.areas.list.get()) => {
                let r = self.areas.list.get();
                let i = (m.row - r.y - 2) as usize + self.areas.list_offset.get();
                if i < self.segment_count() {
                    self.seg = i;
                    self.profile_focus = false;
                    self.dirty = true;
                }
            }
            Screen::Members if inside(self.areas.table.get()) => {
                let r = self.areas.table.get();
                let i = (m.row - r.y - 2) as usize + self.table.offset;
                if self.table.rows.as_ref().is_some_and(|rows| i < rows.len()) {
                    self.table.selected = i;
                    self.dirty = true;
                }
            }
            _ => {}
        }
    }

    fn on_job(&mut self, id: JobId, ev: JobEvent, fx: &mut Vec<Effect>) {
        let ends = !matches!(
            ev,
            JobEvent::Stage(_)
                | JobEvent::Warning(_)
                | JobEvent::PersonaText { .. }
                | JobEvent::PersonaReplied { .. }
        );
        if ends {
            self.running.remove(&id);
        }
        match ev {
            JobEvent::Members(r) => match r {
                Ok(m) if self.members_for_level(&m, fx) => {}
                Ok(m) => {
                    self.members = Load::Ready(m.clone());
                    if self.table.rows.is_none() {
                        self.table.rows = Some(
                            m.by_segment
                                .get(&self.table.segment)
                                .cloned()
                                .unwrap_or_default(),
                        );
                    }
                }
                Err(e) => {
                    self.status = Some(e.clone());
                    self.members = Load::Failed(e);
                }
            },
            JobEvent::SubMembers(parent, m) => self.on_level_members(parent, m),
            JobEvent::Shop(r) => match r {
                Ok(s) => {
                    self.shop = Load::Ready(s);
                    if self.screen() == Screen::Member && self.member.detail.is_none() {
                        self.request_detail(fx);
                    }
                }
                Err(e) => {
                    self.status = Some(e.clone());
                    self.shop = Load::Failed(e);
                }
            },
            JobEvent::Detail(d) => {
                if self.member.job == Some(id) {
                    self.member.detail = Some(d);
                    self.member.job = None;
                }
            }
            JobEvent::Rows(r) => {
                if self.table.query_job == Some(id) {
                    self.table.query_job = None;
                    match r {
                        Ok(rows) => {
                            self.table.selected =
                                self.table.selected.min(rows.len().saturating_sub(1));
                            self.table.rows = Some(rows);
                            self.table.hits.clear();
                            self.table.search = None;
                            self.table.search_job = None;
                        }
                        Err(e) => self.status = Some(e),
                    }
                }
            }
            JobEvent::Hits(h) => {
                if self.table.search_job == Some(id) {
                    self.table.search_job = None;
                    self.table.hits = h;
                    let before = self.table.selected;
                    // The first match at or after the cursor, else the first.
                    let hits = &self.table.hits;
                    match hits
                        .iter()
                        .position(|&x| x >= before)
                        .or((!hits.is_empty()).then_some(0))
                    {
                        Some(i) => {
                            self.table.selected = hits[i];
                            self.status = Some(format!("match {} of {}", i + 1, hits.len()));
                        }
                        None => {
                            self.status = Some(format!(
                                "no match for '{}'",
                                self.table.search.clone().unwrap_or_default()
                            ));
                        }
                    }
                }
            }
            JobEvent::Stage(s) => {
                if let Some(p) = &mut self.pipeline {
                    p.stages.push(s.clone());
                }
                if let Some(r) = self.running.get_mut(&id) {
                    r.label = s.clone();
                }
                self.status = Some(s);
            }
            JobEvent::Warning(w) => self.status = Some(w),
            JobEvent::PersonaText { segment, text } => {
                self.streaming.entry(segment).or_default().push_str(&text);
            }
            JobEvent::PersonaReplied { segment } => {
                // A reply ends; the next turn of the same conversation streams afresh.
                if let Some(s) = self.streaming.get_mut(&segment) {
                    s.push('\n');
                }
            }
            JobEvent::Personas(r) => {
                if self.persona_job == Some(id) {
                    self.persona_job = None;
                }
                match r {
                    Ok(run) => {
                        let n = run.personas.len();
                        for p in &run.personas {
                            self.streaming.remove(&p.key);
                        }
                        self.personas_to_saved(&run);
                        if let Some(v) = self.run.as_mut() {
                            Arc::make_mut(v).set_personas(*run);
                        }
                        self.status = Some(format!("{n} persona(s) written to personas.json"));
                    }
                    Err(e) => {
                        self.streaming.clear();
                        self.status = Some(e);
                    }
                }
            }
            JobEvent::RunReady(r) => match r {
                Ok(view) => {
                    self.pipeline = None;
                    self.run = Some(Arc::new(*view));
                    self.load_members(fx);
                    if self.personas_after_pipeline {
                        self.write_all_personas(fx);
                        // Watch the first persona being written.
                        self.stack.truncate(1);
                        self.stack.push(Screen::Persona);
                    }
                }
                Err(e) => {
                    if let Some(p) = &mut self.pipeline {
                        p.failed = Some(e.clone());
                    }
                    self.status = Some(e);
                }
            },
            JobEvent::Exported(r) => {
                self.status = Some(match r {
                    Ok(p) => format!("exported to {}", p.display()),
                    Err(e) => format!("export failed: {e}"),
                })
            }
            JobEvent::Cancelled | JobEvent::Failed(_) => {
                let failed = match &ev {
                    JobEvent::Failed(e) => Some(e.clone()),
                    _ => None,
                };
                if self.persona_job == Some(id) {
                    self.persona_job = None;
                    self.streaming.clear();
                }
                if self.member.job == Some(id) {
                    self.member.job = None;
                }
                if matches!(self.shop, Load::Loading(j) if j == id) {
                    self.shop = match &failed {
                        Some(e) => Load::Failed(e.clone()),
                        None => Load::Idle,
                    };
                }
                if self.table.query_job == Some(id) {
                    self.table.query_job = None;
                }
                if self.table.search_job == Some(id) {
                    self.table.search_job = None;
                }
                if matches!(self.members, Load::Loading(j) if j == id) {
                    self.members = Load::Failed(failed.clone().unwrap_or_default());
                }
                let msg = failed.unwrap_or_else(|| "cancelled".into());
                if let Some(p) = &mut self.pipeline {
                    p.failed = Some(msg.clone());
                }
                self.status = Some(msg);
            }
        }
    }

    fn write_all_personas(&mut self, fx: &mut Vec<Effect>) {
        let Some(run) = &self.run else { return };
        let (dir, seed) = (run.dir.clone(), run.seed.unwrap_or_default());
        for s in run.segments().iter().filter(|s| s.id >= 0) {
            self.streaming.insert(s.key(), String::new());
        }
        let id = self.spawn(
            fx,
            JobKind::Personas {
                run_dir: dir,
                segments: None,
                seed,
                fresh: false,
            },
            PERSONA_LABEL,
            true,
        );
        self.persona_job = Some(id);
    }

    /// What `y` copies on the current screen.
    fn copy_text(&self) -> Option<String> {
        let run = self.run.as_ref()?;
        let seg = run.segments().get(self.seg)?;
        match self.screen() {
            Screen::Persona | Screen::Segments | Screen::Compare | Screen::Map => {
                Some(match run.personas.get(&seg.key()) {
                    Some(p) if self.screen() == Screen::Persona => super::view::persona_markdown(p),
                    _ => format!("{}: {}", run.name(seg), seg.traits.join("; ")),
                })
            }
            Screen::Members => {
                let m = self.members.ready()?;
                let row = *self.table.rows.as_ref()?.get(self.table.selected)? as usize;
                m.columns.get(self.table.col).map(|c| c.cell(row))
            }
            Screen::Member => self.members.ready().map(|m| m.ids[self.member.row].clone()),
        }
    }

    fn export(&mut self, fx: &mut Vec<Effect>) {
        let Some(run) = self.run.clone() else { return };
        let Some(seg) = run.segments().get(self.seg) else {
            return;
        };
        let dir = self
            .export_dir
            .clone()
            .unwrap_or_else(|| run.dir.join("exports"));
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let (name, content) = match self.screen() {
            Screen::Segments => (
                format!("segments-{stamp}.csv"),
                ExportContent::Text(super::view::segments_csv(&run)),
            ),
            Screen::Persona => match run.personas.get(&seg.key()) {
                Some(p) => (
                    format!("persona-segment-{}-{stamp}.md", seg.key()),
                    ExportContent::Text(super::view::persona_markdown(p)),
                ),
                None => {
                    self.status = Some("this segment has no persona yet: r writes one".into());
                    return;
                }
            },
            Screen::Map => {
                let Some(m) = self.members.ready() else {
                    return;
                };
                (
                    format!("map-{stamp}.csv"),
                    ExportContent::Map { members: m.clone() },
                )
            }
            Screen::Compare => {
                let other = run.segments().get(self.compare).unwrap_or(seg);
                (
                    format!("compare-{}-{}-{stamp}.md", seg.key(), other.key()),
                    ExportContent::Text(super::view::compare_markdown(&run, seg, other)),
                )
            }
            Screen::Members => {
                let (Some(m), Some(rows)) = (self.members.ready(), self.table.rows.clone()) else {
                    return;
                };
                (
                    format!("members-segment-{}-{stamp}.csv", seg.key()),
                    ExportContent::Members {
                        members: m.clone(),
                        rows,
                    },
                )
            }
            Screen::Member => {
                let Some(d) = &self.member.detail else { return };
                (
                    format!("member-{}-{stamp}.md", super::view::file_safe(&d.id)),
                    ExportContent::Text(super::view::member_markdown(d)),
                )
            }
        };
        self.spawn(
            fx,
            JobKind::Export {
                path: dir.join(name),
                content,
            },
            "exporting",
            false,
        );
    }
}
