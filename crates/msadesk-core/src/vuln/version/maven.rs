//! Maven version ordering: the rules of Maven's `ComparableVersion`.
//!
//! The string is lower-cased and split into items at `.` and `-` and at every change between
//! digits and non-digits. A `-` or a digit/letter change opens a sub-list, so `1-1` < `1.1`.
//! Numeric items compare as numbers; string items as qualifiers:
//! `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < `""` = `ga` = `final` < `sp` <
//! any other string (those in ASCII order). `a1`, `b1`, `m1` (a single letter followed by a digit)
//! mean alpha, beta, milestone. Trailing "null" items (0, "", empty lists) are dropped, so
//! `1.0.0` = `1` = `1-ga`. Comparing an item with a missing one: a number is above unless it is 0,
//! a qualifier is below unless it is a release qualifier or above (`sp`, unknown), a list compares
//! its first item.
//!
//! This follows the classic algorithm (Maven 3.x before 3.9) that the PyPI `univers` oracle
//! implements; `release` is an ordinary unknown qualifier here.
//!
//! These rules are not a total order on odd inputs: a string item is below any number but is
//! compared with a *missing* item by qualifier, so `1.b.0-a2` < `1.0.b10.0` < `1` < `1.b.0-a2`.
//! We reproduce the rules faithfully (as univers does); an OSV range whose bounds form such a
//! cycle has no well-defined answer. Real-world versions do not hit this.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme, cmp_digits, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion(Vec<Item>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros ("" is 0).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn qualifier_key(s: &str) -> String {
    match QUALIFIERS.iter().position(|q| *q == s) {
        Some(i) => (i + 1).to_string(),
        None => format!("{}-{s}", QUALIFIERS.len()),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `other` = None means "no item here" (the shorter version ran out).
    fn cmp_to(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(n), None) => {
                if n.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => qualifier_key(s).cmp(&qualifier_key("")),
            (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::List(l), None) => l.first().map_or(Ordering::Equal, |f| f.cmp_to(None)),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let r = match (a.get(i), b.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.cmp_to(None).reverse(),
            (Some(l), r) => l.cmp_to(r),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, looking through (but keeping) non-empty trailing sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse_item(buf: &str, followed_by_digit: bool) -> Item {
    if !buf.is_empty() && buf.bytes().all(|b| b.is_ascii_digit()) {
        return Item::Int(strip_zeros(buf));
    }
    let s = match (followed_by_digit, buf) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final") => "",
        (_, "cr") => "rc",
        _ => buf,
    };
    Item::Str(s.to_string())
}

impl MavenVersion {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(VersionError::new(VersionScheme::Maven, input, "the version is empty"));
        }
        // The tree is built as a stack of open lists; closing a list appends it to its parent.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut start = 0usize;
        let mut is_digit = false;
        let open = |stack: &mut Vec<Vec<Item>>| {
            if let Some(top) = stack.last_mut() {
                normalize(top);
            }
            stack.push(Vec::new());
        };
        let push = |stack: &mut Vec<Vec<Item>>, item: Item| {
            if let Some(top) = stack.last_mut() {
                top.push(item);
            }
        };
        for &(idx, ch) in &chars {
            if ch == '.' || ch == '-' {
                if idx == start {
                    push(&mut stack, Item::Int(String::new()));
                } else {
                    push(&mut stack, parse_item(&s[start..idx], false));
                }
                start = idx + 1;
                if ch == '-' {
                    open(&mut stack);
                }
            } else if ch.is_ascii_digit() {
                if !is_digit && idx > start {
                    push(&mut stack, parse_item(&s[start..idx], true));
                    open(&mut stack);
                    start = idx;
                }
                is_digit = true;
            } else {
                if is_digit && idx > start {
                    push(&mut stack, parse_item(&s[start..idx], false));
                    open(&mut stack);
                    start = idx;
                }
                is_digit = false;
            }
        }
        if s.len() > start {
            push(&mut stack, parse_item(&s[start..], false));
        }
        // Close the open lists from the innermost outwards.
        while stack.len() > 1 {
            let mut inner = stack.pop().unwrap_or_default();
            normalize(&mut inner);
            push(&mut stack, Item::List(inner));
        }
        let mut top = stack.pop().unwrap_or_default();
        normalize(&mut top);
        Ok(MavenVersion(top))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.0, &other.0)
    }
}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::super::VersionScheme::Maven as M;
    use super::super::tests::{check, check_invalid, check_sorted};

    #[test]
    fn qualifier_order() {
        check_sorted(
            M,
            &[
                "1-alpha-1",
                "1-alpha-2",
                "1-beta",
                "1-milestone",
                "1-rc",
                "1-snapshot",
                "1",
                "1-sp",
                "1-abc",
                "1-xyz",
                "1-1",
                "1.1",
            ],
        );
    }

    #[test]
    fn tricky_cases() {
        for (a, b, want) in [
            ("1", "1.0.0", Equal),
            ("1.0", "1-ga", Equal),
            ("1-final", "1", Equal),
            ("1-cr1", "1-rc1", Equal),
            ("1.0a1", "1.0-alpha-1", Equal),
            ("1.0b1", "1.0-beta-1", Equal),
            ("1.0m1", "1.0-milestone-1", Equal),
            ("1.0-RC1", "1.0-rc1", Equal),
            ("1.0-SNAPSHOT", "1.0", Less),
            ("1.0-SNAPSHOT", "1.0-rc1", Greater),
            ("1.0.1", "1.0-sp1", Greater),
            ("2.0", "10.0", Less),
            ("1.0.0.0.0.1", "1", Greater),
            ("1-1", "1.1", Less),
            ("1-0.1", "1.0.1", Less),
            ("1.x", "1.0", Greater), // an unknown qualifier sorts above the release
            ("1.0-ab", "1.0-aa", Greater),
            ("1.0.RELEASE", "1.0", Greater), // an unknown qualifier
            ("1.2.3.Final", "1.2.3", Equal),
            ("99999999999999999999999", "99999999999999999999998", Greater),
        ] {
            check(M, a, b, want);
        }
    }

    #[test]
    fn the_classic_rules_have_cycles_on_odd_inputs() {
        check(M, "1.b.0-a2", "1.0.b10.0", Less);
        check(M, "1.0.b10.0", "1", Less);
        check(M, "1", "1.b.0-a2", Less);
    }

    #[test]
    fn refused() {
        check_invalid(M, "");
        check_invalid(M, "   ");
    }
}
