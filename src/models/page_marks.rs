//! Marks every [`MARK_EVERY`]th product of the plain lists, so a page reached by its number
//! alone starts from the nearest mark (a keyset seek) and skips fewer than [`MARK_EVERY`]
//! rows, however deep it lies: page 20,000 of a million products costs what page 5 does.
//!
//! A list's marks (each the product's place in the order: its [`SortKey`]) are walked from
//! its index (ids only, [`WALK`] at a time, then the keys of the marked ones) the first time a
//! page past them is asked for, and kept in this process for one listing version: any write
//! that can move a product in a list (not a sale's stock change) bumps it and so drops them
//! all. The walk reads the list once per version, as far as the deepest page asked for.

use std::collections::HashMap;
use std::sync::Mutex;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::domain::ProductSort;
use crate::models::catalog::{self, SortKey, Window};

/// Rows between two marks: five pages of 24, so a marked page skips at most 119 rows.
pub const MARK_EVERY: i64 = 120;

/// Ids read a statement while walking a list: a whole number of marks, so each walk
/// resumes just after a mark.
const WALK: i64 = MARK_EVERY * 40;

/// Marks kept over all lists (about 100 bytes each): a list that would pass it starts the
/// set afresh. A million products make 8,333 marks a list.
const MAX_MARKS: usize = 50_000;

/// A list: a category (or the whole catalogue) in an order.
type ListKey = (Option<i32>, ProductSort);

/// The marks of one list.
#[derive(Debug, Default)]
struct Marks {
    /// The products at rows `MARK_EVERY - 1`, `2 * MARK_EVERY - 1`, … of the list.
    keys: Vec<SortKey>,
    /// Whether the walk has reached the end of the list.
    complete: bool,
}

#[derive(Debug, Default)]
struct Kept {
    version: i64,
    lists: HashMap<ListKey, Marks>,
}

/// The marks of the lists asked for deep pages, at one listing version.
#[derive(Debug, Default)]
pub struct PageMarks {
    kept: Mutex<Kept>,
}

impl PageMarks {
    /// Where the rows from `offset` on start in the list of `category_id` in `sort` order,
    /// at listing `version`: the marked product before them and the rows to skip after
    /// it. `None` for a page before the first mark, past the end, deeper than the marks
    /// kept may reach, or while another request walks a list (that page is counted off as
    /// before rather than waiting).
    pub fn seek(
        &self,
        conn: &mut DbConn,
        version: i64,
        (category_id, sort): (Option<i32>, ProductSort),
        offset: i64,
    ) -> QueryResult<Option<(SortKey, i64)>> {
        let block = offset / MARK_EVERY;
        if block == 0 {
            return Ok(None);
        }
        // One walk at a time; a request that finds one under way does not queue behind it.
        let Ok(mut kept) = self.kept.try_lock() else {
            return Ok(None);
        };
        // A request that read an older version (another instance's write not yet seen)
        // neither uses nor drops the marks of a newer one.
        if kept.version > version {
            return Ok(None);
        }
        if kept.version < version {
            kept.lists.clear();
            kept.version = version;
        }
        let wanted = usize::try_from(block).unwrap_or(usize::MAX);
        if wanted > MAX_MARKS {
            return Ok(None);
        }
        let held: usize = kept.lists.values().map(|m| m.keys.len()).sum();
        if held + wanted > MAX_MARKS {
            kept.lists.clear();
        }
        let marks = kept.lists.entry((category_id, sort)).or_default();
        while marks.keys.len() < wanted && !marks.complete {
            if !walk(conn, category_id, sort, marks)? {
                // A product went while it was being marked: the version read is older than
                // the catalogue. The next request walks again.
                *marks = Marks::default();
                return Ok(None);
            }
        }
        Ok(marks
            .keys
            .get(wanted - 1)
            .map(|key| (key.clone(), offset - block * MARK_EVERY)))
    }
}

/// Reads the next [`WALK`] ids of the list after its last mark and marks them; `false` when
/// a product to mark has gone meanwhile.
fn walk(
    conn: &mut DbConn,
    category_id: Option<i32>,
    sort: ProductSort,
    marks: &mut Marks,
) -> QueryResult<bool> {
    let window = match marks.keys.last() {
        Some(key) => Window::After(key, 0),
        None => Window::Offset(0),
    };
    let ids = catalog::ids(conn, category_id, sort, window, WALK)?;
    marks.complete = (ids.len() as i64) < WALK;
    let every = MARK_EVERY as usize;
    let marked: Vec<i32> = ids.iter().skip(every - 1).step_by(every).copied().collect();
    let keys = catalog::sort_keys(conn, &marked)?;
    if keys.len() != marked.len() {
        return Ok(false);
    }
    marks.keys.extend(keys);
    Ok(true)
}
