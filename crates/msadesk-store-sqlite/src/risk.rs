//! SBOMs, vulnerability records, known-exploited listings, install base and risk decisions in
//! SQLite (tables of `migrations/0005_risk.sql`).

use msadesk_core::vuln::keys::{ComponentKeys, cpe_key, package_key};
use msadesk_core::{Date, MemberState, ProductId, Version};
use msadesk_store::risk::{decision_detail, dedup_components, sbom_detail};
use msadesk_store::{
    ChangeMeta, Deployment, ImportStats, KnownExploited, NewSbom, Result, RiskDecisionRecord, SbomComponent, SbomInfo,
    StoreError, StoredVuln, VersionComponent,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{append_audit, backend, corrupt};

fn parse<T, E: std::fmt::Display>(what: &str, v: &str, f: impl FnOnce(&str) -> std::result::Result<T, E>) -> Result<T> {
    f(v).map_err(|e| corrupt(what, v, e))
}

fn json_text(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn counts(stats: &ImportStats) -> serde_json::Value {
    msadesk_store::import_detail(stats, None)
}

pub(crate) fn import_sbom(conn: &mut Connection, s: &NewSbom, meta: &ChangeMeta) -> Result<SbomInfo> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let known: Option<i64> = tx
        .query_row("SELECT id FROM products WHERE product_id = ?1", [s.product_id.as_str()], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    if known.is_none() {
        return Err(StoreError::UnknownProduct(s.product_id.clone()));
    }
    let replaced: Option<i64> = tx
        .query_row(
            "SELECT id FROM sboms WHERE product_id = ?1 AND version = ?2 AND is_current = 1",
            params![s.product_id.as_str(), s.version.as_str()],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    tx.execute(
        "UPDATE sboms SET is_current = 0 WHERE product_id = ?1 AND version = ?2",
        params![s.product_id.as_str(), s.version.as_str()],
    )
    .map_err(backend)?;
    tx.execute(
        "INSERT INTO sboms (product_id, version, imported_at, source_file, format, digest, is_current)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
        params![s.product_id.as_str(), s.version.as_str(), meta.at, s.source_file, s.format, s.digest],
    )
    .map_err(backend)?;
    let id = tx.last_insert_rowid();
    let comps = dedup_components(&s.components);
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO sbom_components (sbom_id, purl, name, version, cpe, package_key, cpe_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(backend)?;
        for c in &comps {
            let (package, cpe) = component_keys(c);
            stmt.execute(params![id, c.purl, c.name, c.version, c.cpe, package, cpe]).map_err(backend)?;
        }
    }
    append_audit(&tx, meta, "sbom", "import", &sbom_detail(s, id, replaced))?;
    tx.commit().map_err(backend)?;
    Ok(SbomInfo {
        id,
        product_id: s.product_id.clone(),
        version: s.version.clone(),
        imported_at: meta.at.clone(),
        source_file: s.source_file.clone(),
        format: s.format.clone(),
        digest: s.digest.clone(),
        components: comps.len() as u64,
        current: true,
    })
}

type SbomRow = (i64, String, String, String, String, String, String, i64, bool);

pub(crate) fn sboms(conn: &Connection, product: Option<&ProductId>) -> Result<Vec<SbomInfo>> {
    let mut stmt = conn
        .prepare(
            "SELECT s.id, s.product_id, s.version, s.imported_at, s.source_file, s.format, s.digest,
                    (SELECT COUNT(*) FROM sbom_components c WHERE c.sbom_id = s.id), s.is_current
             FROM sboms s WHERE ?1 IS NULL OR s.product_id = ?1 ORDER BY s.product_id, s.version, s.id",
        )
        .map_err(backend)?;
    let rows: Vec<SbomRow> = stmt
        .query_map([product.map(|p| p.as_str())], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|(id, p, v, imported_at, source_file, format, digest, n, current)| {
            Ok(SbomInfo {
                id,
                product_id: parse("product id", &p, ProductId::parse)?,
                version: parse("version", &v, Version::parse)?,
                imported_at,
                source_file,
                format,
                digest,
                components: n as u64,
                current,
            })
        })
        .collect()
}

/// The package and CPE keys of a component (`msadesk_core::vuln::keys`), as stored next to it.
fn component_keys(c: &SbomComponent) -> (Option<String>, Option<String>) {
    (package_key(&c.purl), c.cpe.as_deref().and_then(cpe_key))
}

/// Migration 0012: the keys of the components stored before it, computed here because they follow
/// the purl and CPE parsing rules of `msadesk_core`, which SQL does not know.
pub(crate) fn fill_component_keys(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let rows: Vec<(i64, String, Option<String>)> = {
        let mut stmt = tx.prepare("SELECT rowid, purl, cpe FROM sbom_components").map_err(backend)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?
    };
    let mut stmt =
        tx.prepare("UPDATE sbom_components SET package_key = ?2, cpe_key = ?3 WHERE rowid = ?1").map_err(backend)?;
    for (rowid, purl, cpe) in rows {
        stmt.execute(params![rowid, package_key(&purl), cpe.as_deref().and_then(cpe_key)]).map_err(backend)?;
    }
    Ok(())
}

type ComponentRow = (String, String, String, String, Option<String>, Option<String>);

/// Components of current SBOMs in (product, version, purl) order; `filter` (SQL over `c`, the
/// component, with the parameters `args`) narrows them.
fn components_where(conn: &Connection, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<VersionComponent>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT s.product_id, s.version, c.purl, c.name, c.version, c.cpe
             FROM sboms s JOIN sbom_components c ON c.sbom_id = s.id
             WHERE s.is_current = 1 {filter} ORDER BY s.product_id, s.version, c.purl"
        ))
        .map_err(backend)?;
    let rows: Vec<ComponentRow> = stmt
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|(p, v, purl, name, version, cpe)| {
            Ok(VersionComponent {
                product_id: parse("product id", &p, ProductId::parse)?,
                version: parse("version", &v, Version::parse)?,
                component: SbomComponent { purl, name, version, cpe },
            })
        })
        .collect()
}

