//! The daemon assembled: store (recovered), dispatcher, modems found from
//! the config's port globs, inbound storage, and the HTTP API — started
//! together and stopped in order (API first, then in-flight sends).

pub mod http;
pub mod lock;
pub mod other_writers;
pub mod systemd;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::api::{self, Accepting, AppState, Token};
use crate::config::Checked;
use crate::dispatch::{Clock, DispatchConfig, Dispatcher, SystemClock};
use crate::inbound::keywords::Keywords;
use crate::inbound::{InboundConfig, ReplyRules};
use crate::modem::{self, ModemConfig, SerialConnector};
use crate::sms::SplitOptions;
use crate::store::{Store, StoreError};

/// Why the gateway could not start.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// Another simfleet owns the database.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// The database could not be opened.
    #[error("storage {path}: {source}")]
    Store {
        /// Database path.
        path: String,
        /// Why.
        source: StoreError,
    },
    /// The token file could not be read or created.
    #[error("API token file {path}: {source}")]
    Token {
        /// Token file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Serving the API failed.
    #[error("API: {0}")]
    Serve(std::io::Error),
    /// The TLS certificate or key is unusable.
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The public listener could not start (`[public]`).
    #[error("public listener: {0}")]
    Public(String),
}

/// A started gateway's handles (for the demo and tests).
#[derive(Clone)]
pub struct Running {
    /// The store.
    pub store: Store,
    /// The dispatcher.
    pub dispatcher: Dispatcher,
    /// The API token.
    pub token: Token,
}

/// Runs the gateway on `listener` until `shutdown` resolves. `started` is
/// called once storage is open and the API listens. Takes the database's
/// lock first ([`lock::DbLock`]): a database another simfleet serves is
/// [`GatewayError::Lock`], before anything is read or recovered.
pub async fn serve(
    checked: Checked,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    started: impl FnOnce(&Running) + Send,
) -> Result<(), GatewayError> {
    let owned = lock::DbLock::acquire(&checked.config.storage.path)?;
    serve_locked(owned, checked, listener, shutdown, started).await
}

