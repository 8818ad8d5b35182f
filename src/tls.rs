//! Built-in HTTPS: the certificate chain and key from PEM files, served with rustls
//! (HTTP/2 and HTTP/1.1 by ALPN), and read again on SIGHUP so a renewed certificate is
//! picked up without a restart. A reload that fails keeps the certificate in use.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// A certificate or key that cannot be used; worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

/// The certificate in use, swapped whole on reload.
pub struct CertStore {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("cert", &self.files.cert)
            .field("key", &"***")
            .finish()
    }
}

impl CertStore {
    /// Reads and checks the files: a chain, a key, and the key belonging to the chain.
    pub fn load(files: &TlsFiles) -> Result<Arc<CertStore>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = read_certified_key(files, &provider)?;
        Ok(Arc::new(CertStore {
            files: files.clone(),
            provider,
            current: ArcSwap::from_pointee(key),
        }))
    }

    /// Reads the files again; on success new connections get the new certificate.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = read_certified_key(&self.files, &self.provider)?;
        self.current.store(Arc::new(key));
        Ok(())
    }

    /// The rustls configuration serving this store's certificate (TLS 1.2 and 1.3).
    pub fn server_config(self: &Arc<Self>) -> Result<ServerConfig, TlsError> {
        let config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("TLS set-up failed: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        Ok(config)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// Checks the PEM files as start-up would (for `fundraiser check`).
pub fn check(files: &TlsFiles) -> Result<(), TlsError> {
    CertStore::load(files).map(|_| ())
}

fn read_certified_key(
    files: &TlsFiles,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let certs = read_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        TlsError(format!(
            "server.tls_key: no usable private key in {} ({})",
            files.key.display(),
            pem_problem(e)
        ))
    })?;
    CertifiedKey::from_der(certs, key, provider).map_err(|e| {
        TlsError(format!(
            "server.tls_cert and server.tls_key: the key does not fit the certificate or is not supported ({e})"
        ))
    })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let problem = |e| {
        TlsError(format!(
            "server.tls_cert: no usable certificate in {} ({})",
            path.display(),
            pem_problem(e)
        ))
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(problem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(problem)?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "server.tls_cert: {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn pem_problem(e: rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::Io(e) => e.to_string(),
        rustls_pki_types::pem::Error::NoItemsFound => "no PEM section of that kind".into(),
        other => format!("malformed PEM: {other:?}"),
    }
}

/// Reloads the certificate whenever the process receives SIGHUP.
pub fn reload_on_sighup(store: Arc<CertStore>) -> std::io::Result<()> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    actix_web::rt::spawn(async move {
        while hangups.recv().await.is_some() {
            match store.reload() {
                Ok(()) => {
                    tracing::info!(cert = %store.files.cert.display(), "TLS certificate reloaded")
                }
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the previous one stays in use")
                }
            }
        }
    });
    Ok(())
}
