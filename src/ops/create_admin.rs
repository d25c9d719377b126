//! `shopfront create-admin --email EMAIL`: a verified admin from the command line, the
//! password read from standard input and held to the same policy as the sign-up form.

use std::io::{BufRead, IsTerminal};

use crate::db::DbConn;
use crate::domain::account::{check_new_password, Email};
use crate::models::now;
use crate::ops::{CommandError, CommandResult};
use crate::services::hashing::hash_blocking;
use crate::services::users_admin::{create_admin, AdminOutcome};

/// Reads the password: without echo from a terminal, else one line from standard input.
fn read_password(email: &str) -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Password for {email}: "));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Creates the admin `email`, or promotes its account, with a password read from stdin.
pub fn run(conn: &mut DbConn, bcrypt_cost: u32, email: &str) -> CommandResult {
    let email = Email::parse(email).map_err(|m| CommandError::Usage(format!("--email: {m}")))?;
    let password = read_password(email.as_str()).map_err(|e| {
        CommandError::Usage(format!("cannot read the password from standard input: {e}"))
    })?;
    check_new_password(&password, Some(&email))
        .map_err(|m| CommandError::Usage(format!("password: {m}")))?;
    let hash = hash_blocking(&password, bcrypt_cost)
        .map_err(|e| CommandError::Failed(format!("cannot hash the password: {e}")))?;
    match create_admin(conn, &email, &hash, now()) {
        Ok(AdminOutcome::Created) => println!("created the admin {email}"),
        Ok(AdminOutcome::Promoted) => {
            println!("promoted {email} to admin (verified, with the new password)")
        }
        Err(e) => return Err(CommandError::Failed(e.to_string())),
    }
    Ok(())
}
