//! Letter template overrides in PostgreSQL (table of `migrations/0009_letters.sql`). Writers take
//! the audit lock first.

use msadesk_store::letters::{LetterTemplate, LetterTemplateStore, check_template_input, template_audit_detail};
use msadesk_store::{ChangeMeta, StoreError, next_audit_entry};

use crate::PostgresStore;
use crate::audit;
use crate::error::{During, col};

const COLUMNS: &str = "kind, lang, body, updated_at, updated_by";

fn template(r: &postgres::Row) -> Result<LetterTemplate, StoreError> {
    Ok(LetterTemplate {
        kind: col(r, 0)?,
        lang: col(r, 1)?,
        text: col(r, 2)?,
        updated_at: col(r, 3)?,
        updated_by: col(r, 4)?,
    })
}

impl LetterTemplateStore for PostgresStore {
    fn letter_template(&mut self, kind: &str, lang: &str) -> Result<Option<LetterTemplate>, StoreError> {
        let row = self
            .client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM letter_templates WHERE kind = $1 AND lang = $2"),
                &[&kind, &lang],
            )
            .during("reading a letter template")?;
        row.as_ref().map(template).transpose()
    }

    fn letter_templates(&mut self) -> Result<Vec<LetterTemplate>, StoreError> {
        let rows = self
            .client
            .query(&format!("SELECT {COLUMNS} FROM letter_templates ORDER BY kind, lang"), &[])
            .during("reading the letter templates")?;
        rows.iter().map(template).collect()
    }

    fn set_letter_template(
        &mut self,
        kind: &str,
        lang: &str,
        text: &str,
        meta: &ChangeMeta,
    ) -> Result<LetterTemplate, StoreError> {
        check_template_input(kind, lang, text)?;
        let mut tx = self.client.transaction().during("starting to set a letter template")?;
        let tail = audit::lock(&mut tx)?;
        tx.execute(
            "INSERT INTO letter_templates (kind, lang, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kind, lang) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
            &[&kind, &lang, &text, &meta.at, &meta.actor],
        )
        .during("setting a letter template")?;
        let detail = template_audit_detail(kind, lang, Some(text));
        audit::append(&mut tx, &next_audit_entry(tail, meta, "letter_templates", "set", &detail))?;
        tx.commit().during("committing the letter template")?;
        Ok(LetterTemplate {
            kind: kind.into(),
            lang: lang.into(),
            text: text.into(),
            updated_at: meta.at.clone(),
            updated_by: meta.actor.clone(),
        })
    }

    fn remove_letter_template(&mut self, kind: &str, lang: &str, meta: &ChangeMeta) -> Result<bool, StoreError> {
        let mut tx = self.client.transaction().during("starting to remove a letter template")?;
        let tail = audit::lock(&mut tx)?;
        let n = tx
            .execute("DELETE FROM letter_templates WHERE kind = $1 AND lang = $2", &[&kind, &lang])
            .during("removing a letter template")?;
        if n > 0 {
            let detail = template_audit_detail(kind, lang, None);
            audit::append(&mut tx, &next_audit_entry(tail, meta, "letter_templates", "remove", &detail))?;
        }
        tx.commit().during("committing the removal of a letter template")?;
        Ok(n > 0)
    }
}
