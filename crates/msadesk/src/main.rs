//! `msadesk`: the command line of msadesk. Thin glue: parse arguments, open the store the database
//! URL names, call the formats and the store, print the result as a table or JSON.

#![forbid(unsafe_code)]

mod cli;
mod db;
mod evidence;
mod generate;
mod output;
mod risk;
mod serve;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
