//! Benchmark baseline: the callback intake exactly as the service runs it (query parsing, body
//! limit, envelope, signature, decryption, event parsing, dedupe key) but storing nothing.
//! `bench/callback-load.sh` runs it beside the real service to show what storing costs.
//!
//! Usage: callback_baseline LISTEN TOKEN ENCODING_AES_KEY CORP_ID

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use zhangfang::domain::clock::{Clock, SystemClock};
use zhangfang::error::AppError;
use zhangfang::services::callbacks::{CallbackQuery, open_event};
use zhangfang::services::wecom_apps::App as WecomApp;
use zhangfang::wecom::crypto::CallbackCrypto;

async fn receive(app: web::Data<WecomApp>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let outcome = CallbackQuery::parse(req.query_string())
        .and_then(|query| open_event(&app, &query, &body, SystemClock.now()));
    match outcome {
        Ok(row) => {
            std::hint::black_box(row);
            HttpResponse::Ok().finish()
        }
        Err(e) => actix_web::ResponseError::error_response(&AppError::from(e)),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, token, key, corp] = args.as_slice() else {
        eprintln!("usage: callback_baseline LISTEN TOKEN ENCODING_AES_KEY CORP_ID");
        std::process::exit(2);
    };
    let crypto = CallbackCrypto::new(token.as_str(), key, corp.as_str())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let app = web::Data::new(WecomApp::for_callbacks(1, 1, crypto, vec![corp.clone()]));
    HttpServer::new(move || {
        App::new()
            .app_data(app.clone())
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route("/wecom/callback/{corp_id}", web::post().to(receive))
    })
    .bind(listen.as_str())?
    .run()
    .await
}
