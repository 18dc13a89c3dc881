//! SBOMs, vulnerability records, known-exploited listings, install base and risk decisions in
//! PostgreSQL (tables of `migrations/0005_risk.sql`). Every writer takes the audit lock first.

use msadesk_core::vuln::keys::{ComponentKeys, cpe_key, package_key};
use msadesk_core::{Date, MemberState, ProductId, Version};
use msadesk_store::risk::{decision_detail, dedup_components, sbom_detail};
use msadesk_store::{
    ChangeMeta, Deployment, ImportStats, KnownExploited, NewSbom, RiskDecisionRecord, SbomComponent, SbomInfo,
    StoreError, StoredVuln, VersionComponent, import_detail, next_audit_entry,
};
use postgres::Client;

use crate::audit;
use crate::error::{During, col, parse_stored};

type Result<T> = std::result::Result<T, StoreError>;

fn json(what: &str, v: &str) -> Result<serde_json::Value> {
    serde_json::from_str(v).map_err(|e| StoreError::Corrupt(format!("{what} '{v}': {e}")))
}

fn json_list(what: &str, v: &str) -> Result<Vec<String>> {
    serde_json::from_str(v).map_err(|e| StoreError::Corrupt(format!("{what} '{v}': {e}")))
}

fn json_text(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(crate) fn import_sbom(client: &mut Client, s: &NewSbom, meta: &ChangeMeta) -> Result<SbomInfo> {
    let mut tx = client.transaction().during("starting the SBOM import")?;
    let tail = audit::lock(&mut tx)?;
    let known = tx
        .query_opt("SELECT id FROM products WHERE product_id = $1", &[&s.product_id.as_str()])
        .during("looking up the product")?;
    if known.is_none() {
        return Err(StoreError::UnknownProduct(s.product_id.clone()));
    }
    let key: [&(dyn postgres::types::ToSql + Sync); 2] = [&s.product_id.as_str(), &s.version.as_str()];
    let replaced: Option<i64> = tx
        .query_opt("SELECT id FROM sboms WHERE product_id = $1 AND version = $2 AND is_current", &key)
        .during("reading the current SBOM")?
        .map(|r| col(&r, 0))
        .transpose()?;
    tx.execute("UPDATE sboms SET is_current = false WHERE product_id = $1 AND version = $2", &key)
        .during("replacing the current SBOM")?;
    let row = tx
        .query_one(
            "INSERT INTO sboms (product_id, version, imported_at, source_file, format, digest, is_current)
             VALUES ($1, $2, $3, $4, $5, $6, true) RETURNING id",
            &[&s.product_id.as_str(), &s.version.as_str(), &meta.at, &s.source_file, &s.format, &s.digest],
        )
        .during("adding the SBOM")?;
    let id: i64 = col(&row, 0)?;
    let comps = dedup_components(&s.components);
    let stmt = tx
        .prepare(
            "INSERT INTO sbom_components (sbom_id, purl, name, version, cpe, package_key, cpe_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .during("adding SBOM components")?;
    for c in &comps {
        let (package, cpe) = (package_key(&c.purl), c.cpe.as_deref().and_then(cpe_key));
        tx.execute(&stmt, &[&id, &c.purl, &c.name, &c.version, &c.cpe, &package, &cpe])
            .during("adding an SBOM component")?;
    }
    audit::append(&mut tx, &next_audit_entry(tail, meta, "sbom", "import", &sbom_detail(s, id, replaced)))?;
    tx.commit().during("committing the SBOM import")?;
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

pub(crate) fn sboms(client: &mut Client, product: Option<&ProductId>) -> Result<Vec<SbomInfo>> {
    let rows = client
        .query(
            "SELECT s.id, s.product_id, s.version, s.imported_at, s.source_file, s.format, s.digest,
                    (SELECT COUNT(*) FROM sbom_components c WHERE c.sbom_id = s.id), s.is_current
             FROM sboms s WHERE $1::text IS NULL OR s.product_id = $1 ORDER BY s.product_id, s.version, s.id",
            &[&product.map(|p| p.as_str())],
        )
        .during("listing SBOMs")?;
    rows.iter()
        .map(|r| {
            let p: String = col(r, 1)?;
            let v: String = col(r, 2)?;
            let n: i64 = col(r, 7)?;
            Ok(SbomInfo {
                id: col(r, 0)?,
                product_id: parse_stored("product id", &p, ProductId::parse)?,
                version: parse_stored("version", &v, Version::parse)?,
                imported_at: col(r, 3)?,
                source_file: col(r, 4)?,
                format: col(r, 5)?,
                digest: col(r, 6)?,
                components: n as u64,
                current: col(r, 8)?,
            })
        })
        .collect()
}

/// Components of current SBOMs in (product, version, purl) order; `filter` (SQL over `c`, the
/// component, with the parameters `args`) narrows them.
fn components_where(
    client: &mut Client,
    filter: &str,
    args: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<VersionComponent>> {
    let rows = client
        .query(
            &format!(
                "SELECT s.product_id, s.version, c.purl, c.name, c.version, c.cpe
                 FROM sboms s JOIN sbom_components c ON c.sbom_id = s.id
                 WHERE s.is_current {filter} ORDER BY s.product_id, s.version, c.purl"
            ),
            args,
        )
        .during("reading SBOM components")?;
    rows.iter()
        .map(|r| {
            let p: String = col(r, 0)?;
            let v: String = col(r, 1)?;
            Ok(VersionComponent {
                product_id: parse_stored("product id", &p, ProductId::parse)?,
                version: parse_stored("version", &v, Version::parse)?,
                component: SbomComponent { purl: col(r, 2)?, name: col(r, 3)?, version: col(r, 4)?, cpe: col(r, 5)? },
            })
        })
        .collect()
}

pub(crate) fn current_components(client: &mut Client) -> Result<Vec<VersionComponent>> {
    components_where(client, "", &[])
}

pub(crate) fn current_components_for(client: &mut Client, keys: &ComponentKeys) -> Result<Vec<VersionComponent>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let packages: Vec<&str> = keys.packages.iter().map(String::as_str).collect();
    let cpes: Vec<&str> = keys.cpes.iter().map(String::as_str).collect();
    // One bitmap scan of both indexes (`sbom_components_by_package`, `_by_cpe`), OR-ed.
    let filter = if keys.whole_versions {
        "AND c.sbom_id IN (SELECT sbom_id FROM sbom_components WHERE package_key = ANY($1) OR cpe_key = ANY($2))"
    } else {
        "AND (c.package_key = ANY($1) OR c.cpe_key = ANY($2))"
    };
    components_where(client, filter, &[&packages, &cpes])
}

/// Migration 0012: the keys of the components stored before it, computed here because they follow
/// the purl and CPE parsing rules of `msadesk_core`, which SQL does not know. Written back in
/// batches of arrays, one statement per batch.
pub(crate) fn fill_component_keys(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let rows =
        tx.query("SELECT sbom_id, purl, cpe FROM sbom_components", &[]).during("reading the SBOM components to key")?;
    for chunk in rows.chunks(10_000) {
        let (mut ids, mut purls, mut packages, mut cpes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for r in chunk {
            let purl: String = col(r, 1)?;
            let cpe: Option<String> = col(r, 2)?;
            ids.push(col::<i64>(r, 0)?);
            packages.push(package_key(&purl));
            cpes.push(cpe.as_deref().and_then(cpe_key));
            purls.push(purl);
        }
        tx.execute(
            "UPDATE sbom_components c SET package_key = k.package_key, cpe_key = k.cpe_key
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS k(sbom_id, purl, package_key, cpe_key)
             WHERE c.sbom_id = k.sbom_id AND c.purl = k.purl",
            &[&ids, &purls, &packages, &cpes],
        )
        .during("keying the SBOM components")?;
    }
    Ok(())
}

pub(crate) fn import_vulns(client: &mut Client, vulns: &[StoredVuln], meta: &ChangeMeta) -> Result<ImportStats> {
    let mut tx = client.transaction().during("starting the vulnerability import")?;
    let tail = audit::lock(&mut tx)?;
    let mut stats = ImportStats::default();
    for v in vulns {
        stats.rows += 1;
        let aliases = json_text(&v.aliases);
        let feed_date = v.feed_date.to_string();
        let cvss = json_text(&v.cvss);
        let data = v.match_data.to_string();
        let old = tx
            .query_opt(
                "SELECT aliases, format, feed, feed_date, file, summary, cvss, match_data FROM vulnerabilities WHERE id = $1 AND feed = $2",
                &[&v.id, &v.feed],
            )
            .during("reading a vulnerability")?;
        match old {
            Some(o) => {
                let same = col::<String>(&o, 0)? == aliases
                    && col::<String>(&o, 1)? == v.format
                    && col::<String>(&o, 2)? == v.feed
                    && col::<String>(&o, 3)? == feed_date
                    && col::<String>(&o, 4)? == v.file
                    && col::<Option<String>>(&o, 5)? == v.summary
                    && col::<String>(&o, 6)? == cvss
                    && col::<String>(&o, 7)? == data;
                if same {
                    stats.already_present += 1;
                    continue;
                }
                stats.updated += 1;
            }
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO vulnerabilities (id, aliases, format, feed, feed_date, file, summary, cvss, match_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id, feed) DO UPDATE SET aliases = excluded.aliases, format = excluded.format,
               feed_date = excluded.feed_date, file = excluded.file, summary = excluded.summary, cvss = excluded.cvss,
               match_data = excluded.match_data",
            &[&v.id, &aliases, &v.format, &v.feed, &feed_date, &v.file, &v.summary, &cvss, &data],
        )
        .during("storing a vulnerability")?;
    }
    stats.committed = true;
    let detail = import_detail(&stats, None);
    audit::append(&mut tx, &next_audit_entry(tail, meta, "vulnerabilities", "import", &detail))?;
    tx.commit().during("committing the vulnerability import")?;
    Ok(stats)
}

pub(crate) fn vulns(client: &mut Client) -> Result<Vec<StoredVuln>> {
    let rows = client
        .query(
            "SELECT id, aliases, format, feed, feed_date, file, summary, cvss, match_data FROM vulnerabilities ORDER BY id, feed",
            &[],
        )
        .during("reading vulnerabilities")?;
    rows.iter()
        .map(|r| {
            let aliases: String = col(r, 1)?;
            let feed_date: String = col(r, 4)?;
            let cvss: String = col(r, 7)?;
            let data: String = col(r, 8)?;
            Ok(StoredVuln {
                id: col(r, 0)?,
                aliases: json_list("aliases", &aliases)?,
                format: col(r, 2)?,
                feed: col(r, 3)?,
                feed_date: parse_stored("feed date", &feed_date, Date::parse)?,
                file: col(r, 5)?,
                summary: col(r, 6)?,
                cvss: json_list("cvss", &cvss)?,
                match_data: json("match data", &data)?,
            })
        })
        .collect()
}

pub(crate) fn import_known_exploited(
    client: &mut Client,
    entries: &[KnownExploited],
    meta: &ChangeMeta,
) -> Result<ImportStats> {
    let mut tx = client.transaction().during("starting the known-exploited import")?;
    let tail = audit::lock(&mut tx)?;
    let mut stats = ImportStats::default();
    for e in entries {
        stats.rows += 1;
        let added = e.date_added.to_string();
        let due = e.due_date.map(|d| d.to_string());
        let old = tx
            .query_opt(
                "SELECT date_added, due_date, ransomware FROM known_exploited WHERE id = $1 AND source = $2",
                &[&e.id, &e.source],
            )
            .during("reading a known-exploited listing")?;
        match old {
            Some(o) => {
                if col::<String>(&o, 0)? == added
                    && col::<Option<String>>(&o, 1)? == due
                    && col::<Option<bool>>(&o, 2)? == e.ransomware
                {
                    stats.already_present += 1;
                    continue;
                }
                stats.updated += 1;
            }
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO known_exploited (id, source, date_added, due_date, ransomware) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id, source) DO UPDATE SET date_added = excluded.date_added, due_date = excluded.due_date,
               ransomware = excluded.ransomware",
            &[&e.id, &e.source, &added, &due, &e.ransomware],
        )
        .during("storing a known-exploited listing")?;
    }
    stats.committed = true;
    let detail = import_detail(&stats, None);
    audit::append(&mut tx, &next_audit_entry(tail, meta, "known_exploited", "import", &detail))?;
    tx.commit().during("committing the known-exploited import")?;
    Ok(stats)
}

pub(crate) fn known_exploited(client: &mut Client) -> Result<Vec<KnownExploited>> {
    let rows = client
        .query("SELECT id, source, date_added, due_date, ransomware FROM known_exploited ORDER BY id, source", &[])
        .during("reading known-exploited listings")?;
    rows.iter()
        .map(|r| {
            let added: String = col(r, 2)?;
            let due: Option<String> = col(r, 3)?;
            Ok(KnownExploited {
                id: col(r, 0)?,
                source: col(r, 1)?,
                date_added: parse_stored("date added", &added, Date::parse)?,
                due_date: due.map(|d| parse_stored("due date", &d, Date::parse)).transpose()?,
                ransomware: col(r, 4)?,
            })
        })
        .collect()
}

pub(crate) fn import_deployments(client: &mut Client, rows: &[Deployment], meta: &ChangeMeta) -> Result<ImportStats> {
    let mut tx = client.transaction().during("starting the deployments import")?;
    let tail = audit::lock(&mut tx)?;
    let mut stats = ImportStats::default();
    for d in rows {
        stats.rows += 1;
        let sector = d.critical_sector.as_deref().unwrap_or("");
        let instances = i64::try_from(d.instances).unwrap_or(i64::MAX);
        let old = tx
            .query_opt(
                "SELECT instances FROM deployments
                 WHERE product_id = $1 AND version = $2 AND member_state = $3 AND critical_sector = $4",
                &[&d.product_id.as_str(), &d.version.as_str(), &d.member_state.as_str(), &sector],
            )
            .during("reading a deployment")?;
        match old {
            Some(o) if col::<i64>(&o, 0)? == instances => {
                stats.already_present += 1;
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.new += 1,
        }
        tx.execute(
            "INSERT INTO deployments (product_id, version, member_state, critical_sector, instances)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (product_id, version, member_state, critical_sector) DO UPDATE SET instances = excluded.instances",
            &[&d.product_id.as_str(), &d.version.as_str(), &d.member_state.as_str(), &sector, &instances],
        )
        .during("storing a deployment")?;
    }
    stats.committed = true;
    let detail = import_detail(&stats, None);
    audit::append(&mut tx, &next_audit_entry(tail, meta, "deployments", "import", &detail))?;
    tx.commit().during("committing the deployments import")?;
    Ok(stats)
}

pub(crate) fn deployments(client: &mut Client) -> Result<Vec<Deployment>> {
    let rows = client
        .query(
            "SELECT product_id, version, member_state, critical_sector, instances FROM deployments
             ORDER BY product_id, version, member_state, critical_sector",
            &[],
        )
        .during("reading deployments")?;
    rows.iter()
        .map(|r| {
            let p: String = col(r, 0)?;
            let v: String = col(r, 1)?;
            let ms: String = col(r, 2)?;
            let sector: String = col(r, 3)?;
            let n: i64 = col(r, 4)?;
            Ok(Deployment {
                product_id: parse_stored("product id", &p, ProductId::parse)?,
                version: parse_stored("version", &v, Version::parse)?,
                member_state: parse_stored("member state", &ms, MemberState::parse)?,
                instances: u64::try_from(n).map_err(|e| StoreError::Corrupt(format!("instances '{n}': {e}")))?,
                critical_sector: (!sector.is_empty()).then_some(sector),
            })
        })
        .collect()
}

pub(crate) fn record_decision(client: &mut Client, r: &RiskDecisionRecord, meta: &ChangeMeta) -> Result<i64> {
    let mut tx = client.transaction().during("starting to record a decision")?;
    let tail = audit::lock(&mut tx)?;
    let row = tx
        .query_one(
            "INSERT INTO risk_decisions (product_id, version, vulnerability, significant, policy_version, decided_at,
               decided_by, assessment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &r.product_id.as_str(),
                &r.version.as_str(),
                &r.vulnerability,
                &r.significant,
                &r.policy_version,
                &meta.at,
                &meta.actor,
                &r.assessment.to_string(),
            ],
        )
        .during("recording a decision")?;
    let id: i64 = col(&row, 0)?;
    audit::append(&mut tx, &next_audit_entry(tail, meta, "risk_decision", "record", &decision_detail(r, id)))?;
    tx.commit().during("committing the decision")?;
    Ok(id)
}

pub(crate) fn decisions(client: &mut Client) -> Result<Vec<RiskDecisionRecord>> {
    let rows = client
        .query(
            "SELECT id, product_id, version, vulnerability, significant, policy_version, decided_at, decided_by,
                    assessment FROM risk_decisions ORDER BY id",
            &[],
        )
        .during("reading decisions")?;
    rows.iter()
        .map(|r| {
            let p: String = col(r, 1)?;
            let v: String = col(r, 2)?;
            let a: String = col(r, 8)?;
            Ok(RiskDecisionRecord {
                id: col(r, 0)?,
                product_id: parse_stored("product id", &p, ProductId::parse)?,
                version: parse_stored("version", &v, Version::parse)?,
                vulnerability: col(r, 3)?,
                significant: col(r, 4)?,
                policy_version: col(r, 5)?,
                decided_at: col(r, 6)?,
                decided_by: col(r, 7)?,
                assessment: json("assessment", &a)?,
            })
        })
        .collect()
}

/// `ImpactStore::decision_outlines`: the assessment text read whole and cut to the outline keys
/// while it is parsed (`msadesk_store::impact::outline_of`); extracting them in SQL (a `jsonb`
/// cast per row) measured several times slower than reading the text.
pub(crate) fn decision_outlines(client: &mut Client) -> Result<Vec<RiskDecisionRecord>> {
    let rows = client
        .query(
            "SELECT id, product_id, version, vulnerability, significant, policy_version, decided_at, decided_by,
                    assessment FROM risk_decisions ORDER BY id",
            &[],
        )
        .during("reading decisions")?;
    rows.iter()
        .map(|r| {
            let p: String = col(r, 1)?;
            let v: String = col(r, 2)?;
            let a: &str = col(r, 8)?;
            Ok(RiskDecisionRecord {
                id: col(r, 0)?,
                product_id: parse_stored("product id", &p, ProductId::parse)?,
                version: parse_stored("version", &v, Version::parse)?,
                vulnerability: col(r, 3)?,
                significant: col(r, 4)?,
                policy_version: col(r, 5)?,
                decided_at: col(r, 6)?,
                decided_by: col(r, 7)?,
                assessment: msadesk_store::impact::outline_of(a)?,
            })
        })
        .collect()
}
