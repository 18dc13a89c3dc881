//! What the readiness report (issue 9) needs from storage: a record of each backup, and
//! [`gather`], which reads the store once into the core's `readiness::Facts`.
//!
//! Ages are derived from the audit trail: backups (recorded here as `backup`/`create`), retention
//! runs (`retention`/`run`) and known-exploited imports (`known_exploited`/`import`) are audited, so
//! no table of their own is needed. `gather` only calls [`Store`] methods: it is engine-independent.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use jiff::Timestamp;
use msadesk_core::Date;
use msadesk_core::readiness::{
    ActionFacts, AuthorityFacts, DecisionFacts, EventParty, Facts, FeedFacts, FeedKind, NoticeFacts, ObligationFacts,
    OpenAssessment, ProductFacts, RequestFacts, SupplyRetention, TraceTiming, VersionFacts,
};
use msadesk_core::trace::TraceQuery;
use serde::Serialize;

use crate::{ChangeMeta, Result, Store, StoreError};

/// A backup made by `msadesk backup`, as recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupRecord {
    /// Where it was written.
    pub file: String,
    pub bytes: u64,
    pub supply_events: u64,
    /// The audit trail's head in the copy (seq and hash), which the copy verified against.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
}

/// Storage for the readiness report.
pub trait ReadinessStore {
    /// Records a verified backup (audited as `backup`/`create`); returns the audit entry's seq.
    fn record_backup(&mut self, backup: &BackupRecord, meta: &ChangeMeta) -> Result<i64>;
}

/// The audit detail of a backup.
pub fn backup_detail(b: &BackupRecord) -> serde_json::Value {
    serde_json::to_value(b).unwrap_or(serde_json::Value::Null)
}

fn day_of(at: &str) -> Option<Date> {
    Date::parse(at.get(..10)?).ok()
}

/// Per (product, version, vulnerability): the latest policy decision, whether an officer decided,
/// and since when the policy has found it significant without interruption.
type PairState<'a> = (Option<&'a crate::RiskDecisionRecord>, bool, Option<String>);

