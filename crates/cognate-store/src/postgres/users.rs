//! Users, their aliases, confirmation and attribute changes.

use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::codes::upsert_code;
use super::outbox::insert_outbox;
use super::*;

#[async_trait]
impl UserStore for PgStore {
    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError> {
        retrying!(self, |c| {
            let n: i64 = c.query_one("SELECT COUNT(*) FROM users WHERE pool_id = $1", &[&pool_id]).await?.get(0);
            Ok(n as u64)
        })
    }
    async fn create_user(
        &self,
        new: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let attributes = to_json(&new.user.attributes)?;
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            insert_user(&tx, new, &attributes).await?;
            if let Some(code) = code {
                upsert_code(&tx, code).await?;
            }
            let id = match message {
                Some(m) => Some(insert_outbox(&tx, m).await?),
                None => None,
            };
            tx.commit().await?;
            Ok(id)
        })
    }
    async fn get_user_by_username(&self, pool_id: &str, username_key: &str) -> Result<Option<User>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 AND username_key = $2"))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &username_key]).await?.map(|r| user_row(&r)).transpose()?)
        })
    }
    async fn get_user_by_alias(
        &self,
        pool_id: &str,
        kind: AliasKind,
        value_key: &str,
    ) -> Result<Option<User>, StoreError> {
        let columns = prefixed("u", USER_COLUMNS);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM users u JOIN aliases a ON a.pool_id = u.pool_id AND a.sub = u.sub
                     WHERE a.pool_id = $1 AND a.kind = $2 AND a.value_key = $3"
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &kind_str(kind), &value_key]).await?.map(|r| user_row(&r)).transpose()?)
        })
    }
    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError> {
        retrying!(self, |c| {
            let s =
                c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 AND sub = $2")).await?;
            Ok(c.query_opt(&s, &[&pool_id, &sub]).await?.map(|r| user_row(&r)).transpose()?)
        })
    }
    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            c.execute("DELETE FROM users WHERE pool_id = $1 AND sub = $2", &[&pool_id, &sub]).await?;
            Ok(())
        })
    }
    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = {} AND sub > {}",
            params.add(pool_id.to_string()),
            params.add(after.unwrap_or("").to_string())
        );
        if let Some(f) = filter {
            // Email and phone number are written as the indexes spell them, so the planner uses them.
            let column = match f.attribute.as_str() {
                "username" => "username".to_string(),
                "sub" => "sub".to_string(),
                "cognito:user_status" => "upper(status)".to_string(),
                "status" => "(CASE WHEN enabled THEN 'Enabled' ELSE 'Disabled' END)".to_string(),
                "email" => "((attributes::jsonb ->> 'email') COLLATE \"C\")".to_string(),
                "phone_number" => "((attributes::jsonb ->> 'phone_number') COLLATE \"C\")".to_string(),
                other => format!("((attributes::jsonb ->> {}) COLLATE \"C\")", params.add(other.to_string())),
            };
            let v = if f.case_insensitive() { f.value.to_uppercase() } else { f.value.clone() };
            // A prefix is a range, so an index on the column serves it.
            let condition = match f.op {
                FilterOp::Equals => format!(" AND {column} = {}", params.add(v)),
                FilterOp::StartsWith => {
                    let upper = format!("{v}\u{10FFFF}");
                    format!(" AND {column} >= {} AND {column} < {}", params.add(v), params.add(upper))
                }
            };
            sql.push_str(&condition);
        }
        sql.push_str(&format!(" ORDER BY sub LIMIT {}", params.add(limit as i64)));
        let params = params.refs();
        retrying!(self, |c| {
            let s = c.prepare_cached(&sql).await?;
            let rows = c.query(&s, &params).await?;
            Ok(rows.iter().map(user_row).collect::<Result<Vec<_>, _>>()?)
        })
    }
    async fn confirm_user(&self, confirmation: &Confirmation) -> Result<(), StoreError> {
        let cf = confirmation;
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            let row = tx
                .query_opt(
                    "SELECT attributes FROM users WHERE pool_id = $1 AND sub = $2 AND status = $3 FOR UPDATE",
                    &[&cf.pool_id, &cf.sub, &cf.expected.as_str()],
                )
                .await?;
            let Some(row) = row else { return Err(StoreError::Conflict(Conflict::Status).into()) };
            for claim in &cf.claims {
                claim_alias(&tx, &cf.pool_id, &cf.sub, claim, cf.now).await?;
            }
            let mut attrs: Attributes = from_json(row.get(0))?;
            attrs.extend(cf.set_attributes.iter().cloned());
            let n = tx
                .execute(
                    "UPDATE users SET status = $4, attributes = $5, modified = $6
                     WHERE pool_id = $1 AND sub = $2 AND status = $3",
                    &[
                        &cf.pool_id,
                        &cf.sub,
                        &cf.expected.as_str(),
                        &cf.new_status.as_str(),
                        &to_json(&attrs)?,
                        &cf.now.0,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::Conflict(Conflict::Status).into());
            }
            tx.execute(
                "DELETE FROM codes WHERE pool_id = $1 AND sub = $2 AND purpose = 'signup'",
                &[&cf.pool_id, &cf.sub],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }
    async fn change_attributes(&self, change: &AttributeChange) -> Result<Vec<i64>, StoreError> {
        let ch = change;
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            let row = tx
                .query_opt(
                    "SELECT attributes FROM users WHERE pool_id = $1 AND sub = $2 FOR UPDATE",
                    &[&ch.pool_id, &ch.sub],
                )
                .await?;
            let Some(row) = row else { return Err(StoreError::NotFound.into()) };
            let mut attrs: Attributes = from_json(row.get(0))?;
            for name in &ch.remove {
                attrs.remove(name);
            }
            attrs.extend(ch.set.iter().cloned());
            for kind in &ch.releases {
                tx.execute(
                    "DELETE FROM aliases WHERE pool_id = $1 AND sub = $2 AND kind = $3",
                    &[&ch.pool_id, &ch.sub, &kind_str(*kind)],
                )
                .await?;
            }
            for claim in &ch.claims {
                claim_alias(&tx, &ch.pool_id, &ch.sub, claim, ch.now).await?;
            }
            tx.execute(
                "UPDATE users SET attributes = $3, modified = $4 WHERE pool_id = $1 AND sub = $2",
                &[&ch.pool_id, &ch.sub, &to_json(&attrs)?, &ch.now.0],
            )
            .await?;
            for purpose in &ch.spend_codes {
                tx.execute(
                    "DELETE FROM codes WHERE pool_id = $1 AND sub = $2 AND purpose = $3",
                    &[&ch.pool_id, &ch.sub, purpose],
                )
                .await?;
            }
            for code in &ch.codes {
                upsert_code(&tx, code).await?;
            }
            let mut ids = Vec::with_capacity(ch.messages.len());
            for m in &ch.messages {
                ids.push(insert_outbox(&tx, m).await?);
            }
            tx.commit().await?;
            Ok(ids)
        })
    }
    async fn update_user(
        &self,
        pool_id: &str,
        sub: &str,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let u = update;
        let verifier = u.srp_verifier.clone().flatten();
        let (status, expected) = (u.status.map(UserStatus::as_str), u.expected_status.map(UserStatus::as_str));
        let choice = u.mfa_choice.as_ref().map(MfaChoice::encode);
        let totp = u.totp.clone().flatten();
        let totp = totp.as_ref();
        let pending = u.totp_pending.clone().flatten();
        retrying!(self, |c| {
            // One statement: unchanged columns keep their value, so concurrent updates of
            // different columns do not undo each other.
            let s = c
                .prepare_cached(
                    "UPDATE users SET
                       password_hash = CASE WHEN $3 THEN $4 ELSE password_hash END,
                       srp_verifier = CASE WHEN $5 THEN $6 ELSE srp_verifier END,
                       password_set = CASE WHEN $3 THEN $10 ELSE password_set END,
                       status = COALESCE($7, status),
                       enabled = COALESCE($8, enabled),
                       mfa_choice = COALESCE($11, mfa_choice),
                       totp_secret = CASE WHEN $12 THEN $13 ELSE totp_secret END,
                       totp_name = CASE WHEN $12 THEN $14 ELSE totp_name END,
                       totp_last_step = CASE WHEN $12 THEN $15 ELSE totp_last_step END,
                       totp_pending = CASE WHEN $16 THEN $17 ELSE totp_pending END,
                       modified = CASE WHEN $3 OR $7::text IS NOT NULL OR $8::boolean IS NOT NULL
                                       OR $11::text IS NOT NULL OR $12 OR $16
                                  THEN $10 ELSE modified END
                     WHERE pool_id = $1 AND sub = $2 AND ($9::text IS NULL OR status = $9)",
                )
                .await?;
            let n = c
                .execute(
                    &s,
                    &[
                        &pool_id,
                        &sub,
                        &u.password_hash.is_some(),
                        &u.password_hash,
                        &u.srp_verifier.is_some(),
                        &verifier,
                        &status,
                        &u.enabled,
                        &expected,
                        &now.0,
                        &choice,
                        &u.totp.is_some(),
                        &totp.map(|t| &t.secret),
                        &totp.and_then(|t| t.name.as_ref()),
                        &totp.map_or(0, |t| t.last_step as i64),
                        &u.totp_pending.is_some(),
                        &pending,
                    ],
                )
                .await?;
            if n == 0 {
                let exists =
                    c.query_opt("SELECT 1 FROM users WHERE pool_id = $1 AND sub = $2", &[&pool_id, &sub]).await?;
                return Err(if exists.is_some() {
                    StoreError::Conflict(Conflict::Status)
                } else {
                    StoreError::NotFound
                }
                .into());
            }
            Ok(())
        })
    }
    async fn spend_totp_step(&self, pool_id: &str, sub: &str, step: u64) -> Result<bool, StoreError> {
        let step = step as i64;
        retrying!(self, |c| {
            let n = c
                .execute(
                    "UPDATE users SET totp_last_step = $3
                     WHERE pool_id = $1 AND sub = $2 AND totp_secret IS NOT NULL AND totp_last_step < $3",
                    &[&pool_id, &sub, &step],
                )
                .await?;
            Ok(n == 1)
        })
    }
}

