//! How a callback waits for its commit, and how the writer answers a whole group at once.
//!
//! A request parks on a [`Slot`] and the writer fills it in once the group holding its row has
//! committed. Waking each request from the writer's thread would cost one cross-thread wake-up
//! per row: tokio signals the HTTP worker's event loop (an `eventfd` write) for every task woken
//! from outside its runtime, and the worker may wake, run one answer and go back to sleep several
//! times for one group. Instead the writer wakes one request per HTTP worker thread (the group's
//! *leader* on that thread) and hands it the wakers of the rest of that thread's requests; the
//! leader wakes them from inside its own runtime, where a wake is a push onto a local queue. A
//! request that migrated to another thread (a multi-threaded runtime) is still woken, only not as
//! cheaply.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// What a request learns about its row.
pub(super) type Outcome<E> = Result<(), Answer<E>>;

/// Why a row was not stored, as the writer reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Answer<E> {
    /// The writer failed the row (the error says why).
    Failed(E),
    /// The writer let go of the row without an answer (it crashed, or shut down).
    Dropped,
}

static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD: u64 = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

/// The id of the calling thread, to group answers by the thread that waits for them.
fn this_thread() -> u64 {
    THREAD.with(|id| *id)
}

struct State<E> {
    outcome: Option<Outcome<E>>,
    /// Set once the writer has answered, even after the waiting request took the outcome.
    answered: bool,
    waker: Option<Waker>,
    /// Other requests of this thread answered in the same group, for this one to wake.
    followers: Vec<Waker>,
    /// The waiting request is gone: it timed out, or its connection closed.
    abandoned: bool,
}

/// One request's place in the writer's queue. Shared by the request ([`Wait`]) and the writer
/// ([`Ticket`]).
pub(super) struct Slot<E> {
    state: Mutex<State<E>>,
    thread: u64,
}

impl<E> Slot<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A new slot: the writer's end and the request's end.
pub(super) fn slot<E>() -> (Ticket<E>, Wait<E>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(State {
            outcome: None,
            answered: false,
            waker: None,
            followers: Vec::new(),
            abandoned: false,
        }),
        thread: this_thread(),
    });
    (Ticket { slot: slot.clone() }, Wait { slot })
}

/// The writer's end of a slot. Dropped without an answer, it answers [`Answer::Dropped`].
pub(super) struct Ticket<E> {
    slot: Arc<Slot<E>>,
}

impl<E> Ticket<E> {
    /// The request stopped waiting; its row need not be written.
    pub(super) fn is_abandoned(&self) -> bool {
        self.slot.lock().abandoned
    }

    /// Records the outcome and returns the waker to call, if the request is waiting.
    fn settle(&self, outcome: Outcome<E>) -> Option<Waker> {
        let mut state = self.slot.lock();
        if state.answered {
            return None;
        }
        state.answered = true;
        state.outcome = Some(outcome);
        state.waker.take()
    }
}

impl<E> Drop for Ticket<E> {
    fn drop(&mut self) {
        if let Some(waker) = self.settle(Err(Answer::Dropped)) {
            waker.wake();
        }
    }
}

/// Answers every ticket, waking one request per waiting thread (see the module's comment).
pub(super) fn answer_all<E>(answers: impl IntoIterator<Item = (Ticket<E>, Outcome<E>)>) {
    // (thread, the leader's slot, its waker, the other wakers of that thread)
    type Group<E> = (u64, Arc<Slot<E>>, Waker, Vec<Waker>);
    let mut groups: Vec<Group<E>> = Vec::new();
    for (ticket, outcome) in answers {
        let Some(waker) = ticket.settle(outcome) else {
            continue;
        };
        let thread = ticket.slot.thread;
        match groups.iter_mut().find(|g| g.0 == thread) {
            Some(group) => group.3.push(waker),
            None => groups.push((thread, ticket.slot.clone(), waker, Vec::new())),
        }
    }
    for (_, leader, waker, followers) in groups {
        let mut state = leader.lock();
        // A leader that already took its outcome, or left, would never wake the others.
        let left_over = if state.outcome.is_some() && !state.abandoned {
            state.followers = followers;
            Vec::new()
        } else {
            followers
        };
        drop(state);
        waker.wake();
        left_over.into_iter().for_each(Waker::wake);
    }
}

/// The request's end of a slot: resolves to the writer's answer.
pub(super) struct Wait<E> {
    slot: Arc<Slot<E>>,
}

