//! ApnsClient refuses servers that do not speak HTTP/2: one that negotiates only `http/1.1` by ALPN, and one
//! that negotiates nothing and answers in HTTP/1.1 (as a downgrading proxy would).
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::sync::Arc;

use rill_push::apns::{ApnsClient, ApnsRequest};
use rill_push::options::ClientOptions;
use rill_push::testing::FakeApns;
use rill_push::PushError;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::rustls;

/// A TLS server for 127.0.0.1 offering `alpn`, answering one request with a raw HTTP/1.1 200.
async fn http1_server(alpn: Vec<Vec<u8>>) -> (String, tempfile::NamedTempFile) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    ca_file.write_all(cert.pem().as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .unwrap();
    config.alpn_protocols = alpn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("https://{}", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let Ok(mut tls) = acceptor.accept(tcp).await else { return };
        let mut buf = [0u8; 4096];
        let _ = tls.read(&mut buf).await;
        let reply = "HTTP/1.1 200 OK\r\napns-id: 00000000-0000-0000-0000-000000000000\r\ncontent-length: 0\r\n\r\n";
        let _ = tls.write_all(reply.as_bytes()).await;
        let _ = tls.flush().await;
    });
    (host, ca_file)
}

async fn send_to(host: &str, ca_file: &tempfile::NamedTempFile) -> PushError {
    let fake = FakeApns::start().await;
    let options = ClientOptions { ca_file: Some(ca_file.path().to_owned()), ..fake.client_options() };
    let client = ApnsClient::new(fake.key(), options).unwrap().with_host(host);
    let request = ApnsRequest {
        device_token: "abcdef0123456789".to_owned(),
        topic: "chat.rill.app".to_owned(),
        push_type: "alert".to_owned(),
        priority: 10,
        expiration: None,
        collapse_id: None,
        id: None,
        payload: serde_json::json!({"aps": {"alert": "hi"}}),
    };
    client.send(&request).await.unwrap_err()
}

#[tokio::test]
async fn a_server_that_only_offers_http1_fails_the_handshake() {
    let (host, ca_file) = http1_server(vec![b"http/1.1".to_vec()]).await;
    let err = send_to(&host, &ca_file).await;
    assert!(matches!(err, PushError::Network { .. }), "{err:?}");
}

#[tokio::test]
async fn an_http1_answer_without_alpn_is_not_taken_as_delivered() {
    let (host, ca_file) = http1_server(Vec::new()).await;
    let err = send_to(&host, &ca_file).await;
    assert!(matches!(&err, PushError::Network { reason } if reason.contains("only HTTP/2")), "{err:?}");
}
