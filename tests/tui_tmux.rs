//! End to end in a real terminal: the seglens binary runs `tui` inside tmux on the fixture run;
//! keys sent with send-keys navigate to the member whose review carries `ESC ] 0;PWNED BEL` and
//! `ESC [2J`, capture-pane reads what the terminal shows, and `Q` quits with exit code 0.
//! tmux comes from Debian's packages (`.ci/setup`, run by `make test`, installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PWNED_CUSTOMER: &str = "C000005";

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (install it with apt-get install tmux, or run .ci/setup)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "ui", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn pane(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "ui"])
    }

    /// Waits until the pane shows `what` (the UI draws asynchronously).
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let p = self.pane();
            if p.contains(what) {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the pane never showed {what:?}; it shows:\n{p}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tui/run")
}

#[test]
fn navigate_to_a_hostile_review_in_tmux_and_quit() {
    let run = fixture();
    let members = seglens::tui::model::Members::load(&run).unwrap();
    let seg = members.segment[members.row_of(PWNED_CUSTOMER).unwrap()];
    let view = seglens::tui::model::RunView::open(&run).unwrap();
    let index = view.segments().iter().position(|s| s.id == seg).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let exit_file = tmp.path().join("exit");
    let bin = assert_cmd::cargo::cargo_bin("seglens");
    let t = Tmux {
        socket: format!("seglens-test-{}", std::process::id()),
    };
    let script = format!(
        "cd {}; NO_COLOR= {} tui {}; echo $? > {}; sleep 60",
        tmp.path().display(),
        bin.display(),
        run.display(),
        exit_file.display()
    );
    t.cmd(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "ui",
        "-x",
        "100",
        "-y",
        "30",
        &script,
    ]);
    let title_before = t.cmd(&["display-message", "-p", "-t", "ui", "#{pane_title}"]);
    t.wait_for("segments · 300 customers");

    // To the segment, its members, search the customer, open, then the reviews pane.
    for _ in 0..index {
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("members · row");
    t.keys(&["/"]);
    t.cmd(&["send-keys", "-t", "ui", "-l", PWNED_CUSTOMER]);
    t.keys(&["Enter"]);
    t.wait_for("(1 match)");
    t.keys(&["Enter"]);
    t.wait_for("order lines");
    // 100 columns: the member screen shows one pane at a time.
    t.keys(&["Tab", "Tab"]);
    let pane = t.wait_for("PWNED");

    assert!(pane.contains(PWNED_CUSTOMER), "{pane}");
    assert!(
        pane.contains("^[]0;PWNED^G"),
        "escape shown as text:\n{pane}"
    );
    assert!(pane.contains("^[[2J"), "{pane}");
    // The screen was not cleared: the tab bar and the frame are still drawn.
    assert!(
        pane.lines().next().unwrap_or("").contains("seglens"),
        "{pane}"
    );
    assert!(pane.contains("Reviews"), "{pane}");
    let title_after = t.cmd(&["display-message", "-p", "-t", "ui", "#{pane_title}"]);
    assert_eq!(title_before, title_after, "the review retitled the pane");
    assert!(!title_after.contains("PWNED"));

    t.keys(&["Q"]);
    let start = Instant::now();
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&exit_file) {
            if !s.trim().is_empty() {
                break s.trim().to_string();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "seglens tui did not quit on Q"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, "0");
    // The terminal is restored: the shell's output after the UI is on the normal screen.
    let after = t.pane();
    assert!(!after.contains("segments · 300 customers"), "{after}");
}
