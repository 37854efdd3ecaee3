//! The configuration every AWS client of tsfn is built from (DynamoDB, EventBridge, S3): the
//! standard chain for region, credentials and `AWS_ENDPOINT_URL`, and the SDK's HTTPS client
//! with rustls on ring instead of aws-lc-rs (the SDKs' `default-https-client` feature is off, so
//! aws-lc-rs is not linked at all), with proxy settings from the environment.

use aws_config::timeout::TimeoutConfig;

/// The SDK configuration, with `timeouts` when given. Built once per process by each client's
/// owner: clients share nothing else.
pub async fn config(timeouts: Option<TimeoutConfig>) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    use aws_smithy_http_client::{proxy::ProxyConfig, Builder, ConnectorBuilder};
    let https = Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    });
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https);
    if let Some(t) = timeouts {
        loader = loader.timeout_config(t);
    }
    loader.load().await
}
