//! Reading the portal's HTML pages.

/// The first `<input …>` tag of the page that has `attribute`, and only the tag, so that a
/// check for `checked` cannot be answered by the text that follows it. Panics when there is none.
pub fn input_tag<'a>(body: &'a str, attribute: &str) -> &'a str {
    body.split("<input")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .find(|tag| tag.contains(attribute))
        .unwrap_or_else(|| panic!("no <input> with {attribute} in {body}"))
}
