//! `/api/v1/docs`: the OpenAPI document rendered for reading — every operation with its
//! parameters, and every schema with its fields — from the same document `/openapi.json` serves.

use askama::Template;
use askama_web::WebTemplate;
use utoipa::openapi::{RefOr, Schema};

use super::openapi::document;

pub struct Operation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub params: Vec<Param>,
    pub body: Option<String>,
    pub responses: Vec<(String, String)>,
}

pub struct Param {
    pub name: String,
    pub place: &'static str,
    pub required: bool,
    pub description: String,
}

pub struct SchemaDoc {
    pub name: String,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "api/docs.html")]
pub struct Docs {
    pub operations: Vec<Operation>,
    pub schemas: Vec<SchemaDoc>,
}

fn kind_of(schema: &RefOr<Schema>) -> String {
    match schema {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().unwrap_or("").to_string(),
        RefOr::T(s) => {
            let v = serde_json::to_value(s).unwrap_or_default();
            if let Some(e) = v.get("enum").and_then(|e| e.as_array()) {
                let names: Vec<String> = e
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect();
                return format!("枚举：{}", names.join(" | "));
            }
            if let Some(one) = v.get("oneOf").and_then(|o| o.as_array()) {
                let refs: Vec<String> = one
                    .iter()
                    .filter_map(|x| x.get("$ref").and_then(|r| r.as_str()))
                    .map(|r| r.rsplit('/').next().unwrap_or("").to_string())
                    .collect();
                if !refs.is_empty() {
                    return format!("{} 或 null", refs.join(" | "));
                }
            }
            let ty = match v.get("type") {
                Some(serde_json::Value::String(t)) => t.clone(),
                Some(serde_json::Value::Array(ts)) => ts
                    .iter()
                    .filter_map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" | "),
                _ => "任意".to_string(),
            };
            match v.get("format").and_then(|f| f.as_str()) {
                Some(f) => format!("{ty} ({f})"),
                None => ty,
            }
        }
    }
}

pub async fn show() -> Docs {
    let doc = document();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let params = op
                .parameters
                .iter()
                .flatten()
                .map(|p| {
                    let v = serde_json::to_value(p).unwrap_or_default();
                    Param {
                        name: p.name.clone(),
                        place: match v.get("in").and_then(|i| i.as_str()) {
                            Some("path") => "路径",
                            Some("header") => "请求头",
                            _ => "查询",
                        },
                        required: v.get("required").and_then(|r| r.as_bool()) == Some(true),
                        description: p.description.clone().unwrap_or_default(),
                    }
                })
                .collect();
            let body = op.request_body.as_ref().and_then(|b| {
                b.content
                    .values()
                    .next()
                    .and_then(|c| c.schema.as_ref())
                    .map(kind_of)
            });
            let responses = op
                .responses
                .responses
                .iter()
                .map(|(code, r)| {
                    let text = match r {
                        RefOr::T(r) => r.description.clone(),
                        RefOr::Ref(r) => r.ref_location.clone(),
                    };
                    (code.clone(), text)
                })
                .collect();
            operations.push(Operation {
                method,
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                params,
                body,
                responses,
            });
        }
    }
    let mut schemas = Vec::new();
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let v = serde_json::to_value(schema).unwrap_or_default();
            let required: Vec<&str> = v
                .get("required")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            let mut fields = Vec::new();
            if let RefOr::T(Schema::Object(obj)) = schema {
                for (field, s) in &obj.properties {
                    let description = serde_json::to_value(s)
                        .ok()
                        .and_then(|v| {
                            v.get("description")
                                .and_then(|d| d.as_str())
                                .map(str::to_string)
                        })
                        .unwrap_or_default();
                    fields.push(Field {
                        name: field.clone(),
                        kind: kind_of(s),
                        required: required.contains(&field.as_str()),
                        description,
                    });
                }
            } else {
                fields.push(Field {
                    name: String::new(),
                    kind: kind_of(schema),
                    required: false,
                    description: String::new(),
                });
            }
            schemas.push(SchemaDoc {
                name: name.clone(),
                fields,
            });
        }
    }
    Docs {
        operations,
        schemas,
    }
}
