//! When an origin group moves a request on to its next origin (Gcore's `use_next` and
//! `proxy_next_upstream` of `/cdn/origin_groups`).

use edge_feed::NextUpstream;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NextUpstreamPolicyError {
    #[error("Choose at least one case that sends a request on to the next origin, or turn off “Use next origin”.")]
    NoCase,
    #[error("“{0}” is listed twice; list each case once.")]
    Repeated(&'static str),
}

/// Gcore's `use_next` and `proxy_next_upstream`: whether the answers listed move a request on to
/// the next origin, and which. Gcore: "If you enable it, you must specify cases in
/// `proxy_next_upstream`", so `use_next` needs at least one case; each case at most once, in the
/// customer's order. The cases are kept while `use_next` is off, as Gcore keeps them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "NextUpstreamPolicyFields", into = "NextUpstreamPolicyFields")]
pub struct NextUpstreamPolicy {
    use_next: bool,
    cases: Vec<NextUpstream>,
}

impl NextUpstreamPolicy {
    /// The cases a new group gets when none are given: `error` and `timeout` (Gcore's default
    /// `proxy_next_upstream`, nginx's own default).
    pub const DEFAULT_CASES: [NextUpstream; 2] = [NextUpstream::Error, NextUpstream::Timeout];

    pub fn new(use_next: bool, cases: Vec<NextUpstream>) -> Result<Self, NextUpstreamPolicyError> {
        for (n, case) in cases.iter().enumerate() {
            if cases[..n].contains(case) {
                return Err(NextUpstreamPolicyError::Repeated(case.as_str()));
            }
        }
        if use_next && cases.is_empty() {
            return Err(NextUpstreamPolicyError::NoCase);
        }
        Ok(Self { use_next, cases })
    }

    pub fn use_next(&self) -> bool {
        self.use_next
    }

    /// The cases, in the customer's order (Gcore's `proxy_next_upstream`).
    pub fn cases(&self) -> &[NextUpstream] {
        &self.cases
    }
}

impl Default for NextUpstreamPolicy {
    /// Gcore's defaults: `use_next` off, `proxy_next_upstream` `["error", "timeout"]`.
    fn default() -> Self {
        Self { use_next: false, cases: Self::DEFAULT_CASES.to_vec() }
    }
}

/// The policy's fields as serde reads and writes them.
#[derive(Serialize, Deserialize)]
struct NextUpstreamPolicyFields {
    use_next: bool,
    proxy_next_upstream: Vec<NextUpstream>,
}

impl TryFrom<NextUpstreamPolicyFields> for NextUpstreamPolicy {
    type Error = NextUpstreamPolicyError;
    fn try_from(fields: NextUpstreamPolicyFields) -> Result<Self, Self::Error> {
        Self::new(fields.use_next, fields.proxy_next_upstream)
    }
}

impl From<NextUpstreamPolicy> for NextUpstreamPolicyFields {
    fn from(policy: NextUpstreamPolicy) -> Self {
        Self { use_next: policy.use_next, proxy_next_upstream: policy.cases }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_next_needs_a_case_and_cases_are_distinct() {
        assert_eq!(NextUpstreamPolicy::new(true, vec![]), Err(NextUpstreamPolicyError::NoCase));
        assert!(NextUpstreamPolicy::new(false, vec![]).is_ok());
        let policy = NextUpstreamPolicy::new(true, vec![NextUpstream::Http502, NextUpstream::Error]).unwrap();
        assert_eq!(policy.cases(), [NextUpstream::Http502, NextUpstream::Error]);
        assert_eq!(
            NextUpstreamPolicy::new(false, vec![NextUpstream::Http502, NextUpstream::Http502]),
            Err(NextUpstreamPolicyError::Repeated("http_502"))
        );
        let default = NextUpstreamPolicy::default();
        assert_eq!((default.use_next(), default.cases()), (false, &NextUpstreamPolicy::DEFAULT_CASES[..]));
        assert!(NextUpstreamPolicyError::NoCase.to_string().contains("Use next origin"));
    }
}