pub(crate) fn current_components(conn: &Connection) -> Result<Vec<VersionComponent>> {
    components_where(conn, "", &[])
}

pub(crate) fn current_components_for(conn: &Connection, keys: &ComponentKeys) -> Result<Vec<VersionComponent>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let packages = json_text(&keys.packages.iter().cloned().collect::<Vec<_>>());
    let cpes = json_text(&keys.cpes.iter().cloned().collect::<Vec<_>>());
    // The key lists travel as one JSON array each (no limit on the number of parameters); each
    // half of the union reads its index (`sbom_components_by_package`, `_by_cpe`), and the
    // components are then found by rowid (or, for whole versions, by SBOM).
    let column = if keys.whole_versions { "sbom_id" } else { "rowid" };
    let filter = format!(
        "AND c.{column} IN (SELECT {column} FROM sbom_components WHERE package_key IN (SELECT value FROM json_each(?1))
                            UNION SELECT {column} FROM sbom_components WHERE cpe_key IN (SELECT value FROM json_each(?2)))"
    );
    components_where(conn, &filter, &[&packages, &cpes])
}

/// A stored vulnerability's columns after its id: aliases, format, feed, feed date, file, summary,
/// CVSS vectors, match data.
type StoredVulnFields = (String, String, String, String, String, Option<String>, String, String);

/// id, source, date added, due date, ransomware.
type KevRow = (String, String, String, Option<String>, Option<bool>);

