//! The OpenAPI 3.1 document of `/api/v1`, built from the types the handlers use (their schemas
//! derive from the same structs via utoipa) and from the same resource list that mounts the
//! routes.

use actix_web::{HttpResponse, web};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi,
    OpenApiBuilder, PathItem, Paths, PathsBuilder, Ref, RefOr, Required, ResponseBuilder,
    ResponsesBuilder, Schema, Type,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{ChangesQuery, ResourceVisitor, each_resource};
use crate::error::FieldError;
use crate::services::api::changes::{Change, ChangePage};
use crate::services::api::{ApiResource, ListQuery};
use crate::state::AppState;

pub const PREFIX: &str = "/api/v1";

struct Describe {
    paths: PathsBuilder,
    components: ComponentsBuilder,
}

fn json_body(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn error_responses(responses: ResponsesBuilder) -> ResponsesBuilder {
    let error = || {
        ResponseBuilder::new().content(
            "application/json",
            json_body(Ref::from_schema_name("Error")),
        )
    };
    responses
        .response("401", error().description("缺少或无效的 API 密钥"))
        .response("403", error().description("密钥没有此权限"))
        .response("422", error().description("输入有误，details 列出每个字段"))
        .response(
            "429",
            error().description("超过每个密钥的速率限制，见 Retry-After"),
        )
}

fn id_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(i64::schema()))
        .build()
}

fn idempotency_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(super::idempotency::HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Same key and body within 24 h: the first answer again; another body: 422",
        ))
        .schema(Some(String::schema()))
        .build()
}

impl ResourceVisitor for Describe {
    fn visit<R: ApiResource>(&mut self)
    where
        R::Model: ToSchema,
        R::Input: ToSchema,
    {
        let name = R::PATH;
        let label = R::LABEL;
        let model = format!("{}", <R::Model as ToSchema>::name());
        let model = if model == "Model" {
            title_case(R::ENTITY)
        } else {
            model
        };
        let input = <R::Input as ToSchema>::name().to_string();
        let mut nested = Vec::new();
        <R::Model as ToSchema>::schemas(&mut nested);
        <R::Input as ToSchema>::schemas(&mut nested);
        let mut components = std::mem::take(&mut self.components)
            .schema(model.clone(), <R::Model as PartialSchema>::schema())
            .schema(input.clone(), <R::Input as PartialSchema>::schema());
        for (n, s) in nested {
            components = components.schema(n, s);
        }
        self.components = components;
        let one = || Ref::from_schema_name(model.clone());
        let page = ObjectBuilder::new()
            .property("data", ArrayBuilder::new().items(one()))
            .property(
                "next_cursor",
                ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ])),
            )
            .required("data");
        let list = OperationBuilder::new()
            .operation_id(Some(format!("list_{name}")))
            .tag(name)
            .summary(Some(format!("列出{label}（按 id 升序，游标分页）")))
            .parameters(Some(ListQuery::into_params(|| Some(ParameterIn::Query))))
            .responses(error_responses(
                ResponsesBuilder::new().response(
                    "200",
                    ResponseBuilder::new()
                        .description("一页")
                        .content("application/json", json_body(page)),
                ),
            ))
            .build();
        let body = || {
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    json_body(Ref::from_schema_name(input.clone())),
                )
                .build()
        };
        let row = |status: &str, what: &str| {
            ResponsesBuilder::new().response(
                status,
                ResponseBuilder::new()
                    .description(what.to_string())
                    .content("application/json", json_body(one())),
            )
        };
        let create = OperationBuilder::new()
            .operation_id(Some(format!("upsert_{name}")))
            .tag(name)
            .summary(Some(format!(
                "新增{label}；external_id 已存在时更新该记录（upsert）"
            )))
            .parameter(idempotency_param())
            .request_body(Some(body()))
            .responses(error_responses(
                row("201", "已新增")
                    .response(
                        "200",
                        ResponseBuilder::new()
                            .description("已更新或无变化")
                            .content("application/json", json_body(one())),
                    )
                    .response(
                        "409",
                        ResponseBuilder::new()
                            .description("会覆盖账房中确认的数据，details 列出冲突字段")
                            .content(
                                "application/json",
                                json_body(Ref::from_schema_name("Error")),
                            ),
                    ),
            ))
            .build();
        let batch_rows = ObjectBuilder::new()
            .property(
                "rows",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(input.clone()))
                    .max_items(Some(crate::services::api::MAX_BATCH)),
            )
            .required("rows");
        let batch = OperationBuilder::new()
            .operation_id(Some(format!("batch_{name}")))
            .tag(name)
            .summary(Some(format!(
                "批量 upsert {label}，最多 1000 行，一个事务，全部成功或全部不保存"
            )))
            .parameter(idempotency_param())
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", json_body(batch_rows))
                    .build(),
            ))
            .responses(error_responses(ResponsesBuilder::new().response(
                "200",
                ResponseBuilder::new().description("每行的结果（created / updated / unchanged）"),
            )))
            .build();
        let get = OperationBuilder::new()
            .operation_id(Some(format!("get_{name}")))
            .tag(name)
            .parameter(id_param())
            .responses(error_responses(row("200", "记录").response(
                "404",
                ResponseBuilder::new().description("不存在（或属于另一家公司）"),
            )))
            .build();
        let put = OperationBuilder::new()
            .operation_id(Some(format!("replace_{name}")))
            .tag(name)
            .summary(Some("按 id 整体替换；未给出的字段取默认值".to_string()))
            .parameter(id_param())
            .request_body(Some(body()))
            .responses(error_responses(row("200", "已替换")))
            .build();
        let mut paths = std::mem::take(&mut self.paths)
            .path(
                format!("{PREFIX}/{name}"),
                PathItem::from_http_methods([HttpMethod::Get], list),
            )
            .path(
                format!("{PREFIX}/{name}"),
                PathItem::from_http_methods([HttpMethod::Post], create),
            )
            .path(
                format!("{PREFIX}/{name}:batch"),
                PathItem::from_http_methods([HttpMethod::Post], batch),
            )
            .path(
                format!("{PREFIX}/{name}/{{id}}"),
                PathItem::from_http_methods([HttpMethod::Get], get),
            )
            .path(
                format!("{PREFIX}/{name}/{{id}}"),
                PathItem::from_http_methods([HttpMethod::Put], put),
            );
        if R::DELETABLE {
            let delete = OperationBuilder::new()
                .operation_id(Some(format!("delete_{name}")))
                .tag(name)
                .parameter(id_param())
                .responses(error_responses(
                    ResponsesBuilder::new()
                        .response("204", ResponseBuilder::new().description("已删除")),
                ))
                .build();
            paths = paths.path(
                format!("{PREFIX}/{name}/{{id}}"),
                PathItem::from_http_methods([HttpMethod::Delete], delete),
            );
        }
        self.paths = paths;
    }
}