/// Parameters of a statement assembled at run time, numbered as they are added.
#[derive(Default)]
struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    fn add(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(value));
        format!("${}", self.0.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

/// The columns every user has from the start; bulk import writes only these (a new user has
/// no second factor yet).
pub(super) const BASE_COLUMNS: &str =
    "pool_id, sub, username, status, enabled, attributes, password_hash, created, modified, srp_verifier, password_set";

pub(super) const USER_COLUMNS: &str = "pool_id, sub, username, status, enabled, attributes, password_hash, created, \
     modified, srp_verifier, password_set, mfa_choice, totp_secret, totp_name, totp_last_step, totp_pending";

/// How many columns [`USER_COLUMNS`] names: a query may select more after them.
pub(super) const USER_COLUMN_COUNT: usize = 16;

/// `columns` with each one qualified by the table alias `t`.
pub(super) fn prefixed(t: &str, columns: &str) -> String {
    columns.split(", ").map(|col| format!("{t}.{col}")).collect::<Vec<_>>().join(", ")
}

pub(super) fn user_row(r: &Row) -> Result<User, StoreError> {
    let status: &str = r.get(3);
    Ok(User {
        pool_id: r.get(0),
        sub: r.get(1),
        username: r.get(2),
        status: UserStatus::parse(status).unwrap_or(UserStatus::Unconfirmed),
        enabled: r.get(4),
        attributes: from_json::<Attributes>(r.get(5))?,
        password_hash: r.get(6),
        created: Timestamp(r.get(7)),
        modified: Timestamp(r.get(8)),
        srp_verifier: r.get(9),
        password_set: Timestamp(r.get(10)),
        mfa: UserMfa {
            choice: MfaChoice::decode(r.get(11)),
            totp: r.get::<_, Option<String>>(12).map(|secret| TotpToken {
                secret,
                name: r.get(13),
                last_step: r.get::<_, i64>(14) as u64,
            }),
            totp_pending: r.get(15),
        },
    })
}

pub(super) fn kind_str(kind: AliasKind) -> &'static str {
    kind.attribute()
}

