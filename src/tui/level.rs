//! Sub-segment levels: Enter on a segment that was split opens its sub-segments with the same
//! screens as the segments (list and profile, persona, map, members, member, compare); Esc or
//! `q` on the level's first screen goes back up.
//!
//! A level is a [`RunView`] whose segments are the parent's sub-segments and a [`Members`]
//! table of the parent's customers only, grouped by sub-segment, so every screen works on it
//! unchanged. The parent level's state is kept aside ([`Saved`]) and restored on the way back.
//! The members table of a level is cut from the whole table in a background job.

use std::sync::Arc;

use super::app::{App, Effect, JobKind, Load, MapView, Screen, TableState};
use super::model::{ColumnData, MemberColumn, Members, RunView};

/// The parent level's state while one of its segments is open.
#[derive(Debug)]
pub struct Saved {
    /// The segment opened (its id).
    pub parent: i32,
    /// The parent level's view and its members table.
    pub run: Arc<RunView>,
    pub members: Load<Arc<Members>>,
    /// Its screens, selection and scroll positions, restored on the way back.
    pub stack: Vec<Screen>,
    pub seg: usize,
    pub compare: usize,
    pub compare_right: bool,
    pub profile_focus: bool,
    pub profile_scroll: u16,
    pub map: MapView,
    pub table: TableState,
}

impl RunView {
    /// The view inside the segment at `index`: its sub-segments as the segments. `None` when
    /// that segment was not split.
    pub fn within(&self, index: usize) -> Option<RunView> {
        let p = self.segments().get(index)?;
        if p.children.is_empty() {
            return None;
        }
        let mut v = self.clone();
        v.profiles.segments = p.children.clone();
        let mut parent = p.clone();
        parent.children.clear();
        v.parent = Some(Box::new(parent));
        Some(v)
    }

    /// "Segment 3 › 3.1" for the sub-segment at `index` of a level; `None` at the top level.
    pub fn breadcrumb(&self, index: usize) -> Option<String> {
        let p = self.parent.as_ref()?;
        let here = self
            .segments()
            .get(index)
            .map(|s| format!(" › {}", s.key()))
            .unwrap_or_default();
        Some(format!("Segment {}{here}", p.id))
    }
}

impl Members {
    /// The customers of segment `parent` only, grouped by their sub-segment (the `segment` field
    /// holds the sub-segment; the `segment` column still shows the parent, the `subsegment`
    /// column the sub-segment). Rows are renumbered; the map shows only these customers.
    pub fn within(&self, parent: i32) -> Members {
        let rows: Vec<usize> = self
            .by_segment
            .get(&parent)
            .map(|r| r.iter().map(|&i| i as usize).collect())
            .unwrap_or_default();
        let pick = |v: &[String]| -> Vec<String> { rows.iter().map(|&i| v[i].clone()).collect() };
        let ids = pick(&self.ids);
        let segment: Vec<i32> = rows.iter().map(|&i| self.subsegment[i]).collect();
        let x: Vec<f32> = rows.iter().map(|&i| self.x[i]).collect();
        let y: Vec<f32> = rows.iter().map(|&i| self.y[i]).collect();
        let columns = self
            .columns
            .iter()
            .map(|c| MemberColumn {
                name: c.name.clone(),
                data: match &c.data {
                    ColumnData::Num(v) => ColumnData::Num(rows.iter().map(|&i| v[i]).collect()),
                    ColumnData::Text(v) => ColumnData::Text(pick(v)),
                },
            })
            .collect();
        Members::assemble(ids, segment.clone(), segment, x, y, columns)
    }
}

impl App {
    /// Whether the selected segment has sub-segments that Enter opens.
    pub fn can_open_level(&self) -> bool {
        self.level.is_none()
            && self
                .run
                .as_ref()
                .and_then(|r| r.segments().get(self.seg))
                .is_some_and(|s| !s.children.is_empty())
    }

    /// Opens the selected segment's sub-segments (its members are cut in the background).
    pub(super) fn enter_level(&mut self, fx: &mut Vec<Effect>) {
        let Some(run) = self.run.clone() else { return };
        let Some(view) = run.within(self.seg) else {
            return;
        };
        let Some(parent) = run.segments().get(self.seg).map(|s| s.id) else {
            return;
        };
        let saved = Saved {
            parent,
            run,
            members: std::mem::take(&mut self.members),
            stack: std::mem::replace(&mut self.stack, vec![Screen::Segments]),
            seg: self.seg,
            compare: self.compare,
            compare_right: self.compare_right,
            profile_focus: self.profile_focus,
            profile_scroll: self.profile_scroll,
            map: self.map,
            table: std::mem::take(&mut self.table),
        };
        let n = view.segments().len();
        self.run = Some(Arc::new(view));
        self.seg = 0;
        self.compare = 1 % n.max(1);
        self.profile_focus = false;
        self.profile_scroll = 0;
        self.persona_scroll = 0;
        self.map = MapView {
            zoom: 1.0,
            cx: 0.0,
            cy: 0.0,
        };
        // The level's table starts on its first sub-segment once its members are cut.
        self.table = TableState {
            segment: view_first_id(self),
            ..TableState::default()
        };
        let all = saved.members.ready().cloned();
        self.level = Some(Box::new(saved));
        match all {
            Some(m) => self.cut_members(m, fx),
            // The whole table is still loading: the level's part is cut when it arrives.
            None => self.members = Load::Idle,
        }
        self.status = Some(format!(
            "{n} sub-segments of segment {parent} · Esc or q goes back up"
        ));
    }

