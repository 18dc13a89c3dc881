//! The significant-risk assessment over the store: matches the stored SBOM components against
//! the stored vulnerability data, applies the policy (`msadesk_core::vuln::Policy`) and the latest
//! officer decision, works out the obligations and the English drafts, and (with a `ChangeMeta`)
//! records new and changed results. Shared by the CLI (`msadesk assess`, the re-assessment after an
//! import) and the server (re-assessment right after an officer's decision). No HTTP here.

use std::collections::{BTreeMap, BTreeSet};

use msadesk_core::vuln::keys::Candidates;
use msadesk_core::vuln::matching::{ComponentRef, MatchData, MatchOutcome};
use msadesk_core::vuln::obligations::{Obligation, Situation, obligations};
use msadesk_core::vuln::policy::Override;
use msadesk_core::vuln::{Cvss, Facts, Policy};
use msadesk_core::{Date, OurRole, ProductId, Version};
use msadesk_store::{ChangeMeta, Deployment, KnownExploited, RiskDecisionRecord, Store, StoreError, StoredVuln};
use serde::Serialize;

/// The key of an officer's decision in a recorded assessment (as `msadesk decide` and the
/// assessment page write it).
/// (One of the keys the store's decision outlines keep, with `fired` and `affected`, the other
/// two this module reads back from recorded assessments.)
pub const OVERRIDE_KEY: &str = msadesk_store::impact::OUTLINE_KEYS[0];

/// One (product version, vulnerability) assessment, as `assess --format json` shows it.
#[derive(Serialize)]
pub struct Assessment {
    pub product_id: ProductId,
    pub version: Version,
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// What CSAF advisories say about exploitation (`threats` of category `exploit_status`),
    /// verbatim: for the officer, who can mark it exploited with `msadesk decide`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exploit_status: Vec<String>,
    /// `true` when a component is affected; `null` when the data names a component whose version
    /// could not be compared (an officer must look).
    pub affected: Option<bool>,
    /// Why the version is affected: each matching SBOM component and the rule that matched.
    pub matched: Vec<MatchedComponent>,
    pub cvss: Option<CvssOut>,
    pub indicators: BTreeMap<&'static str, Option<bool>>,
    pub fired: Vec<&'static str>,
    pub rules: Vec<msadesk_core::vuln::RuleOutcome>,
    pub significant: bool,
    pub policy_version: String,
    pub role: Option<OurRole>,
    pub member_states: Vec<MemberStateOut>,
    pub deployed_instances: Option<u64>,
    pub obligations: Vec<Obligation>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<msadesk_core::vuln::notice::Draft>,
    /// The recorded decision this assessment is (or was) stored as.
    pub decision_id: Option<i64>,
    pub first_assessed_at: Option<String>,
    pub first_significant_at: Option<String>,
    #[serde(skip)]
    pub change: Change,
}

#[derive(Serialize, Clone)]
pub struct MatchedComponent {
    pub purl: String,
    pub outcome: MatchOutcome,
}

#[derive(Serialize)]
pub struct CvssOut {
    pub version: &'static str,
    pub vector: String,
    pub base_score: f64,
}

#[derive(Serialize, Default)]
pub struct MemberStateOut {
    pub member_state: String,
    /// Quantity we supplied there (registry, supplied events).
    pub supplied: u64,
    /// Deployed instances there (install base).
    pub instances: u64,
}

#[derive(Serialize)]
pub struct Evidence {
    pub source: String,
    pub kind: &'static str,
    pub taken_at: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// How [`build_with`] reads the SBOM components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentLoad {
    /// Only the components the vulnerabilities in scope can match (`msadesk_core::vuln::keys`,
    /// through the store's component index), or every one when their data names something no key
    /// describes. What [`build`] does.
    Keyed,
    /// Every current component: the reference the keyed load is tested and benchmarked against.
    All,
}

/// The assessment of the vulnerabilities in scope (all, or those with an id in `vuln`) for the
/// product versions in scope; records new and changed results with a `record` meta.
pub fn build(
    store: &mut dyn Store,
    policy: &Policy,
    product: Option<&ProductId>,
    version: Option<&Version>,
    vuln: Option<&[String]>,
    record: Option<&ChangeMeta>,
) -> Result<Vec<Assessment>, StoreError> {
    build_with(store, policy, product, version, vuln, record, ComponentLoad::Keyed)
}