impl<E> Future for Wait<E> {
    type Output = Outcome<E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match state.outcome.take() {
            Some(outcome) => {
                let followers = std::mem::take(&mut state.followers);
                drop(state);
                followers.into_iter().for_each(Waker::wake);
                Poll::Ready(outcome)
            }
            None => {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl<E> Drop for Wait<E> {
    fn drop(&mut self) {
        let followers = {
            let mut state = self.slot.lock();
            state.abandoned = true;
            state.waker = None;
            std::mem::take(&mut state.followers)
        };
        followers.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Counter {
        fn wakes(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// Polls `wait` once with a counting waker of its own.
    fn park(wait: &mut Wait<&'static str>) -> (Arc<Counter>, Poll<Outcome<&'static str>>) {
        let counter = Arc::new(Counter::default());
        let waker = Waker::from(counter.clone());
        let poll = Pin::new(wait).poll(&mut Context::from_waker(&waker));
        (counter, poll)
    }

    fn poll_again(
        wait: &mut Wait<&'static str>,
        counter: &Arc<Counter>,
    ) -> Poll<Outcome<&'static str>> {
        let waker = Waker::from(counter.clone());
        Pin::new(wait).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn one_request_per_thread_is_woken_and_it_wakes_the_others() {
        let (mut tickets, mut waits): (Vec<_>, Vec<_>) = (0..3).map(|_| slot()).unzip();
        let counters: Vec<_> = waits
            .iter_mut()
            .map(|w| {
                let (counter, poll) = park(w);
                assert!(poll.is_pending());
                counter
            })
            .collect();
        let failed = tickets.pop().map(|t| (t, Err(Answer::Failed("bad row"))));
        answer_all(tickets.into_iter().map(|t| (t, Ok(()))).chain(failed));
        let wakes: Vec<usize> = counters.iter().map(|c| c.wakes()).collect();
        assert_eq!(wakes, [1, 0, 0], "only the leader is woken by the writer");

        assert_eq!(poll_again(&mut waits[0], &counters[0]), Poll::Ready(Ok(())));
        let wakes: Vec<usize> = counters.iter().map(|c| c.wakes()).collect();
        assert_eq!(wakes, [1, 1, 1], "the leader wakes the rest of its thread");
        assert_eq!(poll_again(&mut waits[1], &counters[1]), Poll::Ready(Ok(())));
        assert_eq!(
            poll_again(&mut waits[2], &counters[2]),
            Poll::Ready(Err(Answer::Failed("bad row")))
        );
    }

    #[test]
    fn a_leader_that_leaves_before_it_runs_still_wakes_the_others() {
        let (tickets, mut waits): (Vec<_>, Vec<_>) = (0..3).map(|_| slot()).unzip();
        let counters: Vec<_> = waits.iter_mut().map(|w| park(w).0).collect();
        answer_all(tickets.into_iter().map(|t| (t, Ok(()))));
        drop(waits.remove(0));
        assert_eq!(counters[1].wakes(), 1);
        assert_eq!(counters[2].wakes(), 1);
        assert_eq!(poll_again(&mut waits[0], &counters[1]), Poll::Ready(Ok(())));
    }

    #[test]
    fn a_request_gone_before_the_answer_is_skipped_and_reported_abandoned() {
        let (tickets, mut waits): (Vec<_>, Vec<_>) = (0..3).map(|_| slot()).unzip();
        let counters: Vec<_> = waits.iter_mut().map(|w| park(w).0).collect();
        drop(waits.remove(0));
        assert!(tickets[0].is_abandoned());
        assert!(!tickets[1].is_abandoned());
        answer_all(tickets.into_iter().map(|t| (t, Ok(()))));
        assert_eq!(counters[0].wakes(), 0);
        assert_eq!(counters[1].wakes(), 1, "the next request leads");
        assert_eq!(poll_again(&mut waits[0], &counters[1]), Poll::Ready(Ok(())));
        assert_eq!(counters[2].wakes(), 1);
    }

    #[test]
    fn requests_of_other_threads_are_woken_by_the_writer_each() {
        let (tx, rx) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            let (ticket, mut wait) = slot();
            let (counter, _) = park(&mut wait);
            tx.send(ticket).unwrap();
            (wait, counter)
        });
        let (here, mut wait_here) = slot();
        let (counter_here, _) = park(&mut wait_here);
        let there = rx.recv().unwrap();
        let (mut wait_there, counter_there) = other.join().unwrap();
        answer_all([(here, Ok(())), (there, Ok(()))]);
        assert_eq!(counter_here.wakes(), 1);
        assert_eq!(counter_there.wakes(), 1, "a leader of its own thread");
        assert_eq!(
            poll_again(&mut wait_there, &counter_there),
            Poll::Ready(Ok(()))
        );
    }

    #[test]
    fn an_answer_before_the_first_poll_is_there_when_the_request_looks() {
        let (ticket, mut wait) = slot::<&'static str>();
        answer_all([(ticket, Ok(()))]);
        assert_eq!(park(&mut wait).1, Poll::Ready(Ok(())));
    }

    #[test]
    fn a_ticket_dropped_without_an_answer_says_so() {
        let (ticket, mut wait) = slot::<&'static str>();
        let (counter, _) = park(&mut wait);
        drop(ticket);
        assert_eq!(counter.wakes(), 1);
        assert_eq!(
            poll_again(&mut wait, &counter),
            Poll::Ready(Err(Answer::Dropped))
        );
    }
}
