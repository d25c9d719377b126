//! Categories: the catalogue's sections, addressed by slug.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{on_backend, DbConn};
use crate::domain::category_tree::Tree;
use crate::schema::categories;

/// A category row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = categories)]
pub struct Category {
    /// Primary key.
    pub id: i32,
    /// Unique, URL-safe name used in `/products?category=`.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
    /// A sentence or two shown on the category's list page.
    pub description: String,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// The category it sits in, if it is not at the top level.
    pub parent_id: Option<i32>,
}

/// A category to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = categories)]
pub struct NewCategory<'a> {
    /// Unique, URL-safe name.
    pub slug: &'a str,
    /// Shown to shoppers.
    pub name: &'a str,
    /// Shown on the category's page.
    pub description: &'a str,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Same as `created_at` for a new row.
    pub updated_at: NaiveDateTime,
    /// The category it sits in (none: the top level).
    pub parent_id: Option<i32>,
}

/// What a link to a category needs: the navigation and product pages use it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryLink {
    /// Primary key.
    pub id: i32,
    /// URL-safe name.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
}

/// Every category as a link, A to Z.
pub fn all_links(conn: &mut DbConn) -> QueryResult<Vec<CategoryLink>> {
    categories::table
        .select(CategoryLink::as_select())
        .order((categories::name.asc(), categories::id.asc()))
        .load(conn)
}

/// The category with `slug`, if any.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<CategoryNode>> {
    on_backend!(conn, |c| categories::table
        .filter(categories::slug.eq(slug))
        .select(CategoryNode::as_select())
        .first(c)
        .optional())
}

/// Inserts a category and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewCategory<'_>) -> QueryResult<i32> {
    diesel::insert_into(categories::table)
        .values(new)
        .returning(categories::id)
        .get_result(conn)
}

/// The category with this id, if any.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Category>> {
    categories::table
        .find(id)
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// Every category with the number of its products, A to Z.
pub fn all_with_counts(conn: &mut DbConn) -> QueryResult<Vec<(Category, i64)>> {
    use crate::schema::products;
    let all = categories::table
        .select(Category::as_select())
        .order((categories::name.asc(), categories::id.asc()))
        .load(conn)?;
    let counts: Vec<(i32, i64)> = products::table
        .group_by(products::category_id)
        .select((products::category_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|c| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == c.id)
                .map_or(0, |(_, n)| *n);
            (c, n)
        })
        .collect())
}

/// How many products (on sale or not) are in the category.
pub fn product_count(conn: &mut DbConn, id: i32) -> QueryResult<i64> {
    use crate::schema::products;
    products::table
        .filter(products::category_id.eq(id))
        .count()
        .get_result(conn)
}

/// Changes a category's name, slug, description and parent.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    (slug, name, description): (&str, &str, &str),
    parent_id: Option<i32>,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(categories::table.find(id))
        .set((
            categories::slug.eq(slug),
            categories::name.eq(name),
            categories::description.eq(description),
            categories::parent_id.eq(parent_id),
            categories::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A category in the tree, with its products on sale (its own, not its subcategories').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// Primary key.
    pub id: i32,
    /// Its parent.
    pub parent_id: Option<i32>,
    /// URL-safe name.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
    /// Its own products on sale, from the kept counts.
    pub active: i64,
}

/// A tree row as read: id, parent, slug, name, its own products on sale.
type TreeColumns = (i32, Option<i32>, String, String, Option<i32>);

/// Every category with its parent and its own count of products on sale, A to Z.
pub fn tree_rows(conn: &mut DbConn) -> QueryResult<Vec<TreeRow>> {
    use crate::schema::catalog_counts;
    let rows: Vec<TreeColumns> = categories::table
        .left_join(catalog_counts::table.on(catalog_counts::category_id.eq(categories::id)))
        .order((categories::name.asc(), categories::id.asc()))
        .select((
            categories::id,
            categories::parent_id,
            categories::slug,
            categories::name,
            catalog_counts::active.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, parent_id, slug, name, active)| TreeRow {
            id,
            parent_id,
            slug,
            name,
            active: i64::from(active.unwrap_or(0)),
        })
        .collect())
}

/// The tree of the categories `rows` describe.
pub fn tree_of(rows: &[TreeRow]) -> Tree {
    Tree::new(rows.iter().map(|r| (r.id, r.parent_id)))
}

/// Locks every category row until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serial), so two moves checked at once cannot make a cycle together.
pub fn lock_all(conn: &mut DbConn) -> QueryResult<()> {
    let ids = categories::table
        .select(categories::id)
        .order(categories::id.asc());
    match conn {
        DbConn::Sqlite(conn) => ids.load::<i32>(conn).map(|_| ()),
        DbConn::Pg(conn) => ids.for_update().load::<i32>(conn).map(|_| ()),
    }
}

/// How many categories sit directly in `id`.
pub fn child_count(conn: &mut DbConn, id: i32) -> QueryResult<i64> {
    categories::table
        .filter(categories::parent_id.eq(id))
        .count()
        .get_result(conn)
}

/// A category's place in the tree: what navigation, breadcrumbs and a branch's pages need.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryNode {
    /// Primary key.
    pub id: i32,
    /// Its parent (none at the top level).
    pub parent_id: Option<i32>,
    /// URL-safe name.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
    /// A sentence or two shown on the category's list page.
    pub description: String,
}