/// [`serve`] with the database's lock already taken (so that a second
/// daemon is refused before it even binds the API address); the lock is
/// held until this returns.
pub async fn serve_locked(
    owned: lock::DbLock,
    checked: Checked,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    started: impl FnOnce(&Running) + Send,
) -> Result<(), GatewayError> {
    let _owned = owned;
    let config = &checked.config;
    let tls = match (&config.api.tls_cert, &config.api.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    if tls.is_none() && !config.api.listen.ip().is_loopback() {
        warn!(
            listen = %config.api.listen,
            "the API is plain HTTP beyond loopback (api.allow_plain_http): the token and every message travel in clear"
        );
    }
    let (max_connections, nofile) = http::connection_cap(config.api.max_connections);
    if max_connections < config.api.max_connections as usize {
        warn!(
            max_connections,
            open_file_limit = nofile,
            "fewer API connections than api.max_connections: the open-file limit keeps room for modems and the database"
        );
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let db = config.storage.path.clone();
    let store = Store::open(&db).map_err(|source| GatewayError::Store {
        path: db.display().to_string(),
        source,
    })?;
    store
        .set_invalid_after_days(config.contacts.invalid_after_days)
        .map_err(|source| GatewayError::Store {
            path: db.display().to_string(),
            source,
        })?;
    let recovered = store
        .recover(clock.now_ms())
        .map_err(|source| GatewayError::Store {
            path: db.display().to_string(),
            source,
        })?;
    if recovered.unknown > 0 {
        warn!(
            count = recovered.unknown,
            "messages were being sent when the gateway stopped; marked unknown, not re-sent"
        );
    }
    if recovered.resumed > 0 {
        warn!(
            count = recovered.resumed,
            "long messages were cut when the gateway stopped; their unsent parts will follow through the same SIMs"
        );
    }
    let token_path = config.api.token_file.clone();
    let (token, created) = Token::load_or_create(&token_path).map_err(|source| GatewayError::Token {
        path: token_path.display().to_string(),
        source,
    })?;
    if created {
        info!(file = %token_path.display(), "created a new API token");
    }
    let split = SplitOptions {
        national: checked.national.clone(),
        wide_ref: false,
        normalize_punctuation: config.sending.normalize_punctuation,
    };
    let campaign_rules = crate::campaigns::CampaignRules::from_config(&checked, split.clone());
    let dispatcher = Dispatcher::new(
        store.clone(),
        clock.clone(),
        DispatchConfig {
            campaigns: campaign_rules.clone(),
            automations: crate::automations::AutomationRules {
                service_skips_window: config.automations.service_skips_window,
            },
            max_attempts: config.sending.max_attempts,
            validity_minutes: (config.sending.validity_minutes > 0)
                .then_some(config.sending.validity_minutes),
            split: split.clone(),
            ..DispatchConfig::default()
        },
    )
    .map_err(|source| GatewayError::Store {
        path: db.display().to_string(),
        source,
    })?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let validity = (config.sending.validity_minutes > 0).then_some(config.sending.validity_minutes);
    let (inbound_tx, inbound_rx) = mpsc::channel(64);
    let wake = dispatcher.clone();
    tokio::spawn(crate::inbound::consume(
        store.clone(),
        clock.clone(),
        inbound_config(&checked, split.clone(), validity),
        move || wake.wake(),
        inbound_rx,
    ));
    // Incoming calls: one event per call from the modem actors.
    let (calls_tx, calls_rx) = mpsc::channel(64);
    let wake = dispatcher.clone();
    tokio::spawn(crate::calls::consume(
        store.clone(),
        clock.clone(),
        crate::calls::CallRules {
            thanks: config.calls.thanks.clone(),
            region: checked.region,
            attribution_days: config.campaigns.attribution_days,
            split: split.clone(),
            validity_minutes: validity,
        },
        move || wake.wake(),
        calls_rx,
    ));
    let call_action = config.calls.action;
    let hooks: Vec<(String, Vec<String>)> = config
        .webhooks
        .iter()
        .map(|w| (w.url.clone(), w.events.clone()))
        .collect();
    let ids = store
        .sync_webhooks(&hooks)
        .map_err(|source| GatewayError::Store {
            path: db.display().to_string(),
            source,
        })?;
    // Commits by other processes (an opt-out or contact import) wake the
    // webhook workers and the dispatcher: they may have written events or
    // queued double opt-in requests.
    let wake = dispatcher.clone();
    let other_writers = tokio::spawn(other_writers::watch(store.clone(), db.clone(), move || {
        wake.wake()
    }));
    for (id, w) in ids.into_iter().zip(&config.webhooks) {
        tokio::spawn(crate::webhook::run(
            store.clone(),
            clock.clone(),
            crate::webhook::Receiver {
                id,
                url: w.url.clone(),
                secret: w.secret.clone(),
                ca_file: w.ca_file.clone(),
            },
            stop_rx.clone(),
        ));
    }
    if let Some(email) = &config.email {
        tokio::spawn(crate::email::run(
            store.clone(),
            clock.clone(),
            email.clone(),
            stop_rx.clone(),
        ));
    }

    let entries = config.modems.clone();
    let send_timeout = Duration::from_secs(config.sending.send_timeout_secs);
    let disc_dispatcher = dispatcher.clone();
    // Not the handles: a modem the dispatcher let go of must be able to stop.
    let mut appeared: std::collections::HashMap<std::path::PathBuf, Arc<tokio::sync::Notify>> =
        std::collections::HashMap::new();
    let discovery = tokio::spawn(modem::discover::watch(
        entries.iter().map(|e| e.port.clone()).collect(),
        move |i, path, how| {
            if how == modem::discover::Appeared::Back {
                // A replug: the modem's actor reopens it now.
                if let Some(signal) = appeared.get(&path) {
                    info!(port = %path.display(), "modem port back");
                    signal.notify_one();
                }
                return;
            }
            let entry = &entries[i];
            info!(port = %path.display(), "modem port found");
            let path_key = path.clone();
            let handle = modem::spawn(
                Arc::new(SerialConnector {
                    path,
                    baud: entry.baud,
                }),
                ModemConfig {
                    pin: entry.pin.clone(),
                    send_timeout,
                    number: entry.number.clone(),
                    call_action,
                    calls: Some(calls_tx.clone()),
                    ..ModemConfig::default()
                },
                Some(inbound_tx.clone()),
            );
            appeared.insert(path_key, handle.appeared_signal());
            disc_dispatcher.add_modem(handle, entry.policy());
        },
    ));

    let state = AppState {
        store: store.clone(),
        dispatcher: dispatcher.clone(),
        token: token.clone(),
        clock: clock.clone(),
        accepting: Accepting {
            region: checked.region,
            status_reports: config.sending.status_reports,
            split: split.clone(),
            validity_minutes: validity,
        },
        contacts: crate::contacts::ContactRules::from_config(
            &config.contacts,
            checked.region,
            split,
            validity,
        ),
        pricing: config.pricing.clone(),
        campaigns: campaign_rules.clone(),
    };
    let public = match config.public.listen {
        None => None,
        Some(addr) => Some(public_listener(&checked, addr, state.clone()).await?),
    };
    let running = Running {
        store: store.clone(),
        dispatcher: dispatcher.clone(),
        token,
    };
    let web = config
        .web
        .enabled
        .then(|| crate::web::router(crate::web::WebState::new(state.clone(), config)));
    let server = tokio::spawn(http::serve(
        listener,
        crate::web::mount(api::router(state), web),
        tls,
        http::Limits {
            max_connections,
            ..http::Limits::default()
        },
        stop_rx.clone(),
    ));
    let public_server = public.map(|(listener, router, tls)| {
        // Both listeners share the open-file budget the API's cap was cut
        // from: the public one gets what the API leaves.
        let room = nofile.saturating_sub(http::RESERVED_FDS) as usize;
        let public_cap = (config.public.max_connections as usize).min(room.saturating_sub(max_connections).max(16));
        if public_cap < config.public.max_connections as usize {
            warn!(
                max_connections = public_cap,
                open_file_limit = nofile,
                "fewer public connections than public.max_connections: the open-file limit is shared with the API"
            );
        }
        tokio::spawn(http::serve_public(
            listener,
            router,
            tls,
            http::Limits {
                max_connections: public_cap,
                ..http::Limits::default()
            },
            stop_rx.clone(),
        ))
    });
    let mut dispatch_stop = stop_rx.clone();
    let dispatch = tokio::spawn(dispatcher.clone().run(
        async move {
            let _ = dispatch_stop.wait_for(|s| *s).await;
        },
        Duration::from_secs(30),
    ));
    info!("gateway ready");
    started(&running);
    let watchdog =
        systemd::watchdog_interval().map(|every| tokio::spawn(systemd::feed_watchdog(store.clone(), every)));

    shutdown.await;
    info!("stopping: no new work; letting sends in flight finish");
    systemd::stopping();
    let _ = stop_tx.send(true);
    discovery.abort();
    other_writers.abort();
    let served = server.await;
    if let Some(p) = public_server
        && let Ok(Err(e)) = p.await
    {
        warn!(error = %e, "public listener stopped with an error");
    }
    let _ = dispatch.await;
    if let Some(w) = watchdog {
        w.abort();
    }
    info!("stopped");
    match served {
        Ok(Err(e)) => Err(GatewayError::Serve(e)),
        _ => Ok(()),
    }
}

/// The public listener of `[public]` on `addr`: bound, its CSRF key read
/// (or created), its router and TLS ready.
async fn public_listener(
    checked: &Checked,
    addr: std::net::SocketAddr,
    api: AppState,
) -> Result<(TcpListener, axum::Router, Option<Arc<rustls::ServerConfig>>), GatewayError> {
    let config = &checked.config;
    let p = &config.public;
    let tls = match (&p.tls_cert, &p.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    if tls.is_none() && !addr.ip().is_loopback() {
        warn!(
            listen = %addr,
            "the public listener is plain HTTP beyond loopback (public.allow_plain_http)"
        );
    }
    let key_file = p.secret_file(&config.api);
    let (key, created) = Token::load_or_create(&key_file)
        .map_err(|e| GatewayError::Public(format!("public.secret_file {}: {e}", key_file.display())))?;
    if created {
        info!(file = %key_file.display(), "created the subscribe form's key");
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| GatewayError::Public(format!("cannot listen on {addr} (public.listen): {e}")))?;
    let state = crate::public::PublicState {
        store: api.store,
        dispatcher: api.dispatcher,
        clock: api.clock,
        contacts: api.contacts,
        base_url: p.base_url.clone(),
        form: Arc::new(crate::public::FormSettings::new(config, key.reveal().as_bytes())),
    };
    info!(listen = %addr, "public listener (links, subscribe form)");
    Ok((listener, crate::public::router(state), tls))
}

/// The inbound side's settings from the config.
fn inbound_config(checked: &Checked, split: SplitOptions, validity_minutes: Option<u32>) -> InboundConfig {
    let o = &checked.config.optout;
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    InboundConfig {
        rules: ReplyRules {
            keywords: Keywords {
                opt_out: o.keywords.clone(),
                opt_in: o.resubscribe_keywords.clone(),
                help: o.help_keywords.clone(),
                join: checked.config.contacts.join_keywords.clone(),
                confirm: checked.config.contacts.confirm_keywords.clone(),
            },
            confirmation: text(&o.confirmation),
            resubscribed: text(&o.resubscribe_reply),
            help: text(&o.help_reply),
            max_auto_replies_per_day: o.max_auto_replies_per_day,
            contacts: crate::contacts::ContactRules::from_config(
                &checked.config.contacts,
                checked.region,
                split.clone(),
                validity_minutes,
            ),
            welcome: checked.config.contacts.welcome.clone(),
            attribution_days: checked.config.campaigns.attribution_days,
            email: checked.config.email.as_ref().map(|e| crate::email::EmailRules {
                replies: e.replies,
                mode: e.mode,
                zone: crate::email::Zone::from_config(e.time_zone.as_deref()),
            }),
            split,
            validity_minutes,
        },
        region: checked.region,
        reassembly_timeout: Duration::from_secs(
            u64::from(checked.config.inbound.reassembly_timeout_minutes) * 60,
        ),
    }
}
