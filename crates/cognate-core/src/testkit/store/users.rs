use super::*;

#[async_trait]
impl UserStore for MemStore {
    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError> {
        Ok(self.inner.lock().unwrap().users.keys().filter(|(p, _)| p == pool_id).count() as u64)
    }
    async fn create_user(
        &self,
        new: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let pool = new.user.pool_id.clone();
        if m.users.values().any(|(u, key)| u.pool_id == pool && *key == new.username_key) {
            return Err(StoreError::Conflict(Conflict::Username));
        }
        for a in &new.aliases {
            if !a.force && m.aliases.contains_key(&(pool.clone(), a.kind, a.value_key.clone())) {
                return Err(StoreError::Conflict(Conflict::Alias(a.kind)));
            }
        }
        for a in &new.aliases {
            let previous = m.aliases.insert((pool.clone(), a.kind, a.value_key.clone()), new.user.sub.clone());
            if let (Some(holder), Some(flag)) = (previous, a.kind.verified_attribute()) {
                if let Some((u, _)) = m.users.get_mut(&(pool.clone(), holder)) {
                    u.attributes.insert(flag.into(), "false".into());
                }
            }
        }
        m.users.insert((pool.clone(), new.user.sub.clone()), (new.user.clone(), new.username_key.clone()));
        if let Some(c) = code {
            m.codes.insert((pool.clone(), c.sub.clone(), c.purpose.clone()), c.clone());
        }
        Ok(message.map(|msg| {
            m.outbox.push((msg.kept(), "pending".into()));
            m.outbox.len() as i64
        }))
    }
    async fn get_user_by_username(&self, pool_id: &str, key: &str) -> Result<Option<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        Ok(m.users.values().find(|(u, k)| u.pool_id == pool_id && k == key).map(|(u, _)| u.clone()))
    }
    async fn get_user_by_alias(&self, pool_id: &str, kind: AliasKind, key: &str) -> Result<Option<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let Some(sub) = m.aliases.get(&(pool_id.to_string(), kind, key.to_string())) else { return Ok(None) };
        Ok(m.users.get(&(pool_id.to_string(), sub.clone())).map(|(u, _)| u.clone()))
    }
    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError> {
        Ok(self.inner.lock().unwrap().users.get(&(pool_id.to_string(), sub.to_string())).map(|(u, _)| u.clone()))
    }
    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.users.remove(&(pool_id.to_string(), sub.to_string()));
        m.aliases.retain(|_, s| s != sub);
        m.codes.retain(|(_, s, _), _| s != sub);
        m.members.retain(|(_, _, s)| s != sub);
        m.failures.remove(&(pool_id.to_string(), sub.to_string()));
        m.refresh.retain(|_, t| !(t.pool_id == pool_id && t.sub == sub));
        m.devices.retain(|_, d| !(d.pool_id == pool_id && d.sub == sub));
        m.passkeys.retain(|p| !(p.pool_id == pool_id && p.sub == sub));
        m.attempts.retain(|(p, who, _), _| !(p == pool_id && who == sub));
        Ok(())
    }
    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m
            .users
            .values()
            .map(|(u, _)| u.clone())
            .filter(|u| u.pool_id == pool_id && after.is_none_or(|a| u.sub.as_str() > a))
            .filter(|u| filter.is_none_or(|f| f.matches(u)))
            .collect();
        v.sort_by(|a, b| a.sub.cmp(&b.sub));
        v.truncate(limit);
        Ok(v)
    }
    async fn confirm_user(&self, c: &Confirmation) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (c.pool_id.clone(), c.sub.clone());
        let status = m.users.get(&key).map(|(u, _)| u.status).ok_or(StoreError::NotFound)?;
        if status != c.expected {
            return Err(StoreError::Conflict(Conflict::Status));
        }
        for claim in &c.claims {
            let akey = (c.pool_id.clone(), claim.kind, claim.value_key.clone());
            match m.aliases.get(&akey).cloned() {
                Some(holder) if holder != c.sub && !claim.force => {
                    return Err(StoreError::Conflict(Conflict::Alias(claim.kind)))
                }
                Some(holder) if holder != c.sub => {
                    if let (Some((prev, _)), Some(v)) =
                        (m.users.get_mut(&(c.pool_id.clone(), holder)), claim.kind.verified_attribute())
                    {
                        prev.attributes.insert(v.into(), "false".into());
                    }
                }
                _ => {}
            }
        }
        for claim in &c.claims {
            m.aliases.insert((c.pool_id.clone(), claim.kind, claim.value_key.clone()), c.sub.clone());
        }
        let (user, _) = m.users.get_mut(&key).ok_or(StoreError::NotFound)?;
        user.status = c.new_status;
        for (k, v) in &c.set_attributes {
            user.attributes.insert(k.clone(), v.clone());
        }
        m.codes.remove(&(c.pool_id.clone(), c.sub.clone(), "signup".into()));
        Ok(())
    }
    async fn update_user(&self, pool_id: &str, sub: &str, u: &UserUpdate, now: Timestamp) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let (user, _) = m.users.get_mut(&(pool_id.to_string(), sub.to_string())).ok_or(StoreError::NotFound)?;
        if u.expected_status.is_some_and(|s| s != user.status) {
            return Err(StoreError::Conflict(Conflict::Status));
        }
        if let Some(h) = &u.password_hash {
            user.password_hash = Some(h.clone());
            user.password_set = now;
        }
        if let Some(v) = &u.srp_verifier {
            user.srp_verifier = v.clone();
        }
        if let Some(s) = u.status {
            user.status = s;
        }
        if let Some(e) = u.enabled {
            user.enabled = e;
        }
        if let Some(choice) = &u.mfa_choice {
            user.mfa.choice = choice.clone();
        }
        if let Some(totp) = &u.totp {
            user.mfa.totp = totp.clone();
        }
        if let Some(pending) = &u.totp_pending {
            user.mfa.totp_pending = pending.clone();
        }
        let mfa = u.mfa_choice.is_some() || u.totp.is_some() || u.totp_pending.is_some();
        if u.password_hash.is_some() || u.status.is_some() || u.enabled.is_some() || mfa {
            user.modified = now;
        }
        Ok(())
    }
    async fn spend_totp_step(&self, pool_id: &str, sub: &str, step: u64) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let Some((user, _)) = m.users.get_mut(&(pool_id.to_string(), sub.to_string())) else { return Ok(false) };
        match &mut user.mfa.totp {
            Some(totp) if totp.last_step < step => {
                totp.last_step = step;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn change_attributes(&self, ch: &AttributeChange) -> Result<Vec<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (ch.pool_id.clone(), ch.sub.clone());
        if !m.users.contains_key(&key) {
            return Err(StoreError::NotFound);
        }
        let mut aliases = m.aliases.clone();
        aliases.retain(|(p, k, _), s| !(p == &ch.pool_id && s == &ch.sub && ch.releases.contains(k)));
        for claim in &ch.claims {
            let alias_key = (ch.pool_id.clone(), claim.kind, claim.value_key.clone());
            match aliases.get(&alias_key) {
                Some(holder) if holder != &ch.sub => return Err(StoreError::Conflict(Conflict::Alias(claim.kind))),
                _ => {
                    aliases.insert(alias_key, ch.sub.clone());
                }
            }
        }
        m.aliases = aliases;
        let (user, _) = m.users.get_mut(&key).unwrap();
        for name in &ch.remove {
            user.attributes.remove(name);
        }
        user.attributes.extend(ch.set.iter().cloned());
        user.modified = ch.now;
        for purpose in &ch.spend_codes {
            m.codes.remove(&(ch.pool_id.clone(), ch.sub.clone(), purpose.clone()));
        }
        for code in &ch.codes {
            m.codes.insert((code.pool_id.clone(), code.sub.clone(), code.purpose.clone()), code.clone());
        }
        let mut ids = Vec::new();
        for message in &ch.messages {
            m.outbox.push((message.kept(), "pending".into()));
            ids.push(m.outbox.len() as i64);
        }
        Ok(ids)
    }
}
