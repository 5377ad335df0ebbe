//! `simfleet passwd [--config FILE] [USER]`: sets a dashboard user's
//! password (user `admin` by default), asked twice at the terminal or read
//! from standard input with `--password-stdin`, stored as an argon2id hash
//! in `web.users_file` (see [`crate::web::users`]). The running gateway
//! reads the file at each sign-in and request: no restart needed, and the
//! dashboard sessions the old password opened end at their next request.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Args;

use super::client::ConfigArg;

/// Arguments of `simfleet passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The user whose password to set (added if new).
    #[arg(default_value = "admin")]
    pub user: String,
    /// Read the password from the first line of standard input instead of
    /// asking at the terminal (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Runs `simfleet passwd`; returns what to print.
pub fn run(args: &PasswdArgs) -> anyhow::Result<String> {
    let checked = crate::config::Config::load(&args.config.config)?;
    let file = checked.config.web.users_file(&checked.config.api);
    if !crate::web::users::valid_name(&args.user) {
        bail!(crate::web::users::UsersError::BadName(args.user.clone()));
    }
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("no terminal to ask the password at: pipe it with --password-stdin");
        }
        let first = rpassword::prompt_password(format!("New password for {}: ", args.user))
            .context("reading the password")?;
        if first.chars().count() < crate::web::users::MIN_PASSWORD_CHARS {
            bail!(crate::web::users::UsersError::ShortPassword);
        }
        let again = rpassword::prompt_password("Again: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ; nothing changed");
        }
        first
    };
    let new = crate::web::users::set_password(&file, &args.user, &password)?;
    Ok(format!(
        "{} {} in {}; sessions signed in with the old password are ended; sign in at the dashboard (http{}://{}/)",
        if new {
            "added user"
        } else {
            "changed the password of"
        },
        args.user,
        file.display(),
        if checked.config.api.tls() { "s" } else { "" },
        checked.config.api.listen
    ))
}
