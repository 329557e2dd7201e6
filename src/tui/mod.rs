//! The terminal UI (`seglens tui RUN_DIR`, `seglens run --tui`): ratatui over crossterm, driven
//! by one tokio event loop.
//!
//! Keys, mouse, resizes, ticks and background results all arrive as [`app::Msg`] on one channel.
//! The loop waits for a message, drains whatever else is queued, applies it all to the
//! [`app::App`], and draws at most once per `tui.frame_ms`; ratatui sends only the cells that
//! changed, so a slow SSH link is not repainted on every tick. Work that can take longer than a
//! frame (loading, sorting, searching, generation, the pipeline) runs on blocking threads
//! ([`jobs`]) and reports back as messages; Esc cancels it. A panic hook restores the terminal.

pub mod app;
pub mod jobs;
pub mod keys;
pub mod level;
pub mod model;
pub mod theme;
pub mod view;
mod view_sub;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use app::{App, Effect, Msg};
use jobs::JobContext;

/// Problems starting or running the UI.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Model(#[from] model::ModelError),
    #[error("{0}")]
    Keys(String),
    #[error("the terminal failed: {0}; seglens tui needs an interactive terminal (use `seglens personas --format md` in scripts)")]
    Terminal(#[from] std::io::Error),
}

/// What to open.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// A finished run, opened by the caller (so a wrong directory is reported before the
    /// terminal is touched); `None` with `context.segment` set runs the pipeline first.
    pub run: Option<model::RunView>,
    pub config: crate::config::TuiConfig,
    pub context: JobContext,
    /// Write every segment's persona once the pipeline is done.
    pub personas_after_pipeline: bool,
}

/// Builds the App for `opts`.
fn build_app(opts: &mut TuiOptions) -> Result<App, TuiError> {
    let run = opts.run.take();
    let keys = keys::Keymap::with_overrides(&opts.config.keys).map_err(TuiError::Keys)?;
    let mut app = App::new(run, keys, theme::Theme::from_env(), opts.config.mouse);
    app.personas_after_pipeline = opts.personas_after_pipeline;
    if !opts.config.export_dir.is_empty() {
        app.export_dir = Some(PathBuf::from(&opts.config.export_dir));
    }
    Ok(app)
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, whichever way `run` ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Runs the UI in the current terminal until the user quits.
pub fn run(mut opts: TuiOptions) -> Result<(), TuiError> {
    let mut app = build_app(&mut opts)?;
    let prev: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Arc::from(std::panic::take_hook());
    let hook = prev.clone();
    std::panic::set_hook(Box::new(move |info| {
        // A job's panic is caught and shown in the UI; printing it would garble the screen.
        if std::thread::current().name() == Some("main") {
            restore_terminal();
            hook(info);
        }
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    let mut stdout = std::io::stdout();
    execute!(stdout, EnterAlternateScreen)?;
    if app.mouse {
        execute!(stdout, EnableMouseCapture)?;
    }
    let result = (|| -> Result<(), TuiError> {
        let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        terminal.clear()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (tx, rx) = unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let input = spawn_input(tx.clone(), stop.clone());
        let ctx = Arc::new(opts.context.clone());
        let frame = Duration::from_millis(opts.config.frame_ms.max(1));
        let r = rt.block_on(event_loop(
            &mut terminal,
            &mut app,
            rx,
            tx,
            ctx,
            frame,
            &mut |e| terminal_effect(e),
            &mut |_| {},
        ));
        stop.store(true, Ordering::Relaxed);
        let _ = input.join();
        // Jobs still running (a persona being written) are abandoned with the process.
        rt.shutdown_timeout(Duration::from_millis(100));
        r
    })();
    drop(guard);
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| prev(info)));
    result
}

/// Clipboard and mouse effects on the real terminal.
fn terminal_effect(e: Effect) {
    let mut out = std::io::stdout();
    match e {
        Effect::Copy(text) => {
            // OSC 52: the terminal (even at the far end of SSH, and tmux with set-clipboard on)
            // puts the text on the clipboard.
            let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let _ = write!(out, "\x1b]52;c;{b64}\x07");
            let _ = out.flush();
        }
        Effect::Mouse(on) => {
            let _ = if on {
                execute!(out, EnableMouseCapture)
            } else {
                execute!(out, DisableMouseCapture)
            };
        }
        Effect::Spawn(_) => {}
    }
}

/// Reads terminal events on a thread of its own (crossterm's read blocks) until `stop`.
fn spawn_input(tx: UnboundedSender<Msg>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => {
                    let msg = match event::read() {
                        Ok(Event::Key(k)) => Msg::Key(k),
                        Ok(Event::Mouse(m)) => Msg::Mouse(m),
                        Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                        Ok(_) => continue,
                        Err(_) => {
                            let _ = tx.send(Msg::InputClosed);
                            break;
                        }
                    };
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
                Ok(false) => {}
                Err(_) => {
                    let _ = tx.send(Msg::InputClosed);
                    break;
                }
            }
        }
    })
}

