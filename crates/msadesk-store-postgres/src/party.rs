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

    /// Makes every snapshot of `parties` known to the cache with two statements in all (one lookup,
    /// one insert of those not stored yet) instead of one or two round trips per new party: a large
    /// supply file meets tens of thousands of parties in its first rows. Afterwards
    /// [`cached`](Self::cached) answers for each of them.
    pub(crate) fn load_many<'p>(
        &mut self,
        tx: &mut Transaction<'_>,
        parties: impl IntoIterator<Item = &'p Party>,
    ) -> Result<(), StoreError> {
        // Distinct by digest, in the order met (the order in which new snapshots get their ids).
        let mut missing: Vec<([u8; 16], &Party)> = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for p in parties {
            if matches!(self.recent.get(&p.id), Some((known, _)) if known == p) {
                continue;
            }
            let digest = p.content_digest();
            if !self.ids.contains_key(&digest) && listed.insert(digest) {
                missing.push((digest, p));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let digests: Vec<&[u8]> = missing.iter().map(|(d, _)| &d[..]).collect();
        let what = "looking up counterparty snapshots";
        for row in
            tx.query("SELECT digest, id FROM party_snapshots WHERE digest = ANY($1)", &[&digests]).during(what)?
        {
            let digest: &[u8] = col(&row, 0)?;
            let digest: [u8; 16] = digest
                .try_into()
                .map_err(|_| StoreError::Backend("a stored counterparty snapshot has a malformed digest".into()))?;
            self.ids.insert(digest, col(&row, 1)?);
        }
        missing.retain(|(d, _)| !self.ids.contains_key(d));
        if missing.is_empty() {
            return Ok(());
        }
        // The caller holds the writers' lock (see `audit::lock`), so no other msadesk process can
        // insert the same snapshots between the lookup and this insert.
        let digests: Vec<&[u8]> = missing.iter().map(|(d, _)| &d[..]).collect();
        let ids: Vec<&str> = missing.iter().map(|(_, p)| p.id.as_str()).collect();
        let names: Vec<&str> = missing.iter().map(|(_, p)| p.name.as_str()).collect();
        let addresses: Vec<&str> = missing.iter().map(|(_, p)| p.address.as_str()).collect();
        let countries: Vec<&str> = missing.iter().map(|(_, p)| p.country.as_str()).collect();
        let emails: Vec<Option<&str>> = missing.iter().map(|(_, p)| p.email.as_ref().map(Email::as_str)).collect();
        let phones: Vec<Option<&str>> = missing.iter().map(|(_, p)| p.phone.as_deref()).collect();
        let glns: Vec<Option<&str>> = missing.iter().map(|(_, p)| p.gln.as_ref().map(Gln::as_str)).collect();
        let vats: Vec<Option<&str>> = missing.iter().map(|(_, p)| p.vat.as_deref()).collect();
        let rows = tx
            .query(
                "INSERT INTO party_snapshots (digest, operator_id, name, address, country, email, phone, gln, vat)
                 SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::text[], $8::text[], $9::text[])
                 RETURNING digest, id",
                &[&digests, &ids, &names, &addresses, &countries, &emails, &phones, &glns, &vats],
            )
            .during("recording counterparty snapshots")?;
        for row in rows {
            let digest: &[u8] = col(&row, 0)?;
            let digest: [u8; 16] = digest.try_into().map_err(|_| {
                StoreError::Backend("a new counterparty snapshot came back with a malformed digest".into())
            })?;
            self.ids.insert(digest, col(&row, 1)?);
        }
        Ok(())
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
