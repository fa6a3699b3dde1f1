//! Property tests of the parsers that stand between customers' text and the edge's routing:
//! whatever is typed, they never panic, and what they accept is canonical and round-trips.

use super::{DomainName, Origin};
use proptest::prelude::*;

/// One label of a valid host name: letters, digits and inner hyphens, 1 to 63 characters.
fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
}

/// A valid host name in any letter case, sometimes with the root's trailing dot.
fn valid_domain() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 1..4), "[a-zA-Z][a-zA-Z0-9]{1,10}", any::<bool>())
        .prop_map(|(labels, top, dot)| format!("{}.{top}{}", labels.join("."), if dot { "." } else { "" }))
        .prop_filter("at most 253 characters", |name| name.trim_end_matches('.').len() <= 253)
}

/// Text built from the characters that matter to these parsers, so that near misses are common.
fn tricky_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9.:/@\\[\\]\\- _%ä\u{0}]{0,80}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn domain_parsing_never_panics_and_what_it_accepts_is_canonical(input in prop_oneof![any::<String>(), tricky_text()]) {
        if let Ok(name) = DomainName::parse(&input) {
            let text = name.as_str();
            prop_assert!(text.len() <= 253);
            prop_assert!(text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
            prop_assert!(!text.ends_with('.') && !text.starts_with('.') && !text.contains(".."));
            prop_assert_eq!(DomainName::parse(text), Ok(name.clone()), "parsing its own text gives it back");
        }
    }

    #[test]
    fn every_valid_domain_is_accepted_in_lower_case(input in valid_domain()) {
        let name = DomainName::parse(&input).map_err(|error| TestCaseError::fail(format!("{input}: {error}")))?;
        prop_assert_eq!(name.as_str(), input.trim_end_matches('.').to_ascii_lowercase());
    }

    #[test]
    fn origin_parsing_never_panics_and_what_it_accepts_round_trips(input in prop_oneof![any::<String>(), tricky_text()]) {
        if let Ok(origin) = Origin::parse(&input) {
            let text = origin.to_string();
            prop_assert!(!text.contains("://") && !text.contains('/'));
            prop_assert_eq!(Origin::parse(&text), Ok(origin.clone()), "{} came back as {}", input, text);
            prop_assert_ne!(origin.port(), Some(0));
        }
    }

    #[test]
    fn hosts_and_addresses_with_any_valid_port_are_accepted(
        host in prop_oneof![
            valid_domain().prop_map(|name| name.trim_end_matches('.').to_owned()),
            any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()),
            any::<std::net::Ipv6Addr>().prop_map(|ip| format!("[{ip}]")),
        ],
        port in prop::option::of(1..=u16::MAX),
    ) {
        let input = match port {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let origin = Origin::parse(&input).map_err(|error| TestCaseError::fail(format!("{input}: {error}")))?;
        prop_assert_eq!(origin.port(), port);
        prop_assert_eq!(origin.to_string().to_ascii_lowercase(), input.to_ascii_lowercase());
    }

    #[test]
    fn ports_outside_1_to_65535_are_refused(host in valid_domain(), port in prop_oneof![Just(0_u64), 65_536_u64..u64::MAX]) {
        let host = host.trim_end_matches('.');
        let input = format!("{host}:{port}");
        prop_assert!(Origin::parse(&input).is_err(), "{} was accepted", input);
    }
}