pub(crate) fn import_vulns(conn: &mut Connection, vulns: &[StoredVuln], meta: &ChangeMeta) -> Result<ImportStats> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut stats = ImportStats::default();
    for v in vulns {
        stats.rows += 1;
        let row = (
            json_text(&v.aliases),
            v.format.as_str(),
            v.feed.as_str(),
            v.feed_date.to_string(),
            v.file.as_str(),
            v.summary.as_deref(),
            json_text(&v.cvss),
            v.match_data.to_string(),
        );
        let old: Option<StoredVulnFields> = tx
            .query_row(
                "SELECT aliases, format, feed, feed_date, file, summary, cvss, match_data FROM vulnerabilities WHERE id = ?1 AND feed = ?2",
                params![v.id, v.feed],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .optional()
            .map_err(backend)?;
        match old {
            Some(o)
                if (
                    o.0.as_str(),
                    o.1.as_str(),
                    o.2.as_str(),
                    o.3.as_str(),
                    o.4.as_str(),
                    o.5.as_deref(),
                    &o.6,
                    &o.7,
                ) == (row.0.as_str(), row.1, row.2, row.3.as_str(), row.4, row.5, &row.6, &row.7) =>
            {
                stats.already_present += 1;
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO vulnerabilities (id, aliases, format, feed, feed_date, file, summary, cvss, match_data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id, feed) DO UPDATE SET aliases = excluded.aliases, format = excluded.format,
               feed_date = excluded.feed_date, file = excluded.file, summary = excluded.summary, cvss = excluded.cvss,
               match_data = excluded.match_data",
            params![v.id, row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7],
        )
        .map_err(backend)?;
    }
    stats.committed = true;
    append_audit(&tx, meta, "vulnerabilities", "import", &counts(&stats))?;
    tx.commit().map_err(backend)?;
    Ok(stats)
}

type VulnRow = (String, String, String, String, String, String, Option<String>, String, String);

pub(crate) fn vulns(conn: &Connection) -> Result<Vec<StoredVuln>> {
    let mut stmt = conn
        .prepare(
            "SELECT id, aliases, format, feed, feed_date, file, summary, cvss, match_data FROM vulnerabilities ORDER BY id, feed",
        )
        .map_err(backend)?;
    let rows: Vec<VulnRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|(id, aliases, format, feed, feed_date, file, summary, cvss, data)| {
            Ok(StoredVuln {
                aliases: parse("aliases", &aliases, |s| serde_json::from_str(s))?,
                format,
                feed,
                feed_date: parse("feed date", &feed_date, Date::parse)?,
                file,
                summary,
                cvss: parse("cvss", &cvss, |s| serde_json::from_str(s))?,
                match_data: parse("match data", &data, |s| serde_json::from_str(s))?,
                id,
            })
        })
        .collect()
}

pub(crate) fn import_known_exploited(
    conn: &mut Connection,
    entries: &[KnownExploited],
    meta: &ChangeMeta,
) -> Result<ImportStats> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut stats = ImportStats::default();
    for e in entries {
        stats.rows += 1;
        let new = (e.date_added.to_string(), e.due_date.map(|d| d.to_string()), e.ransomware);
        let old: Option<(String, Option<String>, Option<bool>)> = tx
            .query_row(
                "SELECT date_added, due_date, ransomware FROM known_exploited WHERE id = ?1 AND source = ?2",
                params![e.id, e.source],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(backend)?;
        match old {
            Some(o) if o == new => {
                stats.already_present += 1;
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO known_exploited (id, source, date_added, due_date, ransomware) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id, source) DO UPDATE SET date_added = excluded.date_added, due_date = excluded.due_date,
               ransomware = excluded.ransomware",
            params![e.id, e.source, new.0, new.1, new.2],
        )
        .map_err(backend)?;
    }
    stats.committed = true;
    append_audit(&tx, meta, "known_exploited", "import", &counts(&stats))?;
    tx.commit().map_err(backend)?;
    Ok(stats)
}

pub(crate) fn known_exploited(conn: &Connection) -> Result<Vec<KnownExploited>> {
    let mut stmt = conn
        .prepare("SELECT id, source, date_added, due_date, ransomware FROM known_exploited ORDER BY id, source")
        .map_err(backend)?;
    let rows: Vec<KevRow> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|(id, source, added, due, ransomware)| {
            Ok(KnownExploited {
                id,
                source,
                date_added: parse("date added", &added, Date::parse)?,
                due_date: due.map(|d| parse("due date", &d, Date::parse)).transpose()?,
                ransomware,
            })
        })
        .collect()
}

