//! The OpenAPI 3.1 document of the API, generated from [`routes::ENDPOINTS`](crate::routes::ENDPOINTS)
//! and the schemas below. A test compares it with the committed `openapi.json`, so every change of
//! the API is a reviewable diff (`MSADESK_UPDATE_SNAPSHOTS=1 cargo test -p msadesk-server` rewrites it).

use serde_json::{Value, json};

use crate::routes::{ENDPOINTS, Endpoint};

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn schemas() -> Value {
    let s = || json!({"type": "string"});
    let date = || json!({"type": "string", "format": "date"});
    let operator = json!({
        "type": "object",
        "required": ["operator_id", "name", "address", "country"],
        "properties": {
            "operator_id": s(), "name": s(), "address": s(), "country": s(),
            "email": nullable("string"), "phone": nullable("string"), "gln": nullable("string"), "vat": nullable("string")
        }
    });
    let version = json!({
        "type": "object",
        "required": ["version", "stub"],
        "properties": {
            "version": s(),
            "placed_on_market": {"type": ["string", "null"], "format": "date"},
            "end_of_support": {"type": ["string", "null"], "format": "date"},
            "stub": {"type": "boolean", "description": "Created from a supply row before master data arrived"}
        }
    });
    let trace_entry = json!({
        "type": "object",
        "required": ["operator_id", "name", "address", "country", "role", "first_date", "last_date", "quantity", "deliveries"],
        "properties": {
            "operator_id": s(), "name": s(), "address": s(), "country": s(),
            "email": nullable("string"), "phone": nullable("string"), "role": s(),
            "first_date": date(), "last_date": date(),
            "quantity": {"type": "integer", "minimum": 0}, "deliveries": {"type": "integer", "minimum": 0}
        }
    });
    let diagnostic = json!({
        "type": "object",
        "required": ["file", "message"],
        "properties": {
            "file": s(), "line": {"type": "integer"}, "pointer": s(), "field": s(), "message": s(),
            "skipped": {"type": "boolean"}
        }
    });
    let role = json!({"type": "string", "enum": ["admin", "officer", "viewer", "inspector"]});
    let mut all = json!({
        "Health": {"type": "object", "properties": {"status": s()}},
        "Text": s(),
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details; a rejected import adds the import report's members",
            "required": ["type", "title", "status", "detail"],
            "properties": {"type": s(), "title": s(), "status": {"type": "integer"}, "detail": s()}
        },
        "Me": {"type": "object", "properties": {"actor": s(), "name": s(), "role": role.clone()}},
        "Operator": operator,
        "OperatorList": {"type": "array", "items": {"$ref": "#/components/schemas/Operator"}},
        "Version": version,
        "VersionList": {"type": "array", "items": {"$ref": "#/components/schemas/Version"}},
        "Product": {
            "type": "object",
            "required": ["product_id", "name", "stub", "versions"],
            "properties": {
                "product_id": s(), "name": s(), "gtin": nullable("string"), "manufacturer_id": nullable("string"),
                "manufacturer_name": nullable("string"), "our_role": nullable("string"), "stub": {"type": "boolean"},
                "versions": {"$ref": "#/components/schemas/VersionList"}
            }
        },
        "ProductList": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
        "SupplyEvent": {
            "type": "object",
            "properties": {
                "direction": {"type": "string", "enum": ["received", "supplied"]}, "date": date(), "product_id": s(),
                "version": s(), "quantity": {"type": "integer"}, "counterparty": {"$ref": "#/components/schemas/Operator"},
                "counterparty_role": s(), "reference": nullable("string")
            }
        },
        "EventPage": {
            "type": "object",
            "required": ["total", "offset", "limit", "items"],
            "properties": {
                "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/SupplyEvent"}}
            }
        },
        "TraceEntry": trace_entry,
        "Trace": {
            "type": "object",
            "description": "The same document as `msadesk trace --format json`",
            "required": ["product_id", "legal_basis", "upstream", "downstream"],
            "properties": {
                "product_id": s(), "version": nullable("string"),
                "from": {"type": ["string", "null"], "format": "date"}, "to": {"type": ["string", "null"], "format": "date"},
                "legal_basis": s(),
                "upstream": {"type": "array", "items": {"$ref": "#/components/schemas/TraceEntry"}},
                "downstream": {"type": "array", "items": {"$ref": "#/components/schemas/TraceEntry"}}
            }
        },
        "Diagnostic": diagnostic,
        "ImportReport": {
            "type": "object",
            "required": ["file", "committed", "rows", "new", "invalid_rows", "diagnostics"],
            "properties": {
                "file": s(), "committed": {"type": "boolean"}, "rows": {"type": "integer"}, "new": {"type": "integer"},
                "already_present": {"type": "integer"}, "updated": {"type": "integer"}, "conflicts": {"type": "integer"},
                "invalid_rows": {"type": "integer"},
                "diagnostics": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}},
                "rejected_csv": {"type": "string", "description": "With skip_invalid: the rejected rows with their reasons"}
            }
        },
        "Token": {
            "type": "object",
            "properties": {
                "id": s(), "name": s(), "role": role.clone(), "created_at": s(), "expires_at": nullable("string"),
                "revoked": {"type": "boolean"}, "last_used_at": nullable("string")
            }
        },
        "TokenList": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}},
        "TokenRequest": {
            "type": "object",
            "required": ["role"],
            "properties": {"role": role.clone(), "name": nullable("string"), "expires": {"type": ["string", "null"], "format": "date", "description": "Last day the token works (UTC); today or later"}}
        },
        "CreatedToken": {
            "type": "object",
            "properties": {"id": s(), "name": s(), "role": role, "expires_at": nullable("string"), "token": {"type": "string", "description": "The secret, shown once"}}
        }
    });
    if let (Some(all), Value::Object(inbox)) = (all.as_object_mut(), inbox_schemas()) {
        all.extend(inbox);
    }
    if let (Some(all), Value::Object(risk)) = (all.as_object_mut(), risk_schemas()) {
        all.extend(risk);
    }
    all
}