/// Runs a job on tokio's blocking pool; its events come back as messages.
fn spawn_job(job: app::Job, ctx: &Arc<JobContext>, tx: &UnboundedSender<Msg>) {
    let (tx, ctx, id) = (tx.clone(), ctx.clone(), job.id);
    tokio::task::spawn_blocking(move || {
        jobs::execute_guarded(job, &ctx, &|ev| {
            let _ = tx.send(Msg::Job(id, ev));
        })
    });
}

/// Most messages applied between two frames; a flood of tokens cannot starve drawing.
const DRAIN_MAX: usize = 4096;

/// The event loop: messages in, effects out, a frame at most every `frame`. `on_terminal`
/// carries out clipboard and mouse effects; `on_frame` sees every drawn buffer (tests).
#[allow(clippy::too_many_arguments)]
pub async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut rx: UnboundedReceiver<Msg>,
    tx: UnboundedSender<Msg>,
    ctx: Arc<JobContext>,
    frame: Duration,
    on_terminal: &mut dyn FnMut(Effect),
    on_frame: &mut dyn FnMut(&Buffer),
) -> Result<(), TuiError>
where
    B::Error: std::fmt::Display,
{
    let tick = {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(250));
            loop {
                iv.tick().await;
                if tx.send(Msg::Tick).is_err() {
                    break;
                }
            }
        })
    };
    let apply = |app: &mut App, msg: Msg, on_terminal: &mut dyn FnMut(Effect)| {
        for e in app.update(msg) {
            match e {
                Effect::Spawn(job) => spawn_job(job, &ctx, &tx),
                other => on_terminal(other),
            }
        }
    };
    for e in app.start() {
        match e {
            Effect::Spawn(job) => spawn_job(job, &ctx, &tx),
            other => on_terminal(other),
        }
    }
    let draw = |terminal: &mut Terminal<B>,
                app: &mut App,
                on_frame: &mut dyn FnMut(&Buffer)|
     -> Result<(), TuiError> {
        let f = terminal
            .draw(|f| view::draw(f, app))
            .map_err(|e| TuiError::Terminal(std::io::Error::other(e.to_string())))?;
        on_frame(f.buffer);
        Ok(())
    };
    draw(terminal, app, on_frame)?;
    app.dirty = false;
    let mut last = Instant::now();
    let result = loop {
        let wait = if app.dirty {
            frame.saturating_sub(last.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            m = rx.recv() => {
                let Some(m) = m else { break Ok(()) };
                apply(app, m, on_terminal);
                let mut n = 1;
                while n < DRAIN_MAX {
                    match rx.try_recv() {
                        Ok(m) => apply(app, m, on_terminal),
                        Err(_) => break,
                    }
                    n += 1;
                }
            }
            () = tokio::time::sleep(wait) => {}
        }
        if app.quit {
            break Ok(());
        }
        if app.dirty && last.elapsed() >= frame {
            if let Err(e) = draw(terminal, app, on_frame) {
                break Err(e);
            }
            app.dirty = false;
            last = Instant::now();
        }
    };
    tick.abort();
    // Quitting stops whatever still runs (a persona being written stops at its next token).
    for r in app.running.values() {
        r.cancel.store(true, Ordering::Relaxed);
    }
    result
}
