//! A few open stores, used one request at a time from blocking threads.
//!
//! The Store trait is synchronous and takes `&mut self`, so a store serves one request at a time.
//! The pool opens stores on demand with the factory the binary gave (up to `size`), hands one to a
//! `spawn_blocking` closure, and takes it back afterwards. A store whose call failed with a backend
//! error is dropped rather than returned, so a broken connection is replaced by a fresh one.

use std::sync::{Arc, Mutex};

use msadesk_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::problem::ApiError;

/// Opens a store (the binary decides which engine, from the database URL).
pub type StoreFactory = Arc<dyn Fn() -> Result<Box<dyn Store>, StoreError> + Send + Sync>;

pub struct Pool {
    factory: StoreFactory,
    idle: Arc<Mutex<Vec<Box<dyn Store>>>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    pub fn new(factory: StoreFactory, size: usize) -> Self {
        Pool { factory, idle: Arc::new(Mutex::new(Vec::new())), permits: Arc::new(Semaphore::new(size.max(1))) }
    }

    /// Runs `f` with a store on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let permit =
            self.permits.clone().acquire_owned().await.map_err(|_| {
                ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down")
            })?;
        let idle = self.idle.clone();
        let factory = self.factory.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = idle.lock().map(|mut v| v.pop()).unwrap_or(None);
            let mut store = match taken {
                Some(s) => s,
                None => factory().map_err(ApiError::from)?,
            };
            let result = f(store.as_mut());
            let broken = matches!(&result, Err(e) if e.status.is_server_error());
            if !broken && let Ok(mut v) = idle.lock() {
                v.push(store);
            }
            result
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => {
                eprintln!("msadesk-server: a request's database work panicked: {e}");
                Err(ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
            }
        }
    }
}
