use super::*;

#[async_trait]
impl GroupStore for MemStore {
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (group.pool_id.clone(), group.name.clone());
        if m.groups.contains_key(&key) {
            return Err(StoreError::Conflict(Conflict::Group));
        }
        m.groups.insert(key, group.clone());
        Ok(())
    }
    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
        Ok(self.inner.lock().unwrap().groups.get(&(pool_id.to_string(), name.to_string())).cloned())
    }
    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        self.inner.lock().unwrap().groups.insert((group.pool_id.clone(), group.name.clone()), group.clone());
        Ok(())
    }
    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.groups.remove(&(pool_id.to_string(), name.to_string()));
        m.members.retain(|(p, n, _)| !(p == pool_id && n == name));
        Ok(())
    }
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut groups: Vec<Group> = m
            .groups
            .values()
            .filter(|g| g.pool_id == pool_id && g.name.as_str() > after.unwrap_or(""))
            .cloned()
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.truncate(limit);
        Ok(groups)
    }
    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let row = (pool_id.to_string(), name.to_string(), sub.to_string());
        // The group and the user must exist (the SQL backends' foreign keys).
        if !m.groups.contains_key(&(row.0.clone(), row.1.clone()))
            || !m.users.contains_key(&(row.0.clone(), row.2.clone()))
        {
            return Err(StoreError::NotFound);
        }
        if !m.members.contains(&row) {
            m.members.push(row);
        }
        Ok(())
    }
    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().members.retain(|(p, n, s)| !(p == pool_id && n == name && s == sub));
        Ok(())
    }
    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut users: Vec<User> = m
            .members
            .iter()
            .filter(|(p, n, s)| p == pool_id && n == name && s.as_str() > after.unwrap_or(""))
            .filter_map(|(p, _, s)| m.users.get(&(p.clone(), s.clone())).map(|(u, _)| u.clone()))
            .collect();
        users.sort_by(|a, b| a.sub.cmp(&b.sub));
        users.truncate(limit);
        Ok(users)
    }
    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut groups: Vec<Group> = m
            .members
            .iter()
            .filter(|(p, n, s)| p == pool_id && s == sub && n.as_str() > after.unwrap_or(""))
            .filter_map(|(p, n, _)| m.groups.get(&(p.clone(), n.clone())).cloned())
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.truncate(limit);
        Ok(groups)
    }
}
