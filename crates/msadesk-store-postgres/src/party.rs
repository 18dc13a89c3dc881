//! Counterparty snapshots and the operator list, as an import meets them.
//!
//! An import resolves each row's party to the id of its immutable snapshot (found by
//! `Party::content_digest`, created when new), through an in-memory cache so that a file with a
//! million rows and a few hundred parties asks the database a few hundred times, not a million. It
//! also notes each operator's snapshot at the latest date it was seen (event date, or the import day
//! for master data; ties go to the later line), and writes those to `operators` in one statement at
//! the end, where they replace the stored ones only when at least as recent: the operator list shows
//! an operator's details as of its most recent event, whatever order files are imported in.

use std::collections::HashMap;

use msadesk_core::{Date, Email, Gln, OperatorId, Party};
use msadesk_store::StoreError;
use postgres::{Statement, Transaction};

use crate::error::{During, col};

/// Snapshot ids by content digest, for one transaction.
pub(crate) struct Snapshots {
    ids: HashMap<[u8; 16], i64>,
    /// Each operator's snapshot as last met, so that a row naming an operator as before (nearly
    /// every row of a large import) is matched by comparing a few strings instead of computing a
    /// SHA-256 digest of the party.
    recent: HashMap<OperatorId, (Party, i64)>,
    find: Statement,
    insert: Statement,
    /// Each operator's snapshot at the latest (date, line) that named it, in this import.
    latest: HashMap<OperatorId, ((Date, u64), i64)>,
}

impl Snapshots {
    pub(crate) fn prepare(tx: &mut Transaction<'_>) -> Result<Self, StoreError> {
        let find =
            tx.prepare("SELECT id FROM party_snapshots WHERE digest = $1").during("preparing the snapshot lookup")?;
        let insert = tx
            .prepare(
                "INSERT INTO party_snapshots (digest, operator_id, name, address, country, email, phone, gln, vat)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id",
            )
            .during("preparing the snapshot insert")?;
        Ok(Snapshots { ids: HashMap::new(), recent: HashMap::new(), find, insert, latest: HashMap::new() })
    }

    /// The id of the snapshot with exactly this content, if this import has met it already; the
    /// operator's latest details become this snapshot when `line` is the latest line naming it.
    pub(crate) fn cached(&mut self, party: &Party, line: u64, seen: Date) -> Option<i64> {
        let id = match self.recent.get(&party.id) {
            Some((known, id)) if known == party => *id,
            _ => {
                let id = *self.ids.get(&party.content_digest())?;
                self.recent.insert(party.id.clone(), (party.clone(), id));
                id
            }
        };
        self.note_latest(party, (seen, line), id);
        Some(id)
    }

    /// Like [`cached`](Self::cached), asking the database (and creating the snapshot) on a miss.
    pub(crate) fn resolve(
        &mut self,
        tx: &mut Transaction<'_>,
        party: &Party,
        line: u64,
        seen: Date,
    ) -> Result<i64, StoreError> {
        if let Some(id) = self.cached(party, line, seen) {
            return Ok(id);
        }
        let digest = party.content_digest();
        let id = self.find_or_insert(tx, &digest, party)?;
        self.ids.insert(digest, id);
        self.recent.insert(party.id.clone(), (party.clone(), id));
        self.note_latest(party, (seen, line), id);
        Ok(id)
    }

    /// Rows may be resolved out of order (the supply import resolves cache misses in batches), so
    /// the latest details are those of the highest (date, line), not of the last call.
    fn note_latest(&mut self, party: &Party, line: (Date, u64), id: i64) {
        match self.latest.get_mut(&party.id) {
            Some(latest) => {
                if line >= latest.0 {
                    *latest = (line, id);
                }
            }
            None => {
                self.latest.insert(party.id.clone(), (line, id));
            }
        }
    }

    fn find_or_insert(&self, tx: &mut Transaction<'_>, digest: &[u8; 16], p: &Party) -> Result<i64, StoreError> {
        let digest: &[u8] = digest;
        if let Some(row) = tx.query_opt(&self.find, &[&digest]).during("looking up a counterparty snapshot")? {
            return col(&row, 0);
        }
        // The caller holds the writers' lock (see `audit::lock`), so no other msadesk process can
        // insert the same snapshot between the lookup and this insert.
        let row = tx
            .query_one(
                &self.insert,
                &[
                    &digest,
                    &p.id.as_str(),
                    &p.name,
                    &p.address,
                    &p.country.as_str(),
                    &p.email.as_ref().map(Email::as_str),
                    &p.phone,
                    &p.gln.as_ref().map(Gln::as_str),
                    &p.vat,
                ],
            )
            .during(&format!("recording operator '{}'", p.id))?;
        col(&row, 0)
    }

    /// Points each operator met in this import at its latest snapshot, adding new operators.
    pub(crate) fn write_operators(&self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        if self.latest.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = self.latest.keys().map(OperatorId::as_str).collect();
        let snapshots: Vec<i64> = self.latest.values().map(|(_, snap)| *snap).collect();
        let dates: Vec<String> = self.latest.values().map(|((date, _), _)| date.to_string()).collect();
        // One statement for all operators; the keys are distinct (they come from a map), which
        // ON CONFLICT DO UPDATE requires.
        tx.execute(
            "INSERT INTO operators (operator_id, snapshot_id, as_of)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]::date[])
             ON CONFLICT (operator_id) DO UPDATE SET snapshot_id = excluded.snapshot_id, as_of = excluded.as_of
             WHERE excluded.as_of >= operators.as_of",
            &[&ids, &snapshots, &dates],
        )
        .during("updating the operator list")?;
        Ok(())
    }
}
