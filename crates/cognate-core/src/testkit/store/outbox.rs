use super::*;

#[async_trait]
impl OutboxStore for MemStore {
    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.outbox.push((message.kept(), "pending".into()));
        Ok(m.outbox.len() as i64)
    }
    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        if let Some(e) = self.inner.lock().unwrap().outbox.get_mut(id as usize - 1) {
            e.1 = status.into();
            e.0.sealed = None;
        }
        Ok(())
    }
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let due: Vec<usize> = (0..m.outbox.len())
            .filter(|i| m.outbox[*i].1 == "pending")
            .filter(|i| m.leases.get(i).copied().unwrap_or(m.outbox[*i].0.created.plus(lease)) <= now)
            .take(limit)
            .collect();
        Ok(due
            .into_iter()
            .map(|i| {
                m.leases.insert(i, now.plus(lease));
                let (message, status) = m.outbox[i].clone();
                OutboxEntry { id: i as i64 + 1, message, status }
            })
            .collect())
    }
    async fn forget_outbox_text(&self) -> Result<u64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let mut n = 0;
        for (msg, _) in m.outbox.iter_mut().filter(|(msg, _)| msg.keep_text) {
            *msg = OutboxMessage { keep_text: false, ..msg.clone() }.kept();
            n += 1;
        }
        Ok(n)
    }
    async fn list_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError> {
        let m = self.inner.lock().unwrap();
        let matching: Vec<_> = m
            .outbox
            .iter()
            .enumerate()
            .filter(|(_, (msg, _))| q.pool_id.as_ref().is_none_or(|p| *p == msg.pool_id))
            .filter(|(_, (msg, _))| q.recipient.as_ref().is_none_or(|r| *r == msg.recipient))
            .map(|(i, (msg, st))| OutboxEntry { id: i as i64 + 1, message: msg.clone(), status: st.clone() })
            .collect();
        let skip = q.last.map_or(0, |n| matching.len().saturating_sub(n));
        Ok(matching.into_iter().skip(skip).collect())
    }
}

#[async_trait]
impl MetaStore for MemStore {
    async fn claim_meta(&self, name: &str, value: &str) -> Result<String, StoreError> {
        Ok(self.inner.lock().unwrap().meta.entry(name.into()).or_insert_with(|| value.into()).clone())
    }
    async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().meta.insert(name.into(), value.into());
        Ok(())
    }
}