/// The schemas of the risk assessment endpoints.
fn risk_schemas() -> Value {
    let s = || json!({"type": "string"});
    let strings = || json!({"type": "array", "items": {"type": "string"}});
    json!({
        "Officer": {
            "type": "object",
            "required": ["id", "significant", "reason", "decided_by", "decided_at"],
            "properties": {"id": {"type": "integer"}, "significant": {"type": "boolean"}, "reason": s(), "decided_by": s(), "decided_at": s()}
        },
        "NoticeSent": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"}, "product_id": s(), "version": s(), "vulnerability": s(), "to": s(), "what": s(),
                "member_states": strings(), "sent_at": s(), "reference": nullable("string"), "note": nullable("string"),
                "recorded_by": s(), "recorded_at": s()
            }
        },
        "Obligation": {
            "type": "object",
            "required": ["assessment_id", "product_id", "version", "vulnerability", "to", "what", "member_states", "basis", "due", "legal_duty", "status", "overdue"],
            "properties": {
                "assessment_id": {"type": "integer"}, "product_id": s(), "version": s(), "vulnerability": s(),
                "to": {"type": "string", "description": "manufacturer, msa, csirt_enisa, users or end_users"},
                "what": {"type": "string", "description": "inform, early_warning, notification or final_report"},
                "member_states": strings(), "basis": {"type": "string", "description": "Legal citation"},
                "due": {"type": ["string", "null"], "description": "RFC 3339 UTC"}, "timing": s(),
                "legal_duty": {"type": "boolean"}, "status": {"type": "string", "enum": ["open", "sent"]},
                "overdue": {"type": "boolean"},
                "sent": {"oneOf": [{"$ref": "#/components/schemas/NoticeSent"}, {"type": "null"}]}
            }
        },
        "ObligationList": {"type": "array", "items": {"$ref": "#/components/schemas/Obligation"}},
        "Assessment": {
            "type": "object",
            "required": ["id", "product_id", "version", "vulnerability", "significant", "fired", "policy_version", "recorded_at", "obligations"],
            "properties": {
                "id": {"type": "integer"}, "product_id": s(), "version": s(), "vulnerability": s(),
                "significant": {"type": "boolean"}, "fired": strings(), "policy_version": s(), "recorded_at": s(),
                "officer": {"oneOf": [{"$ref": "#/components/schemas/Officer"}, {"type": "null"}]},
                "reassessment_pending": {"type": "boolean"},
                "obligations": {"type": "array", "items": {"$ref": "#/components/schemas/Obligation"}},
                "assessment": {"description": "The recorded assessment: indicators, rules, evidence, Member States, drafts (null in lists)"}
            }
        },
        "AssessmentList": {"type": "array", "items": {"$ref": "#/components/schemas/Assessment"}},
        "DecisionRequest": {
            "type": "object",
            "required": ["significant", "reason"],
            "additionalProperties": false,
            "properties": {"significant": {"type": "boolean"}, "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}
        },
        "NoticeRequest": {
            "type": "object",
            "required": ["to", "what"],
            "additionalProperties": false,
            "properties": {
                "to": s(), "what": s(),
                "sent_at": {"type": ["string", "null"], "description": "RFC 3339 (default: now)"},
                "reference": {"type": ["string", "null"], "maxLength": 2000}, "note": {"type": ["string", "null"], "maxLength": 2000}
            }
        }
    })
}

