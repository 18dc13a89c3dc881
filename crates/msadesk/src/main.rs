//! `msadesk`: the command line of msadesk. Thin glue: parse arguments, open the store the database
//! URL names, call the formats and the store, print the result as a table or JSON.

#![forbid(unsafe_code)]

mod action;
mod advisory;
mod cli;
mod db;
mod evidence;
mod generate;
mod inbox;
mod keys;
mod letters;
mod library;
mod obligations;
mod output;
mod readiness;
mod risk;
mod serve;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        // Output piped into `head` and closed early is not an error worth a message.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
