//! Letter template overrides in SQLite (table of `migrations/0009_letters.sql`).

use msadesk_store::letters::{LetterTemplate, LetterTemplateStore, check_template_input, template_audit_detail};
use msadesk_store::{ChangeMeta, Result};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{SqliteStore, append_audit, backend};

const COLUMNS: &str = "kind, lang, body, updated_at, updated_by";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LetterTemplate> {
    Ok(LetterTemplate {
        kind: r.get(0)?,
        lang: r.get(1)?,
        text: r.get(2)?,
        updated_at: r.get(3)?,
        updated_by: r.get(4)?,
    })
}

impl LetterTemplateStore for SqliteStore {
    fn letter_template(&mut self, kind: &str, lang: &str) -> Result<Option<LetterTemplate>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM letter_templates WHERE kind = ?1 AND lang = ?2"),
                params![kind, lang],
                row,
            )
            .optional()
            .map_err(backend)
    }

    fn letter_templates(&mut self) -> Result<Vec<LetterTemplate>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM letter_templates ORDER BY kind, lang"))
            .map_err(backend)?;
        let rows = stmt.query_map([], row).map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
    }

    fn set_letter_template(&mut self, kind: &str, lang: &str, text: &str, meta: &ChangeMeta) -> Result<LetterTemplate> {
        check_template_input(kind, lang, text)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        tx.execute(
            "INSERT INTO letter_templates (kind, lang, body, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, lang) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
            params![kind, lang, text, meta.at, meta.actor],
        )
        .map_err(backend)?;
        append_audit(&tx, meta, "letter_templates", "set", &template_audit_detail(kind, lang, Some(text)))?;
        tx.commit().map_err(backend)?;
        Ok(LetterTemplate {
            kind: kind.into(),
            lang: lang.into(),
            text: text.into(),
            updated_at: meta.at.clone(),
            updated_by: meta.actor.clone(),
        })
    }

    fn remove_letter_template(&mut self, kind: &str, lang: &str, meta: &ChangeMeta) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let n = tx
            .execute("DELETE FROM letter_templates WHERE kind = ?1 AND lang = ?2", params![kind, lang])
            .map_err(backend)?;
        if n > 0 {
            append_audit(&tx, meta, "letter_templates", "remove", &template_audit_detail(kind, lang, None))?;
        }
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }
}
