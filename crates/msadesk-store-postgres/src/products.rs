//! Importing product master data: products, their versions and their manufacturers.
//!
//! Master data is small (thousands of rows, not millions), so rows are upserted one by one with
//! prepared statements, which keeps the counting plain: a record whose version is not stored is
//! `new`; one that changes the product or the version (including filling in a stub created from
//! supply data) is `updated`; one that changes nothing is `already_present`. Rows are applied in
//! order, so a later row of the same file sees what an earlier one wrote.
//!
//! An optional field left empty (GTIN, our role, the placing-on-the-market and end-of-support dates)
//! never erases a stored value: a product's fields repeat on the row of each of its versions, and a
//! row that leaves them out says nothing about them. Losing a placing-on-the-market date to a
//! sparser export would silently change the documentation retention answer; a wrong value is
//! corrected by importing the right one.

use msadesk_core::{Gtin, OurRole, ProductRecord};
use msadesk_store::{ChangeMeta, ImportStats, RowSource, StoreError};
use postgres::{Client, Statement, Transaction};

use crate::audit;
use crate::error::{During, col};
use crate::party::Snapshots;

struct Statements {
    find_product: Statement,
    insert_product: Statement,
    update_product: Statement,
    find_version: Statement,
    insert_version: Statement,
    update_version: Statement,
}

impl Statements {
    fn prepare(tx: &mut Transaction<'_>) -> Result<Self, postgres::Error> {
        Ok(Statements {
            find_product: tx.prepare(
                "SELECT id, name, gtin, manufacturer_snapshot_id, our_role, stub
                 FROM products WHERE product_id = $1",
            )?,
            insert_product: tx.prepare(
                "INSERT INTO products (product_id, name, gtin, manufacturer_snapshot_id, our_role, stub)
                 VALUES ($1, $2, $3, $4, $5, false) RETURNING id",
            )?,
            update_product: tx.prepare(
                "UPDATE products SET name = $2, gtin = coalesce($3, gtin), manufacturer_snapshot_id = $4,
                     our_role = coalesce($5, our_role), stub = false
                 WHERE id = $1",
            )?,
            find_version: tx.prepare(
                "SELECT id, placed_on_market::text, end_of_support::text, stub
                 FROM product_versions WHERE product_ref = $1 AND version = $2",
            )?,
            insert_version: tx.prepare(
                "INSERT INTO product_versions (product_ref, version, placed_on_market, end_of_support, stub)
                 VALUES ($1, $2, $3::text::date, $4::text::date, false)",
            )?,
            update_version: tx.prepare(
                "UPDATE product_versions SET placed_on_market = coalesce($2::text::date, placed_on_market),
                     end_of_support = coalesce($3::text::date, end_of_support), stub = false
                 WHERE id = $1",
            )?,
        })
    }
}

pub(crate) fn import(
    client: &mut Client,
    rows: &mut dyn RowSource<ProductRecord>,
    meta: &ChangeMeta,
) -> Result<ImportStats, StoreError> {
    let mut tx = client.transaction().during("starting the product import")?;
    let tail = audit::lock(&mut tx)?;
    let st = Statements::prepare(&mut tx).during("preparing the product import")?;
    let mut snapshots = Snapshots::prepare(&mut tx)?;
    let mut stats = ImportStats::default();
    // Master data is valid as of the import day: a manufacturer's details from a product import
    // count as seen today.
    let today = msadesk_core::Date::parse(&meta.at).unwrap_or_else(|_| msadesk_core::Date::from_unix_seconds(0));

    while let Some(row) = rows.next_row() {
        stats.rows += 1;
        let r = &row.record;
        let what = format!("importing product '{}' (line {})", r.product_id, row.line);
        let manufacturer = snapshots.resolve(&mut tx, &r.manufacturer, row.line, today)?;
        let gtin = r.gtin.as_ref().map(Gtin::as_str);
        let our_role = r.our_role.map(OurRole::as_str);

        let (product_ref, product_changed) = match tx
            .query_opt(&st.find_product, &[&r.product_id.as_str()])
            .during(&what)?
        {
            None => {
                let row = tx
                    .query_one(&st.insert_product, &[&r.product_id.as_str(), &r.name, &gtin, &manufacturer, &our_role])
                    .during(&what)?;
                (col::<i64>(&row, 0)?, true)
            }
            Some(stored) => {
                let id: i64 = col(&stored, 0)?;
                let stored_gtin: Option<&str> = col(&stored, 2)?;
                let stored_role: Option<&str> = col(&stored, 4)?;
                let unchanged = col::<&str>(&stored, 1)? == r.name
                    && gtin.is_none_or(|g| stored_gtin == Some(g))
                    && col::<Option<i64>>(&stored, 3)? == Some(manufacturer)
                    && our_role.is_none_or(|o| stored_role == Some(o))
                    && !col::<bool>(&stored, 5)?;
                if !unchanged {
                    tx.execute(&st.update_product, &[&id, &r.name, &gtin, &manufacturer, &our_role]).during(&what)?;
                }
                (id, !unchanged)
            }
        };

        let placed = r.placed_on_market.map(|d| d.to_string());
        let eos = r.end_of_support.map(|d| d.to_string());
        match tx.query_opt(&st.find_version, &[&product_ref, &r.version.as_str()]).during(&what)? {
            None => {
                tx.execute(&st.insert_version, &[&product_ref, &r.version.as_str(), &placed, &eos]).during(&what)?;
                stats.new += 1;
            }
            Some(stored) => {
                let id: i64 = col(&stored, 0)?;
                let stored_placed: Option<&str> = col(&stored, 1)?;
                let stored_eos: Option<&str> = col(&stored, 2)?;
                let unchanged = placed.as_deref().is_none_or(|p| stored_placed == Some(p))
                    && eos.as_deref().is_none_or(|e| stored_eos == Some(e))
                    && !col::<bool>(&stored, 3)?;
                if !unchanged {
                    tx.execute(&st.update_version, &[&id, &placed, &eos]).during(&what)?;
                }
                if unchanged && !product_changed {
                    stats.already_present += 1;
                } else {
                    stats.updated += 1;
                }
            }
        }
    }

    snapshots.write_operators(&mut tx)?;
    if !rows.commit_allowed() {
        // Dropping the transaction would roll back too; saying so is clearer.
        tx.rollback().during("rolling back the product import")?;
        return Ok(stats);
    }
    let entry =
        msadesk_store::next_audit_entry(tail, meta, "products", "import", &msadesk_store::import_detail(&stats, None));
    audit::append(&mut tx, &entry)?;
    tx.commit().during("committing the product import")?;
    stats.committed = true;
    Ok(stats)
}
