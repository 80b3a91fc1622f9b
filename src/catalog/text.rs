//! How names and phrases are cut into comparable terms: lower case, split on anything that is not
//! a letter or digit, a trailing plural `s` dropped. The same function serves the index and the
//! query, so "GRP-FINANCE-BI-READ", "finance bi" and "Finance BI's" meet on the same terms.

/// The terms of `text`, in order.
pub fn terms(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(term)
}

/// The term of one word.
pub fn term(word: &str) -> String {
    let mut lowered = word.to_lowercase();
    if lowered.len() > 3
        && lowered.ends_with('s')
        && !lowered.ends_with("ss")
        && !lowered.ends_with("us")
        && !lowered.ends_with("is")
    {
        lowered.pop();
    }
    lowered
}

/// Whole normalised text: terms joined by one space, for exact comparisons.
pub fn normalized(text: &str) -> String {
    terms(text).collect::<Vec<_>>().join(" ")
}

/// The local part of a mail address, lower-cased: `support` for `Support@Contoso.com`.
pub fn mail_local(mail: &str) -> Option<String> {
    let local = mail.split('@').next()?.trim();
    (!local.is_empty()).then(|| local.to_lowercase())
}

/// Whether `a` and `b` are at most one edit apart (insertion, deletion, substitution, or two
/// neighbouring letters swapped: "incidnets", "qualtiy").
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        // One substitution, or one swap: the rest after the difference must match.
        let swapped = prefix + 1 < short.len()
            && short[prefix] == long[prefix + 1]
            && short[prefix + 1] == long[prefix]
            && short[prefix + 2..] == long[prefix + 2..];
        prefix == short.len() || short[prefix + 1..] == long[prefix + 1..] || swapped
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// The strings one deletion away from `term` (the SymSpell neighbourhood), for typo lookups.
pub fn deletions(term: &str) -> impl Iterator<Item = String> + '_ {
    term.char_indices().map(move |(at, character)| {
        let mut shorter = String::with_capacity(term.len());
        shorter.push_str(&term[..at]);
        shorter.push_str(&term[at + character.len_utf8()..]);
        shorter
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phrases_meet_on_the_same_terms() {
        assert_eq!(
            terms("GRP-FINANCE-BI-READ").collect::<Vec<_>>(),
            ["grp", "finance", "bi", "read"]
        );
        assert_eq!(terms("VPN Users").collect::<Vec<_>>(), ["vpn", "user"]);
        assert_eq!(normalized("  the   Brand-Assets "), "the brand asset");
        assert_eq!(term("access"), "access");
        assert_eq!(term("status"), "status");
        assert_eq!(term("Ärzte"), "ärzte");
    }

    #[test]
    fn one_edit_is_one_edit() {
        assert!(within_one_edit("finance", "finnance"));
        assert!(within_one_edit("finance", "fiance"));
        assert!(within_one_edit("finance", "fimance"));
        assert!(within_one_edit("atlas", "atlas"));
        assert!(
            within_one_edit("incident", "incidnet"),
            "a swap is one edit"
        );
        assert!(within_one_edit("quality", "qualtiy"));
        assert!(!within_one_edit("finance", "fiancne"));
        assert!(!within_one_edit("finance", "nifance"), "not neighbours");
        assert!(!within_one_edit("vpn", "vpnxx"));
        assert_eq!(deletions("abc").collect::<Vec<_>>(), ["bc", "ac", "ab"]);
        assert_eq!(
            mail_local("Support@Contoso.com").as_deref(),
            Some("support")
        );
        assert_eq!(mail_local("@x"), None);
    }
}
