//! HTML building blocks: escaping, the page layout, tables. Hand-written, no template engine: every
//! value goes through [`esc`] on its way into the page.

use std::fmt::Write;

use crate::auth::Principal;
use crate::messages::Messages;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A whole page: header with navigation (when signed in), the main content, the footer.
pub fn layout(m: &Messages, title: &str, who: Option<&Principal>, current: &str, body: &str) -> String {
    let mut nav = String::new();
    if let Some(p) = who {
        let mut links = vec![("/", m.nav_dashboard)];
        if crate::routes::READ.contains(&p.role) {
            links.extend([
                ("/products", m.nav_products),
                ("/operators", m.nav_operators),
                ("/trace", m.nav_trace),
                ("/readiness", m.nav_readiness),
            ]);
            links.push(("/actions", "Actions"));
            links.push(("/assessments", "Risk"));
            links.extend([("/requests", m.nav_requests), ("/library", m.nav_library)]);
        }
        if crate::routes::WRITE.contains(&p.role) {
            links.push(("/import", m.nav_import));
            links.push(("/audit", m.nav_audit));
            links.push(("/letters", "Letters"));
        }
        if crate::routes::ADMIN.contains(&p.role) {
            links.push(("/tokens", m.nav_tokens));
        }
        links.push(("/api", m.nav_api));
        nav.push_str("<nav aria-label=\"Main\"><ul>");
        for (href, label) in links {
            let cur = if href == current { " aria-current=\"page\"" } else { "" };
            let _ = write!(nav, "<li><a href=\"{href}\"{cur}>{}</a></li>", esc(label));
        }
        nav.push_str("</ul></nav>");
        let _ = write!(
            nav,
            "<form class=\"logout\" method=\"post\" action=\"/logout\"><span>{} <strong>{}</strong> ({})</span>\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            esc(m.signed_in_as),
            esc(&p.name),
            esc(p.role.as_str()),
            esc(p.csrf.as_deref().unwrap_or("")),
            esc(m.log_out)
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><a class=\"skip\" href=\"#main\">{skip}</a>\
         <header><div class=\"brand\"><a href=\"/\">{app}</a><span>{tagline}</span></div>{nav}</header>\
         <main id=\"main\"><h1>{title}</h1>{body}</main>\
         <footer><a href=\"/api\">{api}</a> · <a href=\"/api/v1/openapi.json\">OpenAPI</a></footer></body></html>\n",
        title = esc(title),
        app = esc(m.app_name),
        skip = esc(m.skip_to_content),
        tagline = esc(m.tagline),
        api = esc(m.nav_api),
    )
}

/// A table with a caption-less header row; cells are already HTML.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in headers {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

pub const CSS: &str = r#":root{--fg:#1b1f24;--muted:#4a5560;--bg:#fff;--accent:#0b5cad;--line:#d0d7de;--ok:#1a7f37;--bad:#b42318;--soft:#f3f6f9}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #ffbf47;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:2}
header{background:#0d2b45;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}
header a{color:#fff}
.brand a{font-weight:700;font-size:1.25rem;text-decoration:none;margin-right:.6rem}
.brand span{color:#c9d6e2;font-size:.9rem}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav a{text-decoration:none;padding:.2rem 0}
nav a[aria-current=page]{border-bottom:3px solid #ffbf47}
.logout{margin-left:auto;display:flex;gap:.5rem;align-items:center;font-size:.9rem}
.logout button{background:transparent;color:#fff;border:1px solid #c9d6e2}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem;margin:0;padding:0;list-style:none}
.cards li{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.8rem}
.cards strong{display:block;font-size:1.8rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft)}
td.num{text-align:right}
form.stack{display:grid;gap:.8rem;max-width:32rem}
form.inline{display:flex;flex-wrap:wrap;gap:.8rem;align-items:end;margin-bottom:1.2rem}
label{display:block;font-weight:600}
.hint{display:block;font-weight:400;color:var(--muted);font-size:.9rem}
input,select{font:inherit;padding:.45rem;border:1px solid #6e7781;border-radius:4px;min-width:12rem;max-width:100%}
input[type=checkbox],input[type=radio]{min-width:0;width:auto;margin-right:.4rem}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem}
legend{font-weight:600}
fieldset label,label.check{font-weight:400}
button{font:inherit;padding:.5rem 1rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
.msg{padding:.7rem 1rem;border-radius:6px;border:1px solid var(--line);background:var(--soft);margin:1rem 0}
.msg.bad{border-color:var(--bad);color:var(--bad);background:#fef3f2}
.msg.ok{border-color:var(--ok);color:var(--ok);background:#f0fdf4}
code,.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.downloads a{margin-right:1rem}
.status{font-weight:700;white-space:nowrap}.status.gap{color:var(--bad)}.status.ok{color:var(--ok)}.status.na{color:var(--muted)}
meter{width:12rem;max-width:100%}
footer{max-width:72rem;margin:2rem auto;padding:1rem;color:var(--muted);font-size:.9rem;border-top:1px solid var(--line)}
@media (max-width:40rem){header{padding:.5rem}.logout{margin-left:0}main{padding:.6rem}input,select{min-width:0;width:100%}input[type=checkbox],input[type=radio]{width:auto}}
"#;
