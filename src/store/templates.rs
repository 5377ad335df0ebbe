//! Named templates: create, list, read, update, delete. The source is
//! checked (compiled) by the caller before it is written; names are unique
//! (trimmed, as segment names are).

use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;

use super::unit::Tx;
use super::{Store, StoreError};

/// Why a template could not be written.
#[derive(Debug, Error)]
pub enum TemplateStoreError {
    /// The name is not acceptable.
    #[error("{0}")]
    InvalidName(String),
    /// Another template has that name.
    #[error("a template named {0:?} exists")]
    NameTaken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for TemplateStoreError {
    fn from(e: rusqlite::Error) -> Self {
        TemplateStoreError::Store(e.into())
    }
}

/// A saved template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The minijinja source.
    pub text: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        id: r.get(0)?,
        name: r.get(1)?,
        text: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

fn read(conn: &Connection, id: i64) -> Result<Option<TemplateRow>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id, name, text, created_at, updated_at FROM templates WHERE id = ?1")?
        .query_row([id], row)
        .optional()?)
}

fn checked_name(name: &str) -> Result<&str, TemplateStoreError> {
    crate::segments::check_name(name).map_err(TemplateStoreError::InvalidName)
}

fn name_taken(conn: &Connection, name: &str, other_than: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM templates WHERE name = ?1 AND id != ?2")?
        .query_row(params![name, other_than], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Tx<'_> {
    /// Saves a new template (its source already checked).
    pub fn create_template(&mut self, name: &str, text: &str) -> Result<TemplateRow, TemplateStoreError> {
        let name = checked_name(name)?;
        if name_taken(&self.tx, name, 0)? {
            return Err(TemplateStoreError::NameTaken(name.to_string()));
        }
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO templates (name, text, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id",
            )?
            .query_row(params![name, text, self.now], |r| r.get(0))?;
        Ok(TemplateRow {
            id,
            name: name.to_string(),
            text: text.to_string(),
            created_at: self.now,
            updated_at: self.now,
        })
    }

    /// Renames a template and/or replaces its source; `None` if there is
    /// no such template.
    pub fn update_template(
        &mut self,
        id: i64,
        name: Option<&str>,
        text: Option<&str>,
    ) -> Result<Option<TemplateRow>, TemplateStoreError> {
        let Some(mut t) = read(&self.tx, id)? else {
            return Ok(None);
        };
        if let Some(name) = name {
            let name = checked_name(name)?;
            if name_taken(&self.tx, name, id)? {
                return Err(TemplateStoreError::NameTaken(name.to_string()));
            }
            t.name = name.to_string();
        }
        if let Some(text) = text {
            t.text = text.to_string();
        }
        t.updated_at = self.now;
        self.tx
            .prepare_cached("UPDATE templates SET name = ?2, text = ?3, updated_at = ?4 WHERE id = ?1")?
            .execute(params![id, t.name, t.text, self.now])?;
        Ok(Some(t))
    }

    /// Deletes a template; whether it existed.
    pub fn delete_template(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM templates WHERE id = ?1")?
            .execute([id])?
            > 0)
    }
}

impl Store {
    /// A saved template.
    pub fn template(&self, id: i64) -> Result<Option<TemplateRow>, StoreError> {
        read(&self.reader(), id)
    }

    /// Saved templates with id after `after`, by id, at most `limit`.
    pub fn templates(&self, after: i64, limit: usize) -> Result<Vec<TemplateRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, text, created_at, updated_at FROM templates WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_rename_update_delete_with_unique_names() {
        let s = Store::open_in_memory().unwrap();
        let a = s
            .write(1, |tx| tx.create_template(" promo ", "Hi {{ name }}"))
            .unwrap();
        assert_eq!((a.name.as_str(), a.created_at), ("promo", 1));
        let err = s.write(2, |tx| tx.create_template("promo", "x")).unwrap_err();
        assert!(matches!(err, TemplateStoreError::NameTaken(_)), "{err}");
        let b = s.write(2, |tx| tx.create_template("other", "x")).unwrap();
        let err = s
            .write(3, |tx| tx.update_template(b.id, Some("promo"), None))
            .unwrap_err();
        assert!(matches!(err, TemplateStoreError::NameTaken(_)));
        let u = s
            .write(4, |tx| {
                tx.update_template(a.id, Some("promo"), Some("Hello {{ name }}"))
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.text.as_str(), u.created_at, u.updated_at),
            ("Hello {{ name }}", 1, 4)
        );
        assert_eq!(s.template(a.id).unwrap(), Some(u));
        assert_eq!(s.templates(0, 10).unwrap().len(), 2);
        assert_eq!(s.templates(a.id, 10).unwrap()[0].id, b.id);
        assert!(
            s.write(5, |tx| tx.update_template(999, None, None))
                .unwrap()
                .is_none()
        );
        assert!(s.write(5, |tx| tx.delete_template(a.id)).unwrap());
        assert!(!s.write(5, |tx| tx.delete_template(a.id)).unwrap());
        let err = s.write(6, |tx| tx.create_template("  ", "x")).unwrap_err();
        assert!(matches!(err, TemplateStoreError::InvalidName(_)));
    }
}
