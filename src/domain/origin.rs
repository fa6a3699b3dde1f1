use super::{DomainName, DomainNameError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Where the CDN fetches content from: a host name or an IP address, with an optional port.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin {
    host: OriginHost,
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OriginHost {
    Name(DomainName),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("Enter the origin's host name or IP address, such as origin.example.com.")]
    Empty,
    #[error("Enter the origin without http:// or https://, such as origin.example.com:8080.")]
    HasScheme,
    #[error("Enter the origin without a path, such as origin.example.com.")]
    HasPath,
    #[error("The port must be a number from 1 to 65535.")]
    InvalidPort,
    #[error("“{0}” is not a valid IP address.")]
    InvalidIp(String),
    #[error("{0}")]
    InvalidHostName(DomainNameError),
}

impl Origin {
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(OriginError::Empty);
        }
        if input.contains("://") {
            return Err(OriginError::HasScheme);
        }
        if input.contains(['/', '?', '#']) {
            return Err(OriginError::HasPath);
        }
        if let Some(rest) = input.strip_prefix('[') {
            let (address, after) = rest.split_once(']').ok_or_else(|| OriginError::InvalidIp(input.to_owned()))?;
            let ip = address.parse::<Ipv6Addr>().map_err(|_| OriginError::InvalidIp(address.to_owned()))?;
            let port = match after {
                "" => None,
                _ => Some(parse_port(after.strip_prefix(':').ok_or(OriginError::InvalidPort)?)?),
            };
            return Ok(Self { host: OriginHost::Ipv6(ip), port });
        }
        // More than one colon and no brackets: only a bare IPv6 address can look like that.
        if input.matches(':').count() > 1 {
            let ip = input.parse::<Ipv6Addr>().map_err(|_| OriginError::InvalidIp(input.to_owned()))?;
            return Ok(Self { host: OriginHost::Ipv6(ip), port: None });
        }
        let (host, port) = match input.split_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (input, None),
        };
        Ok(Self { host: parse_host(host)?, port })
    }

    pub fn host(&self) -> &OriginHost {
        &self.host
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

fn parse_host(host: &str) -> Result<OriginHost, OriginError> {
    if host.is_empty() {
        return Err(OriginError::Empty);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host.parse::<Ipv4Addr>().map(OriginHost::Ipv4).map_err(|_| OriginError::InvalidIp(host.to_owned()));
    }
    DomainName::parse(host).map(OriginHost::Name).map_err(|error| match error {
        DomainNameError::Empty => OriginError::Empty,
        other => OriginError::InvalidHostName(other),
    })
}

fn parse_port(port: &str) -> Result<u16, OriginError> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginError::InvalidPort);
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(OriginError::InvalidPort),
        Ok(port) => Ok(port),
    }
}

impl fmt::Display for OriginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginHost::Name(name) => name.fmt(f),
            OriginHost::Ipv4(ip) => ip.fmt(f),
            OriginHost::Ipv6(ip) => write!(f, "[{ip}]"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => self.host.fmt(f),
        }
    }
}

impl TryFrom<String> for Origin {
    type Error = OriginError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Origin> for String {
    fn from(value: Origin) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_host_names_and_addresses_with_optional_port() {
        for (input, canonical) in [
            ("origin.example.com", "origin.example.com"),
            ("Origin.Example.com:8080", "origin.example.com:8080"),
            ("203.0.113.10", "203.0.113.10"),
            ("203.0.113.10:443", "203.0.113.10:443"),
            ("2001:db8::1", "[2001:db8::1]"),
            ("[2001:DB8:0::1]", "[2001:db8::1]"),
            ("[2001:db8::1]:8443", "[2001:db8::1]:8443"),
            (" origin.example.com:1 ", "origin.example.com:1"),
            ("origin.example.com:65535", "origin.example.com:65535"),
        ] {
            assert_eq!(Origin::parse(input).unwrap().to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn keeps_the_parts_apart() {
        let origin = Origin::parse("origin.example.com:8080").unwrap();
        assert_eq!(origin.port(), Some(8080));
        assert_eq!(origin.host(), &OriginHost::Name(DomainName::parse("origin.example.com").unwrap()));
        let origin = Origin::parse("10.1.2.3").unwrap();
        assert_eq!(origin.host(), &OriginHost::Ipv4(Ipv4Addr::new(10, 1, 2, 3)));
        assert_eq!(origin.port(), None);
    }

    #[test]
    fn rejects_bad_origins_with_a_reason() {
        use OriginError::*;
        for (input, expected) in [
            ("", Empty),
            (":80", Empty),
            ("http://origin.example.com", HasScheme),
            ("origin.example.com/assets", HasPath),
            ("origin.example.com:", InvalidPort),
            ("origin.example.com:0", InvalidPort),
            ("origin.example.com:65536", InvalidPort),
            ("origin.example.com:http", InvalidPort),
            ("origin.example.com:+80", InvalidPort),
            ("[2001:db8::1]8080", InvalidPort),
            ("300.1.2.3", InvalidIp("300.1.2.3".into())),
            ("1.2.3", InvalidIp("1.2.3".into())),
            ("[2001:db8::zz]", InvalidIp("2001:db8::zz".into())),
            ("2001:db8:::1", InvalidIp("2001:db8:::1".into())),
            ("origin_example.com", InvalidHostName(DomainNameError::InvalidCharacter('_'))),
            ("localhost:8080", InvalidHostName(DomainNameError::SingleLabel)),
        ] {
            assert_eq!(Origin::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn round_trips_through_its_canonical_form() {
        for input in ["origin.example.com:8080", "[2001:db8::1]:443", "198.51.100.7"] {
            let origin = Origin::parse(input).unwrap();
            assert_eq!(Origin::parse(&origin.to_string()).unwrap(), origin);
        }
    }
}