/// The schemas of the MSA inbox endpoints.
fn inbox_schemas() -> Value {
    let s = || json!({"type": "string"});
    let date = || json!({"type": "string", "format": "date"});
    json!({
        "Authority": {
            "type": "object",
            "required": ["id", "country", "name", "time_zone", "kind", "source", "confirmed"],
            "properties": {
                "id": s(), "country": s(), "name": s(), "postal_address": nullable("string"), "email": nullable("string"),
                "portal": nullable("string"), "languages": {"type": "array", "items": s()}, "time_zone": s(),
                "kind": {"type": "string", "enum": ["msa", "csirt"]}, "source": s(), "confirmed": {"type": "boolean"}
            }
        },
        "AuthorityList": {"type": "array", "items": {"$ref": "#/components/schemas/Authority"}},
        "Request": {
            "type": "object",
            "required": ["id", "authority", "reference", "received_at", "ack_due", "acknowledged_at", "due", "status", "overdue"],
            "properties": {
                "id": {"type": "integer"}, "authority": s(), "reference": s(),
                "received_at": {"type": "string", "description": "RFC 9557 date-time with the authority's zone"},
                "ack_due": s(), "acknowledged_at": nullable("string"), "due": date(),
                "status": {"type": "string", "enum": ["received", "acknowledged", "package_built", "sent", "closed"]},
                "overdue": {"type": "boolean"}, "due_soon": {"type": "boolean"}, "ack_overdue": {"type": "boolean"},
                "product": s(), "version": nullable("string"),
                "from": {"type": ["string", "null"], "format": "date"}, "to": {"type": ["string", "null"], "format": "date"},
                "asks": {"type": "array", "items": {"type": "string", "enum": ["trace", "documents", "sbom", "samples", "access"]}},
                "extension_pending": {"type": "boolean"},
                "timeline": {"type": "array", "items": {"type": "object", "properties": {"step": s(), "at": s(), "actor": s(), "note": nullable("string")}}}
            }
        },
        "RequestList": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
        "Action": {
            "type": "object",
            "required": ["id", "type", "status", "due", "product_id", "recipients_total", "recipients_acknowledged", "effectiveness"],
            "properties": {
                "id": {"type": "integer"},
                "type": {"type": "string", "enum": ["update", "withdrawal", "recall", "alert-users", "stop"]},
                "status": {"type": "string", "enum": ["received", "acknowledged", "heard", "recipients_notified", "in_progress", "completed", "reported", "closed"]},
                "due": date(), "product_id": s(),
                "level": {"type": "string", "enum": ["A", "B", "C", "D", "E"]},
                "recipients_total": {"type": "integer"}, "recipients_acknowledged": {"type": "integer"},
                "effectiveness": {"type": "object"}, "figures": {"type": "object"},
                "timeline": {"type": "array", "items": {"type": "object"}},
                "recipients": {"type": "array", "items": {"type": "object"}}
            }
        },
        "ActionList": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}},
        "ActionReport": {
            "type": "object",
            "required": ["action", "recipients_notified", "recipients_responded", "quantities", "non_responders"],
            "properties": {
                "action": {"$ref": "#/components/schemas/Action"},
                "recipients_notified": {"type": "integer"}, "recipients_responded": {"type": "integer"},
                "quantities": {"type": "object"}, "delivery": {"type": "object"},
                "non_responders": {"type": "array", "items": {"type": "object"}}, "complete": {"type": "boolean"}
            }
        },
        "ReminderRound": {
            "type": "object",
            "required": ["queued", "without_address"],
            "properties": {"queued": {"type": "integer"}, "without_address": {"type": "array", "items": s()}, "action": {"type": "object"}}
        },
        "NewRequest": {
            "type": "object",
            "required": ["authority", "reference", "received", "product", "asks"],
            "additionalProperties": false,
            "properties": {
                "authority": s(), "reference": s(),
                "received": {"type": "string", "description": "2026-12-03T16:30 (authority's time zone), or with an offset or zone"},
                "due": date(), "due_days": {"type": "integer", "minimum": 0}, "due_working_days": {"type": "integer", "minimum": 0},
                "product": s(), "version": s(), "from": date(), "to": date(),
                "asks": {"type": "array", "items": {"type": "string", "enum": ["trace", "documents", "sbom", "samples", "access"]}},
                "ack_hours": {"type": "integer", "minimum": 1, "maximum": 720}
            }
        },
        "Package": {
            "type": "object",
            "required": ["id", "request_id", "number", "file_name", "size", "sha256", "files", "built_by", "built_at"],
            "properties": {
                "id": {"type": "integer"}, "request_id": {"type": "integer"}, "number": {"type": "integer"},
                "file_name": s(), "size": {"type": "integer", "minimum": 0}, "sha256": s(),
                "files": {"type": "array", "items": s()}, "built_by": s(), "built_at": s()
            }
        },
        "PackageList": {"type": "array", "items": {"$ref": "#/components/schemas/Package"}},
        "Zip": {"type": "string", "format": "binary", "description": "A signed package: manifest.json, manifest.sig and the files"},
        "Binary": {"type": "string", "format": "binary"},
        "Share": {
            "type": "object",
            "required": ["token_id", "secret", "expires_at", "request_id"],
            "properties": {"token_id": s(), "secret": s(), "expires_at": s(), "request_id": {"type": "integer"}}
        },
        "Unshare": {"type": "object", "required": ["request_id", "revoked"], "properties": {"request_id": {"type": "integer"}, "revoked": {"type": "integer"}}},
        "AccessLog": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "token_id", "request_id", "at", "what", "allowed"],
                "properties": {"id": {"type": "integer"}, "token_id": s(), "request_id": {"type": "integer"}, "at": s(), "what": s(), "allowed": {"type": "boolean"}}
            }
        },
        "Document": {
            "type": "object",
            "required": ["id", "product_id", "version", "kind", "file_name", "media_type", "size", "sha256", "uploaded_by", "uploaded_at", "retention_until", "retention_basis", "revision", "current"],
            "properties": {
                "id": {"type": "integer"}, "product_id": s(), "version": s(),
                "kind": {"type": "string", "enum": ["doc", "technical_documentation", "sbom", "test_report", "security_update_history", "user_instructions", "other"]},
                "file_name": s(), "media_type": s(), "size": {"type": "integer", "minimum": 0}, "sha256": s(),
                "uploaded_by": s(), "uploaded_at": s(), "retention_until": {"type": ["string", "null"], "format": "date"},
                "retention_basis": s(), "revision": {"type": "integer"}, "current": {"type": "boolean"}
            }
        },
        "DocumentList": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}},
        "GapList": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["product_id", "version", "missing"],
                "properties": {"product_id": s(), "version": s(), "missing": {"type": "array", "items": s()}}
            }
        },
        "ReadinessReport": readiness_schema()
    })
}