/// [`build`], reading the components as `load` says (the answer is the same either way).
pub fn build_with(
    store: &mut dyn Store,
    policy: &Policy,
    product: Option<&ProductId>,
    version: Option<&Version>,
    vuln: Option<&[String]>,
    record: Option<&ChangeMeta>,
    load: ComponentLoad,
) -> Result<Vec<Assessment>, StoreError> {
    let vulns = store.vulns()?;
    let (scoped_ids, scoped) = in_scope(&vulns, vuln)?;
    // Only the components some vulnerability in scope can match: a component without one of their
    // keys is "not affected" by all of them, whatever its version (`msadesk_core::vuln::keys`).
    let components = match load {
        ComponentLoad::All => store.current_components()?,
        ComponentLoad::Keyed => match Candidates::union(scoped.iter().flat_map(|g| &g.datas)) {
            Candidates::Keys(keys) => store.current_components_for(&keys)?,
            Candidates::All(_) => store.current_components()?,
        },
    };
    let kev = store.known_exploited()?;
    let deployments = store.deployments()?;
    let identity = store.identity()?;
    let default_role = identity.as_ref().map(|i| i.default_role);
    let sender = identity.map_or_else(|| "[our company: run msadesk init]".to_string(), |i| i.name);
    let products = store.products()?;
    let product_names: BTreeMap<ProductId, String> = products.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    let roles: BTreeMap<ProductId, Option<OurRole>> =
        products.into_iter().map(|p| (p.id, p.our_role.or(default_role))).collect();
    // The recorded decisions with the parts of their assessments compared below (override, fired,
    // affected), not each whole assessment JSON.
    let decisions = store.decision_outlines()?;
    // The decisions of each product version, oldest first, so that each affected version looks
    // at its own instead of every recorded decision.
    let mut by_version: BTreeMap<(&ProductId, &Version), Vec<&RiskDecisionRecord>> = BTreeMap::new();
    for r in &decisions {
        by_version.entry((&r.product_id, &r.version)).or_default().push(r);
    }
    let mut deployed: BTreeMap<(&ProductId, &Version), Vec<&Deployment>> = BTreeMap::new();
    for d in &deployments {
        deployed.entry((&d.product_id, &d.version)).or_default().push(d);
    }
    // The CPEs of each version's SBOM, for NVD "running on / with" configurations.
    let mut cpes: BTreeMap<(&ProductId, &Version), Vec<&str>> = BTreeMap::new();
    for c in &components {
        if let Some(cpe) = c.component.cpe.as_deref() {
            cpes.entry((&c.product_id, &c.version)).or_default().push(cpe);
        }
    }
    let mut out = Vec::new();
    let mut downstream: BTreeMap<(ProductId, Version), BTreeMap<String, u64>> = BTreeMap::new();
    for Group { ids, members, datas } in scoped {
        let Some(first) = members.first() else { continue };
        // The CVE id names the vulnerability when there is one; otherwise the first record's id.
        let primary = ids.iter().find(|i| i.starts_with("CVE-")).cloned().unwrap_or_else(|| first.id.clone());
        let merge = |f: &dyn Fn(&MatchData) -> Option<bool>| {
            if datas.iter().any(|d| f(d) == Some(true)) {
                Some(true)
            } else if datas.iter().any(|d| f(d) == Some(false)) {
                Some(false)
            } else {
                None
            }
        };
        let fix_available = merge(&|d| d.fix_available);
        let exploit_status: Vec<String> = datas.iter().flat_map(|d| d.exploit_status.iter().cloned()).collect();
        let feed_exploited = merge(&|d| d.exploited);
        // Matched components per product version: the first record that says "affected" wins.
        let mut hits: BTreeMap<(ProductId, Version), Vec<MatchedComponent>> = BTreeMap::new();
        for c in &components {
            if product.is_some_and(|p| *p != c.product_id) || version.is_some_and(|x| *x != c.version) {
                continue;
            }
            let component = ComponentRef { purl: &c.component.purl, cpe: c.component.cpe.as_deref() };
            // A CSAF document (a supplier's VEX) that says this exact version is not affected or
            // fixed wins over ranges that say it is.
            if datas.iter().any(|d| d.declared_not_affected(&component).is_some()) {
                continue;
            }
            let siblings = cpes.get(&(&c.product_id, &c.version)).map_or(&[][..], Vec::as_slice);
            let mut outcome = MatchOutcome::NotAffected;
            for d in &datas {
                match d.matches_in(&component, siblings) {
                    MatchOutcome::NotAffected => {}
                    o @ MatchOutcome::Affected(_) => {
                        outcome = o;
                        break;
                    }
                    o @ MatchOutcome::Unknown(_) => outcome = o,
                }
            }
            if outcome != MatchOutcome::NotAffected {
                hits.entry((c.product_id.clone(), c.version.clone()))
                    .or_default()
                    .push(MatchedComponent { purl: c.component.purl.clone(), outcome });
            }
        }
        let listings: Vec<&KnownExploited> = kev.iter().filter(|k| ids.contains(&k.id)).collect();
        let actively_exploited = if !listings.is_empty() || feed_exploited == Some(true) {
            Some(true)
        } else if !kev.is_empty() {
            Some(false)
        } else {
            feed_exploited
        };
        let vectors: BTreeSet<&str> = members.iter().flat_map(|v| v.cvss.iter().map(String::as_str)).collect();
        let cvss: Vec<Cvss> = vectors.into_iter().filter_map(|s| Cvss::parse(s).ok()).collect();
        let summary = members.iter().find_map(|v| v.summary.clone());
        // Where the affected versions went, from the registry's supplied-by-country summary: one
        // store trip for all of them, one row per version and country (not per event).
        let wanted: Vec<(ProductId, Version)> = hits.keys().filter(|k| !downstream.contains_key(*k)).cloned().collect();
        if !wanted.is_empty() {
            for k in &wanted {
                downstream.insert(k.clone(), BTreeMap::new());
            }
            for r in store.supplied_by_country(&wanted)?.into_iter().filter(|r| r.country.is_member_state()) {
                if let Some(per) = downstream.get_mut(&(r.product_id, r.version)) {
                    *per.entry(r.country.as_str().to_string()).or_default() += r.quantity;
                }
            }
        }
        for ((pid, ver), matched) in hits {
            let affected = matched.iter().any(|m| matches!(m.outcome, MatchOutcome::Affected(_)));
            let here: &[&Deployment] = deployed.get(&(&pid, &ver)).map_or(&[], Vec::as_slice);
            let facts = Facts {
                actively_exploited,
                cvss: cvss.clone(),
                deployed_instances: (!here.is_empty()).then(|| here.iter().map(|d| d.instances).sum()),
                critical_sector_deployments: (!here.is_empty())
                    .then(|| here.iter().filter(|d| d.critical_sector.is_some()).count() as u64),
                fix_available,
                exfiltration_marked: None,
                officer_override: None,
            };
            // The latest officer decision for the pair, if any, wins over the rules.
            let pair: Vec<&RiskDecisionRecord> = by_version
                .get(&(&pid, &ver))
                .into_iter()
                .flatten()
                .copied()
                .filter(|r| ids.contains(&r.vulnerability))
                .collect();
            let officer = pair.iter().rev().find_map(|r| r.assessment.get(OVERRIDE_KEY)).and_then(|o| {
                Some(Override {
                    significant: o.get("significant")?.as_bool()?,
                    reason: o.get("reason")?.as_str()?.to_string(),
                })
            });
            let facts = Facts { officer_override: officer, ..facts };
            let decision = policy.decide(&facts);
            // Where the version went: the registry's supplied events (above), plus the install base.
            let key = (pid.clone(), ver.clone());
            let mut ms: BTreeMap<String, MemberStateOut> = BTreeMap::new();
            for (c, q) in downstream.get(&key).into_iter().flatten() {
                ms.entry(c.clone())
                    .or_insert_with(|| MemberStateOut { member_state: c.clone(), ..Default::default() })
                    .supplied += q;
            }
            for d in here {
                let c = d.member_state.as_str().to_string();
                ms.entry(c.clone())
                    .or_insert_with(|| MemberStateOut { member_state: c, ..Default::default() })
                    .instances += d.instances;
            }
            let fired: Vec<&'static str> = decision.fired.iter().map(|i| i.name()).collect();
            let last = pair.iter().rev().find(|r| r.assessment.get(OVERRIDE_KEY).is_none()).copied();
            let changed = last.is_none_or(|l| {
                l.significant != decision.significant
                    || l.policy_version != decision.policy_version
                    || l.assessment.get("fired") != Some(&serde_json::json!(fired))
                    || l.assessment.get("affected") == Some(&serde_json::json!(false))
                    // An officer decided since: record the assessment that applies the decision.
                    || pair.iter().any(|r| r.id > l.id && r.assessment.get(OVERRIDE_KEY).is_some())
            });
            let change = match last {
                None => Change::New,
                Some(l) if l.assessment.get("affected") == Some(&serde_json::json!(false)) => Change::New,
                Some(_) if changed => Change::Changed,
                Some(_) => Change::Unchanged,
            };
            let role = roles.get(&pid).copied().flatten();
            let mut assessment = Assessment {
                product_id: pid.clone(),
                version: ver.clone(),
                vulnerability: primary.clone(),
                aliases: ids.iter().cloned().collect(),
                summary: summary.clone(),
                exploit_status: exploit_status.clone(),
                affected: if affected { Some(true) } else { None },
                matched,
                cvss: decision.highest_cvss.as_ref().map(|c| CvssOut {
                    version: c.version().as_str(),
                    vector: c.vector().to_string(),
                    base_score: c.base_score(),
                }),
                indicators: decision.indicators.iter().map(|(i, b)| (i.name(), *b)).collect(),
                fired,
                rules: decision.rules.clone(),
                significant: decision.significant,
                policy_version: decision.policy_version.clone(),
                role,
                member_states: ms.into_values().collect(),
                deployed_instances: facts.deployed_instances,
                obligations: Vec::new(),
                drafts: Vec::new(),
                evidence: members
                    .iter()
                    .map(|v| Evidence {
                        source: v.feed.clone(),
                        kind: "vulnerability feed",
                        taken_at: v.feed_date,
                        file: Some(v.file.clone()),
                    })
                    .chain(listings.iter().map(|k| Evidence {
                        source: k.source.clone(),
                        kind: "known-exploited listing (date added)",
                        taken_at: k.date_added,
                        file: None,
                    }))
                    .collect(),
                decision_id: last.map(|l| l.id),
                first_assessed_at: pair.first().map(|r| r.decided_at.clone()),
                first_significant_at: pair.iter().find(|r| r.significant).map(|r| r.decided_at.clone()),
                change,
            };
            let now = record.map(|m| m.at.clone());
            if changed && now.is_some() {
                if assessment.first_assessed_at.is_none() {
                    assessment.first_assessed_at = now.clone();
                }
                if assessment.significant && assessment.first_significant_at.is_none() {
                    assessment.first_significant_at = now.clone();
                }
            }
            let made_available_in: Vec<String> =
                assessment.member_states.iter().filter(|m| m.supplied > 0).map(|m| m.member_state.clone()).collect();
            if let Some(role) = role {
                assessment.obligations = obligations(&Situation {
                    role,
                    affected,
                    significant: assessment.significant,
                    actively_exploited: actively_exploited == Some(true),
                    made_available_in: &made_available_in,
                    first_seen: assessment.first_assessed_at.as_deref(),
                    first_significant: assessment.first_significant_at.as_deref(),
                    first_exploited: None,
                    fix_available_at: None,
                    hours_immediately: policy.hours_immediately,
                });
            }
            if changed && let Some(m) = record {
                // The recorded assessment carries its English drafts, so that what was drafted at
                // the time can be reviewed later (the server's assessment page shows them).
                let mut value = serde_json::to_value(&assessment).unwrap_or_default();
                if let Some(obj) = value.as_object_mut() {
                    obj.insert(
                        "drafts".into(),
                        serde_json::to_value(drafts_for(&sender, &product_names, &assessment)).unwrap_or_default(),
                    );
                }
                let rec = RiskDecisionRecord {
                    id: 0,
                    product_id: pid.clone(),
                    version: ver.clone(),
                    vulnerability: primary.clone(),
                    significant: assessment.significant,
                    policy_version: assessment.policy_version.clone(),
                    decided_at: m.at.clone(),
                    decided_by: m.actor.clone(),
                    assessment: value,
                };
                assessment.decision_id = Some(store.record_decision(&rec, m)?);
            }
            out.push(assessment);
        }
    }
    if let Some(m) = record {
        record_no_longer_affected(store, &decisions, &out, product, version, vuln.map(|_| &scoped_ids), m)?;
    }
    Ok(out)
}

