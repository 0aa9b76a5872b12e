//! Users, their aliases, confirmation and attribute changes.

use super::codes::upsert_code;
use super::outbox::insert_outbox;
use super::*;

#[async_trait]
impl UserStore for SqliteStore {
    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError> {
        let id = pool_id.to_string();
        self.read(move |c| {
            c.query_row("SELECT COUNT(*) FROM users WHERE pool_id = ?1", [id], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(map_err)
        })
        .await
    }
    async fn create_user(
        &self,
        new: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let new = new.clone();
        let code = code.cloned();
        let message = message.cloned();
        let attributes = to_json(&new.user.attributes)?;
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            insert_user(&tx, &new, &attributes)?;
            if let Some(code) = &code {
                upsert_code(&tx, code)?;
            }
            let id = message.as_ref().map(|m| insert_outbox(&tx, m)).transpose()?;
            tx.commit().map_err(map_err)?;
            Ok(id)
        })
        .await
    }
    async fn get_user_by_username(&self, pool_id: &str, username_key: &str) -> Result<Option<User>, StoreError> {
        let (pool, key) = (pool_id.to_string(), username_key.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND username_key = ?2"))
                .and_then(|mut s| s.query_row(params![pool, key], user_row).optional())
                .map_err(map_err)
        })
        .await
    }
    async fn get_user_by_alias(
        &self,
        pool_id: &str,
        kind: AliasKind,
        value_key: &str,
    ) -> Result<Option<User>, StoreError> {
        let (pool, key) = (pool_id.to_string(), value_key.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM users u JOIN aliases a ON a.pool_id = u.pool_id AND a.sub = u.sub
                 WHERE a.pool_id = ?1 AND a.kind = ?2 AND a.value_key = ?3",
                USER_COLUMNS.split(", ").map(|col| format!("u.{col}")).collect::<Vec<_>>().join(", ")
            ))
            .and_then(|mut s| s.query_row(params![pool, kind_str(kind), key], user_row).optional())
            .map_err(map_err)
        })
        .await
    }
    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub = ?2"))
                .and_then(|mut s| s.query_row(params![pool, sub], user_row).optional())
                .map_err(map_err)
        })
        .await
    }
    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM users WHERE pool_id = ?1 AND sub = ?2", params![pool, sub]).map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        let filter = filter.cloned();
        self.read(move |c| {
            let mut sql = format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub > ?2");
            let mut value = None;
            if let Some(f) = &filter {
                let (column, index) = match f.attribute.as_str() {
                    "username" => ("username".to_string(), Some("users_by_username")),
                    "sub" => ("sub".to_string(), None),
                    "cognito:user_status" => ("upper(status)".to_string(), None),
                    "status" => ("(CASE enabled WHEN 1 THEN 'Enabled' ELSE 'Disabled' END)".to_string(), None),
                    "email" => ("json_extract(attributes, '$.\"email\"')".to_string(), Some("users_by_email")),
                    "phone_number" => {
                        ("json_extract(attributes, '$.\"phone_number\"')".to_string(), Some("users_by_phone"))
                    }
                    name => (format!("json_extract(attributes, '$.\"{name}\"')"), None),
                };
                let v = if f.case_insensitive() { f.value.to_uppercase() } else { f.value.clone() };
                // A prefix is a range, so an index on the column serves it.
                let condition = match f.op {
                    FilterOp::Equals => {
                        value = Some((v, None));
                        format!("{column} = ?4")
                    }
                    FilterOp::StartsWith => {
                        let upper = format!("{v}\u{10FFFF}");
                        value = Some((v, Some(upper)));
                        format!("{column} >= ?4 AND {column} < ?5")
                    }
                };
                match index {
                    // Left alone, the planner walks the primary key to return rows in `sub`
                    // order and tests every user (0.6 s at a million users); finding the
                    // matches through the index and sorting only them takes a millisecond.
                    Some(index) => {
                        sql = format!(
                            "SELECT {USER_COLUMNS} FROM (SELECT * FROM users INDEXED BY {index} \
                             WHERE pool_id = ?1 AND {condition}) WHERE sub > ?2"
                        )
                    }
                    None => sql.push_str(&format!(" AND {condition}")),
                }
            }
            sql.push_str(" ORDER BY sub LIMIT ?3");
            let mut s = c.prepare_cached(&sql).map_err(map_err)?;
            let rows = match &value {
                Some((v, Some(upper))) => s.query_map(params![pool, after, limit as i64, v, upper], user_row),
                Some((v, None)) => s.query_map(params![pool, after, limit as i64, v], user_row),
                None => s.query_map(params![pool, after, limit as i64], user_row),
            }
            .map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
    async fn confirm_user(&self, confirmation: &Confirmation) -> Result<(), StoreError> {
        let cf = confirmation.clone();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let attributes: Option<String> = tx
                .query_row(
                    "SELECT attributes FROM users WHERE pool_id = ?1 AND sub = ?2 AND status = ?3",
                    params![cf.pool_id, cf.sub, cf.expected.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let Some(attributes) = attributes else {
                return Err(StoreError::Conflict(Conflict::Status));
            };
            for claim in &cf.claims {
                claim_alias(&tx, &cf.pool_id, &cf.sub, claim, cf.now)?;
            }
            let mut attrs: Attributes = from_json(&attributes).map_err(map_err)?;
            attrs.extend(cf.set_attributes.iter().cloned());
            let n = tx
                .execute(
                    "UPDATE users SET status = ?4, attributes = ?5, modified = ?6
                     WHERE pool_id = ?1 AND sub = ?2 AND status = ?3",
                    params![
                        cf.pool_id,
                        cf.sub,
                        cf.expected.as_str(),
                        cf.new_status.as_str(),
                        to_json(&attrs)?,
                        cf.now.0
                    ],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::Conflict(Conflict::Status));
            }
            tx.execute(
                "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = 'signup'",
                params![cf.pool_id, cf.sub],
            )
            .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }
    async fn change_attributes(&self, change: &AttributeChange) -> Result<Vec<i64>, StoreError> {
        let ch = change.clone();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let attributes: Option<String> = tx
                .query_row(
                    "SELECT attributes FROM users WHERE pool_id = ?1 AND sub = ?2",
                    params![ch.pool_id, ch.sub],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let Some(attributes) = attributes else { return Err(StoreError::NotFound) };
            let mut attrs: Attributes = from_json(&attributes).map_err(map_err)?;
            for name in &ch.remove {
                attrs.remove(name);
            }
            attrs.extend(ch.set.iter().cloned());
            for kind in &ch.releases {
                tx.execute(
                    "DELETE FROM aliases WHERE pool_id = ?1 AND sub = ?2 AND kind = ?3",
                    params![ch.pool_id, ch.sub, kind_str(*kind)],
                )
                .map_err(map_err)?;
            }
            for claim in &ch.claims {
                claim_alias(&tx, &ch.pool_id, &ch.sub, claim, ch.now)?;
            }
            tx.execute(
                "UPDATE users SET attributes = ?3, modified = ?4 WHERE pool_id = ?1 AND sub = ?2",
                params![ch.pool_id, ch.sub, to_json(&attrs)?, ch.now.0],
            )
            .map_err(map_err)?;
            for purpose in &ch.spend_codes {
                tx.execute(
                    "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
                    params![ch.pool_id, ch.sub, purpose],
                )
                .map_err(map_err)?;
            }
            for code in &ch.codes {
                upsert_code(&tx, code)?;
            }
            let ids = ch.messages.iter().map(|m| insert_outbox(&tx, m)).collect::<Result<Vec<_>, _>>()?;
            tx.commit().map_err(map_err)?;
            Ok(ids)
        })
        .await
    }
    async fn update_user(
        &self,
        pool_id: &str,
        sub: &str,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (pool, sub, u) = (pool_id.to_string(), sub.to_string(), update.clone());
        self.write(move |c| {
            let totp = u.totp.clone().flatten();
            let totp = totp.as_ref();
            // One statement: unchanged columns keep their value, so concurrent updates of
            // different columns do not undo each other.
            let n = c
                .execute(
                    "UPDATE users SET
                       password_hash = CASE WHEN ?3 THEN ?4 ELSE password_hash END,
                       srp_verifier = CASE WHEN ?5 THEN ?6 ELSE srp_verifier END,
                       password_set = CASE WHEN ?3 THEN ?10 ELSE password_set END,
                       status = COALESCE(?7, status),
                       enabled = COALESCE(?8, enabled),
                       mfa_choice = COALESCE(?11, mfa_choice),
                       totp_secret = CASE WHEN ?12 THEN ?13 ELSE totp_secret END,
                       totp_name = CASE WHEN ?12 THEN ?14 ELSE totp_name END,
                       totp_last_step = CASE WHEN ?12 THEN ?15 ELSE totp_last_step END,
                       totp_pending = CASE WHEN ?16 THEN ?17 ELSE totp_pending END,
                       modified = CASE WHEN ?3 OR ?7 IS NOT NULL OR ?8 IS NOT NULL OR ?11 IS NOT NULL OR ?12 OR ?16
                                  THEN ?10 ELSE modified END
                     WHERE pool_id = ?1 AND sub = ?2 AND (?9 IS NULL OR status = ?9)",
                    params![
                        pool,
                        sub,
                        u.password_hash.is_some(),
                        u.password_hash,
                        u.srp_verifier.is_some(),
                        u.srp_verifier.clone().flatten(),
                        u.status.map(UserStatus::as_str),
                        u.enabled,
                        u.expected_status.map(UserStatus::as_str),
                        now.0,
                        u.mfa_choice.as_ref().map(MfaChoice::encode),
                        u.totp.is_some(),
                        totp.map(|t| t.secret.clone()),
                        totp.and_then(|t| t.name.clone()),
                        totp.map_or(0, |t| t.last_step as i64),
                        u.totp_pending.is_some(),
                        u.totp_pending.clone().flatten(),
                    ],
                )
                .map_err(map_err)?;
            if n == 0 {
                let exists: bool = c
                    .query_row("SELECT 1 FROM users WHERE pool_id = ?1 AND sub = ?2", params![pool, sub], |_| Ok(true))
                    .optional()
                    .map_err(map_err)?
                    .unwrap_or(false);
                return Err(if exists { StoreError::Conflict(Conflict::Status) } else { StoreError::NotFound });
            }
            Ok(())
        })
        .await
    }
    async fn spend_totp_step(&self, pool_id: &str, sub: &str, step: u64) -> Result<bool, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET totp_last_step = ?3
                     WHERE pool_id = ?1 AND sub = ?2 AND totp_secret IS NOT NULL AND totp_last_step < ?3",
                    params![pool, sub, step as i64],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}

pub(super) const USER_COLUMNS: &str = "pool_id, sub, username, status, enabled, attributes, password_hash, created, \
     modified, srp_verifier, password_set, mfa_choice, totp_secret, totp_name, totp_last_step, totp_pending";

/// How many columns [`USER_COLUMNS`] names: a query may select more after them.
pub(super) const USER_COLUMN_COUNT: usize = 16;

pub(super) fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let status: String = r.get(3)?;
    let attributes: String = r.get(5)?;
    Ok(User {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        username: r.get(2)?,
        status: UserStatus::parse(&status).unwrap_or(UserStatus::Unconfirmed),
        enabled: r.get(4)?,
        attributes: from_json::<Attributes>(&attributes)?,
        password_hash: r.get(6)?,
        created: Timestamp(r.get(7)?),
        modified: Timestamp(r.get(8)?),
        srp_verifier: r.get(9)?,
        password_set: Timestamp(r.get(10)?),
        mfa: UserMfa {
            choice: MfaChoice::decode(&r.get::<_, String>(11)?),
            totp: r.get::<_, Option<String>>(12)?.map(|secret| TotpToken {
                secret,
                name: r.get(13).unwrap_or_default(),
                last_step: r.get::<_, i64>(14).map(|s| s as u64).unwrap_or(0),
            }),
            totp_pending: r.get(15)?,
        },
    })
}

