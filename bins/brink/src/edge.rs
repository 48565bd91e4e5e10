//! `brink edge --config FILE`: an edge serving every distribution of a configuration file
//! shaped like the aws CLI's output (`{"Distributions": [...], "CachePolicies": [...], ...}`,
//! JSON or YAML), plus Brink's `Certificates` list: the PEM files behind the ACM ARNs and
//! IAM certificate ids the distributions' `ViewerCertificate`s name.

use std::path::PathBuf;
use std::sync::Arc;

use brink_model::EdgeFile;
use clap::Args;

use crate::serve::{ConfigError, ServeArgs};

/// `brink edge` options: the configuration file, then everything `brink serve` takes except
/// `--origin`.
#[derive(Debug, Args)]
pub(crate) struct EdgeArgs {
    /// Distributions and policies, as `aws cloudfront get-distribution --output json` prints
    /// them (JSON, or YAML for `.yaml`/`.yml` files). Viewer certificates go in a top-level
    /// `"Certificates": [{"Id": "<ACMCertificateArn or IAMCertificateId>", "CertificateFile":
    /// "cert.pem", "PrivateKeyFile": "key.pem"}]` (paths relative to the file); they are
    /// chosen by SNI, and --tls-cert/--tls-key is then the default (`*.cloudfront.net`)
    /// certificate. Re-read on SIGHUP and when the file changes.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "control",
        conflicts_with = "control"
    )]
    config: Option<PathBuf>,
    /// Take the configuration and invalidations from a control plane (`brink control`)
    /// instead of a file: `http://host:port`. The last configuration applied is kept in
    /// --state-dir and served at start, before the control plane answers (and while it is
    /// down).
    #[arg(long, value_name = "URL", requires = "state_dir")]
    control: Option<String>,
    /// The control plane's feed token: a file holding it (`DATA_DIR/edge-token` of
    /// `brink control`).
    #[arg(long, value_name = "FILE", requires = "control")]
    control_token_file: Option<PathBuf>,
    /// Where an edge fed by a control plane keeps the last configuration it applied.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Domain under which a distribution without a `DomainName` gets its generated name
    /// (`d` + 13 lowercase letters and digits + `.` + this), as CloudFront's
    /// `d111111abcdef8.cloudfront.net`.
    #[arg(long, value_name = "DOMAIN", default_value = "cloudfront.net")]
    cdn_domain: String,
    /// MaxMind DB for geo restriction (the shipped iptoasn layout, or GeoIP2/GeoLite2 Country
    /// or City). Default: the iptoasn database built into brink.
    #[arg(long, value_name = "FILE")]
    geo_db: Option<PathBuf>,
    #[command(flatten)]
    s3: S3Args,
    #[command(flatten)]
    options: ServeArgs,
}

/// S3 origins and S3 Transfer Acceleration.
#[derive(Debug, Args)]
pub(crate) struct S3Args {
    /// A local S3 store (`brink origin`): origins whose domain is an S3 REST name
    /// (`<bucket>.s3.amazonaws.com`, `<bucket>.s3.<region>.amazonaws.com`,
    /// `<bucket>.s3-<region>.amazonaws.com`) are reached at `URL/<bucket>/<key>` (path style),
    /// and S3 Transfer Acceleration requests are proxied to it.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The CDN's service credential, `{"AccessKeyId", "SecretAccessKey", "AccountId"}` (JSON,
    /// `DIR/cdn-service-credentials.json` of `brink up`): requests to S3 origins with an
    /// origin access control are signed with it (SigV4).
    #[arg(long, value_name = "FILE")]
    oac_credentials: Option<PathBuf>,
    /// Also serve S3 Transfer Acceleration on this address: every request (path style) is
    /// proxied unchanged to --s3-endpoint.
    #[arg(long, value_name = "ADDR", requires = "s3_endpoint")]
    accelerate_listen: Option<std::net::SocketAddr>,
    /// Viewer requests whose Host is `<bucket>.<this domain>` are S3 Transfer Acceleration,
    /// proxied unchanged to --s3-endpoint. Default with --s3-endpoint:
    /// `s3-accelerate.<--cdn-domain>`.
    #[arg(long, value_name = "DOMAIN", requires = "s3_endpoint")]
    accelerate_domain: Option<String>,
}

impl S3Args {
    /// The edge's S3 settings; `cdn_domain` names the default acceleration domain.
    pub(crate) fn settings(&self, cdn_domain: &str) -> Result<brink_edge::S3Settings, ConfigError> {
        let endpoint = match &self.s3_endpoint {
            None => None,
            Some(url) => Some(
                brink_edge::Origin::parse(url)
                    .map_err(|e| ConfigError(e.to_string().replace("--origin", "--s3-endpoint")))?,
            ),
        };
        let credentials = match &self.oac_credentials {
            None => None,
            Some(p) => Some(Arc::new(
                brink_edge::ServiceCredentials::load(p).map_err(ConfigError)?,
            )),
        };
        let accelerate_domain = endpoint.as_ref().map(|_| {
            self.accelerate_domain
                .clone()
                .unwrap_or_else(|| format!("s3-accelerate.{cdn_domain}"))
                .trim_end_matches('.')
                .to_ascii_lowercase()
        });
        Ok(brink_edge::S3Settings {
            endpoint,
            credentials,
            accelerate_domain,
            accelerate_listen: self.accelerate_listen,
        })
    }
}