/// The records of one vulnerability (shared aliases, from different feeds), assessed as one.
struct Group<'a> {
    ids: BTreeSet<String>,
    members: Vec<&'a StoredVuln>,
    datas: Vec<MatchData>,
}

/// The vulnerabilities in scope (all, or those with an id in `vuln`) as groups with their matching
/// data, and every id of them.
fn in_scope<'a>(
    vulns: &'a [StoredVuln],
    vuln: Option<&[String]>,
) -> Result<(BTreeSet<String>, Vec<Group<'a>>), StoreError> {
    let groups = msadesk_core::vuln::ids::unify(
        vulns.iter().map(|v| v.aliases.iter().cloned().chain([v.id.clone()]).collect::<BTreeSet<String>>()),
    );
    let mut scoped_ids: BTreeSet<String> = BTreeSet::new();
    let mut scoped = Vec::new();
    for ids in groups {
        if let Some(want) = vuln
            && !ids.iter().any(|i| want.iter().any(|w| i.eq_ignore_ascii_case(w)))
        {
            continue;
        }
        scoped_ids.extend(ids.iter().cloned());
        let members: Vec<&StoredVuln> = vulns.iter().filter(|v| ids.contains(&v.id)).collect();
        let mut datas = Vec::new();
        for v in &members {
            let d: MatchData = serde_json::from_value(v.match_data.clone()).map_err(|e| {
                StoreError::Corrupt(format!(
                    "the stored matching data of {} ({}) cannot be read ({e}): import the feed again",
                    v.id, v.feed
                ))
            })?;
            datas.push(d);
        }
        scoped.push(Group { ids, members, datas });
    }
    Ok((scoped_ids, scoped))
}