/// Reads everything the readiness checks look at. `now` is when the report is made (request clocks
/// are evaluated at it), `today` the day ages are counted to. The Art 23 trace of every product is
/// run (and timed) once; the retention job is run dry to count expired records.
pub fn gather(store: &mut dyn Store, now: Timestamp, today: Date) -> Result<Facts> {
    let generated_at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut f = Facts::empty(today);
    f.generated_at = generated_at.clone();
    f.engine = store.engine().to_string();
    f.backups_supported = store.engine() == "sqlite";
    f.identity = store.identity()?;
    let default_role = f.identity.as_ref().map(|i| i.default_role);

    let mut current_sbom: BTreeMap<(String, String), Date> = BTreeMap::new();
    for s in store.sboms(None)?.into_iter().filter(|s| s.current) {
        if let Some(d) = day_of(&s.imported_at) {
            current_sbom.insert((s.product_id.to_string(), s.version.to_string()), d);
        }
    }

    let mut documents: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for d in store.documents(None)?.into_iter().filter(|d| d.current) {
        documents
            .entry((d.product_id.to_string(), d.version.to_string()))
            .or_default()
            .push(d.kind.as_str().to_string());
    }

    // One trace per version gives its events, where it went and the counterparties as they were
    // at the events; the product with the most events is then traced whole, and timed.
    let mut largest: Option<(msadesk_core::ProductId, u64)> = None;
    for p in store.products()? {
        let role = p.our_role.or(default_role);
        let mut product_events = 0;
        for v in store.versions(&p.id)? {
            let q = TraceQuery { product_id: p.id.clone(), version: Some(v.version.clone()), from: None, to: None };
            let t = store.trace(&q)?;
            let mut events = 0;
            for e in t.upstream.iter().chain(&t.downstream) {
                events += e.deliveries;
                // Only the ones the check reports: a large registry has a million of the others.
                if msadesk_core::readiness::postal_address_problem(&e.address).is_none() {
                    continue;
                }
                f.event_parties.push(EventParty {
                    product_id: p.id.clone(),
                    operator_id: e.operator_id.to_string(),
                    name: e.name.clone(),
                    address: e.address.clone(),
                    country: e.country,
                    deliveries: e.deliveries,
                });
            }
            product_events += events;
            f.versions.push(VersionFacts {
                sbom_imported: current_sbom.get(&(p.id.to_string(), v.version.to_string())).copied(),
                documents: documents.remove(&(p.id.to_string(), v.version.to_string())).unwrap_or_default(),
                product_id: p.id.clone(),
                version: v.version,
                role,
                placed_on_market: v.placed_on_market,
                end_of_support: v.end_of_support,
                stub: v.stub,
                events,
                supplied_to: t.destination_countries(),
            });
        }
        if product_events > 0 && largest.as_ref().is_none_or(|(_, n)| product_events > *n) {
            largest = Some((p.id.clone(), product_events));
        }
        f.products.push(ProductFacts {
            id: p.id,
            name: p.name,
            explicit_role: p.our_role,
            manufacturer: p.manufacturer_name,
            stub: p.stub,
        });
    }
    if let Some((product_id, events)) = largest {
        let q = TraceQuery { product_id: product_id.clone(), version: None, from: None, to: None };
        let started = Instant::now();
        store.trace(&q)?;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        f.trace_timing = Some(TraceTiming { product_id, events, millis });
    }
    f.counterparties = store.operators()?;
    f.authorities = store
        .authorities()?
        .into_iter()
        .map(|a| AuthorityFacts {
            id: a.id,
            country: a.country.country(),
            confirmed: a.confirmed,
            msa: a.kind == msadesk_core::inbox::AuthorityKind::Msa,
            languages: a.languages,
        })
        .collect();

    // Vulnerability feeds: the newest date each feed was taken.
    let mut feeds: BTreeMap<String, Date> = BTreeMap::new();
    for v in store.vulns()? {
        let e = feeds.entry(v.feed).or_insert(v.feed_date);
        *e = (*e).max(v.feed_date);
    }
    f.feeds =
        feeds.into_iter().map(|(name, taken)| FeedFacts { kind: FeedKind::Vulnerabilities, name, taken }).collect();

    let entries = store.audit_entries()?;
    f.audit_entries = entries.len() as u64;
    let last = |entity: &str, action: &str| {
        entries.iter().rev().find(|e| e.entity == entity && e.action == action).map(|e| e.at.clone())
    };
    f.last_backup = last("backup", "create");
    f.last_retention_run = last("retention", "run");
    if let Some(taken) = last("known_exploited", "import").as_deref().and_then(day_of) {
        let catalogues: BTreeSet<String> = store.known_exploited()?.into_iter().map(|k| k.source).collect();
        let name = if catalogues.is_empty() {
            "known-exploited catalogue".to_string()
        } else {
            catalogues.into_iter().collect::<Vec<_>>().join(", ")
        };
        f.feeds.push(FeedFacts { kind: FeedKind::KnownExploited, name, taken });
    }
    let deleted: u64 = entries
        .iter()
        .filter(|e| e.entity == "retention" && e.action == "run")
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok())
        .filter_map(|d| d.pointer("/deleted/supply_events").and_then(serde_json::Value::as_u64))
        .sum();
    f.audit_break = store.verify_audit()?;

    // Risk decisions: a pair is open when its latest policy decision is significant and no officer
    // has decided it.
    let decisions = store.decisions()?;
    let mut pairs: BTreeMap<(String, String, String), PairState<'_>> = BTreeMap::new();
    for d in &decisions {
        let officer = d.policy_version == "officer";
        f.decisions.push(DecisionFacts {
            decided: day_of(&d.decided_at).unwrap_or(today),
            significant: d.significant,
            officer,
        });
        let key = (d.product_id.to_string(), d.version.to_string(), d.vulnerability.clone());
        let e = pairs.entry(key).or_insert((None, false, None));
        if officer {
            e.1 = true;
        } else {
            e.0 = Some(d);
            if d.significant {
                e.2.get_or_insert_with(|| d.decided_at.clone());
            } else {
                e.2 = None;
            }
        }
    }
    for (latest, decided, since) in pairs.into_values() {
        if let (Some(d), false, Some(since)) = (latest, decided, since)
            && d.significant
        {
            let role = f.products.iter().find(|p| p.id == d.product_id).and_then(|p| p.explicit_role).or(default_role);
            f.open_assessments.push(OpenAssessment {
                product_id: d.product_id.clone(),
                version: d.version.clone(),
                vulnerability: d.vulnerability.clone(),
                role,
                since,
            });
        }
    }

    // Obligations of the current assessments (the latest automatic one per pair that found the
    // version affected), each sent when a notice for it was recorded (`msadesk notice sent`).
    let notices = store.notices_sent()?;
    f.notices = notices.iter().filter_map(|n| day_of(&n.sent_at)).map(|sent| NoticeFacts { sent }).collect();
    let mut latest: BTreeMap<(String, String, String), &crate::RiskDecisionRecord> = BTreeMap::new();
    for d in decisions.iter().filter(|d| d.policy_version != "officer") {
        latest.insert((d.product_id.to_string(), d.version.to_string(), d.vulnerability.clone()), d);
    }
    for d in latest.into_values() {
        if d.assessment.get("affected") == Some(&serde_json::Value::Bool(false)) {
            continue;
        }
        let mut aliases: Vec<String> = d.assessment["aliases"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        aliases.push(d.vulnerability.clone());
        let role = f.products.iter().find(|p| p.id == d.product_id).and_then(|p| p.explicit_role).or(default_role);
        for o in d.assessment["obligations"].as_array().into_iter().flatten() {
            let to = o["to"].as_str().unwrap_or_default().to_string();
            let what = o["what"].as_str().unwrap_or_default().to_string();
            let sent = notices.iter().any(|n| {
                n.product_id == d.product_id
                    && n.version == d.version
                    && n.to == to
                    && n.what == what
                    && aliases.contains(&n.vulnerability)
            });
            f.obligations.push(ObligationFacts {
                product_id: d.product_id.clone(),
                version: d.version.clone(),
                vulnerability: d.vulnerability.clone(),
                to,
                what,
                due: o["due"].as_str().map(str::to_string),
                legal_duty: o["legal_duty"].as_bool().unwrap_or(false),
                sent,
                role,
            });
        }
    }

    f.requests = store.requests()?.iter().map(|r| RequestFacts::from_request(r, now)).collect();
    f.actions = store
        .actions()?
        .into_iter()
        .map(|a| {
            let role =
                f.products.iter().find(|p| p.id == a.new.product_id).and_then(|p| p.explicit_role).or(default_role);
            ActionFacts {
                id: a.id,
                action_type: a.new.action_type.as_str().to_string(),
                product_id: a.new.product_id,
                status: a.status,
                received: a.new.received,
                due: a.new.due,
                level: a.new.level,
                figures: a.figures,
                role,
            }
        })
        .collect();
    f.holds = store.holds()?.into_iter().filter(|h| h.is_active()).collect();

    let counts = store.counts()?;
    let meta = ChangeMeta { actor: "readiness".into(), source: None, at: generated_at };
    let dry = store.run_retention(today, true, &meta)?;
    f.supply = SupplyRetention {
        total: counts.supply_events,
        expired: dry.deleted.supply_events,
        held: dry.held.supply_events,
        deleted,
    };
    Ok(f)
}

/// The readiness report at `now` (RFC 3339; ages are counted to its UTC day), with `policy`;
/// `letter_languages` are the languages letter templates exist in (`msadesk_formats::letters`).
/// [`StoreError::Invalid`] when `now` is not an RFC 3339 instant.
pub fn report(
    store: &mut dyn Store,
    now: &str,
    policy: &msadesk_core::readiness::ReadinessPolicy,
    letter_languages: &[&str],
) -> Result<msadesk_core::readiness::ReadinessReport> {
    let at: Timestamp = now.trim().parse().map_err(|e| {
        StoreError::Invalid(format!("'{now}' is not an RFC 3339 instant (e.g. 2026-12-04T10:00:00Z): {e}"))
    })?;
    let today = Date::from_unix_seconds(at.as_second());
    let mut facts = gather(store, at, today)?;
    facts.letter_languages = letter_languages.iter().map(|l| l.to_string()).collect();
    Ok(msadesk_core::readiness::evaluate(&facts, policy))
}