/// The readiness report (README, "Readiness report", documents every field).
fn readiness_schema() -> Value {
    let s = || json!({"type": "string"});
    let n = || json!({"type": "integer"});
    let tier = json!({
        "type": "object", "required": ["tier", "cite", "summary"],
        "properties": {"tier": {"type": "string", "enum": ["64(2)", "64(3)", "64(4)"]}, "cite": s(), "summary": s()}
    });
    let legal = json!({"type": ["object", "null"], "properties": {"cite": s(), "summary": s()}});
    let figure = json!({
        "type": "object", "required": ["key", "label", "value", "unit"],
        "properties": {"key": s(), "label": s(), "value": n(), "unit": s()}
    });
    let check = json!({
        "type": "object",
        "required": ["id", "area", "title", "status", "evidence", "fix", "penalty_tier", "basis"],
        "properties": {
            "id": s(),
            "area": {"type": "string", "enum": ["identity", "traceability", "authorities", "documentation", "vulnerabilities", "requests", "corrective_actions", "evidence"]},
            "title": s(),
            "status": {"type": "string", "enum": ["ok", "gap", "not_applicable"]},
            "evidence": {
                "type": "object", "required": ["text", "figures", "items", "more_items"],
                "properties": {"text": s(), "figures": {"type": "array", "items": figure}, "items": {"type": "array", "items": s()}, "more_items": n()}
            },
            "fix": nullable("string"),
            "penalty_tier": {"oneOf": [tier.clone(), {"type": "null"}]},
            "basis": legal
        }
    });
    let trend = json!({
        "type": "object", "required": ["key", "title", "unit", "months"],
        "properties": {
            "key": s(), "title": s(), "unit": s(),
            "months": {"type": "array", "items": {"type": "object", "required": ["month", "value"], "properties": {"month": s(), "value": {"type": "number"}}}}
        }
    });
    json!({
        "type": "object",
        "required": ["schema_version", "generated_at", "today", "engine", "operator", "policy", "summary", "checks", "figures", "trends"],
        "properties": {
            "schema_version": {"type": "integer", "const": 1},
            "generated_at": s(), "today": {"type": "string", "format": "date"}, "engine": s(), "operator": nullable("string"),
            "policy": {"type": "object", "properties": {
                "feed_max_age_days": n(), "sbom_max_age_days": n(), "backup_max_age_days": n(),
                "retention_run_max_age_days": n(), "trace_max_ms": n()
            }},
            "summary": {"type": "object", "required": ["total", "ok", "gap", "not_applicable", "gaps_by_tier", "gaps_without_tier"], "properties": {
                "total": n(), "ok": n(), "gap": n(), "not_applicable": n(), "gaps_without_tier": n(),
                "gaps_by_tier": {"type": "array", "items": {"type": "object", "properties": {"penalty_tier": tier, "gaps": n(), "checks": {"type": "array", "items": s()}}}}
            }},
            "checks": {"type": "array", "items": check},
            "figures": {"type": "object", "required": ["supply_records", "supply_within_retention", "requests", "risk", "actions"], "properties": {
                "supply_records": {"type": "object", "properties": {"total": n(), "expired": n(), "held": n(), "deleted": n()}},
                "supply_within_retention": n(),
                "requests": {"type": "object", "properties": {"total": n(), "open": n(), "overdue": n(), "ack_overdue": n(), "answered": n(), "median_response_hours": nullable("integer")}},
                "risk": {"type": "object", "properties": {"decisions": n(), "significant_decisions": n(), "officer_decisions": n(), "open_significant": n(), "notifications_due": n(), "notifications_sent": n(), "notifications_overdue": n()}},
                "actions": {"type": "object", "properties": {"total": n(), "open": n(), "done": n(), "closed": n(), "overdue": n(), "effectiveness_met": n(), "effectiveness_not_met": n(), "recipients_acknowledged_pct": {"type": "number"}}},
                "products": n(), "versions_with_events": n(), "operators": n(), "active_legal_holds": n()
            }},
            "trends": {"type": "array", "items": trend}
        }
    })
}