pub(crate) fn import_deployments(conn: &mut Connection, rows: &[Deployment], meta: &ChangeMeta) -> Result<ImportStats> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut stats = ImportStats::default();
    for d in rows {
        stats.rows += 1;
        let sector = d.critical_sector.as_deref().unwrap_or("");
        let key = params![d.product_id.as_str(), d.version.as_str(), d.member_state.as_str(), sector];
        let old: Option<i64> = tx
            .query_row(
                "SELECT instances FROM deployments
                 WHERE product_id = ?1 AND version = ?2 AND member_state = ?3 AND critical_sector = ?4",
                key,
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        let instances = i64::try_from(d.instances).unwrap_or(i64::MAX);
        match old {
            Some(o) if o == instances => {
                stats.already_present += 1;
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO deployments (product_id, version, member_state, critical_sector, instances)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (product_id, version, member_state, critical_sector) DO UPDATE SET instances = excluded.instances",
            params![d.product_id.as_str(), d.version.as_str(), d.member_state.as_str(), sector, instances],
        )
        .map_err(backend)?;
    }
    stats.committed = true;
    append_audit(&tx, meta, "deployments", "import", &counts(&stats))?;
    tx.commit().map_err(backend)?;
    Ok(stats)
}

pub(crate) fn deployments(conn: &Connection) -> Result<Vec<Deployment>> {
    let mut stmt = conn
        .prepare(
            "SELECT product_id, version, member_state, critical_sector, instances FROM deployments
             ORDER BY product_id, version, member_state, critical_sector",
        )
        .map_err(backend)?;
    let rows: Vec<(String, String, String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|(p, v, ms, sector, n)| {
            Ok(Deployment {
                product_id: parse("product id", &p, ProductId::parse)?,
                version: parse("version", &v, Version::parse)?,
                member_state: parse("member state", &ms, MemberState::parse)?,
                instances: u64::try_from(n).map_err(|e| corrupt("instances", &n.to_string(), e))?,
                critical_sector: (!sector.is_empty()).then_some(sector),
            })
        })
        .collect()
}

pub(crate) fn record_decision(conn: &mut Connection, r: &RiskDecisionRecord, meta: &ChangeMeta) -> Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    tx.execute(
        "INSERT INTO risk_decisions (product_id, version, vulnerability, significant, policy_version, decided_at,
           decided_by, assessment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            r.product_id.as_str(),
            r.version.as_str(),
            r.vulnerability,
            r.significant,
            r.policy_version,
            meta.at,
            meta.actor,
            r.assessment.to_string()
        ],
    )
    .map_err(backend)?;
    let id = tx.last_insert_rowid();
    append_audit(&tx, meta, "risk_decision", "record", &decision_detail(r, id))?;
    tx.commit().map_err(backend)?;
    Ok(id)
}

/// The recorded decisions in id order; `assessment_columns` (SQL after `decided_by`) are read by
/// `read` and turned into the record's assessment by `assessment`.
fn read_decisions<A>(
    conn: &Connection,
    assessment_columns: &str,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<A>,
    assessment: impl Fn(A) -> Result<serde_json::Value>,
) -> Result<Vec<RiskDecisionRecord>> {
    type Fixed = (i64, String, String, String, bool, String, String, String);
    let sql = format!(
        "SELECT id, product_id, version, vulnerability, significant, policy_version, decided_at, decided_by, {assessment_columns}
         FROM risk_decisions ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql).map_err(backend)?;
    let rows: Vec<(Fixed, A)> = stmt
        .query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?), read(r)?))
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter()
        .map(|((id, p, v, vulnerability, significant, policy_version, decided_at, decided_by), a)| {
            Ok(RiskDecisionRecord {
                id,
                product_id: parse("product id", &p, ProductId::parse)?,
                version: parse("version", &v, Version::parse)?,
                vulnerability,
                significant,
                policy_version,
                decided_at,
                decided_by,
                assessment: assessment(a)?,
            })
        })
        .collect()
}

pub(crate) fn decisions(conn: &Connection) -> Result<Vec<RiskDecisionRecord>> {
    read_decisions(
        conn,
        "assessment",
        |r| r.get::<_, String>(8),
        |a| parse("assessment", &a, |s| serde_json::from_str(s)),
    )
}

/// `ImpactStore::decision_outlines`: the three assessment keys extracted by SQLite (`->` gives
/// JSON text, NULL when the key is absent), not the whole JSON parsed here.
pub(crate) fn decision_outlines(conn: &Connection) -> Result<Vec<RiskDecisionRecord>> {
    read_decisions(
        conn,
        "assessment -> '$.officer_override', assessment -> '$.fired', assessment -> '$.affected'",
        |r| Ok::<[Option<String>; 3], _>([r.get(8)?, r.get(9)?, r.get(10)?]),
        msadesk_store::impact::outline_from,
    )
}
