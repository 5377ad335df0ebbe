//! `simfleet demo`: the whole gateway with no setup — simulated modems,
//! a temporary data directory, the daemon on 127.0.0.1 — and a few
//! messages sent through the API so there is something to watch. The
//! dashboard is on: user `admin` gets a fresh demo password, printed
//! with the URL, so whoever tries it can sign in straight away.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use crate::config::Config;
use crate::gateway;
use crate::sim::{Fleet, FleetConfig, control};

/// Arguments of `simfleet demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Simulated modems.
    #[arg(long, default_value_t = 4)]
    pub modems: usize,
    /// First port to try for the API (the next free one is used).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Simulated network latency per send, in milliseconds.
    #[arg(long, default_value_t = 800)]
    pub latency_ms: u64,
}

async fn bind_from(first: u16) -> anyhow::Result<tokio::net::TcpListener> {
    for port in first..first.saturating_add(50) {
        if let Ok(l) = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            return Ok(l);
        }
    }
    Ok(tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?)
}

fn config_text(dir: &Path, listen: SocketAddr, public: SocketAddr) -> String {
    format!(
        r#"[api]
listen = "{listen}"
token_file = "{dir}/api-token"
[public]
listen = "{public}"
base_url = "http://{public}"
brand = "simfleet demo shop"
[storage]
path = "{dir}/simfleet.db"
[sending]
default_region = "RU"
status_reports = true
[[modem]]
port = "{dir}/sim/modem*"
daily_limit = 500
"#,
        dir = dir.display()
    )
}

/// A password for the demo's `admin`: 12 letters and digits that cannot
/// be mistaken for one another, in three groups (`k7m4-x9pq-2hzt`).
fn demo_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..3)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The sample campaign the demo offers to create: the demo contacts, two
/// variants, the default window and caps; its calls counted on the SIM
/// with IMSI `tracking_sim` (the first simulated modem's), whose number
/// variant B gives.
fn campaign_text(tracking_sim: &str) -> String {
    r#"# A sample campaign: simfleet campaign create campaign.toml
name = "Winter sale"
audience = { filter = { tag = "demo" } }
# calls to this SIM count for the campaign; {{ tracking_number }} is its number
call_tracking = { sim = "@SIM@" }

[[variants]]
name = "A"
text = "Hi {{ name }}, winter boots are 20% off with code {{ promo_code }}: {{ link(\"https://shop.example/boots\") }} Reply STOP to opt out"

[[variants]]
name = "B"
text = "{{ name }}, 20% off winter boots this week, code {{ promo_code }}. Questions? Call {{ tracking_number }}. Reply STOP to opt out"
"#
    .replace("@SIM@", tracking_sim)
}