/// Where `brink edge --control` gets its configuration.
#[derive(Debug)]
pub(crate) struct ControlSource {
    /// The control plane.
    pub(crate) url: String,
    /// File holding the feed token.
    pub(crate) token_file: Option<PathBuf>,
    /// Where the last applied document lives.
    pub(crate) state_dir: PathBuf,
    /// Domain of generated distribution names.
    pub(crate) cdn_domain: String,
}

/// Validates a document (JSON text) as `--config` would, with every problem in the error.
pub(crate) fn validate_document(
    text: &str,
    cdn_domain: &str,
) -> Result<brink_model::Model, String> {
    validate_document_in(text, cdn_domain, None)
}

/// [`validate_document`], with relative certificate paths resolved against `base` (the
/// state directory the feed wrote them to).
pub(crate) fn validate_document_in(
    text: &str,
    cdn_domain: &str,
    base: Option<&std::path::Path>,
) -> Result<brink_model::Model, String> {
    let mut file =
        EdgeFile::from_json(text).map_err(|e| format!("{} {e}", brink_model::ParseError::CODE))?;
    if let Some(dir) = base {
        for c in &mut file.certificates {
            for p in [&mut c.certificate_file, &mut c.private_key_file] {
                if !p.is_empty() && std::path::Path::new(p.as_str()).is_relative() {
                    *p = dir.join(p.as_str()).to_string_lossy().into_owned();
                }
            }
        }
    }
    let opts = brink_model::ValidateOptions {
        cdn_domain: cdn_domain.to_owned(),
    };
    brink_model::validate_with(&file, &opts).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Reads and validates the file: every problem is reported at once, each with CloudFront's
/// error code and the field's path.
pub(crate) fn load(
    path: &std::path::Path,
    cdn_domain: &str,
) -> Result<brink_model::Model, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("--config {}: {e}", path.display())))?;
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let mut file = if yaml {
        EdgeFile::from_yaml(&text)
    } else {
        EdgeFile::from_json(&text)
    }
    // A parse error is reported like a validation problem: CloudFront's code, then where.
    .map_err(|e| {
        ConfigError(format!(
            "--config {}: {} {e}",
            path.display(),
            brink_model::ParseError::CODE
        ))
    })?;
    // Certificate paths are relative to the configuration file.
    let dir = path.parent().unwrap_or(std::path::Path::new(""));
    for c in &mut file.certificates {
        for p in [&mut c.certificate_file, &mut c.private_key_file] {
            if !p.is_empty() && std::path::Path::new(p.as_str()).is_relative() {
                *p = dir.join(p.as_str()).to_string_lossy().into_owned();
            }
        }
    }
    let opts = brink_model::ValidateOptions {
        cdn_domain: cdn_domain.to_owned(),
    };
    brink_model::validate_with(&file, &opts).map_err(|errors| problems(path, &errors))
}

/// Every problem of the file, one per line, each with its code and path.
fn problems(path: &std::path::Path, errors: &[brink_model::ConfigError]) -> ConfigError {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    ConfigError(format!(
        "--config {}: {} problem(s):\n  {}",
        path.display(),
        errors.len(),
        lines.join("\n  ")
    ))
}

pub(crate) fn run(args: EdgeArgs) -> anyhow::Result<()> {
    let domain = crate::domain::check_cdn_domain(&args.cdn_domain)?;
    // A file given with --geo-db is re-read when it changes (the supervisor polls it).
    let geo = match &args.geo_db {
        Some(p) => brink_geo::WatchedGeoDb::open(p),
        None => brink_geo::GeoDb::shipped().map(brink_geo::WatchedGeoDb::fixed),
    }
    .map_err(|e| ConfigError(format!("--geo-db: {e}")))?;
    let geo = Some(Arc::new(geo));
    let s3 = args.s3.settings(&domain)?;
    let Some(config) = args.config.clone() else {
        return crate::edge_control::run(
            args.options,
            s3,
            ControlSource {
                url: args.control.unwrap_or_default(),
                token_file: args.control_token_file,
                state_dir: args.state_dir.unwrap_or_default(),
                cdn_domain: domain,
            },
            geo,
        );
    };
    let model = load(&config, &domain)?;
    // The certificate files are read here first so that a bad one is a configuration error
    // (exit 64) naming the field; reloads check them again before switching.
    brink_edge::check_viewer_certificates(&model).map_err(|e| problems(&config, &e))?;
    // `--check` (a `ServeArgs` flag) stops in `serve::run` once the options are checked too.
    tracing::info!(
        distributions = model.distributions().len(),
        "configuration loaded"
    );
    // SIGHUP and changes to the file reload it; a file that fails validation is refused
    // with its problems logged, and the running configuration stays.
    let path = config.clone();
    let source = brink_edge::ModelSource {
        load: Arc::new(move || load(&path, &domain).map(Arc::new).map_err(|e| e.0)),
        path: config,
    };
    crate::serve::run(
        args.options,
        Some(Arc::new(model)),
        Some(source),
        None,
        geo,
        s3,
    )
}