pub(super) fn kind_str(kind: AliasKind) -> &'static str {
    kind.attribute()
}

/// Gives `sub` the alias in `claim`. A forced claim takes it from its holder, whose
/// attribute stops being verified; an unforced one collides.
pub(super) fn claim_alias(
    tx: &Connection,
    pool_id: &str,
    sub: &str,
    claim: &AliasClaim,
    now: Timestamp,
) -> Result<(), StoreError> {
    let holder: Option<String> = tx
        .query_row(
            "SELECT sub FROM aliases WHERE pool_id = ?1 AND kind = ?2 AND value_key = ?3",
            params![pool_id, kind_str(claim.kind), claim.value_key],
            |r| r.get(0),
        )
        .optional()
        .map_err(map_err)?;
    match holder {
        Some(holder) if holder == sub => return Ok(()),
        Some(_) if !claim.force => return Err(StoreError::Conflict(Conflict::Alias(claim.kind))),
        Some(holder) => {
            tx.execute(
                "DELETE FROM aliases WHERE pool_id = ?1 AND kind = ?2 AND value_key = ?3",
                params![pool_id, kind_str(claim.kind), claim.value_key],
            )
            .map_err(map_err)?;
            if let Some(flag) = claim.kind.verified_attribute() {
                tx.execute(
                    &format!(
                        "UPDATE users SET attributes = json_set(attributes, '$.{flag}', 'false'), modified = ?3
                         WHERE pool_id = ?1 AND sub = ?2"
                    ),
                    params![pool_id, holder, now.0],
                )
                .map_err(map_err)?;
            }
        }
        None => {}
    }
    tx.execute(
        "INSERT INTO aliases (pool_id, kind, value_key, sub) VALUES (?1, ?2, ?3, ?4)",
        params![pool_id, kind_str(claim.kind), claim.value_key, sub],
    )
    .map_err(|e| match map_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(Conflict::Alias(claim.kind)),
        other => other,
    })?;
    Ok(())
}

/// Inserts a user row and claims its aliases (inside the caller's transaction).
pub(super) fn insert_user(tx: &Connection, new: &NewUser, attributes: &str) -> Result<(), StoreError> {
    let u = &new.user;
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}, username_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    );
    let totp = u.mfa.totp.as_ref();
    tx.prepare_cached(&sql)
        .and_then(|mut insert| {
            insert.execute(params![
                u.pool_id,
                u.sub,
                u.username,
                u.status.as_str(),
                u.enabled,
                attributes,
                u.password_hash,
                u.created.0,
                u.modified.0,
                u.srp_verifier,
                u.password_set.0,
                u.mfa.choice.encode(),
                totp.map(|t| &t.secret),
                totp.and_then(|t| t.name.as_ref()),
                totp.map_or(0, |t| t.last_step as i64),
                u.mfa.totp_pending,
                new.username_key
            ])
        })
        .map_err(map_err)?;
    for alias in &new.aliases {
        claim_alias(tx, &u.pool_id, &u.sub, alias, u.created)?;
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