/// Every category's place in the tree, read at once: the header's navigation and each
/// category page's breadcrumbs, subcategories and branch come from it.
#[derive(Debug, Clone, Default)]
pub struct Categories {
    /// Every category, A to Z.
    nodes: Vec<CategoryNode>,
    /// Where each id is in `nodes`.
    index: HashMap<i32, usize>,
    /// Their parent links.
    pub tree: Tree,
    /// The top-level categories as links, A to Z.
    pub nav: Arc<[CategoryLink]>,
}

impl Categories {
    /// Reads every category.
    pub fn load(conn: &mut DbConn) -> QueryResult<Categories> {
        let nodes: Vec<CategoryNode> = categories::table
            .select(CategoryNode::as_select())
            .order((categories::name.asc(), categories::id.asc()))
            .load(conn)?;
        Ok(Categories::new(nodes))
    }

    /// The tree of `nodes`, given A to Z.
    pub fn new(nodes: Vec<CategoryNode>) -> Categories {
        let tree = Tree::new(nodes.iter().map(|n| (n.id, n.parent_id)));
        let nav = nodes
            .iter()
            .filter(|n| n.parent_id.is_none())
            .map(|n| CategoryLink {
                id: n.id,
                slug: n.slug.clone(),
                name: n.name.clone(),
            })
            .collect();
        let index = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
        Categories {
            nodes,
            index,
            tree,
            nav,
        }
    }

    /// The category `id`, if it was there when these were read.
    pub fn node(&self, id: i32) -> Option<&CategoryNode> {
        self.index.get(&id).map(|i| &self.nodes[*i])
    }

    /// The category at `slug`, if it was there when these were read.
    pub fn by_slug(&self, slug: &str) -> Option<&CategoryNode> {
        self.nodes.iter().find(|n| n.slug == slug)
    }
}

/// The products on sale in each of `ids` (its own, not its subcategories'), from the kept
/// counts; an id without any is left out.
pub fn active_counts(conn: &mut DbConn, ids: &[i32]) -> QueryResult<HashMap<i32, i64>> {
    use crate::schema::catalog_counts;
    let rows: Vec<(i32, i32)> = catalog_counts::table
        .filter(catalog_counts::category_id.eq_any(ids))
        .select((catalog_counts::category_id, catalog_counts::active))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, active)| (id, i64::from(active)))
        .collect())
}

/// Deletes a category (the database refuses while it has products).
pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(categories::table.find(id)).execute(conn)
}

/// The categories above one whose parent is `parent`, from the top level down (at most
/// [`MAX_DEPTH`](crate::domain::category_tree::MAX_DEPTH) reads; none for a top-level one).
pub fn ancestors(conn: &mut DbConn, parent: Option<i32>) -> QueryResult<Vec<CategoryLink>> {
    let mut out = Vec::new();
    let mut next = parent;
    while let Some(id) = next {
        if out.len() >= crate::domain::category_tree::MAX_DEPTH {
            break;
        }
        let Some((link, parent)) = categories::table
            .find(id)
            .select((CategoryLink::as_select(), categories::parent_id))
            .first::<(CategoryLink, Option<i32>)>(conn)
            .optional()?
        else {
            break;
        };
        out.push(link);
        next = parent;
    }
    out.reverse();
    Ok(out)
}