/// Gives `sub` the alias in `claim`. A forced claim takes it from its holder, whose
/// attribute stops being verified; an unforced one collides.
pub(super) async fn claim_alias(
    tx: &Transaction<'_>,
    pool_id: &str,
    sub: &str,
    claim: &AliasClaim,
    now: Timestamp,
) -> Result<(), Fail> {
    let kind = kind_str(claim.kind);
    let holder = tx
        .query_opt(
            "SELECT sub FROM aliases WHERE pool_id = $1 AND kind = $2 AND value_key = $3 FOR UPDATE",
            &[&pool_id, &kind, &claim.value_key],
        )
        .await?
        .map(|r| r.get::<_, String>(0));
    match holder {
        Some(holder) if holder == sub => return Ok(()),
        Some(_) if !claim.force => return Err(StoreError::Conflict(Conflict::Alias(claim.kind)).into()),
        Some(holder) => {
            tx.execute(
                "DELETE FROM aliases WHERE pool_id = $1 AND kind = $2 AND value_key = $3",
                &[&pool_id, &kind, &claim.value_key],
            )
            .await?;
            if let Some(flag) = claim.kind.verified_attribute() {
                let row = tx
                    .query_opt(
                        "SELECT attributes FROM users WHERE pool_id = $1 AND sub = $2 FOR UPDATE",
                        &[&pool_id, &holder],
                    )
                    .await?;
                if let Some(row) = row {
                    let mut attrs: Attributes = from_json(row.get(0))?;
                    attrs.insert(flag.to_string(), "false".into());
                    tx.execute(
                        "UPDATE users SET attributes = $3, modified = $4 WHERE pool_id = $1 AND sub = $2",
                        &[&pool_id, &holder, &to_json(&attrs)?, &now.0],
                    )
                    .await?;
                }
            }
        }
        None => {}
    }
    let inserted = tx
        .execute(
            "INSERT INTO aliases (pool_id, kind, value_key, sub) VALUES ($1, $2, $3, $4)",
            &[&pool_id, &kind, &claim.value_key, &sub],
        )
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(StoreError::Conflict(Conflict::Alias(claim.kind)).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Inserts a user row and claims its aliases (inside the caller's transaction).
pub(super) async fn insert_user(tx: &Transaction<'_>, new: &NewUser, attributes: &str) -> Result<(), Fail> {
    let u = &new.user;
    let s = tx
        .prepare_cached(&format!(
            "INSERT INTO users ({USER_COLUMNS}, username_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .await?;
    let totp = u.mfa.totp.as_ref();
    let (secret, name, last_step) =
        (totp.map(|t| &t.secret), totp.and_then(|t| t.name.as_ref()), totp.map_or(0, |t| t.last_step as i64));
    tx.execute(
        &s,
        &[
            &u.pool_id,
            &u.sub,
            &u.username,
            &u.status.as_str(),
            &u.enabled,
            &attributes,
            &u.password_hash,
            &u.created.0,
            &u.modified.0,
            &u.srp_verifier,
            &u.password_set.0,
            &u.mfa.choice.encode(),
            &secret,
            &name,
            &last_step,
            &u.mfa.totp_pending,
            &new.username_key,
        ],
    )
    .await?;
    for alias in &new.aliases {
        claim_alias(tx, &u.pool_id, &u.sub, alias, u.created).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_column_count_matches_the_columns() {
        assert_eq!(super::USER_COLUMNS.split(", ").count(), super::USER_COLUMN_COUNT);
    }
}