/// The components [`build`] reads for the vulnerabilities in scope: the keys it asks the store
/// for, or why it reads every component (for `msadesk bench impact` and tests).
pub fn candidates(store: &mut dyn Store, vuln: Option<&[String]>) -> Result<Candidates, StoreError> {
    let vulns = store.vulns()?;
    let (_, scoped) = in_scope(&vulns, vuln)?;
    Ok(Candidates::union(scoped.iter().flat_map(|g| &g.datas)))
}

/// Records, for every (product version, vulnerability) in scope whose last automatic assessment
/// said "affected" but which no longer matches (a new SBOM, corrected vulnerability data), an
/// automatic entry saying so. Nothing is deleted: the earlier entries and officer decisions stay.
fn record_no_longer_affected(
    store: &mut dyn Store,
    decisions: &[RiskDecisionRecord],
    out: &[Assessment],
    product: Option<&ProductId>,
    version: Option<&Version>,
    scoped_ids: Option<&BTreeSet<String>>,
    m: &ChangeMeta,
) -> Result<(), StoreError> {
    let mut last: BTreeMap<(&ProductId, &Version, &str), &RiskDecisionRecord> = BTreeMap::new();
    for r in decisions.iter().filter(|r| r.assessment.get(OVERRIDE_KEY).is_none()) {
        last.insert((&r.product_id, &r.version, r.vulnerability.as_str()), r);
    }
    for ((pid, ver, vuln), r) in last {
        if product.is_some_and(|p| p != pid)
            || version.is_some_and(|v| v != ver)
            || scoped_ids.is_some_and(|s| !s.contains(vuln))
            || r.assessment.get("affected") == Some(&serde_json::json!(false))
            || out.iter().any(|a| &a.product_id == pid && &a.version == ver && a.aliases.iter().any(|i| i == vuln))
        {
            continue;
        }
        let rec = RiskDecisionRecord {
            id: 0,
            product_id: pid.clone(),
            version: ver.clone(),
            vulnerability: vuln.to_string(),
            significant: false,
            policy_version: r.policy_version.clone(),
            decided_at: m.at.clone(),
            decided_by: m.actor.clone(),
            assessment: serde_json::json!({
                "product_id": pid.as_str(),
                "version": ver.as_str(),
                "vulnerability": vuln,
                "affected": false,
                "significant": false,
                "reason": "no component of the version's current SBOM matches the vulnerability data any more",
                "previous_decision_id": r.id,
            }),
        };
        store.record_decision(&rec, m)?;
    }
    Ok(())
}