    /// Starts cutting the open level's members out of the whole table `all`.
    pub(super) fn cut_members(&mut self, all: Arc<Members>, fx: &mut Vec<Effect>) {
        let Some(parent) = self.level.as_ref().map(|l| l.parent) else {
            return;
        };
        let id = self.spawn(
            fx,
            JobKind::SubMembers {
                members: all,
                parent,
            },
            "reading the sub-segments' members",
            false,
        );
        self.members = Load::Loading(id);
    }

    /// The whole members table arrived: kept for the top level, and cut for an open level.
    /// Returns false when no level is open (the caller keeps it as today).
    pub(super) fn members_for_level(&mut self, m: &Arc<Members>, fx: &mut Vec<Effect>) -> bool {
        let Some(l) = self.level.as_mut() else {
            return false;
        };
        l.members = Load::Ready(m.clone());
        if l.table.rows.is_none() {
            l.table.rows = Some(
                m.by_segment
                    .get(&l.table.segment)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        if !matches!(self.members, Load::Ready(_)) {
            self.cut_members(m.clone(), fx);
        }
        true
    }

    /// The open level's members are cut (`parent` says for which level).
    pub(super) fn on_level_members(&mut self, parent: i32, m: Arc<Members>) {
        if self.level.as_ref().map(|l| l.parent) != Some(parent) {
            return;
        }
        if self.table.rows.is_none() {
            self.table.rows = Some(
                m.by_segment
                    .get(&self.table.segment)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        self.members = Load::Ready(m);
    }

    /// Back up to the parent level; false at the top.
    pub(super) fn leave_level(&mut self) -> bool {
        let Some(l) = self.level.take() else {
            return false;
        };
        let l = *l;
        // Personas written inside the level are kept by the parent's view too.
        let mut run = l.run;
        if let Some(here) = &self.run {
            if here.persona_meta.is_some() {
                let r = Arc::make_mut(&mut run);
                for (k, p) in &here.personas {
                    r.personas.insert(k.clone(), p.clone());
                }
                r.persona_meta.clone_from(&here.persona_meta);
            }
        }
        self.run = Some(run);
        self.members = l.members;
        self.stack = l.stack;
        self.seg = l.seg;
        self.compare = l.compare;
        self.compare_right = l.compare_right;
        self.profile_focus = l.profile_focus;
        self.profile_scroll = l.profile_scroll;
        self.persona_scroll = 0;
        self.map = l.map;
        self.table = l.table;
        true
    }

    /// Applies personas to the parent level's view as well (the current one is done by the
    /// caller).
    pub(super) fn personas_to_saved(&mut self, run: &crate::llm::writer::PersonaRun) {
        if let Some(l) = self.level.as_mut() {
            Arc::make_mut(&mut l.run).set_personas(run.clone());
        }
    }
}

/// Id of the first segment of the App's current view.
fn view_first_id(app: &App) -> i32 {
    app.run
        .as_ref()
        .and_then(|r| r.segments().first())
        .map_or(0, |s| s.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_keeps_only_the_parents_members_grouped_by_subsegment() {
        let ids: Vec<String> = (0..5).map(|i| format!("C{i}")).collect();
        let segment = vec![0, 1, 0, 0, 1];
        let subsegment = vec![1, -1, 0, 1, -1];
        let columns = vec![MemberColumn {
            name: "customer_id".into(),
            data: ColumnData::Text(ids.clone()),
        }];
        let x = vec![0.0, 1.0, 2.0, 3.0, 4.0];
        let m = Members::assemble(ids, segment, subsegment, x, vec![0.0; 5], columns);
        let w = m.within(0);
        assert_eq!(w.ids, vec!["C0", "C2", "C3"]);
        assert_eq!(w.segment, vec![1, 0, 1]);
        assert_eq!(w.by_segment[&1].as_slice(), &[0, 2]);
        assert_eq!(w.row_of("C3"), Some(2));
        assert_eq!(w.map_bounds[..2], [0.0, 3.0]);
        assert!(matches!(&w.columns[0].data, ColumnData::Text(v) if v.len() == 3));
    }
}
