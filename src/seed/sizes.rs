//! How big each profile is (bookkeeping.md §7).

use super::Profile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sizes {
    pub customers: usize,
    pub admins: usize,
    pub account_managers: usize,
    pub bookkeepers: usize,
    pub reviewers: usize,
    pub field_agents: usize,
    /// WeCom members whose employee row is not bound yet (bound later by phone + SMS code).
    pub unbound: usize,
    pub kb_articles: usize,
}

impl Sizes {
    pub(crate) const fn of(profile: Profile) -> Sizes {
        match profile {
            Profile::Demo => Sizes {
                customers: 40,
                admins: 1,
                account_managers: 2,
                bookkeepers: 2,
                reviewers: 0,
                field_agents: 0,
                unbound: 2,
                kb_articles: 60,
            },
            Profile::S => Sizes {
                customers: 300,
                admins: 1,
                account_managers: 2,
                bookkeepers: 8,
                reviewers: 0,
                field_agents: 0,
                unbound: 2,
                kb_articles: 200,
            },
            Profile::M => Sizes {
                customers: 1_500,
                admins: 2,
                account_managers: 6,
                bookkeepers: 35,
                reviewers: 4,
                field_agents: 2,
                unbound: 2,
                kb_articles: 800,
            },
            Profile::L => Sizes {
                customers: 5_000,
                admins: 3,
                account_managers: 20,
                bookkeepers: 110,
                reviewers: 10,
                field_agents: 6,
                unbound: 6,
                kb_articles: 2_000,
            },
        }
    }

    /// The owner (super_admin) plus everyone else.
    #[cfg(test)]
    pub(crate) const fn employees(&self) -> usize {
        1 + self.admins
            + self.account_managers
            + self.bookkeepers
            + self.reviewers
            + self.field_agents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employee_counts_match_the_profiles() {
        assert_eq!(Sizes::of(Profile::Demo).employees(), 6);
        assert_eq!(Sizes::of(Profile::S).employees(), 12);
        assert_eq!(Sizes::of(Profile::M).employees(), 50);
        assert_eq!(Sizes::of(Profile::L).employees(), 150);
        assert_eq!(Sizes::of(Profile::L).account_managers, 20);
    }
}
