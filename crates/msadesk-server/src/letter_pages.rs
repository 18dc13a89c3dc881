//! Pages to view and edit the letter templates (officer, admin): `/letters` lists every kind and
//! language with the operator's overrides, `/letters/{kind}/{lang}` shows the template in force
//! (the override, else the built-in Fluent text) in a form to save an override or remove it. A
//! saved template is checked first (`msadesk_formats::letters::check_template`); the store audits
//! every change. The same as `msadesk letter template export|import|remove`.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use msadesk_formats::letters::{self, KINDS, LANGUAGES, LetterKind};

use crate::AppState;
use crate::html::{esc, table, url};
use crate::pages::{FormMap, csrf_field, error_page, page, signed_in, signed_in_form};
use crate::problem::ApiError;
use crate::routes::WRITE;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/letters", get(list)).route("/letters/{kind}/{lang}", get(edit).post(save))
}

async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let stored = match st.pool().run(|s| Ok(s.letter_templates()?)).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), &e),
    };
    let rows: Vec<Vec<String>> = KINDS
        .iter()
        .map(|k| {
            let mut row = vec![esc(k.as_str())];
            for lang in LANGUAGES {
                let own = stored.iter().any(|t| t.kind == k.as_str() && t.lang == *lang);
                row.push(format!(
                    "<a href=\"/letters/{}/{lang}\">{lang}{}</a>",
                    url(k.as_str()),
                    if own { " (yours)" } else { "" }
                ));
            }
            row
        })
        .collect();
    let mut head = vec!["Letter"];
    head.extend(LANGUAGES.iter().copied());
    let body = format!(
        "<p>Letters are written from Fluent templates. Open one to read it, save your own wording (an override, \
         checked before it is stored and audited) or go back to the built-in text.</p>{}",
        table(&head, &rows)
    );
    page(StatusCode::OK, "Letter templates", Some(&p), "/letters", &body)
}

fn kind_lang(kind: &str, lang: &str) -> Result<(LetterKind, &'static str), ApiError> {
    let kind = LetterKind::parse(kind).map_err(|e| ApiError::not_found(e.to_string()))?;
    let lang = LANGUAGES.iter().copied().find(|l| *l == lang).ok_or_else(|| {
        ApiError::not_found(format!("no letters in '{lang}': letters exist in {}", LANGUAGES.join(", ")))
    })?;
    Ok((kind, lang))
}

async fn edit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((kind, lang)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (kind, lang) = match kind_lang(&kind, &lang) {
        Ok(x) => x,
        Err(e) => return error_page(Some(&p), &e),
    };
    let stored = match st.pool().run(move |s| Ok(s.letter_template(kind.as_str(), lang)?)).await {
        Ok(t) => t,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = String::new();
    if let Some(m) = q.get("done") {
        let _ = write!(body, "<p class=\"msg\" role=\"status\">{}</p>", esc(m));
    }
    match &stored {
        Some(t) => {
            let _ = write!(body, "<p>Your wording, saved {} by {}.</p>", esc(&t.updated_at), esc(&t.updated_by));
        }
        None => body.push_str("<p>The built-in wording (no override saved).</p>"),
    }
    let text = stored.as_ref().map_or_else(|| letters::template_text(kind, lang), |t| t.text.clone());
    let action = format!("/letters/{}/{lang}", url(kind.as_str()));
    let _ = write!(
        body,
        "<form class=\"stack\" method=\"post\" action=\"{action}\">{csrf}\
         <div><label for=\"text\">Template (Fluent)</label><textarea id=\"text\" name=\"text\" rows=\"30\" maxlength=\"{max}\">{text}</textarea></div>\
         <button type=\"submit\" name=\"do\" value=\"save\">Save my wording</button></form>",
        csrf = csrf_field(&p),
        max = msadesk_store::letters::MAX_TEMPLATE_BYTES,
        text = esc(&text),
    );
    if stored.is_some() {
        let _ = write!(
            body,
            "<form class=\"inline\" method=\"post\" action=\"{action}\">{}\
             <button type=\"submit\" name=\"do\" value=\"remove\">Back to the built-in wording</button></form>",
            csrf_field(&p)
        );
    }
    page(StatusCode::OK, &format!("Letter template {kind} ({lang})"), Some(&p), "/letters", &body)
}

async fn save(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((kind, lang)): Path<(String, String)>,
    form: FormMap,
) -> Response {
    let (p, f) = match signed_in_form(&st, &headers, WRITE, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (kind, lang) = match kind_lang(&kind, &lang) {
        Ok(x) => x,
        Err(e) => return error_page(Some(&p), &e),
    };
    let meta = p.meta(None);
    let remove = f.get("do").map(String::as_str) == Some("remove");
    let text = f.get("text").cloned().unwrap_or_default();
    let result = st
        .pool()
        .run(move |s| {
            if remove {
                s.remove_letter_template(kind.as_str(), lang, &meta)?;
                return Ok("Removed: the built-in wording applies.".to_string());
            }
            if text.len() > msadesk_store::letters::MAX_TEMPLATE_BYTES {
                return Err(ApiError::bad_request("the template is longer than a template may be"));
            }
            let check = letters::check_template(kind, lang, &text)
                .map_err(|e| ApiError::bad_request(format!("not saved: {e}")))?;
            s.set_letter_template(kind.as_str(), lang, &text, &meta)?;
            let mut msg = "Saved.".to_string();
            if !check.missing.is_empty() {
                let _ = write!(msg, " Built-in wording kept for: {}.", check.missing.join(", "));
            }
            if !check.unknown.is_empty() {
                let _ = write!(msg, " Not used by this letter: {}.", check.unknown.join(", "));
            }
            Ok(msg)
        })
        .await;
    match result {
        Ok(msg) => Redirect::to(&format!("/letters/{}/{lang}?done={}", url(kind.as_str()), url(&msg))).into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}