/// How an assessment compares with the last one recorded for the same pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Change {
    /// Never assessed as affected before (or affected again after a "no longer affected").
    New,
    /// Significance, policy or fired indicators differ from the last recorded assessment.
    Changed,
    #[default]
    Unchanged,
}

/// The English notice drafts of one assessment's obligations. (The authority-language drafts of
/// `msadesk_formats::letters` are added next to these when that module is merged.)
pub fn drafts_for(
    sender: &str,
    names: &BTreeMap<ProductId, String>,
    a: &Assessment,
) -> Vec<msadesk_core::vuln::notice::Draft> {
    use msadesk_core::vuln::notice::{NoticeFacts, draft};
    let states: Vec<(String, u64, u64)> =
        a.member_states.iter().map(|m| (m.member_state.clone(), m.supplied, m.instances)).collect();
    let facts = NoticeFacts {
        sender,
        product_id: a.product_id.as_str(),
        product_name: names.get(&a.product_id).map(String::as_str),
        version: a.version.as_str(),
        vulnerability: &a.vulnerability,
        aliases: &a.aliases,
        summary: a.summary.as_deref(),
        cvss: a.cvss.as_ref().map(|c| (c.version, c.vector.as_str(), c.base_score)),
        fired: &a.fired,
        significant: a.significant,
        member_states: &states,
        policy_version: &a.policy_version,
    };
    a.obligations.iter().map(|o| draft(o, &facts)).collect()
}