/// An identifier as the core parses it: 1 to 200 characters, not only blanks, no control characters.
fn id_schema() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"
    })
}

fn param_schema(kind: &str) -> Value {
    match kind {
        "id" => id_schema(),
        "limit" => json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
        "direction" => json!({"type": "string", "enum": ["received", "supplied"]}),
        "kind" => json!({"type": "string", "enum": ["products", "supply"]}),
        "integer" => json!({"type": "integer", "minimum": 0}),
        "boolean" => json!({"type": "boolean"}),
        "date" => json!({"type": "string", "format": "date"}),
        _ => json!({"type": "string"}),
    }
}

fn operation(e: &Endpoint) -> Value {
    let problem = |d: &str| json!({"description": d, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let mut responses = serde_json::Map::new();
    let ok = if e.ok.1.is_empty() {
        json!({"description": "Done"})
    } else {
        let media = match e.ok.1 {
            "Text" => "text/plain",
            "Zip" => "application/zip",
            "Binary" => "application/octet-stream",
            _ => "application/json",
        };
        json!({"description": "Success", "content": {media: {"schema": {"$ref": format!("#/components/schemas/{}", e.ok.1)}}}})
    };
    responses.insert(e.ok.0.to_string(), ok);
    if !e.params.is_empty() || !e.body.is_empty() {
        responses.insert("400".into(), problem("The request is malformed; the detail says which parameter and why"));
    }
    if let Some(roles) = e.roles {
        responses.insert("401".into(), problem("No valid bearer token"));
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        responses.insert("403".into(), problem(&format!("The token's role is not one of: {}", names.join(", "))));
    }
    if e.path.contains('{') || e.params.iter().any(|p| p.name == "product") {
        responses.insert("404".into(), problem("No such product, token or import kind"));
    }
    if e.body.iter().any(|b| *b != "application/json") || e.operation_id == "createSupplyEvent" {
        responses
            .insert("422".into(), problem("Rejected: nothing was written; the diagnostics say which lines and why"));
    }
    let mut op = json!({
        "operationId": e.operation_id,
        "tags": [e.tag],
        "summary": e.summary,
        "responses": responses,
    });
    if let Some(roles) = e.roles {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        op["security"] = json!([{"bearer": []}]);
        op["x-roles"] = json!(names);
    } else {
        op["security"] = json!([]);
    }
    if !e.params.is_empty() {
        op["parameters"] = Value::Array(
            e.params
                .iter()
                .map(|p| {
                    json!({"name": p.name, "in": p.location, "required": p.required, "description": p.description, "schema": param_schema(p.kind)})
                })
                .collect(),
        );
    }
    if !e.body.is_empty() {
        let mut content = serde_json::Map::new();
        for media in e.body {
            let schema = match (e.operation_id, *media) {
                ("createToken", _) => json!({"$ref": "#/components/schemas/TokenRequest"}),
                ("decideAssessment", _) => json!({"$ref": "#/components/schemas/DecisionRequest"}),
                ("markNoticeSent", _) => json!({"$ref": "#/components/schemas/NoticeRequest"}),
                ("createRequest", _) => json!({"$ref": "#/components/schemas/NewRequest"}),
                (_, "application/octet-stream") => json!({"type": "string", "format": "binary"}),
                ("createSupplyEvent", _) => {
                    json!({"type": "object", "additionalProperties": {"type": ["string", "number", "null"]}, "description": "Members named like the supply CSV's columns"})
                }
                (_, "text/csv") => json!({"type": "string"}),
                _ => json!({"type": "object", "description": "An EPCIS 2.0 document"}),
            };
            content.insert((*media).to_string(), json!({"schema": schema}));
        }
        op["requestBody"] = json!({"required": true, "content": content});
    }
    op
}

/// The document as a JSON value.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let item = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        item[e.method] = operation(e);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "msadesk API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The traceability registry of an economic operator under the Cyber Resilience Act (Art 23). Authenticate with `Authorization: Bearer TOKEN` (create one with `msadesk token create --role viewer`). Errors are RFC 9457 problem details.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "tags": [
            {"name": "registry", "description": "Products, operators, supply events and the Art 23 trace"},
            {"name": "inbox", "description": "Requests from market surveillance authorities and the authority directory"},
            {"name": "readiness", "description": "The readiness report: could we answer an authority today?"},
            {"name": "risk", "description": "Significant-risk assessments, officer decisions, obligations and notices sent"},
            {"name": "library", "description": "The documentation library per product version, and readiness gaps"},
            {"name": "inspector", "description": "What an authority's inspector token may read (one shared request)"},
            {"name": "auth", "description": "Who is calling; API tokens"},
            {"name": "operations", "description": "Health and metrics"}
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token (msd_…)"}},
            "schemas": schemas()
        }
    })
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn document_text() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}