/// Six contacts who opted in (at the demo's shop counter), tagged `demo`,
/// in four time zones: the campaign reaches each inside their own window.
async fn demo_contacts(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let contacts = [
        ("+79161234567", "Anna", "Europe/Moscow"),
        ("+79031112233", "Boris", "Europe/Moscow"),
        ("+74012555123", "Vera", "Europe/Kaliningrad"),
        ("+74232555124", "Gleb", "Asia/Vladivostok"),
        ("+5511955512345", "Lucia", "America/Sao_Paulo"),
        ("+5521955512346", "Pedro", "America/Sao_Paulo"),
    ];
    for (phone, name, zone) in contacts {
        client
            .post(format!("{base}/v1/contacts"))
            .bearer_auth(token)
            .json(
                &json!({"phone": phone, "name": name, "time_zone": zone, "tags": ["demo"],
                          "consent": {"status": "opted_in", "source": "demo shop counter"}}),
            )
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

/// Runs the demo until `shutdown`.
pub async fn run(
    args: &DemoArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new().prefix("simfleet-demo-").tempdir()?;
    let fleet = Arc::new(Fleet::start(&FleetConfig {
        modems: args.modems.clamp(1, 16),
        dir: dir.path().join("sim"),
        latency: Duration::from_millis(args.latency_ms),
    })?);
    let control_listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let control_url = format!("http://{}", control_listener.local_addr()?);
    let control_app = control::router(fleet.clone());
    tokio::spawn(async move { axum::serve(control_listener, control_app).await });

    let listener = bind_from(args.port).await?;
    let listen = listener.local_addr()?;
    // The public listener (tracked links, the subscribe form) on a free
    // loopback port; the gateway binds it from the config.
    let public = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?.local_addr()?;
    let config_path = dir.path().join("simfleet.toml");
    std::fs::write(&config_path, config_text(dir.path(), listen, public))?;
    let checked = Config::load(&config_path)?;
    let base = format!("http://{listen}");
    // The dashboard's user, so the demo can be tried in a browser at once.
    let password = demo_password();
    let users_file = checked.config.web.users_file(&checked.config.api);
    {
        let (file, password) = (users_file.clone(), password.clone());
        tokio::task::spawn_blocking(move || crate::web::users::set_password(&file, "admin", &password))
            .await??;
    }

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let gateway = tokio::spawn(gateway::serve(checked, listener, shutdown, move |running| {
        let _ = ready_tx.send(running.token.reveal().to_string());
    }));
    let token = ready_rx.await?;
    let campaign_path = dir.path().join("campaign.toml");
    // The campaign's tracking SIM: the first simulated modem's (its number
    // comes from the SIM itself, AT+CNUM).
    let tracking_sim = fleet.modem(0).map(|m| m.profile().imsi).unwrap_or_default();
    std::fs::write(&campaign_path, campaign_text(&tracking_sim))?;
    println!(
        r#"
simfleet demo — the gateway with {n} simulated modems (nothing to install, nothing touches a real network)

  dashboard {base}/  (open it in a browser; English, Español, Русский)
  user      admin
  password  {password}  (made for this demo; on a gateway of your own: sudo simfleet passwd)

  API       {base}
  public    http://{public}/subscribe  (the subscribe form; tracked links /l/…)
  token     {token}
  config    {config}
  data      {dir}  (deleted when the demo stops)
  simulator {control_url}  (control API: inject replies, faults, unplug; see README)

Try it from another terminal:

  export TOKEN={token}
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/modems
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{{"to": "+79161234567", "text": "Hello from simfleet"}}' {base}/v1/messages
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/messages/1
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/inbox
  # a survey; then vote as a villager would, through the simulated network
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{{"question": "Did the nurse visit you?", "options": {{"1": "Yes", "2": "No"}}, "recipients": ["+79031112233"]}}' {base}/v1/surveys
  curl -s -X POST -H 'Content-Type: application/json' \
       -d '{{"from": "+79031112233", "text": "1"}}' {control_url}/modems/0/sms
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/surveys/1
  # a STOP: confirmed once, then nothing more reaches that number
  curl -s -X POST -H 'Content-Type: application/json' \
       -d '{{"from": "+79161234567", "text": "СТОП"}}' {control_url}/modems/0/sms
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/optouts

  # a campaign: six sample contacts who opted in, in four time zones, are
  # tagged "demo"; each gets it inside 09:00-20:00 on their own clock
  simfleet campaign create {campaign} --config {config}
  simfleet campaign start 1 --config {config}
  simfleet campaign status 1 --watch --config {config}
  # its texts carry a promo code and a tracked link: open the link, then
  # redeem the code a recipient got (the texts as sent are in the
  # simulator's ledger: curl -s {control_url}/ledger)
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{{"order_id": "1001", "amount": "59.90"}}' {base}/v1/codes/CODE/redeem
  # a call to the campaign's tracking number (the first SIM, variant B gives
  # it): rejected, recorded and counted for the campaign and the caller's variant
  curl -s -X POST -H 'Content-Type: application/json' \
       -d '{{"modem": 0, "from": "+79161234567"}}' {control_url}/call
  curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/calls
  # an automation: a cart reminder 1 minute after the shop reports the cart;
  # a reminder is marketing: only to a contact who opted in (Boris did),
  # inside 09:00-20:00 on their clock (else it waits for the morning)
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{{"name": "Cart reminder", "on": "cart_abandoned", "delay": "1m", "kind": "marketing", "text": "Your {{{{ event.item }}}} is still in your cart", "cancel_on": ["order_placed"]}}' {base}/v1/automations
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{{"contact": "+79031112233", "event": "cart_abandoned", "data": {{"item": "kettle"}}}}' {base}/v1/events

  # or with the command line (simfleet on the PATH: cargo install --path .)
  simfleet status --config {config}
  simfleet send --config {config} --to +79161234567 --text "Hi" --wait
  simfleet messages --config {config} --watch

Every message's progress and every reply is shown below as it happens,
yours included. Press Ctrl-C to stop.
"#,
        n = args.modems,
        dir = dir.path().display(),
        config = config_path.display(),
        campaign = campaign_path.display(),
    );

    let client = crate::tls::http_client().build()?;
    demo_contacts(&client, &base, &token).await?;
    let samples = [
        (
            "+79161234567",
            "Здравствуйте! Напоминаем, что ваш приём у врача назначен на завтра, 10:30, кабинет 214. Пожалуйста, возьмите с собой паспорт и полис ОМС. Если вы не можете прийти, ответьте на это сообщение словом ОТМЕНА — мы предложим другое время. Спасибо!",
        ),
        (
            "+79031112233",
            "Your order #1042 is ready for pickup 🎉 Reply STOP to opt out.",
        ),
        (
            "+447911123456",
            "Hi! Your appointment is confirmed for Monday 10:30.",
        ),
        (
            "+254712345678",
            "Habari! Mkutano wa kijiji ni kesho saa nne asubuhi.",
        ),
    ];
    let mut ids = Vec::new();
    for (to, text) in samples {
        let r: Value = client
            .post(format!("{base}/v1/messages"))
            .bearer_auth(&token)
            .json(&json!({"to": to, "text": text}))
            .send()
            .await?
            .json()
            .await?;
        println!(
            "queued  #{:<3} to {to:<14} {} segment(s), {}",
            r["id"].as_str().unwrap_or("?"),
            r["segments"],
            r["encoding"].as_str().unwrap_or("?")
        );
        if let Some(id) = r["id"].as_str() {
            ids.push(id.to_string());
        }
    }
    // A reply arrives a little later, as a villager would send one.
    let reply_client = client.clone();
    let reply_url = format!("{control_url}/modems/0/sms");
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = reply_client
            .post(reply_url)
            .json(&json!({"from": "+79161234567", "text": "Спасибо, приду!"}))
            .send()
            .await;
    });
    // Follow everything: every status change of every message (the
    // samples and whatever the user sends), every reply, vote and STOP.
    let mut events_after = "0".to_string();
    let mut inbox_after = 0i64;
    let mut settled_said = false;
    let get = |url: String| {
        let client = client.clone();
        let token = token.clone();
        async move {
            match client.get(url).bearer_auth(&token).send().await {
                Ok(r) => r.json::<Value>().await.unwrap_or_default(),
                Err(_) => Value::Null,
            }
        }
    };
    while !gateway.is_finished() {
        let page = get(format!("{base}/v1/events?after={events_after}&limit=1000")).await;
        for e in page["events"].as_array().cloned().unwrap_or_default() {
            println!("message {}", super::lists::event_line(&e));
        }
        if let Some(next) = page["next"].as_str() {
            events_after = next.to_string();
        }
        let replies = get(format!("{base}/v1/inbox?after={inbox_after}&limit=1000")).await;
        for m in replies["messages"].as_array().cloned().unwrap_or_default() {
            println!("reply   {}", super::lists::reply_line(&m));
            if let Some(id) = m["id"].as_str().and_then(|i| i.parse().ok()) {
                inbox_after = inbox_after.max(id);
            }
        }
        if !settled_said {
            let mut settled = true;
            for id in &ids {
                let m = get(format!("{base}/v1/messages/{id}")).await;
                settled &= matches!(m["status"].as_str(), Some("delivered" | "failed" | "unknown"));
            }
            if settled && inbox_after > 0 {
                println!(
                    "\nAll samples delivered and the villager replied. The gateway keeps running — try the commands above; Ctrl-C to stop.\n"
                );
                settled_said = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    gateway.await??;
    fleet.shutdown().await;
    println!("stopped; removed {}", dir.path().display());
    Ok(())
}
