//! The audit log: who changed what, when, and the fields before and after. Rows are only ever
//! inserted (the database refuses updates and deletes).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::models::Window;
use crate::schema::audit_log;

/// The fields a change touched, each with its value before and after (as people read them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes(Vec<(String, String, String)>);

impl Changes {
    /// No changes yet.
    pub fn new() -> Changes {
        Changes::default()
    }

    /// Records `field` going from `before` to `after`, if they differ.
    pub fn field(
        &mut self,
        field: &str,
        before: impl ToString,
        after: impl ToString,
    ) -> &mut Changes {
        let (before, after) = (before.to_string(), after.to_string());
        if before != after {
            self.0.push((field.to_string(), before, after));
        }
        self
    }

    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` changed.
    pub fn touches(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _, _)| f == field)
    }

    /// As stored: a JSON array of `[field, before, after]`, in the order recorded.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_string())
    }

    fn from_json(text: &str) -> Changes {
        Changes(serde_json::from_str(text).unwrap_or_default())
    }

    /// The changes, as (field, before, after).
    pub fn list(&self) -> &[(String, String, String)] {
        &self.0
    }
}

/// One audited write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The admin's user id.
    pub admin_id: i32,
    /// The admin's address (kept, so the row reads the same if the address changes).
    pub admin_email: &'a str,
    /// What was done: `product.create`, `order.status`, …
    pub action: &'a str,
    /// The kind of thing: `product`, `category`, `order`, `user`, `review`.
    pub entity: &'a str,
    /// Its id.
    pub entity_id: i32,
    /// The fields before and after.
    pub changes: Changes,
    /// Why, when the admin said (a stock note).
    pub note: &'a str,
}

/// Appends an entry; call in the transaction of the write it records.
pub fn record(conn: &mut DbConn, entry: &Entry<'_>, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::admin_id.eq(entry.admin_id),
            audit_log::admin_email.eq(entry.admin_email),
            audit_log::action.eq(entry.action),
            audit_log::entity.eq(entry.entity),
            audit_log::entity_id.eq(entry.entity_id),
            audit_log::changes.eq(entry.changes.to_json()),
            audit_log::note.eq(entry.note),
            audit_log::created_at.eq(now),
        ))
        .execute(conn)
}

/// An entry as the audit page shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    /// Primary key.
    pub id: i32,
    /// The admin's user id.
    pub admin_id: Option<i32>,
    /// The admin's address.
    pub admin_email: String,
    /// What was done.
    pub action: String,
    /// The kind of thing.
    pub entity: String,
    /// Its id.
    pub entity_id: i32,
    /// The fields before and after, as stored.
    pub changes: String,
    /// Why.
    pub note: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

impl AuditRow {
    /// The fields before and after.
    pub fn changed(&self) -> Changes {
        Changes::from_json(&self.changes)
    }

    /// The fields before and after, as (field, before, after).
    pub fn changed_fields(&self) -> Vec<(String, String, String)> {
        self.changed().0
    }

    /// When, for people.
    pub fn at(&self) -> String {
        self.created_at.format("%-d %b %Y %H:%M:%S UTC").to_string()
    }
}

/// Which entries a page shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this kind of thing.
    pub entity: Option<String>,
    /// Only this admin's.
    pub admin_id: Option<i32>,
}

fn filtered(filter: &AuditFilter) -> audit_log::BoxedQuery<'static, crate::db::MultiBackend> {
    let mut query = audit_log::table.into_boxed();
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_log::entity.eq(entity.clone()));
    }
    if let Some(admin_id) = filter.admin_id {
        query = query.filter(audit_log::admin_id.eq(admin_id));
    }
    query
}

/// A window of the entries the filter admits, newest first, and how many it admits.
pub fn page(
    conn: &mut DbConn,
    filter: &AuditFilter,
    window: Window,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    let newest_first = (audit_log::created_at.desc(), audit_log::id.desc());
    window_and_total!(conn, filtered(filter), newest_first, AuditRow, window)
}

/// Every admin who appears in the log, for the filter menu.
pub fn admins(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    let rows: Vec<(Option<i32>, String)> = audit_log::table
        .select((audit_log::admin_id, audit_log::admin_email))
        .distinct()
        .order(audit_log::admin_email.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, email)| Some((id?, email)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_keep_only_what_differs_and_round_trip() {
        let mut changes = Changes::new();
        changes
            .field("price", "19.99", "24.99")
            .field("stock", 5, 5)
            .field("name", "A \"b\"", "C");
        assert_eq!(changes.list().len(), 2);
        assert!(changes.touches("price") && !changes.touches("stock"));
        assert_eq!(Changes::from_json(&changes.to_json()), changes);
        assert!(Changes::from_json("not json").is_empty());
    }
}
