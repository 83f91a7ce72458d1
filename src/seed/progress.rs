//! Row counts per table on stderr while seeding: redrawn in place on a terminal, printed once at
//! the end otherwise (so logs of CI runs stay short).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(200);

pub(crate) struct Progress {
    enabled: bool,
    terminal: bool,
    rows: Vec<(&'static str, u64)>,
    drawn: usize,
    last_draw: Option<Instant>,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            terminal: std::io::stderr().is_terminal(),
            rows: Vec::new(),
            drawn: 0,
            last_draw: None,
        }
    }

    pub(crate) fn set(&mut self, table: &'static str, count: u64) {
        match self.rows.iter_mut().find(|(t, _)| *t == table) {
            Some(row) => row.1 = count,
            None => self.rows.push((table, count)),
        }
        if self.enabled
            && self.terminal
            && self.last_draw.is_none_or(|at| at.elapsed() >= REDRAW_EVERY)
        {
            self.draw();
        }
    }

    fn draw(&mut self) {
        let mut err = std::io::stderr().lock();
        let mut text = String::new();
        if self.drawn > 0 {
            text.push_str(&format!("\x1b[{}A", self.drawn));
        }
        for (table, count) in &self.rows {
            text.push_str(&format!("\r\x1b[2K  {table:<24}{count:>10}\n"));
        }
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
        self.drawn = self.rows.len();
        self.last_draw = Some(Instant::now());
    }

    /// Final counts: redrawn on a terminal, printed plainly elsewhere.
    pub(crate) fn finish(&mut self) {
        if !self.enabled {
            return;
        }
        if self.terminal {
            self.draw();
        } else {
            let mut err = std::io::stderr().lock();
            for (table, count) in &self.rows {
                let _ = writeln!(err, "  {table:<24}{count:>10}");
            }
        }
    }
}
