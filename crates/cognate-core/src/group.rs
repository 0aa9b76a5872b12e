//! Groups of a user pool: a name, an optional IAM role and a precedence that orders them.

use crate::ids::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// Orders a user's groups as tokens list them: lowest precedence first, groups without one
/// last, ties by name.
pub fn token_order(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        (a.precedence.is_none(), a.precedence, &a.name).cmp(&(b.precedence.is_none(), b.precedence, &b.name))
    });
}

/// The role of the first group (in token order) that has one: `cognito:preferred_role`.
pub fn preferred_role(ordered: &[Group]) -> Option<&str> {
    ordered.iter().find_map(|g| g.role_arn.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str, precedence: Option<u32>, role: Option<&str>) -> Group {
        Group {
            pool_id: "p".into(),
            name: name.into(),
            description: None,
            role_arn: role.map(str::to_string),
            precedence,
            created: Timestamp(0),
            modified: Timestamp(0),
        }
    }

    #[test]
    fn precedence_orders_groups_and_picks_the_preferred_role() {
        let mut groups =
            vec![g("z", None, Some("r-z")), g("b", Some(5), None), g("a", Some(5), Some("r-a")), g("c", Some(1), None)];
        token_order(&mut groups);
        let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["c", "a", "b", "z"]);
        assert_eq!(preferred_role(&groups), Some("r-a"));
    }
}
