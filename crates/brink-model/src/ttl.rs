//! The CloudFront TTL policy of a cache behavior (cloudfront.md §2.1, §2.3).

use std::time::Duration;

/// CloudFront's default `MinTTL`: objects are not held beyond what the origin allows.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(0);
/// CloudFront's default `DefaultTTL`: a day, used when the origin gives no freshness.
pub const DEFAULT_DEFAULT_TTL: Duration = Duration::from_secs(86_400);
/// CloudFront's default `MaxTTL`: a year, the cap on any origin-supplied lifetime.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(31_536_000);
/// CloudFront's default `ErrorCachingMinTTL`: errors are remembered for 10 s so that a failing
/// origin is not hammered by every viewer.
pub const DEFAULT_ERROR_CACHING_MIN_TTL: Duration = Duration::from_secs(10);
/// The largest lifetime CloudFront accepts from `max-age` (100 years).
pub const MAX_ACCEPTED_AGE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// How long objects may live in the cache, as a CloudFront cache behavior or cache policy says.
///
/// Build one with [`TtlPolicy::new`], which checks `Min ≤ Default ≤ Max` like CloudFront's API.
/// A policy whose three TTLs are all zero disables caching (the `CachingDisabled` managed
/// policy); one with `min == default == 0` but a non-zero max is a plain RFC 9111 cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlPolicy {
    min: Duration,
    default: Duration,
    max: Duration,
    error_caching_min: Duration,
}

/// Why a [`TtlPolicy`] was refused. The `code` is CloudFront's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TtlPolicyError {
    /// `MinTTL ≤ DefaultTTL ≤ MaxTTL` does not hold.
    #[error("InvalidTTLOrder: {field} must satisfy MinTTL ({min}s) <= DefaultTTL ({default}s) <= MaxTTL ({max}s)")]
    InvalidTtlOrder {
        /// The field that breaks the order.
        field: &'static str,
        /// MinTTL in seconds.
        min: u64,
        /// DefaultTTL in seconds.
        default: u64,
        /// MaxTTL in seconds.
        max: u64,
    },
}

impl TtlPolicyError {
    /// CloudFront's error code for this problem.
    pub fn code(&self) -> &'static str {
        match self {
            TtlPolicyError::InvalidTtlOrder { .. } => "InvalidTTLOrder",
        }
    }
}

impl Default for TtlPolicy {
    fn default() -> Self {
        TtlPolicy {
            min: DEFAULT_MIN_TTL,
            default: DEFAULT_DEFAULT_TTL,
            max: DEFAULT_MAX_TTL,
            error_caching_min: DEFAULT_ERROR_CACHING_MIN_TTL,
        }
    }
}

impl TtlPolicy {
    /// A policy with the given TTLs and the default error-caching TTL.
    ///
    /// # Errors
    /// [`TtlPolicyError::InvalidTtlOrder`] unless `min ≤ default ≤ max`.
    pub fn new(min: Duration, default: Duration, max: Duration) -> Result<Self, TtlPolicyError> {
        let err = |field| TtlPolicyError::InvalidTtlOrder {
            field,
            min: min.as_secs(),
            default: default.as_secs(),
            max: max.as_secs(),
        };
        if min > default {
            return Err(err("DefaultTTL"));
        }
        if default > max {
            return Err(err("MaxTTL"));
        }
        Ok(TtlPolicy {
            min,
            default,
            max,
            error_caching_min: DEFAULT_ERROR_CACHING_MIN_TTL,
        })
    }

    /// The same policy with another `ErrorCachingMinTTL`.
    pub fn with_error_caching_min(mut self, ttl: Duration) -> Self {
        self.error_caching_min = ttl;
        self
    }

    /// `MinTTL`.
    pub fn min(&self) -> Duration {
        self.min
    }
    /// `DefaultTTL`.
    pub fn default_ttl(&self) -> Duration {
        self.default
    }
    /// `MaxTTL`.
    pub fn max(&self) -> Duration {
        self.max
    }
    /// `ErrorCachingMinTTL`.
    pub fn error_caching_min(&self) -> Duration {
        self.error_caching_min
    }

    /// True when every TTL is zero: nothing is cached and misses are not collapsed
    /// (CloudFront's `CachingDisabled`).
    pub fn caching_disabled(&self) -> bool {
        self.min.is_zero() && self.default.is_zero() && self.max.is_zero()
    }

    /// True when the CloudFront layer adds nothing to RFC 9111: no minimum and no default
    /// lifetime, so only the origin's own freshness information (or the RFC heuristic) counts,
    /// and errors are cached only as RFC 9111 allows.
    pub fn is_plain_rfc9111(&self) -> bool {
        self.min.is_zero() && self.default.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn defaults_are_cloudfronts() {
        let p = TtlPolicy::default();
        assert_eq!(
            (p.min(), p.default_ttl(), p.max()),
            (s(0), s(86_400), s(31_536_000))
        );
        assert_eq!(p.error_caching_min(), s(10));
        assert!(!p.is_plain_rfc9111());
    }

    #[test]
    fn order_is_checked() {
        assert_eq!(
            TtlPolicy::new(s(5), s(1), s(10)).unwrap_err().code(),
            "InvalidTTLOrder"
        );
        assert!(matches!(
            TtlPolicy::new(s(0), s(20), s(10)),
            Err(TtlPolicyError::InvalidTtlOrder {
                field: "MaxTTL",
                ..
            })
        ));
        assert!(TtlPolicy::new(s(0), s(0), s(0)).unwrap().caching_disabled());
        assert!(TtlPolicy::new(s(0), s(0), s(10))
            .unwrap()
            .is_plain_rfc9111());
    }
}
