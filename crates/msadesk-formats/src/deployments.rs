//! The install base CSV: `product_id,version,member_state,instances,critical_sector`.
//!
//! `critical_sector` is empty or the name of a NIS2 Annex I/II sector (lower case, as listed in
//! [`NIS2_SECTORS`]). The whole file is read and checked; the caller imports it only when there are
//! no diagnostics.

use std::io::Read;

use msadesk_core::{MemberState, ProductId, Version};
use msadesk_store::Deployment;

use crate::Diagnostic;

/// NIS2 (Directive (EU) 2022/2555) Annex I and II sectors, as accepted in `critical_sector`.
pub const NIS2_SECTORS: &[&str] = &[
    // Annex I: sectors of high criticality.
    "energy",
    "transport",
    "banking",
    "financial market infrastructures",
    "health",
    "drinking water",
    "waste water",
    "digital infrastructure",
    "ict service management",
    "public administration",
    "space",
    // Annex II: other critical sectors.
    "postal and courier services",
    "waste management",
    "chemicals",
    "food",
    "manufacturing",
    "digital providers",
    "research",
];

const COLUMNS: [&str; 5] = ["product_id", "version", "member_state", "instances", "critical_sector"];

/// Reads the whole file: the valid rows and a diagnostic for each invalid cell.
pub fn read(input: impl Read, file: &str) -> (Vec<Deployment>, Vec<Diagnostic>) {
    let mut rows = Vec::new();
    let mut diags = Vec::new();
    let diag = |line: Option<u64>, field: Option<&str>, message: String| Diagnostic {
        file: file.to_string(),
        line,
        pointer: None,
        field: field.map(Into::into),
        message,
        skipped: false,
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return (rows, vec![diag(Some(1), None, format!("cannot read the header: {e}"))]),
    };
    let mut index = [0usize; 5];
    for (i, c) in COLUMNS.iter().enumerate() {
        match headers.iter().position(|h| h.trim() == *c) {
            Some(p) => index[i] = p,
            None => diags.push(diag(
                Some(1),
                Some(c),
                format!("missing column: the header must name {}", COLUMNS.join(",")),
            )),
        }
    }
    if !diags.is_empty() {
        return (rows, diags);
    }
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                diags.push(diag(Some(line), None, format!("cannot read the row: {e}")));
                continue;
            }
        };
        let cell = |i: usize| record.get(index[i]).unwrap_or("").trim();
        let before = diags.len();
        let product_id =
            ProductId::parse(cell(0)).map_err(|e| diags.push(diag(Some(line), Some(COLUMNS[0]), e.to_string())));
        let version =
            Version::parse(cell(1)).map_err(|e| diags.push(diag(Some(line), Some(COLUMNS[1]), e.to_string())));
        let member_state =
            MemberState::parse(cell(2)).map_err(|e| diags.push(diag(Some(line), Some(COLUMNS[2]), e.to_string())));
        let instances = cell(3).parse::<u64>().map_err(|_| {
            diags.push(diag(
                Some(line),
                Some(COLUMNS[3]),
                format!("'{}' is not a whole number of instances (expected e.g. 1200)", cell(3)),
            ))
        });
        let sector = cell(4).to_lowercase();
        if !sector.is_empty() && !NIS2_SECTORS.contains(&sector.as_str()) {
            diags.push(diag(
                Some(line),
                Some(COLUMNS[4]),
                format!(
                    "'{}' is not a NIS2 Annex I/II sector: leave it empty or use one of: {}",
                    cell(4),
                    NIS2_SECTORS.join(", ")
                ),
            ));
        }
        if let (Ok(product_id), Ok(version), Ok(member_state), Ok(instances), true) =
            (product_id, version, member_state, instances, diags.len() == before)
        {
            rows.push(Deployment {
                product_id,
                version,
                member_state,
                instances,
                critical_sector: (!sector.is_empty()).then_some(sector),
            });
        }
    }
    (rows, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_valid_rows_and_names_invalid_cells() {
        let csv = "product_id,version,member_state,instances,critical_sector\n\
                   CAM,1.0,DE,12000,\n\
                   CAM,1.0,FR,40,Energy\n\
                   CAM,1.0,US,5,\n\
                   CAM,1.0,AT,many,\n\
                   CAM,1.0,IT,3,casinos\n";
        let (rows, diags) = read(csv.as_bytes(), "d.csv");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].critical_sector.as_deref(), Some("energy"));
        let at: Vec<(Option<u64>, Option<&str>)> = diags.iter().map(|d| (d.line, d.field.as_deref())).collect();
        assert_eq!(
            at,
            vec![(Some(4), Some("member_state")), (Some(5), Some("instances")), (Some(6), Some("critical_sector"))]
        );
        let (_, diags) = read("product_id,version\n".as_bytes(), "d.csv");
        assert_eq!(diags.len(), 3);
    }
}
