//! Background jobs: each runs on a blocking thread and reports back through a callback that
//! the runtime turns into messages. Loading, queries, persona generation and the pipeline run
//! here, never on the UI thread; a job checks its cancel flag and reports `Cancelled`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::app::{ExportContent, Job, JobEvent, JobKind};
use super::model::{Members, RunView, ShopIndex};
use crate::llm::writer::{PersonaEvent, PersonaOptions};
use crate::pipeline::{PipelineError, Progress, SegmentRequest};

/// What jobs need beyond their own inputs.
#[derive(Debug, Clone, Default)]
pub struct JobContext {
    /// Persona settings (model, sampling, tools); `None`: `r` says personas are off.
    pub persona: Option<PersonaOptions>,
    /// The segmentation `run --tui` starts with.
    pub segment: Option<SegmentRequest>,
}

/// [`execute`], with a panic reported as [`JobEvent::Failed`] instead of leaving the UI waiting.
pub fn execute_guarded(job: Job, ctx: &JobContext, send: &dyn Fn(JobEvent)) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(job, ctx, send)));
    if let Err(p) = r {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        send(JobEvent::Failed(format!("a background job failed: {msg}")));
    }
}

/// Runs `job` to its end, reporting through `send`.
pub fn execute(job: Job, ctx: &JobContext, send: &dyn Fn(JobEvent)) {
    let cancelled = || job.cancel.load(Ordering::Relaxed);
    let ev = match job.kind {
        JobKind::LoadMembers(dir) => {
            JobEvent::Members(Members::load(&dir).map(Arc::new).map_err(|e| e.to_string()))
        }
        JobKind::SubMembers { members, parent } => {
            JobEvent::SubMembers(parent, Arc::new(members.within(parent)))
        }
        JobKind::LoadShop(run) => {
            let r = ShopIndex::load(&run)
                .map(Arc::new)
                .map_err(|e| e.to_string());
            if cancelled() {
                JobEvent::Cancelled
            } else {
                JobEvent::Shop(r)
            }
        }
        JobKind::Detail {
            shop,
            run,
            members,
            row,
        } => JobEvent::Detail(Box::new(shop.detail(&run, &members, row))),
        JobKind::Query {
            members,
            segment,
            filter,
            sort,
        } => JobEvent::Rows(
            members
                .query(segment, filter.as_deref(), sort)
                .map(Arc::new),
        ),
        JobKind::Search {
            members,
            rows,
            needle,
        } => JobEvent::Hits(members.search(&rows, &needle)),
        JobKind::Personas {
            run_dir,
            segments,
            seed,
            fresh,
        } => match &ctx.persona {
            None => JobEvent::Personas(Err(
                "personas are not configured for this session".to_string()
            )),
            Some(base) => {
                let opts = PersonaOptions {
                    segments,
                    seed,
                    fresh,
                    cancel: Some(job.cancel.clone()),
                    ..base.clone()
                };
                let events = |e: PersonaEvent| {
                    send(match e {
                        PersonaEvent::Stage(s) => JobEvent::Stage(s),
                        PersonaEvent::Text { segment, text } => {
                            JobEvent::PersonaText { segment, text }
                        }
                        PersonaEvent::Replied { segment, .. } => {
                            JobEvent::PersonaReplied { segment }
                        }
                        PersonaEvent::Warning(w) => JobEvent::Warning(w),
                    })
                };
                match crate::pipeline::personas(&run_dir, &opts, &events) {
                    Ok(run) => JobEvent::Personas(Ok(Box::new(run))),
                    Err(_) if cancelled() => JobEvent::Cancelled,
                    Err(e) => JobEvent::Personas(Err(e.to_string())),
                }
            }
        },
        JobKind::Pipeline => match &ctx.segment {
            None => JobEvent::RunReady(Err("nothing to segment".into())),
            Some(req) => {
                let progress = |p: Progress| match p {
                    Progress::Stage(s) => send(JobEvent::Stage(s.to_string())),
                    Progress::Warning(w) => send(JobEvent::Warning(w)),
                    Progress::Detail(_) | Progress::Embedding(_) => {}
                };
                match crate::pipeline::segment_cancellable(req, &progress, &job.cancel) {
                    Ok(_) => JobEvent::RunReady(
                        RunView::open(&req.out)
                            .map(Box::new)
                            .map_err(|e| e.to_string()),
                    ),
                    Err(PipelineError::Cancelled) => JobEvent::Cancelled,
                    Err(e) => JobEvent::RunReady(Err(e.to_string())),
                }
            }
        },
        JobKind::Export { path, content } => {
            let text = match content {
                ExportContent::Text(t) => t,
                ExportContent::Members { members, rows } => {
                    super::view::members_csv(&members, &rows)
                }
                ExportContent::Map { members } => super::view::map_csv(&members),
            };
            let r = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| crate::util::write_atomic(&path, text.as_bytes()))
                .map(|()| path.clone())
                .map_err(|e| format!("{}: {e}", path.display()));
            JobEvent::Exported(r)
        }
    };
    send(ev);
}
