//! CSV writers for supply events and product master data, in exactly the columns the importers
//! read, so an export can be imported again unchanged.

use std::io::Write;

use msadesk_core::{Email, Gln, Party, ProductRecord, SupplyEvent};

use crate::csv_import::{PRODUCT_COLUMNS, SUPPLY_COLUMNS};

fn party_fields(p: &Party) -> [String; 8] {
    [
        p.id.to_string(),
        p.name.clone(),
        p.address.clone(),
        p.country.to_string(),
        p.email.as_ref().map(Email::as_str).unwrap_or_default().to_string(),
        p.phone.clone().unwrap_or_default(),
        p.gln.as_ref().map(Gln::as_str).unwrap_or_default().to_string(),
        p.vat.clone().unwrap_or_default(),
    ]
}

/// Writes supply events as the supply CSV (header first).
pub struct SupplyCsvWriter<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> SupplyCsvWriter<W> {
    pub fn new(out: W) -> csv::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(SUPPLY_COLUMNS.iter().map(|(c, _)| *c))?;
        Ok(SupplyCsvWriter { w })
    }

    pub fn write(&mut self, e: &SupplyEvent) -> csv::Result<()> {
        let [id, name, address, country, email, phone, gln, vat] = party_fields(&e.counterparty);
        self.w.write_record([
            e.direction.as_str(),
            &e.date.to_string(),
            e.product_id.as_str(),
            e.version.as_str(),
            &e.quantity.to_string(),
            &id,
            &name,
            &address,
            &country,
            &email,
            e.counterparty_role.as_str(),
            e.reference.as_deref().unwrap_or(""),
            &phone,
            &gln,
            &vat,
        ])
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.w.flush()?;
        self.w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Writes product master data as the products CSV (header first).
pub struct ProductCsvWriter<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> ProductCsvWriter<W> {
    pub fn new(out: W) -> csv::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(PRODUCT_COLUMNS.iter().map(|(c, _)| *c))?;
        Ok(ProductCsvWriter { w })
    }

    pub fn write(&mut self, r: &ProductRecord) -> csv::Result<()> {
        let [id, name, address, country, email, phone, gln, vat] = party_fields(&r.manufacturer);
        self.w.write_record([
            r.product_id.as_str(),
            &r.name,
            r.version.as_str(),
            &id,
            &name,
            &address,
            &country,
            &email,
            &r.placed_on_market.map(|d| d.to_string()).unwrap_or_default(),
            &r.end_of_support.map(|d| d.to_string()).unwrap_or_default(),
            r.gtin.as_ref().map_or("", |g| g.as_str()),
            r.our_role.map_or("", |o| o.as_str()),
            &phone,
            &gln,
            &vat,
        ])
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.w.flush()?;
        self.w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}