fn title_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut d = Describe {
        paths: PathsBuilder::new(),
        components: ComponentsBuilder::new()
            .schema("FieldError", FieldError::schema())
            .schema(
                "Error",
                ObjectBuilder::new()
                    .property("error", String::schema())
                    .property("message", String::schema())
                    .property(
                        "details",
                        ArrayBuilder::new().items(Ref::from_schema_name("FieldError")),
                    )
                    .required("error")
                    .required("message"),
            )
            .schema("Change", Change::schema())
            .schema("ChangePage", ChangePage::schema())
            .security_scheme(
                "api_key",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            ),
    };
    each_resource(&mut d);
    let changes = OperationBuilder::new()
        .operation_id(Some("list_changes"))
        .tag("changes")
        .summary(Some(
            "按发生顺序返回所有新增、修改和删除（含侧边栏中确认的收款、开具或作废的收据、收票与跟进）",
        ))
        .parameters(Some(ChangesQuery::into_params(|| Some(ParameterIn::Query))))
        .responses(error_responses(ResponsesBuilder::new().response(
            "200",
            ResponseBuilder::new()
                .description("一页变更")
                .content("application/json", json_body(Ref::from_schema_name("ChangePage"))),
        )))
        .build();
    let paths: Paths = d
        .paths
        .path(
            format!("{PREFIX}/changes"),
            PathItem::from_http_methods([HttpMethod::Get], changes),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("账房 Zhangfang API")
                .version("1")
                .description(Some(
                    "代账公司业务数据的读写接口。每个请求带 Authorization: Bearer KEY；金额单位为分，期间为 YYYY-MM。",
                )),
        )
        .paths(paths)
        .components(Some(d.components.build()))
        .security(Some(vec![SecurityRequirement::new(
            "api_key",
            Vec::<String>::new(),
        )]))
        .build()
}

pub async fn serve(_state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document())
}
