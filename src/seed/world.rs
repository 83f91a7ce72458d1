//! Everything generated without a database: the roster, the WeCom data set and their links.

use chrono::NaiveDate;

use super::Profile;
use super::roster::{self, Roster};
use super::wecom_data::{self, WecomDataset, WecomLinks};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct World {
    pub seed: u64,
    pub roster: Roster,
    pub wecom: WecomDataset,
    pub links: WecomLinks,
}

impl World {
    pub(crate) fn build(profile: Profile, seed: u64, as_of: NaiveDate) -> World {
        let roster = roster::build(profile, seed, as_of);
        let (wecom, links) = wecom_data::build(&roster, seed);
        World {
            seed,
            roster,
            wecom,
            links,
        }
    }

    /// The external contact (index into `wecom.external_contacts`) of a contact row, if any.
    pub(crate) fn external_of_contact(&self, contact: usize) -> Option<usize> {
        let person = self.roster.contacts.get(contact)?.person;
        self.links.person_external.get(person).copied().flatten()
    }
}
